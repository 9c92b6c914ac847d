// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a compiled sample program (kernels/sample_program.h) needs from the marcher: the brick to
// fetch from, the colormap to look up, and the classifier that calls the program at each sample of
// march_ray. The per-sample parts are __host__ __device__: the CPU runs them one ray at a time, the
// GPU in kernels/cuda/program_kernel.cu.

#include <cmath>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "libindex/frame.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"

namespace libindex::kernels {

/// The brick a program samples. Fetches clamp to the stored box's voxel centres, so a program that
/// reaches beyond its brick (a wide gradient stencil, steps along the ray) reads the brick's edge,
/// never memory outside it.
template <class T>
struct ProgramVolume {
  DenseSampler<T> sampler;
  Vec3f lo, hi; ///< the stored box's outermost voxel centres

  ProgramVolume() = default;
  /// Over `brick`'s voxels where they are (host memory, or device memory for the GPU).
  explicit ProgramVolume(const BrickView& brick)
      : sampler(make_dense_sampler(brick, static_cast<const T*>(brick.data))) {
    lo = to_float(brick.stored.lo) + Vec3f{0.5f, 0.5f, 0.5f};
    hi = to_float(brick.stored.hi) - Vec3f{0.5f, 0.5f, 0.5f};
  }

  /// xac_abi.h's fetch: the value at an object-space point (nearest: at its voxel's centre).
  LIBINDEX_HOST_DEVICE static float fetch(const void* self, float x, float y, float z, int nearest) {
    const ProgramVolume& v = *static_cast<const ProgramVolume*>(self);
    Vec3f p{x, y, z};
    if (nearest) p = {floorf(x) + 0.5f, floorf(y) + 0.5f, floorf(z) + 0.5f};
    for (int a = 0; a < 3; ++a) p[a] = p[a] >= v.lo[a] ? (p[a] <= v.hi[a] ? p[a] : v.hi[a]) : v.lo[a]; // NaN: lo
    return v.sampler.value(p);
  }
};

/// xac_abi.h's lookup: the straight RGBA of `value` through the colormap at `map` (a ColormapView).
LIBINDEX_HOST_DEVICE inline void program_lookup(const void* map, float value, float* rgba) {
  const Vec4f c = colormap_lookup(*static_cast<const ColormapView*>(map), value);
  rgba[0] = c.x, rgba[1] = c.y, rgba[2] = c.z, rgba[3] = c.w;
}

/// One sample through a program's entry point, `execute(frame, sample, rgba)` (the loaded library's
/// on the CPU, the linked one on the GPU): its straight RGBA clamped to [0, 1] (NaN: 0), or
/// transparent when the program discards the sample. A surface program also gets the surface's own
/// `color` and `normal` there (zeros for a volume program).
template <class Execute>
LIBINDEX_HOST_DEVICE inline Vec4f program_sample(const Execute& execute, const LibindexXacFrame* frame, Vec3f p,
                                                 Vec3f scaling, Vec3f translation, float t, Vec3f dir,
                                                 Vec4f color = {0, 0, 0, 0}, Vec3f normal = {0, 0, 0}) {
  const Vec3f scene = p * scaling + translation;
  LibindexXacSample s{};
  s.object[0] = p.x, s.object[1] = p.y, s.object[2] = p.z;
  s.scene[0] = scene.x, s.scene[1] = scene.y, s.scene[2] = scene.z;
  s.ray_direction[0] = dir.x, s.ray_direction[1] = dir.y, s.ray_direction[2] = dir.z;
  s.ray_t = t;
  s.color[0] = color.x, s.color[1] = color.y, s.color[2] = color.z, s.color[3] = color.w;
  s.normal[0] = normal.x, s.normal[1] = normal.y, s.normal[2] = normal.z;
  float c[4] = {0, 0, 0, 0};
  if (execute(frame, &s, c) != 0) return {0, 0, 0, 0}; // not NV_IDX_PROG_OK: discarded
  const auto unit = [](float v) { return v >= 0.0f ? (v <= 1.0f ? v : 1.0f) : 0.0f; };
  return {unit(c[0]), unit(c[1]), unit(c[2]), unit(c[3])};
}

/// The per-frame constants a program reads (xac_abi.h) without what binds them to memory: the
/// camera, the volume's box and colormap domain, the sampling distance, and the mapped `slots`
/// (frame.program_slots for the volume's program) with their boxes and domains (a slot beyond the
/// last is an error). The samplers, colormaps and buffers are bound by ProgramFrame on the host, and
/// on the GPU by the CUDA backend's setup kernel (kernels/cuda/program_kernel.cu).
LibindexXacFrame program_frame_abi(const FrameParams& frame, const MarchParams& P, const BrickView& brick,
                                   std::span<const ProgramSlot> slots);

/// program_frame_abi bound to one brick's `volume` (a ProgramVolume<T>) and `fetch` in host memory,
/// and to the volumes and colormaps mapped to its slots (their voxels in host memory too). Lives as
/// long as the frame's march, where it was made: the ABI points into it, so it is neither copied
/// nor moved.
struct ProgramFrame {
  LibindexXacFrame abi{};
  ColormapView colormap;

  /// The frame's volume sample program (frame.program, its slots and the volume's colormap).
  ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
               float (*fetch)(const void*, float, float, float, int));
  /// Plane `plane`'s surface sample program (frame.plane_programs[plane], its slots), which reads
  /// the plane's colormap as the volume's.
  static std::unique_ptr<ProgramFrame> for_plane(const FrameParams& frame, const MarchParams& P, int plane,
                                                 const BrickView& brick, const void* volume,
                                                 float (*fetch)(const void*, float, float, float, int));
  ProgramFrame(const ProgramFrame&) = delete;
  ProgramFrame& operator=(const ProgramFrame&) = delete;

 private:
  ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
               float (*fetch)(const void*, float, float, float, int), const SampleProgram& program,
               std::span<const ProgramSlot> slots, ColormapView colormap);
  void bind_slots(std::span<const ProgramSlot> slots);

  ColormapView slot_colormaps_[LIBINDEX_XAC_MAX_SLOTS];
  std::vector<std::shared_ptr<const void>> slot_volumes_; ///< the mapped volumes' ProgramVolume<T>s
};

/// march_ray's classifier for a program: each sample's straight RGBA from the program (clamped to
/// [0, 1]; NaN and a discarded sample are transparent). Values alone (MIP) use the colormap.
struct ProgramClassifier {
  const ProgramFrame* frame;
  LibindexXacExecute execute;
  Vec3f scaling, translation; ///< voxel to scene

  Vec4f operator()(float v) const { return colormap_lookup(frame->colormap, v); }
  Vec4f sample(Vec3f p, float t, Vec3f dir) const;
};

/// A plane shader (march.h) for the planes' surface sample programs: at each point where a ray meets
/// a slice plane with a program, the program's straight RGBA from the plane's own colour there
/// (plane_color, alpha as the colormap gives it) and its normal; transparent where it discards the
/// point. A plane without a program shows its colormap, opaque (ColormapPlanes). `running` holds,
/// on the calling thread, the plane whose program runs (-1: none), so that a fault can be laid at
/// the right program's door.
struct ProgramPlanes {
  const ProgramFrame* frames[kMaxSlicePlanes] = {}; ///< by plane (ProgramFrame::for_plane); null: no program
  LibindexXacExecute execute[kMaxSlicePlanes] = {};
  Vec3f scaling, translation; ///< voxel to scene

  static int& running();

  template <class Sampler>
  Vec4f operator()(const MarchParams& P, const Sampler& S, const RayLanes<float>& r, float t, int plane) const {
    const Vec3f p = ray_point(r, t);
    if (!frames[plane]) return plane_color(P, S, p, plane, true);
    return run(plane, p, t, r.dir, plane_color(P, S, p, plane, false), P.planes[plane].normal);
  }
  Vec4f run(int plane, Vec3f p, float t, Vec3f dir, Vec4f color, Vec3f normal) const;
};

/// The planes' surface programs of `frame` bound to one brick (ProgramFrame::for_plane for each
/// plane with a usable program; the others show their colormap), and the plane shader that runs
/// them. Lives as long as the march that uses shader(), where it was made.
class PlanePrograms {
 public:
  PlanePrograms(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
                float (*fetch)(const void*, float, float, float, int));
  const ProgramPlanes& shader() const { return shader_; }

 private:
  std::unique_ptr<const ProgramFrame> frames_[kMaxSlicePlanes];
  ProgramPlanes shader_;
};

/// for_each_tile (tiles.h) over `r` with each tile's march, `march(tile, samples)`, guarded
/// (run_guarded): the programs it runs are a user's code, and a fault in one ends this frame, not
/// the process. The tiles left then do nothing, and the program that faulted (the plane's whose
/// program ran, else the frame's volume program) is turned off with fail_faulted_program. Returns
/// the samples.
long long for_each_guarded_tile(Rect r, const FrameParams& frame,
                                const std::function<void(Rect, unsigned long long&)>& march);

/// A program that faulted with `signal` while marching `frame`: plane `plane`'s surface program, or
/// (plane -1) the frame's volume program. Turns it off (SampleProgram::fault) and throws the Error
/// that names it, the signal, and what shows instead from the next frame on.
[[noreturn]] void fail_faulted_program(const FrameParams& frame, int plane, int signal);

} // namespace libindex::kernels
