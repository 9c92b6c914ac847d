// SPDX-License-Identifier: Apache-2.0
#include "libindex/kernels/skip_grid.h"

#include <algorithm>
#include <cmath>

#include "libindex/error.h"
#include "parallel.h"

namespace libindex::kernels {
namespace {

template <class T>
void cell_ranges(const BrickView& b, Vec3i origin, Vec3i dims, int m, std::vector<float>& mn,
                 std::vector<float>& mx) {
  const T* data = static_cast<const T*>(b.data);
  const Vec3i s = b.stored.size();
  parallel_for(int(dims.z), [&](int cz) {
    for (int cy = 0; cy < dims.y; ++cy)
      for (int cx = 0; cx < dims.x; ++cx) {
        // A sample inside the cell interpolates voxels up to 1 voxel beyond it and its central
        // differences reach 1 further; one more voxel absorbs rounding at the faces. Voxels outside
        // the stored box are clamped copies of stored ones (volume edge), so clipping loses nothing.
        constexpr int kReach = 3;
        Box3i cell{{origin.x + cx * m - kReach, origin.y + cy * m - kReach, origin.z + cz * m - kReach},
                   {origin.x + (cx + 1) * m + kReach, origin.y + (cy + 1) * m + kReach,
                    origin.z + (cz + 1) * m + kReach}};
        cell = intersect(cell, b.stored);
        float lo = INFINITY, hi = -INFINITY;
        for (int z = cell.lo.z; z < cell.hi.z; ++z)
          for (int y = cell.lo.y; y < cell.hi.y; ++y) {
            const T* row = data + (size_t(z - b.stored.lo.z) * s.y + (y - b.stored.lo.y)) * s.x - b.stored.lo.x;
            for (int x = cell.lo.x; x < cell.hi.x; ++x) {
              const float v = normalize_voxel(row[x]);
              // NaN must never make a cell look empty: widen to everything.
              if (v != v) lo = -INFINITY, hi = INFINITY;
              else lo = std::min(lo, v), hi = std::max(hi, v);
            }
          }
        const size_t i = (size_t(cz) * dims.y + cy) * dims.x + cx;
        mn[i] = lo, mx[i] = hi;
      }
  });
}

} // namespace

MacroCellGrid MacroCellGrid::build(const BrickView& b, int m) {
  require(m >= 2, "macro cell size must be at least 2 voxels");
  MacroCellGrid g;
  g.cell_size_ = m;
  const Box3i owned = intersect(b.owned, b.volume);
  g.origin_ = owned.lo;
  const Vec3i s = owned.size();
  g.dims_ = {std::max(1, (s.x + m - 1) / m), std::max(1, (s.y + m - 1) / m), std::max(1, (s.z + m - 1) / m)};
  g.min_.resize(size_t(g.cell_count()));
  g.max_.resize(size_t(g.cell_count()));
  switch (b.dtype) {
  case DType::uint8: cell_ranges<uint8_t>(b, g.origin_, g.dims_, m, g.min_, g.max_); break;
  case DType::uint16: cell_ranges<uint16_t>(b, g.origin_, g.dims_, m, g.min_, g.max_); break;
  case DType::int16: cell_ranges<int16_t>(b, g.origin_, g.dims_, m, g.min_, g.max_); break;
  case DType::float32: cell_ranges<float>(b, g.origin_, g.dims_, m, g.min_, g.max_); break;
  }
  return g;
}

bool range_may_be_visible(const ColormapView& cm, float lo, float hi) {
  if (!(lo <= hi)) return false; // no voxel at all (a cell outside the stored box)
  // Interpolated values can overshoot their corners by rounding: widen the range a little.
  const float eps = 1e-6f * (std::fabs(lo) + std::fabs(hi)) + 1e-7f;
  float u0 = cm.to_unit(lo - eps), u1 = cm.to_unit(hi + eps);
  if (u0 > u1) std::swap(u0, u1); // a reversed domain
  if (!(u0 == u0) || !(u1 == u1)) return true;
  const int last = cm.size - 1;
  bool visible = false;
  if (u0 < 0.0f) {
    if (cm.mode == BoundaryMode::clamp_to_edge) visible |= cm.entries[0].w > 0.0f;
    u0 = 0.0f;
  }
  if (u1 > 1.0f) {
    if (cm.mode == BoundaryMode::clamp_to_edge) visible |= cm.entries[last].w > 0.0f;
    u1 = 1.0f;
  }
  if (u0 <= u1) {
    const int i0 = std::clamp(int(std::floor(u0 * last)), 0, last);
    const int i1 = std::clamp(int(std::ceil(u1 * last)), 0, last);
    for (int i = i0; i <= i1 && !visible; ++i) visible = cm.entries[i].w > 0.0f;
  }
  return visible;
}

std::vector<uint8_t> MacroCellGrid::occupancy(const ColormapView& colormap) const {
  std::vector<uint8_t> occ(min_.size());
  for (size_t i = 0; i < occ.size(); ++i) occ[i] = range_may_be_visible(colormap, min_[i], max_[i]) ? 1 : 0;
  return occ;
}

} // namespace libindex::kernels
