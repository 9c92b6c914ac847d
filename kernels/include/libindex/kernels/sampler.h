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
/// The voxel below p on each axis (its centre at i + 1/2, clamped to the volume's centres) and p's
/// fraction of the way to the next one: where trilinear and trilinear_gradient start.
template <class F>
struct TrilinearCell {
  LaneInt<F> ix, iy, iz;
  F fx, fy, fz;
};
template <class Vec3>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto trilinear_cell(const Vec3& p, Vec3f centre_min, Vec3f centre_max) {
  using F = decltype(p.x);
  const F x = lane_clamp(p.x - 0.5f, centre_min.x, centre_max.x);
  const F y = lane_clamp(p.y - 0.5f, centre_min.y, centre_max.y);
  const F z = lane_clamp(p.z - 0.5f, centre_min.z, centre_max.z);
  // Volumes start at voxel 0, so the clamped coordinates are >= 0 and truncation is floor.
  TrilinearCell<F> c;
  c.ix = truncate_to_int(x), c.iy = truncate_to_int(y), c.iz = truncate_to_int(z);
  c.fx = x - to_float(c.ix), c.fy = y - to_float(c.iy), c.fz = z - to_float(c.iz);
  return c;
}

template <class Vec3, class Fetch8>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto trilinear(const Vec3& p, Vec3f centre_min, Vec3f centre_max,
                                                         const Fetch8& fetch8) {
  using F = decltype(p.x);
  using I = LaneInt<F>;
  const TrilinearCell<F> cell = trilinear_cell(p, centre_min, centre_max);
  const I ix = cell.ix, iy = cell.iy, iz = cell.iz; // plain names: lambdas capture them
  const F fx = cell.fx, fy = cell.fy, fz = cell.fz;
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

/// The central-difference gradient of the trilinear field at p, g_a = f(p + e_a) - f(p - e_a) in raw
/// voxel units along voxel-space axes, for shading. The six lookups share most of their voxels: this
/// reads the 32 they need once (16 pairs) instead of 48, and interpolates differences instead of
/// values. Each stencil index is clamped to the volume's voxel centres, as trilinear's corners are.
/// `pair(xa, xb, y, z, a, b)` stores voxels (xa, y, z) and (xb, y, z) in a and b, where xb - xa is 0
/// or 1 (a 4-byte read holds both for 8- and 16-bit voxels). Written once for one ray and for a
/// packet, like trilinear, so the CPU's packets, its one-ray path and the GPU agree bit for bit.
///
/// `row_of_four(xm, x0, x1, x2, y, z, vm, v0, v1, v2)` reads the four voxels of a row through the cell,
/// xm <= x0 <= x1 <= x2 with x2 - xm <= 3 (one 4-byte read holds all four for 8-bit voxels); the
/// overload without it reads each row as two pairs.
template <class Vec3, class FetchPair, class FetchRow>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec3 trilinear_gradient(const Vec3& p, Vec3f centre_min, Vec3f centre_max,
                                                                  const FetchPair& pair, const FetchRow& row_of_four) {
  using F = decltype(p.x);
  using I = LaneInt<F>;
  const TrilinearCell<F> cell = trilinear_cell(p, centre_min, centre_max);
  const I ix = cell.ix, iy = cell.iy, iz = cell.iz; // plain names: lambdas capture them
  const F fx = cell.fx, fy = cell.fy, fz = cell.fz;
  // Stencil indices k - 1, k, k + 1, k + 2 along each axis, each one step further only while it
  // stays on a voxel centre of the volume.
  const auto down = [](I i, float lo) { return i - select(to_float(i) > lo, I(1), I(0)); };
  const auto up = [](I i, float hi) { return i + select(to_float(i) < hi, I(1), I(0)); };
  const I xm = down(ix, centre_min.x), x1 = up(ix, centre_max.x), x2 = up(x1, centre_max.x);
  const I ym = down(iy, centre_min.y), y1 = up(iy, centre_max.y), y2 = up(y1, centre_max.y);
  const I zm = down(iz, centre_min.z), z1 = up(iz, centre_max.z), z2 = up(z1, centre_max.z);
  const I ys[2] = {iy, y1}, zs[2] = {iz, z1};

  // The four rows through the cell: x differences, and the rows' values between x0 and x1.
  F dx[2][2], row[2][2]; // [y][z]
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 2; ++c) {
      F vm, v0, v1, v2;
      row_of_four(xm, ix, x1, x2, ys[b], zs[c], vm, v0, v1, v2);
      dx[b][c] = lane_lerp(v1 - vm, v2 - v0, fx); // f(x + 1) - f(x - 1) along this row
      row[b][c] = lane_lerp(v0, v1, fx);
    }
  // The rows one step beyond the cell in y and in z, interpolated in x.
  const auto row_at = [&](I ry, I rz) {
    F a, b;
    pair(ix, x1, ry, rz, a, b);
    return lane_lerp(a, b, fx);
  };
  F below_y[2], above_y[2], below_z[2], above_z[2];
  for (int c = 0; c < 2; ++c) below_y[c] = row_at(ym, zs[c]), above_y[c] = row_at(y2, zs[c]);
  for (int b = 0; b < 2; ++b) below_z[b] = row_at(ys[b], zm), above_z[b] = row_at(ys[b], z2);

  const F gx = lane_lerp(lane_lerp(dx[0][0], dx[1][0], fy), lane_lerp(dx[0][1], dx[1][1], fy), fz);
  const F dy0 = lane_lerp(row[1][0] - below_y[0], above_y[0] - row[0][0], fy);
  const F dy1 = lane_lerp(row[1][1] - below_y[1], above_y[1] - row[0][1], fy);
  const F gy = lane_lerp(dy0, dy1, fz);
  const F plane_m = lane_lerp(below_z[0], below_z[1], fy), plane_0 = lane_lerp(row[0][0], row[1][0], fy);
  const F plane_1 = lane_lerp(row[0][1], row[1][1], fy), plane_2 = lane_lerp(above_z[0], above_z[1], fy);
  const F gz = lane_lerp(plane_1 - plane_m, plane_2 - plane_0, fz);
  return {gx, gy, gz};
}

template <class Vec3, class FetchPair>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec3 trilinear_gradient(const Vec3& p, Vec3f centre_min, Vec3f centre_max,
                                                                  const FetchPair& pair) {
  using F = decltype(p.x);
  using I = LaneInt<F>;
  return trilinear_gradient(p, centre_min, centre_max, pair,
                            [&pair](I xm, I x0, I x1, I x2, I y, I z, F& vm, F& v0, F& v1, F& v2) {
                              pair(xm, x0, y, z, vm, v0);
                              pair(x1, x2, y, z, v1, v2);
                            });
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
  /// trilinear_gradient, normalized like value().
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec3f gradient(Vec3f p) const {
    const Vec3f g =
        trilinear_gradient(p, centre_min, centre_max, [this](int xa, int xb, int y, int z, float& a, float& b) {
          const T* r = data + ((long long)z * stride_z + (long long)y * stride_y - origin);
          a = raw_voxel(r[xa]), b = raw_voxel(r[xb]);
        });
    return g * voxel_scale<T>();
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
