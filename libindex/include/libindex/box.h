// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Axis-aligned boxes. Box3i is a half-open box of voxels [lo, hi); voxel (i,j,k) is the cell
/// [i,i+1]x[j,j+1]x[k,k+1] of voxel space (DESIGN.md, Rendering conventions).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "libindex/vec.h"

namespace libindex {

struct Box3i {
  Vec3i lo, hi; ///< half-open: voxels lo <= v < hi

  LIBINDEX_HOST_DEVICE Vec3i size() const { return {hi.x - lo.x, hi.y - lo.y, hi.z - lo.z}; }
  LIBINDEX_HOST_DEVICE bool empty() const { return hi.x <= lo.x || hi.y <= lo.y || hi.z <= lo.z; }
  LIBINDEX_HOST_DEVICE int64_t voxel_count() const {
    return empty() ? 0 : int64_t(hi.x - lo.x) * (hi.y - lo.y) * (hi.z - lo.z);
  }
  LIBINDEX_HOST_DEVICE bool contains(Vec3i v) const {
    return v.x >= lo.x && v.x < hi.x && v.y >= lo.y && v.y < hi.y && v.z >= lo.z && v.z < hi.z;
  }
  bool contains(const Box3i& b) const {
    return b.empty() ||
           (b.lo.x >= lo.x && b.lo.y >= lo.y && b.lo.z >= lo.z && b.hi.x <= hi.x && b.hi.y <= hi.y && b.hi.z <= hi.z);
  }
  friend bool operator==(const Box3i&, const Box3i&) = default;
};

/// The overlap of two boxes (possibly empty).
inline Box3i intersect(const Box3i& a, const Box3i& b) {
  return {{std::max(a.lo.x, b.lo.x), std::max(a.lo.y, b.lo.y), std::max(a.lo.z, b.lo.z)},
          {std::min(a.hi.x, b.hi.x), std::min(a.hi.y, b.hi.y), std::min(a.hi.z, b.hi.z)}};
}

/// `b` grown by `n` voxels on every side, then clipped to `limit`.
inline Box3i grow(const Box3i& b, int n, const Box3i& limit) {
  Box3i g{{b.lo.x - n, b.lo.y - n, b.lo.z - n}, {b.hi.x + n, b.hi.y + n, b.hi.z + n}};
  return intersect(g, limit);
}

inline std::string to_string(const Box3i& b) {
  // snprintf, not string concatenation: GCC 12 reports a false -Wrestrict on the latter.
  char text[96];
  std::snprintf(text, sizeof text, "[%d %d %d .. %d %d %d)", b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z);
  return text;
}

/// A box of real coordinates (scene or voxel space), closed for clipping, half-open for ownership.
struct Box3f {
  Vec3f lo, hi;
  LIBINDEX_HOST_DEVICE bool empty() const { return !(hi.x > lo.x && hi.y > lo.y && hi.z > lo.z); }
  /// Half-open membership: lo <= p < hi on every axis. Used to give each sample to exactly one rank.
  LIBINDEX_HOST_DEVICE bool contains_half_open(Vec3f p) const {
    return p.x >= lo.x && p.x < hi.x && p.y >= lo.y && p.y < hi.y && p.z >= lo.z && p.z < hi.z;
  }
  friend bool operator==(const Box3f&, const Box3f&) = default;
};

inline Box3f to_float(const Box3i& b) { return {to_float(b.lo), to_float(b.hi)}; }

inline Box3f intersect(const Box3f& a, const Box3f& b) {
  return {{std::max(a.lo.x, b.lo.x), std::max(a.lo.y, b.lo.y), std::max(a.lo.z, b.lo.z)},
          {std::min(a.hi.x, b.hi.x), std::min(a.hi.y, b.hi.y), std::min(a.hi.z, b.hi.z)}};
}

/// The smallest box holding both (an empty one adds nothing).
inline Box3f hull(const Box3f& a, const Box3f& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {{std::min(a.lo.x, b.lo.x), std::min(a.lo.y, b.lo.y), std::min(a.lo.z, b.lo.z)},
          {std::max(a.hi.x, b.hi.x), std::max(a.hi.y, b.hi.y), std::max(a.hi.z, b.hi.z)}};
}

} // namespace libindex
