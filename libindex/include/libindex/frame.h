// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Everything that describes one frame, except the data: camera, colormap, render settings.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "libindex/box.h"
#include "libindex/camera.h"
#include "libindex/colormap.h"
#include "libindex/sample_program.h"
#include "libindex/volume.h"

namespace libindex {

enum class RenderMode : int { direct_volume = 0, maximum_intensity = 1 };

/// Headlight Blinn-Phong shading on central-difference gradients.
struct Shading {
  bool enabled = false;
  float ambient = 0.2f, diffuse = 0.7f, specular = 0.3f, shininess = 32.0f;
  float intensity = 1.0f; ///< light intensity, IndeX `directional_headlight::intensity`
  friend bool operator==(const Shading&, const Shading&) = default;
};

/// IndeX's `plane`: a rectangle from `point` (its lower left corner) spanning extent_x along the right
/// vector (up x normal) and extent_y along `up`, scene space. It shows the volume's values through
/// the colormap (clamped to its edge colours), opaque, where it lies inside the volume; a surface
/// sample program (FrameParams::plane_programs) may colour it otherwise, and make it translucent.
struct SlicePlane {
  Vec3f point{0, 0, 0};
  Vec3f normal{0, 0, 1}; ///< unit length
  Vec3f up{0, 1, 0};     ///< unit length, orthogonal to normal
  float extent_x = 0, extent_y = 0;
  friend bool operator==(const SlicePlane&, const SlicePlane&) = default;
};
constexpr int kMaxSlicePlanes = 4;

/// A plane's unit normal from any direction; false when it is zero or not finite.
inline bool plane_normal(Vec3f direction, Vec3f& unit) {
  const float l = length(direction);
  if (!(l > 0 && l < 3.0e38f)) return false;
  unit = direction / l;
  return true;
}
/// The unit direction of `up`'s part along the plane (normal: unit); false when up is zero, not
/// finite, or along the normal.
inline bool plane_up(Vec3f up, Vec3f normal, Vec3f& unit) {
  const Vec3f across = up - normal * dot(up, normal);
  const float l = length(across);
  if (!(l > 1e-6f * length(up) && l < 3.0e38f)) return false;
  unit = across / l;
  return true;
}

struct RenderSettings {
  float sampling_distance = 0.5f;           ///< scene-space distance between samples
  float sampling_distance_reference = 1.0f; ///< the distance table alphas are opacities over
  RenderMode mode = RenderMode::direct_volume;
  Shading shading;
  bool jitter = false;              ///< per-pixel lattice offset in [0,1), deterministic per pixel
  bool early_termination = true;    ///< stop a ray once alpha >= 1 - 1/512
  bool empty_space_skipping = true; ///< never changes a pixel, only the work
  bool hardware_filtering = true;   ///< CUDA: texture-unit trilinear; false: exact software trilinear
  /// Scene-space region of interest; samples outside are not taken.
  Box3f region_of_interest{
      {-std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()},
      {std::numeric_limits<float>::max(), std::numeric_limits<float>::max(), std::numeric_limits<float>::max()}};
  Vec3f scaling{1, 1, 1}; ///< scene = voxel * scaling + translation
  Vec3f translation{0, 0, 0};
  int plane_count = 0; ///< slice planes in use, at most kMaxSlicePlanes
  SlicePlane planes[kMaxSlicePlanes];
};

/// One frame's parameters, as a backend needs them (the colormap is host-owned here; backends upload).
/// How far this rank is with a frame: tiles marched, of the tiles its render calls (every volume of
/// the frame) have to march. A GPU launch counts as one tile. Read by another thread while the
/// frame renders (the viewer's "rendering… 40%").
struct FrameProgress {
  std::atomic<long long> done{0}, total{0};
  void reset() { done = 0, total = 0; }
};

/// A scene element mapped to a slot of a volume's sample program (IndeX's
/// rendering_kernel_program_scene_element_mapping): the program reads it through
/// `state.scene.access<Sparse_volume>(slot)` or `access<Colormap>(slot)` (xac_abi.h).
struct ProgramSlot {
  int slot = 0; ///< 0 .. LIBINDEX_XAC_MAX_SLOTS - 1
  /// A mapped volume's voxels under this rank's brick of the program's volume, in that volume's
  /// voxel space (ghosts included); no data: a colormap is mapped (the program's own voxels answer).
  BrickView volume;
  Colormap colormap; ///< the mapped colormap, or the mapped volume's own (with its domain)
};

/// A slice plane's surface sample program: when set, it colours each point where a ray meets the
/// plane, from the plane's own colour there; its alpha makes the plane translucent, and the volume
/// behind it shows through.
struct PlaneProgram {
  std::shared_ptr<const SampleProgram> program;
  /// The scene elements mapped to its slots: colormaps, and the volume under the planes (no data:
  /// it reads this brick's voxels).
  std::vector<ProgramSlot> slots;
};

/// The period of FrameParams::host_duty's work windows: a paced host thread starts tiles only in
/// the first `duty` of each such period of the wall clock (kernels/src/tiles.h).
inline constexpr std::chrono::milliseconds kHostPacingPeriod{100};
/// How long each of those windows is at `duty`.
inline std::chrono::duration<double> host_work_window(double duty) { return kHostPacingPeriod * duty; }

struct FrameParams {
  Camera camera;
  Colormap colormap;
  RenderSettings settings;
  int width = 512, height = 512;
  /// MIP across ranks: each rank writes (max value, 0, 0, 1) so compositing can take the maximum, and
  /// the head applies the colormap after. Set by the session, not by users.
  bool mip_output_values = false;
  /// When set and true, a backend may stop early and throw libindex::Error("frame cancelled"): how
  /// SIGTERM ends a long frame. Set by the session on its own rank, never sent to other ranks.
  const std::atomic<bool>* cancel = nullptr;
  /// When set, backends count their tiles into it. Set by the session on its own rank, never sent.
  FrameProgress* progress = nullptr;
  /// When set and below 1: the host's threads start tiles only in the first `duty` of every
  /// kHostPacingPeriod of the wall clock, the same windows on every rank, so that they render at most about this
  /// fraction of the time (a frame in the background of a simulation, at a bounded cost to it; the
  /// frame takes 1 / duty times as long). Read before every tile, so the session may raise it
  /// mid-frame (to 1: the rest at full speed). The GPU is not paced. Set by the session on its own
  /// rank, never sent.
  const std::atomic<float>* host_duty = nullptr;
  /// The volume's sample program (a scene's `rendering_kernel_program`): when set, it colours every
  /// sample instead of the colormap and shading, and empty-space skipping is off (it may colour what
  /// the colormap hides). Each rank takes it from its own copy of the scene; ops never carry it.
  std::shared_ptr<const SampleProgram> program;
  /// The scene elements mapped to the program's slots. The session fills in the volumes' voxels on
  /// its own rank; like the program, ops never carry them.
  std::vector<ProgramSlot> program_slots;
  /// The colormap each slice plane shows the volume's values through, by plane (IndeX: the colormap
  /// in scope at the plane node); none: the volume's own. Each rank takes them from its copy of the
  /// scene.
  std::array<std::optional<Colormap>, kMaxSlicePlanes> plane_colormaps;
  /// The surface sample program each slice plane runs, by plane (IndeX: the
  /// `rendering_kernel_program` with target surface_sample_program in scope at the plane node); a
  /// plane without one shows its colormap. Each rank takes them from its own scene.
  std::array<PlaneProgram, kMaxSlicePlanes> plane_programs;
  /// Where the scene's own space lies in the space the camera and the volumes' placement work in:
  /// world = scene * scene_scaling + scene_translation (IndeX's index::scaling and
  /// index::translation; a rotation is folded into the camera). Sample programs get it as XAC's
  /// scene-to-world transform. Each rank takes it from its own scene.
  Vec3f scene_scaling{1, 1, 1}, scene_translation{0, 0, 0};

  /// The surface program of the first plane shown that runs a usable one; null when none does.
  const SampleProgram* first_plane_program() const {
    for (int i = 0; i < settings.plane_count && i < kMaxSlicePlanes; ++i)
      if (const auto& p = plane_programs[size_t(i)].program; p && p->usable()) return p.get();
    return nullptr;
  }
};

/// Work counters of one render call; `samples` counts volume samples evaluated.
struct RenderStats {
  long long samples = 0;
  Rect active; ///< pixels this call wrote; everything outside stays transparent black
  double milliseconds = 0;
  /// A CUDA backend rendered this on the host's cores (a brick beyond the 3D-texture limit, a sample
  /// program the GPU could not run).
  bool cpu_fallback = false;
};

/// The scene-space box of a voxel-space box.
inline Box3f to_scene_box(const Box3f& f, const RenderSettings& s) {
  Box3f r;
  for (int a = 0; a < 3; ++a) {
    const float lo = f.lo[a] * s.scaling[a] + s.translation[a], hi = f.hi[a] * s.scaling[a] + s.translation[a];
    r.lo[a] = lo < hi ? lo : hi, r.hi[a] = lo < hi ? hi : lo;
  }
  return r;
}
inline Box3f to_scene_box(const Box3i& b, const RenderSettings& s) { return to_scene_box(to_float(b), s); }

/// Whether two volumes' voxels are placed alike in the scene (the same scaling and translation).
inline bool same_placement(const RenderSettings& a, const RenderSettings& b) {
  return a.scaling == b.scaling && a.translation == b.translation;
}

/// The voxels of the grid `to` places that cover `box` of the grid `from` places: its scene box on
/// that grid, rounded out to whole voxels (the box itself when the two are placed alike).
inline Box3i voxel_box_on_grid(const Box3i& box, const RenderSettings& from, const RenderSettings& to) {
  if (same_placement(from, to)) return box;
  Box3i out;
  for (int a = 0; a < 3; ++a) {
    const auto on_to = [&](int v) {
      return ((double(v) * from.scaling[a] + from.translation[a]) - to.translation[a]) / to.scaling[a];
    };
    const double u = on_to(box.lo[a]), w = on_to(box.hi[a]);
    out.lo[a] = int(std::floor(std::min(u, w))), out.hi[a] = int(std::ceil(std::max(u, w)));
  }
  return out;
}

} // namespace libindex
