// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a compiled sample program (kernels/sample_program.h) needs from the marcher, one ray at a
// time on the host: the brick to fetch from, the colormap to look up, and the classifier that
// calls the program at each sample of march_ray.

#include <cmath>

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

  explicit ProgramVolume(const BrickView& brick)
      : sampler(make_dense_sampler(brick, static_cast<const T*>(brick.data))) {
    lo = to_float(brick.stored.lo) + Vec3f{0.5f, 0.5f, 0.5f};
    hi = to_float(brick.stored.hi) - Vec3f{0.5f, 0.5f, 0.5f};
  }

  /// xac_abi.h's fetch: the value at an object-space point (nearest: at its voxel's centre).
  static float fetch(const void* self, float x, float y, float z, int nearest) {
    const ProgramVolume& v = *static_cast<const ProgramVolume*>(self);
    Vec3f p{x, y, z};
    if (nearest) p = {std::floor(x) + 0.5f, std::floor(y) + 0.5f, std::floor(z) + 0.5f};
    for (int a = 0; a < 3; ++a) p[a] = p[a] >= v.lo[a] ? (p[a] <= v.hi[a] ? p[a] : v.hi[a]) : v.lo[a]; // NaN: lo
    return v.sampler.value(p);
  }
};

/// The per-frame constants a program reads (xac_abi.h), bound to one brick's `volume` (a
/// ProgramVolume<T>) and `fetch`. Lives as long as the frame's march.
struct ProgramFrame {
  LibindexXacFrame abi{};
  ColormapView colormap;

  ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
               float (*fetch)(const void*, float, float, float, int));
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

} // namespace libindex::kernels
