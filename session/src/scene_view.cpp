// SPDX-License-Identifier: Apache-2.0
#include "libindex/scene_view.h"

#include <algorithm>

#include "libindex/default_view.h"
#include "libindex/kernels/sample_program.h"

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
    v.frame.settings.region_of_interest =
        io::scene_region_of_interest(scene).value_or(v.frame.settings.region_of_interest);
  }
  if (scene.camera)
    v.frame.camera = *scene.camera;
  else if (v.volume)
    v.frame.camera = fitted_camera(v, float(v.frame.width) / float(v.frame.height));
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
  if (k.planes) {
    r.plane_count = int(k.planes->size());
    for (int i = 0; i < r.plane_count; ++i) r.planes[i] = (*k.planes)[size_t(i)];
  }
  v.scene = std::move(scene);
  set_scene_placement(v, v.frame);
  return v;
}

bool fits_own_camera(const SceneView& view) { return !view.scene.camera && !view.volume_box.empty(); }

Camera fitted_camera(const SceneView& view, float aspect) {
  const Box3f inside = intersect(view.volume_box, view.frame.settings.region_of_interest);
  return default_camera(inside.empty() ? view.volume_box : inside, aspect);
}

namespace {

/// `p` compiled for `target` with its parameter buffers; null, with the compiler's message and
/// `what_instead` in `warnings`, when it does not compile.
std::shared_ptr<const SampleProgram> compile_program(const io::ProgramDesc& p, kernels::ProgramTarget target,
                                                     const std::string& what_instead,
                                                     std::vector<std::string>& warnings) {
  try {
    auto program = kernels::compile_sample_program({p.text, p.file, p.first_line, target});
    for (const auto& [slot, bytes] : p.buffers) program->buffers[size_t(slot)] = kernels::make_parameter_buffer(bytes);
    return program;
  } catch (const std::exception& e) {
    warnings.push_back(std::string(e.what()) + "\n(" + what_instead + "' did not compile)");
    return nullptr;
  }
}

} // namespace

void compile_programs(SceneView& view) {
  const auto& volumes = view.scene.volumes;
  auto& warnings = view.scene.warnings;
  view.programs.assign(volumes.size(), nullptr);
  for (size_t i = 0; i < volumes.size(); ++i)
    if (const auto& p = volumes[i].program)
      view.programs[i] = compile_program(
          *p, kernels::ProgramTarget::volume,
          "volume '" + volumes[i].id + "' renders with its colormap: its sample program '" + p->id, warnings);
  if (!view.programs.empty()) view.frame.program = view.programs.front();
  view.surface_programs.clear();
  for (const io::SurfaceProgramDesc& p : view.scene.surface_programs)
    view.surface_programs.push_back(
        compile_program(p.program, kernels::ProgramTarget::surface,
                        "its planes show their colormap: the surface sample program '" + p.program.id, warnings));
}

FrameParams volume_frame(const SceneView& view, size_t index, const FrameParams& shown) {
  if (index == 0) return shown;
  const io::SceneDescription& scene = view.scene;
  const io::VolumeDesc& vol = scene.volumes.at(index);
  FrameParams f = shown;
  f.colormap = vol.colormap;
  f.program = index < view.programs.size() ? view.programs[index] : nullptr;
  const RenderSettings own = io::render_settings(scene, vol);
  RenderSettings& r = f.settings;
  r.sampling_distance = own.sampling_distance, r.sampling_distance_reference = own.sampling_distance_reference;
  r.shading = own.shading;
  r.scaling = own.scaling, r.translation = own.translation;
  r.hardware_filtering = shown.settings.hardware_filtering && !vol.nearest_filter;
  r.region_of_interest = io::scene_region_of_interest(scene).value_or(RenderSettings{}.region_of_interest);
  if (!(vol.clip_region == vol.source->box()) && !vol.clip_region.empty())
    r.region_of_interest = intersect(r.region_of_interest, to_scene_box(vol.clip_region, own));
  return f;
}

std::optional<size_t> surface_program_of(const SceneView& view, size_t plane) {
  const auto& programs = view.scene.plane_programs;
  if (programs.empty()) return std::nullopt;
  const auto& which = plane < programs.size() ? programs[plane] : programs.front();
  if (!which || !view.surface_programs.at(*which)) return std::nullopt;
  return which;
}

void set_scene_placement(const SceneView& view, FrameParams& frame) {
  frame.scene_scaling = view.scene.scaling, frame.scene_translation = view.scene.translation;
}

void set_plane_appearance(const SceneView& view, size_t index, FrameParams& frame) {
  for (size_t i = 0; i < frame.plane_programs.size(); ++i) {
    PlaneProgram& own = frame.plane_programs[i];
    own = {};
    const auto which = surface_program_of(view, i);
    if (!which) continue;
    own.program = view.surface_programs[*which];
    for (const io::ProgramSlotDesc& s : view.scene.surface_programs.at(*which).slots) {
      if (!s.volume)
        own.slots.push_back({s.slot, BrickView{}, s.colormap});
      else if (*s.volume == index) // the volume under the planes: this brick's own voxels
        own.slots.push_back({s.slot, BrickView{}, frame.colormap});
    }
  }
  const auto& scene_planes = view.scene.plane_colormaps;
  const std::string& volume_colormap = view.scene.volumes.at(index).colormap_id;
  for (size_t i = 0; i < frame.plane_colormaps.size(); ++i) {
    auto& own = frame.plane_colormaps[i];
    own.reset();
    // A plane beyond the scene's (a client's) takes the first scene plane's colormap.
    if (scene_planes.empty()) continue;
    const auto& scene_plane = i < scene_planes.size() ? scene_planes[i] : scene_planes.front();
    if (!scene_plane || scene_plane->id == volume_colormap) continue; // the volume's, as a client edits it
    own = scene_plane->colormap;
    if (!scene_plane->domain_given)
      own->domain_min = frame.colormap.domain_min, own->domain_max = frame.colormap.domain_max;
  }
}

Box3f volume_scene_box(const SceneView& view, size_t index) {
  const io::VolumeDesc& vol = view.scene.volumes.at(index);
  return to_scene_box(vol.source->box(), io::render_settings(view.scene, vol));
}

std::vector<size_t> volume_order(const SceneView& view, const Camera& camera, std::span<const size_t> image_of) {
  const size_t n = view.scene.volumes.size();
  std::vector<Box3f> boxes;
  for (size_t i = 0; i < n; ++i) boxes.push_back(volume_scene_box(view, i));
  // A mix is one image: its place comes from all its volumes' boxes, not its first one's alone.
  std::vector<size_t> left;
  for (size_t i = 0; i < n; ++i) {
    const size_t image = image_of.empty() ? i : image_of[i];
    if (image == i) {
      left.push_back(i);
    } else {
      Box3f& hull = boxes[image];
      for (int a = 0; a < 3; ++a)
        hull.lo[a] = std::min(hull.lo[a], boxes[i].lo[a]), hull.hi[a] = std::max(hull.hi[a], boxes[i].hi[a]);
    }
  }
  // -1: a before b, 1: b before a, 0: no separating axis tells.
  auto compare = [&](const Box3f& a, const Box3f& b) {
    for (int axis = 0; axis < 3; ++axis) {
      const bool a_low = a.hi[axis] <= b.lo[axis], b_low = b.hi[axis] <= a.lo[axis];
      if (!a_low && !b_low) continue;
      const float gap_lo = a_low ? a.hi[axis] : b.hi[axis], gap_hi = a_low ? b.lo[axis] : a.lo[axis];
      // Looking along +axis (orthographic), or the eye below the gap: the lower box is in front.
      const bool low_first = camera.orthographic ? camera.dir[axis] > 0 : camera.from[axis] <= gap_lo;
      const bool high_first = camera.orthographic ? camera.dir[axis] < 0 : camera.from[axis] >= gap_hi;
      if (low_first) return a_low ? -1 : 1;
      if (high_first) return a_low ? 1 : -1;
    }
    return 0;
  };
  auto distance = [&](const Box3f& b) {
    const Vec3f c = (b.lo + b.hi) * 0.5f;
    return camera.orthographic ? dot(c - camera.from, camera.dir) : length(c - camera.from);
  };
  std::vector<size_t> order;
  while (!left.empty()) {
    // The first box no other remaining box must precede; ties by the nearer centre.
    size_t best = 0;
    bool found = false;
    for (size_t k = 0; k < left.size(); ++k) {
      bool blocked = false;
      for (size_t m = 0; m < left.size() && !blocked; ++m)
        blocked = m != k && compare(boxes[left[m]], boxes[left[k]]) < 0;
      if (!blocked && (!found || distance(boxes[left[k]]) < distance(boxes[left[best]]))) best = k, found = true;
    }
    if (!found) // a cycle (not possible for boxes apart along an axis the eye is outside of): nearest first
      for (size_t k = 1; k < left.size(); ++k)
        if (distance(boxes[left[k]]) < distance(boxes[left[best]])) best = k;
    order.push_back(left[best]);
    left.erase(left.begin() + long(best));
  }
  return order;
}

} // namespace libindex
