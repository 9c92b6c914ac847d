// SPDX-License-Identifier: Apache-2.0
#include "libindex/view_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "libindex/error.h"
#include "libindex/io/path_policy.h"

namespace libindex {

void ViewState::load_scene(SceneSpec next) {
  SceneView built = build_scene(next, true); // throws before anything changes
  spec = std::move(next);
  view = std::move(built);
  frame = view.frame;
  home_camera = frame.camera;
  preset = view.scene.volumes.empty() ? std::string() : view.scene.volumes.front().colormap_preset;
  opacity_points.clear();
  other_colormaps.clear();
  fit_domain = view.volume && !view.scene.volumes.empty() && !view.scene.volumes.front().domain_given;
  statistics.reset();
  other_statistics.clear();
  time_step = std::clamp(view.scene.view.time_step.value_or(time_range().first), time_range().first,
                         time_range().second); // a saved session reopens at its step
  playing = false;
  ++scene_version;
  dirty = true;
}

void ViewState::check_size(int w, int h) const {
  if (w < 1 || h < 1 || w > limits.max_side || h > limits.max_side)
    throw Error("'width' and 'height' must be in 1.." + std::to_string(limits.max_side));
  if ((long long)w * h > limits.max_pixels)
    throw Error(std::to_string(w) + "x" + std::to_string(h) + " is " + std::to_string((long long)w * h) +
                " pixels, over the limit of " + std::to_string(limits.max_pixels));
}

void ViewState::check_sampling_distance(float dt) const {
  if (!(dt > 0) || !std::isfinite(dt)) throw Error("'sampling_distance' must be > 0");
  const Vec3f diagonal = view.volume_box.hi - view.volume_box.lo;
  const double samples = view.volume_box.empty() ? 0.0 : double(length(diagonal)) / double(dt);
  if (samples > limits.max_samples_per_ray) {
    char text[160];
    std::snprintf(text, sizeof text, "'sampling_distance' %g gives %.3g samples per ray, over the limit of %g", dt,
                  samples, limits.max_samples_per_ray);
    throw Error(text);
  }
}

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
  const std::string path = io::PathPolicy({output_root}).resolve(in);
  if (std::filesystem::path(path).extension() != extension)
    throw Error("'" + in + "': the path must end in " + extension);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    throw Error("'" + in + "' exists already: this viewer never overwrites a file");
  return path;
}

} // namespace libindex
