// SPDX-License-Identifier: Apache-2.0
#include "libindex/kernels/march.h"

#include <algorithm>
#include <string>

#include "libindex/error.h"

namespace libindex::kernels {
namespace {

Box3f to_voxel_space(const Box3f& scene, const RenderSettings& s) {
  Box3f v;
  for (int a = 0; a < 3; ++a) {
    const float lo = (scene.lo[a] - s.translation[a]) / s.scaling[a];
    const float hi = (scene.hi[a] - s.translation[a]) / s.scaling[a];
    v.lo[a] = std::min(lo, hi), v.hi[a] = std::max(lo, hi); // a negative scale flips the axis
  }
  return v;
}

Box3f clip_box(const BrickView& brick, const RenderSettings& s) {
  return intersect(to_float(intersect(brick.owned, brick.volume)), to_voxel_space(s.region_of_interest, s));
}

} // namespace

MarchParams make_march_params(const BrickView& brick, const FrameParams& frame, ColormapView colormap,
                              SkipGridView skip) {
  const RenderSettings& s = frame.settings;
  require(s.sampling_distance > 0, "sampling_distance must be > 0, got " + std::to_string(s.sampling_distance));
  require(s.sampling_distance_reference > 0,
          "sampling_distance_reference must be > 0, got " + std::to_string(s.sampling_distance_reference));
  require(s.scaling.x != 0 && s.scaling.y != 0 && s.scaling.z != 0, "index::scaling must not be 0 on any axis");
  require(frame.width > 0 && frame.height > 0,
          "image size must be positive, got " + std::to_string(frame.width) + "x" + std::to_string(frame.height));
  require(colormap.size >= 1, "colormap has no entries");
  MarchParams P;
  P.camera = frame.camera;
  P.frame = camera_frame(frame.camera);
  P.width = frame.width, P.height = frame.height;
  P.inv_scaling = {1.0f / s.scaling.x, 1.0f / s.scaling.y, 1.0f / s.scaling.z};
  P.translation = s.translation;
  P.clip = clip_box(brick, s);
  P.dt = s.sampling_distance;
  P.opacity_exponent = s.sampling_distance / s.sampling_distance_reference;
  P.colormap = colormap;
  P.mode = s.mode;
  P.mip_values = frame.mip_output_values;
  P.shading = s.shading;
  P.jitter = s.jitter;
  P.early_termination = s.early_termination;
  P.skip = s.empty_space_skipping ? skip : SkipGridView{};
  require(s.plane_count >= 0 && s.plane_count <= kMaxSlicePlanes,
          "at most " + std::to_string(kMaxSlicePlanes) + " slice planes, got " + std::to_string(s.plane_count));
  if (s.mode == RenderMode::direct_volume) {
    P.plane_count = s.plane_count;
    for (int i = 0; i < s.plane_count; ++i) P.planes[i] = s.planes[i];
    P.plane_clip = P.clip; // the whole brick, before the occupied box narrows the samples' range
  }
  // Host memory: a GPU backend puts a device copy in its place (the volume's own is one already).
  for (int i = 0; i < kMaxSlicePlanes; ++i) {
    const auto& own = frame.plane_colormaps[size_t(i)];
    P.plane_colormaps[i] = own ? own->view() : colormap;
    require(P.plane_colormaps[i].size >= 1, "a plane's colormap has no entries");
  }
  // No sample outside the occupied cells contributes: rays start and end at their box (the same
  // samples, on the same lattice, so the image does not change).
  if (P.skip.empty_radius && P.mode == RenderMode::direct_volume) P.clip = intersect(P.clip, P.skip.occupied);
  return P;
}

Rect active_rect(const MarchParams& P, const FrameParams& frame) {
  const Box3f& reach = P.plane_count > 0 ? P.plane_clip : P.clip; // planes may lie outside the occupied box
  if (reach.empty()) return {};
  return projected_rect(frame.camera, to_scene_box(reach, frame.settings), frame.width, frame.height);
}

Rect active_rect(const BrickView& brick, const FrameParams& frame) {
  const Box3f clip = clip_box(brick, frame.settings);
  if (clip.empty()) return {};
  return projected_rect(frame.camera, to_scene_box(clip, frame.settings), frame.width, frame.height);
}

} // namespace libindex::kernels
