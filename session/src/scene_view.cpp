// SPDX-License-Identifier: Apache-2.0
#include "libindex/scene_view.h"

#include "libindex/default_view.h"

namespace libindex {

SceneView make_scene_view(io::SceneDescription scene) {
  SceneView v;
  v.frame.width = scene.canvas_width;
  v.frame.height = scene.canvas_height;
  if (!scene.volumes.empty()) {
    const io::VolumeDesc& vol = scene.volumes.front();
    v.volume = vol.source;
    v.frame.colormap = vol.colormap;
    v.frame.settings = io::render_settings(scene, vol);
    v.frame.settings.hardware_filtering = !vol.nearest_filter;
    // clip_region (voxel space) narrows the region of interest.
    if (!(vol.clip_region == vol.source->box()) && !vol.clip_region.empty())
      v.frame.settings.region_of_interest =
          intersect(v.frame.settings.region_of_interest, to_scene_box(vol.clip_region, v.frame.settings));
    v.volume_box = to_scene_box(vol.source->box(), v.frame.settings);
  } else {
    v.frame.settings.region_of_interest = scene.region_of_interest.value_or(v.frame.settings.region_of_interest);
  }
  const float aspect = float(v.frame.width) / float(v.frame.height);
  if (scene.camera) {
    v.frame.camera = *scene.camera;
  } else if (v.volume) {
    v.frame.camera = default_camera(intersect(v.volume_box, v.frame.settings.region_of_interest).empty()
                                        ? v.volume_box
                                        : intersect(v.volume_box, v.frame.settings.region_of_interest),
                                    aspect);
  }
  // libindex's own view keys (a file session.save wrote) over the scene's settings.
  const io::ViewKeys& k = scene.view;
  RenderSettings& r = v.frame.settings;
  if (k.sampling_distance) r.sampling_distance = *k.sampling_distance;
  if (k.mode) r.mode = *k.mode;
  if (k.shading) r.shading.enabled = *k.shading;
  if (k.jitter) r.jitter = *k.jitter;
  if (k.early_termination) r.early_termination = *k.early_termination;
  if (k.empty_space_skipping) r.empty_space_skipping = *k.empty_space_skipping;
  if (k.hardware_filtering) r.hardware_filtering = *k.hardware_filtering;
  if (k.background) v.background = *k.background;
  v.scene = std::move(scene);
  return v;
}

} // namespace libindex
