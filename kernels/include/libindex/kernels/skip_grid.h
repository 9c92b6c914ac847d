// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Empty-space skipping: a macro-cell grid of value ranges, and per frame an occupancy mask
/// derived from the colormap. A cell is empty only when no sample inside it can have alpha > 0,
/// so skipping it never changes a pixel.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "libindex/colormap.h"
#include "libindex/lanes.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// What the marcher sees: per macro cell its empty radius, the Chebyshev distance in cells to the
/// nearest cell where a sample may contribute. 0: the cell may contribute; r >= 1: this cell and
/// every cell within r - 1 cells of it are empty, so a ray crosses that whole cube in one step.
struct SkipGridView {
  const uint8_t* empty_radius = nullptr; ///< nullptr: skipping off
  Vec3i origin;                          ///< voxel coordinate of the lower corner of cell (0,0,0)
  Vec3i dims;                            ///< cells per axis
  int cell_size = 8;                     ///< voxels per cell edge
  Box3f occupied;                        ///< voxel space: the box of the cells with radius 0 (empty: none)

  // cell_of, radius_of and exit_t take one ray's point (F = float) or a packet's (lanes.h).

  /// The cell holding voxel-space point p, clamped to the grid.
  template <class Vec3>
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto cell_of(const Vec3& p) const {
    using F = decltype(p.x);
    using I = LaneInt<F>;
    const float inv = 1.0f / float(cell_size);
    LaneVec3i<F> c;
    for (int a = 0; a < 3; ++a) {
      const F f = (p[a] - float(origin[a])) * inv;
      const I i = select(f < 0.0f, I(0), truncate_to_int(f));
      c[a] = select(i >= I(dims[a]), I(dims[a] - 1), i);
    }
    return c;
  }
  template <class Vec3i>
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto radius_of(const Vec3i& c) const {
    using I = decltype(c.x);
    const I cell = (c.z * I(dims.y) + c.y) * I(dims.x) + c.x;
    return gather_byte(empty_radius, cell, dims.x * dims.y * dims.z);
  }
  /// Ray parameter where the ray o + t d leaves the cube of cells within `reach` - 1 of cell c
  /// (reach >= 1; 1 is the cell itself): the nearest exit face.
  template <class Vec3i, class Vec3, class I>
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto exit_t(const Vec3i& c, I reach, const Vec3& o, const Vec3& d) const {
    using F = decltype(o.x);
    F t(3.0e38f);
    for (int a = 0; a < 3; ++a) {
      const F face = to_float(I(origin[a]) + (c[a] + select(d[a] > 0.0f, reach, I(1) - reach)) * I(cell_size));
      const F ta = (face - o[a]) / d[a];
      t = select((d[a] != 0.0f) & (ta < t), ta, t);
    }
    return t;
  }
};
static_assert(std::is_trivially_copyable_v<SkipGridView>);

/// Voxels beyond a macro cell's faces whose values a sample inside it can take: 1 for trilinear
/// interpolation and 1 to absorb rounding at the faces (a sample the cell arithmetic or a jump's
/// exit puts on the wrong side of a face reads at most 1 voxel further). Shading reads further for
/// its gradient, but only for a sample that is visible, and whether it is depends on its value
/// alone: a skipped sample adds nothing whatever its gradient.
constexpr int kMacroCellReach = 2;

/// Per-brick value ranges of macro cells. Built once per brick (the data), reused every frame;
/// only the occupancy (which depends on the colormap) is recomputed per frame.
class MacroCellGrid {
 public:
  MacroCellGrid() = default;
  /// Cells tile `brick.owned` from its lower corner; each cell's range covers the voxels within
  /// kMacroCellReach of it.
  static MacroCellGrid build(const BrickView& brick, int cell_size = 8);
  /// The cells of `brick` (origin and counts) with no ranges yet: a brick in device memory has them
  /// computed on the GPU (build_grid_on_device) and handed over with set_ranges.
  static MacroCellGrid layout(const BrickView& brick, int cell_size = 8);
  /// One [min, max] per cell, x fastest; throws Error unless there are cell_count() of each.
  void set_ranges(std::vector<float> min, std::vector<float> max);

  /// Occupancy for a colormap: a cell is occupied when some value in its range maps to alpha > 0.
  /// Conservative by a relative epsilon so rounding in interpolation can never hide a sample.
  std::vector<uint8_t> occupancy(const ColormapView& colormap) const;
  /// Each cell's empty radius (SkipGridView) from an occupancy: the chessboard distance to the
  /// nearest occupied cell, capped at 255, and 255 everywhere when no cell is occupied.
  std::vector<uint8_t> empty_radius(const std::vector<uint8_t>& occupancy) const;
  /// Voxel-space box of the occupied cells (half-open, as the cells tile space), one voxel wider on
  /// each side; empty when no cell is occupied. No sample outside it contributes, so the marcher
  /// clips rays to it.
  Box3f occupied_box(const std::vector<uint8_t>& occupancy) const;

  /// The marcher's view of `empty_radius` (kept alive by the caller) and its occupied box.
  SkipGridView view(const uint8_t* empty_radius, Box3f occupied) const {
    return {empty_radius, origin_, dims_, cell_size_, occupied};
  }
  Vec3i dims() const { return dims_; }
  Vec3i origin() const { return origin_; }
  int cell_size() const { return cell_size_; }
  const std::vector<float>& min() const { return min_; }
  const std::vector<float>& max() const { return max_; }
  long long cell_count() const { return (long long)dims_.x * dims_.y * dims_.z; }

 private:
  Vec3i origin_, dims_;
  int cell_size_ = 8;
  std::vector<float> min_, max_;
};

/// True when some value in [lo, hi] maps to a non-zero alpha (the occupancy test of one cell).
bool range_may_be_visible(const ColormapView& colormap, float lo, float hi);

} // namespace libindex::kernels
