// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Trilinear sampling between voxel centres, written once over a `fetch(i, j, k)` so that the CPU
/// (memory loads) and the GPU (point-sampled texture fetches) run the same arithmetic.

#include <cstdint>
#include <type_traits>

#include "libindex/lanes.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// Trilinear interpolation at voxel-space point p (DESIGN.md, Sampling): between the 8 nearest voxel
/// centres (i + 1/2), clamped to the outermost centres of the volume [lo, hi - 1]. p is one ray's point
/// (Vec3f) or a packet's (lanes.h). `fetch8(ix, iy, iz, dx, dy, dz, c)` stores the 8 corner values at
/// (ix..ix+dx, iy..iy+dy, iz..iz+dz) in c, x fastest.
template <class Vec3, class Fetch8>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto trilinear(const Vec3& p, Vec3f centre_min, Vec3f centre_max,
                                                         const Fetch8& fetch8) {
  using F = decltype(p.x);
  using I = LaneInt<F>;
  const F x = lane_clamp(p.x - 0.5f, centre_min.x, centre_max.x);
  const F y = lane_clamp(p.y - 0.5f, centre_min.y, centre_max.y);
  const F z = lane_clamp(p.z - 0.5f, centre_min.z, centre_max.z);
  // Volumes start at voxel 0, so the clamped coordinates are >= 0 and truncation is floor.
  const I ix = truncate_to_int(x), iy = truncate_to_int(y), iz = truncate_to_int(z);
  const F fx = x - to_float(ix), fy = y - to_float(iy), fz = z - to_float(iz);
  // At the upper face the "next" centre is the same voxel (clamp to edge).
  const I dx = select(to_float(ix) < centre_max.x, I(1), I(0));
  const I dy = select(to_float(iy) < centre_max.y, I(1), I(0));
  const I dz = select(to_float(iz) < centre_max.z, I(1), I(0));
  F c[8];
  fetch8(ix, iy, iz, dx, dy, dz, c);
  const F c00 = lane_lerp(c[0], c[1], fx), c10 = lane_lerp(c[2], c[3], fx);
  const F c01 = lane_lerp(c[4], c[5], fx), c11 = lane_lerp(c[6], c[7], fx);
  return lane_lerp(lane_lerp(c00, c10, fy), lane_lerp(c01, c11, fy), fz);
}

/// Exact software trilinear on a brick in memory (host memory on the CPU, global memory on the GPU).
/// Interpolates raw values and normalizes once (normalization is linear): 1 multiply instead of 8.
template <class T>
struct DenseSampler {
  const T* data;          ///< the stored box's voxels, x-fastest
  int stride_y, stride_z; ///< elements between rows and between slices of the stored box
  long long origin;       ///< index the stored box's lower corner would have in global addressing
  Vec3f centre_min, centre_max;

  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float value(Vec3f p) const {
    return voxel_scale<T>() *
           trilinear(p, centre_min, centre_max, [this](int ix, int iy, int iz, int dx, int dy, int dz, float* c) {
             const T* b = data + ((long long)iz * stride_z + (long long)iy * stride_y + ix - origin);
             const int oy = dy * stride_y, oz = dz * stride_z;
             c[0] = raw_voxel(b[0]), c[1] = raw_voxel(b[dx]), c[2] = raw_voxel(b[oy]), c[3] = raw_voxel(b[oy + dx]);
             c[4] = raw_voxel(b[oz]), c[5] = raw_voxel(b[oz + dx]), c[6] = raw_voxel(b[oz + oy]),
             c[7] = raw_voxel(b[oz + oy + dx]);
           });
  }
};

/// Clamp range of voxel-centre coordinates for a volume box: [lo, hi - 1] on each axis.
inline void centre_range(const Box3i& volume, Vec3f& lo, Vec3f& hi) {
  lo = to_float(volume.lo);
  hi = {float(volume.hi.x - 1), float(volume.hi.y - 1), float(volume.hi.z - 1)};
}

template <class T>
DenseSampler<T> make_dense_sampler(const BrickView& b, const T* device_or_host_data) {
  DenseSampler<T> s;
  const Vec3i size = b.stored.size();
  s.stride_y = size.x;
  s.stride_z = size.x * size.y;
  s.data = device_or_host_data;
  s.origin = (long long)b.stored.lo.z * s.stride_z + (long long)b.stored.lo.y * s.stride_y + b.stored.lo.x;
  centre_range(b.volume, s.centre_min, s.centre_max);
  return s;
}

} // namespace libindex::kernels
