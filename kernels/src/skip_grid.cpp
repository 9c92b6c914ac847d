// SPDX-License-Identifier: Apache-2.0
#include "libindex/kernels/skip_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "libindex/error.h"
#include "libindex/frame_memory.h"
#include "parallel.h"

namespace libindex::kernels {
namespace {

constexpr int kReach = kMacroCellReach;

/// Widens the range [lo, hi] of stored values by v. A NaN makes it everything: it must never make a
/// cell look empty.
template <class T>
inline void widen(T& lo, T& hi, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool nan = v != v;
    lo = nan ? T(-INFINITY) : std::min(lo, v), hi = nan ? T(INFINITY) : std::max(hi, v);
  } else {
    lo = std::min(lo, v), hi = std::max(hi, v);
  }
}

template <class T>
constexpr T kHighest = std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                            : std::numeric_limits<T>::max();
template <class T>
constexpr T kLowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                           : std::numeric_limits<T>::lowest();

/// Folds a row into the ranges of its voxels' columns: lo[x], hi[x] widened by row[x].
template <class T>
void fold_row(T* __restrict lo, T* __restrict hi, const T* __restrict row, int n) {
  for (int x = 0; x < n; ++x) widen(lo[x], hi[x], row[x]);
}

/// n T's from frame_memory, not initialized: kept when freed, so the next brick of this size (the
/// next time step's) finds them mapped instead of faulting them in a page at a time.
template <class T>
class KeptBuffer {
 public:
  explicit KeptBuffer(size_t n) : n_(n), data_(static_cast<T*>(frame_memory::take(n * sizeof(T)))) {}
  KeptBuffer(const KeptBuffer&) = delete;
  KeptBuffer& operator=(const KeptBuffer&) = delete;
  ~KeptBuffer() { frame_memory::give(data_, n_ * sizeof(T)); }
  T& operator[](size_t i) { return data_[i]; }

 private:
  size_t n_;
  T* data_;
};

/// Min/max over each cell's voxels grown by kReach, as a separable filter (y, then x, then z), so
/// each voxel is read about (m + 2 kReach) / m times instead of ((m + 2 kReach) / m)^3 times.
/// Voxels outside the stored box are clamped copies of stored ones (volume edges), so clipping the
/// grown range to what is stored loses nothing. Stored values are compared as they are and
/// normalized once per cell (normalize_voxel keeps their order).
template <class T>
void cell_ranges(const BrickView& b, Vec3i origin, Vec3i dims, int m, std::vector<float>& mn, std::vector<float>& mx) {
  const T* data = static_cast<const T*>(b.data);
  const Box3i st = b.stored;
  const Vec3i s = st.size();
  auto range = [&](int axis, int c) { // stored voxel indices [lo, hi) a cell's grown range covers
    const int lo = std::max(st.lo[axis], origin[axis] + c * m - kReach);
    const int hi = std::min(st.hi[axis], origin[axis] + (c + 1) * m + kReach);
    return std::pair<int, int>{lo - st.lo[axis], std::max(lo, hi) - st.lo[axis]};
  };
  // Passes 1 and 2 per slice: the rows of a band of cells folded voxel by voxel (whole rows at a
  // time, which vectorizes), then each cell's stretch of the folded row. The only full-height
  // buffer is theirs: (cells x * cells y * slices) pairs of stored values, 1/m^2 of the voxels.
  const size_t n2 = size_t(dims.x) * dims.y * s.z;
  KeptBuffer<T> lo2(n2), hi2(n2);
  parallel_for(s.z, [&](int z) {
    std::vector<T> band_lo(size_t(s.x)), band_hi(size_t(s.x));
    for (int cy = 0; cy < dims.y; ++cy) {
      const auto [y0, y1] = range(1, cy);
      T* lo1 = band_lo.data();
      T* hi1 = band_hi.data();
      std::fill(lo1, lo1 + s.x, kHighest<T>), std::fill(hi1, hi1 + s.x, kLowest<T>);
      for (int y = y0; y < y1; ++y) fold_row(lo1, hi1, data + (size_t(z) * s.y + y) * s.x, s.x);
      for (int cx = 0; cx < dims.x; ++cx) {
        const auto [x0, x1] = range(0, cx);
        T lo = kHighest<T>, hi = kLowest<T>; // stays so without a voxel (a cell outside the stored box)
        if (y0 < y1)
          for (int x = x0; x < x1; ++x) lo = std::min(lo, lo1[x]), hi = std::max(hi, hi1[x]);
        const size_t o = (size_t(z) * dims.y + cy) * dims.x + cx;
        lo2[o] = lo, hi2[o] = hi;
      }
    }
  });
  // Pass 3: along z -> cells.
  parallel_for(dims.z, [&](int cz) {
    const auto [z0, z1] = range(2, cz);
    for (int cy = 0; cy < dims.y; ++cy)
      for (int cx = 0; cx < dims.x; ++cx) {
        T lo = kHighest<T>, hi = kLowest<T>;
        for (int z = z0; z < z1; ++z) {
          const size_t i = (size_t(z) * dims.y + cy) * dims.x + cx;
          lo = std::min(lo, lo2[i]), hi = std::max(hi, hi2[i]);
        }
        const size_t o = (size_t(cz) * dims.y + cy) * dims.x + cx;
        // A cell without a voxel keeps an empty range, [inf, -inf], which may_be_visible refuses.
        const bool empty = lo > hi;
        mn[o] = empty ? INFINITY : normalize_voxel(lo), mx[o] = empty ? -INFINITY : normalize_voxel(hi);
      }
  });
}

} // namespace

MacroCellGrid MacroCellGrid::layout(const BrickView& b, int m) {
  require(m >= 2, "macro cell size must be at least 2 voxels");
  MacroCellGrid g;
  g.cell_size_ = m;
  const Box3i owned = intersect(b.owned, b.volume);
  g.origin_ = owned.lo;
  const Vec3i s = owned.size();
  g.dims_ = {std::max(1, (s.x + m - 1) / m), std::max(1, (s.y + m - 1) / m), std::max(1, (s.z + m - 1) / m)};
  return g;
}

void MacroCellGrid::set_ranges(std::vector<float> min, std::vector<float> max) {
  require(min.size() == size_t(cell_count()) && max.size() == size_t(cell_count()),
          "macro cell ranges: one minimum and one maximum per cell");
  min_ = std::move(min), max_ = std::move(max);
}

MacroCellGrid MacroCellGrid::build(const BrickView& b, int m) {
  if (b.on_device) throw Error("macro cells of a brick in device memory are built on the GPU (build_grid_on_device)");
  MacroCellGrid g = layout(b, m);
  g.min_.resize(size_t(g.cell_count()));
  g.max_.resize(size_t(g.cell_count()));
  visit_dtype(b.dtype,
              [&](auto tag) { cell_ranges<typename decltype(tag)::type>(b, g.origin_, g.dims_, m, g.min_, g.max_); });
  return g;
}

namespace {

/// How many of the colormap's first i entries have alpha > 0, for every i: any entry of a range is
/// visible when the counts at its ends differ, an O(1) test per macro cell.
std::vector<int> visible_prefix(const ColormapView& cm) {
  std::vector<int> prefix(size_t(cm.size) + 1, 0);
  for (int i = 0; i < cm.size; ++i) prefix[i + 1] = prefix[i] + (cm.entries[i].w > 0.0f ? 1 : 0);
  return prefix;
}

bool may_be_visible(const ColormapView& cm, const std::vector<int>& prefix, float lo, float hi) {
  if (!(lo <= hi)) return false; // no voxel at all (a cell outside the stored box)
  // A NaN makes a cell's range everything (see build): its own colour may show where no entry does.
  if (cm.has_nan_color && cm.nan_color.w > 0.0f && lo == -INFINITY && hi == INFINITY) return true;
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
    visible |= prefix[i1 + 1] > prefix[i0];
  }
  return visible;
}

} // namespace

bool range_may_be_visible(const ColormapView& cm, float lo, float hi) {
  return may_be_visible(cm, visible_prefix(cm), lo, hi);
}

std::vector<uint8_t> MacroCellGrid::occupancy(const ColormapView& colormap) const {
  const std::vector<int> prefix = visible_prefix(colormap);
  std::vector<uint8_t> occ(min_.size());
  const size_t slice = size_t(dims_.x) * dims_.y;
  parallel_for(dims_.z, [&](int z) {
    for (size_t i = size_t(z) * slice; i < size_t(z + 1) * slice; ++i)
      occ[i] = may_be_visible(colormap, prefix, min_[i], max_[i]) ? 1 : 0;
  });
  return occ;
}

std::vector<uint8_t> MacroCellGrid::empty_radius(const std::vector<uint8_t>& occupancy) const {
  require(occupancy.size() == size_t(cell_count()), "empty_radius: the occupancy is not of this grid");
  // Chessboard distance by two chamfer sweeps over the 26-neighbourhood, every step costing 1: exact
  // for this metric. A sweep visits rows in order; each cell takes the minimum over its 13
  // neighbours already swept: 12 in earlier rows (taken for the whole row at once, which compilers
  // vectorize) and the previous cell of its own row (a running minimum). The grid is padded with
  // one layer of 255 so that no neighbour needs a bounds test.
  const int nx = dims_.x, ny = dims_.y, nz = dims_.z;
  const int px = nx + 2, py = ny + 2, pz = nz + 2;
  std::vector<uint8_t> d(size_t(px) * py * pz, 255);
  const auto row = [&](int y, int z) { return d.data() + (size_t(z) * py + y) * px; };
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y) {
      uint8_t* r = row(y + 1, z + 1) + 1;
      const uint8_t* o = occupancy.data() + (size_t(z) * ny + y) * nx;
      for (int x = 0; x < nx; ++x) r[x] = o[x] ? 0 : 255;
    }
  std::vector<uint8_t> earlier(size_t(px), 255);
  const auto step = [](uint8_t v) { return uint8_t(v == 255 ? 255 : v + 1); };
  const auto sweep = [&](int s) { // s = +1 forward, -1 backward
    for (int zi = 1; zi <= nz; ++zi)
      for (int yi = 1; yi <= ny; ++yi) {
        const int z = s > 0 ? zi : nz + 1 - zi, y = s > 0 ? yi : ny + 1 - yi;
        // The rows before this one: (y - s, z) and the three rows of slice z - s.
        const uint8_t* before[4] = {row(y - s, z), row(y - 1, z - s), row(y, z - s), row(y + 1, z - s)};
        for (int x = 1; x <= nx; ++x) {
          uint8_t m = 255;
          for (const uint8_t* b : before) m = std::min({m, b[x - 1], b[x], b[x + 1]});
          earlier[x] = m;
        }
        uint8_t* r = row(y, z);
        for (int i = 1; i <= nx; ++i) {
          const int x = s > 0 ? i : nx + 1 - i;
          r[x] = std::min({r[x], step(earlier[x]), step(r[x - s])});
        }
      }
  };
  sweep(+1);
  sweep(-1);
  std::vector<uint8_t> radius(occupancy.size());
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y) std::copy_n(row(y + 1, z + 1) + 1, nx, radius.data() + (size_t(z) * ny + y) * nx);
  return radius;
}

Box3f MacroCellGrid::occupied_box(const std::vector<uint8_t>& occupancy) const {
  require(occupancy.size() == size_t(cell_count()), "occupied_box: the occupancy is not of this grid");
  Vec3i lo = dims_, hi{-1, -1, -1};
  size_t i = 0;
  for (int z = 0; z < dims_.z; ++z)
    for (int y = 0; y < dims_.y; ++y)
      for (int x = 0; x < dims_.x; ++x, ++i)
        if (occupancy[i]) {
          lo = {std::min(lo.x, x), std::min(lo.y, y), std::min(lo.z, z)};
          hi = {std::max(hi.x, x), std::max(hi.y, y), std::max(hi.z, z)};
        }
  if (hi.x < 0) return {};
  // One voxel of margin: a sample the cell arithmetic puts in an occupied cell by rounding at a
  // face stays inside; the extra samples lie in empty cells and add nothing.
  Box3f b;
  for (int a = 0; a < 3; ++a) {
    b.lo[a] = float(origin_[a] + lo[a] * cell_size_ - 1);
    b.hi[a] = float(origin_[a] + (hi[a] + 1) * cell_size_ + 1);
  }
  return b;
}

} // namespace libindex::kernels
