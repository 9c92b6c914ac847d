// SPDX-License-Identifier: Apache-2.0
#include "libindex/view_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "libindex/error.h"
#include "libindex/io/path_policy.h"
#include "libindex/rank_memory.h"

namespace libindex {

void ViewState::load_scene(SceneSpec next) { replace_scene(std::move(next), {}); }

void ViewState::replace_scene(SceneSpec next, const std::vector<std::string>& warnings_shown) {
  SceneView built = build_scene(next, false); // throws before anything changes
  print_warnings(built.scene.warnings, warnings_shown);
  spec = std::move(next);
  view = std::move(built);
  frame = view.frame;
  home_camera = frame.camera;
  preset = view.scene.volumes.empty() ? std::string() : view.scene.volumes.front().colormap_preset;
  opacity_points.clear();
  other_colormaps.clear();
  remembered_colormaps.clear();
  fit_domain = view.volume && !view.scene.volumes.empty() && !view.scene.volumes.front().domain_given;
  statistics.reset();
  other_statistics.clear();
  time_step = std::clamp(view.scene.view.time_step.value_or(time_range().first), time_range().first,
                         time_range().second); // a saved session reopens at its step
  playing = false;
  ++scene_version;
  dirty = true;
}

void ViewState::edit_scene(SceneSpec next) {
  const FrameParams client = frame, before = view.frame; // what clients made of it; what the scene said
  const bool had_volume = view.volume != nullptr;
  const bool client_kept_fit = shows_own_fit();
  const int step = time_step;
  const bool was_playing = playing;
  std::map<std::string, RememberedColormap> remembered = remembered_colormaps;
  for (size_t i = 0; i < view.scene.volumes.size(); ++i) {
    const io::VolumeDesc& v = view.scene.volumes[i];
    RememberedColormap& r = remembered[v.id];
    r.scene = v.colormap;
    if (i == 0) {
      r.client = {frame.colormap, preset, opacity_points}, r.client_set = true, r.fit_domain = fit_domain;
      r.scene = before.colormap; // with the domain the view gave it
    } else if (const auto it = other_colormaps.find(i); it != other_colormaps.end()) {
      r.client = it->second, r.client_set = true;
    } else {
      r.client_set = false;
    }
  }
  // An edit repeats none of the scene's warnings: a client that removes an element, or changes a
  // colormap, hears only what is new.
  replace_scene(std::move(next), view.scene.warnings); // throws before anything changes
  remembered_colormaps = std::move(remembered);
  const FrameParams& now = view.frame;
  // The camera: the client's where the scene's default stayed (or there was a volume to look at).
  const bool clients_camera = had_volume || before.camera == now.camera;
  if (clients_camera) frame.camera = client.camera;
  frame.width = client.width, frame.height = client.height;
  const float aspect = float(frame.width) / float(frame.height);
  if (fits_own_camera(view)) {
    home_camera = fitted_camera(view, aspect); // for the client's canvas, not the scene's
    if (!clients_camera || client_kept_fit) frame.camera = home_camera;
  }
  frame.camera.aspect = aspect;
  RenderSettings& r = frame.settings;
  const RenderSettings &was = before.settings, &mine = client.settings;
  const auto keep = [&](auto member) {
    if (was.*member == now.settings.*member) r.*member = mine.*member;
  };
  keep(&RenderSettings::sampling_distance);
  keep(&RenderSettings::sampling_distance_reference);
  keep(&RenderSettings::mode);
  keep(&RenderSettings::jitter);
  keep(&RenderSettings::early_termination);
  keep(&RenderSettings::empty_space_skipping);
  keep(&RenderSettings::hardware_filtering);
  keep(&RenderSettings::shading);
  keep(&RenderSettings::region_of_interest);
  const auto same_planes = [](const RenderSettings& a, const RenderSettings& b) {
    return a.plane_count == b.plane_count && std::equal(a.planes, a.planes + a.plane_count, b.planes);
  };
  if (same_planes(was, now.settings)) {
    r.plane_count = mine.plane_count;
    std::copy(mine.planes, mine.planes + kMaxSlicePlanes, r.planes);
  }
  // Colormaps, by volume id.
  for (size_t i = 0; i < view.scene.volumes.size(); ++i) {
    const auto it = remembered_colormaps.find(view.scene.volumes[i].id);
    if (it == remembered_colormaps.end()) continue;
    const RememberedColormap& m = it->second;
    if (i == 0 && m.scene == now.colormap) {
      frame.colormap = m.client.colormap, preset = m.client.preset, opacity_points = m.client.opacity_points;
      fit_domain = m.fit_domain;
    } else if (i > 0 && m.client_set && m.scene == view.scene.volumes[i].colormap) {
      other_colormaps[i] = m.client;
    }
  }
  const auto [first, last] = time_range();
  if (step >= first && step <= last) time_step = step, playing = was_playing;
}

bool ViewState::shows_own_fit() const { return fits_own_camera(view) && frame.camera == home_camera; }

Camera ViewState::camera_for(int width, int height) const {
  const float aspect = float(width) / float(height);
  if (shows_own_fit()) return fitted_camera(view, aspect);
  Camera c = frame.camera;
  c.aspect = aspect;
  return c;
}

void ViewState::resize_canvas(int width, int height) {
  frame.camera = camera_for(width, height);
  if (fits_own_camera(view)) home_camera = fitted_camera(view, float(width) / float(height));
  frame.width = width, frame.height = height;
}

void ViewState::check_size(int w, int h) const {
  if (w < 1 || h < 1 || w > limits.max_side || h > limits.max_side)
    throw Error("'width' and 'height' must be in 1.." + std::to_string(limits.max_side));
  if ((long long)w * h > limits.max_pixels)
    throw Error(std::to_string(w) + "x" + std::to_string(h) + " is " + std::to_string((long long)w * h) +
                " pixels, over the limit of " + std::to_string(limits.max_pixels));
}

namespace {

/// Throws libindex::Error when rays across `box` at `dt` take more than `limit` samples; `what` names
/// the volume for a scene's check.
void check_samples(const Box3f& box, float dt, double limit, const std::string& what) {
  if (!(dt > 0) || !std::isfinite(dt)) throw Error(what + "'sampling_distance' must be > 0");
  const double samples = box.empty() ? 0.0 : double(length(box.hi - box.lo)) / double(dt);
  if (samples > limit) {
    char text[160];
    std::snprintf(text, sizeof text, "'sampling_distance' %g gives %.3g samples per ray, over the limit of %g", dt,
                  samples, limit);
    throw Error(what + text);
  }
}

} // namespace

void ViewState::check_sampling_distance(float dt) const {
  check_samples(view.volume_box, dt, limits.max_samples_per_ray, "");
}

void ViewState::check_samples_per_ray() const {
  for (size_t i = 0; i < view.scene.volumes.size(); ++i) {
    const io::VolumeDesc& v = view.scene.volumes[i];
    const RenderSettings r = volume_frame(view, i, frame).settings;
    const Box3f box = to_scene_box(v.source->box(), r);
    char across[96];
    std::snprintf(across, sizeof across, " (%.3g across)", double(length(box.hi - box.lo)));
    check_samples(box, r.sampling_distance, limits.max_samples_per_ray, "volume '" + v.id + "'" + across + ": ");
  }
}

void ViewState::check_memory() const { check_scene_memory(view, ranks, limits.memory_per_rank); }

std::pair<int, int> ViewState::time_range() const {
  if (view.scene.volumes.empty()) return {0, 0};
  const io::VolumeDesc& v = view.scene.volumes.front();
  return {v.time_first, v.time_last};
}

int ViewState::next_step() const {
  if (!playing) return -1;
  const auto [first, last] = time_range();
  return time_step >= last ? first : time_step + 1;
}

void ViewState::advance_time() {
  if (playing) time_step = next_step();
}

std::string ViewState::resolve_data_path(const std::string& in) const { return io::PathPolicy(data_roots).resolve(in); }

std::string ViewState::snapshot_path(const std::string& in) const { return output_path(in, ".png", "PNG"); }

std::string ViewState::output_path(const std::string& in, const std::string& extension, const std::string& what) const {
  if (output_root.empty())
    throw Error("this viewer writes no files (start it with --output-root DIR)" +
                (what.empty() ? std::string() : "; leave 'path' out to get the " + what + " back"));
  const std::string path = io::PathPolicy({output_root}, "the output root").resolve(in);
  if (std::filesystem::path(path).extension() != extension)
    throw Error("'" + in + "': the path must end in " + extension);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    throw Error("'" + in + "' exists already: this viewer never overwrites a file");
  return path;
}

} // namespace libindex
