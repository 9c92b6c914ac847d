// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Empty-space skipping: a macro-cell grid of value ranges, and per frame an occupancy mask
/// derived from the colormap. A cell is empty only when no sample inside it can have alpha > 0,
/// so skipping it never changes a pixel.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "libindex/colormap.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// What the marcher sees: one byte per macro cell, non-zero where a sample may contribute.
struct SkipGridView {
  const uint8_t* occupied = nullptr; ///< nullptr: skipping off
  Vec3i origin;                      ///< voxel coordinate of the lower corner of cell (0,0,0)
  Vec3i dims;                        ///< cells per axis
  int cell_size = 8;                 ///< voxels per cell edge

  LIBINDEX_HOST_DEVICE Vec3i cell_of(Vec3f p) const {
    const float inv = 1.0f / float(cell_size);
    Vec3i c;
    for (int a = 0; a < 3; ++a) {
      const float f = (p[a] - float(origin[a])) * inv;
      const int i = f < 0.0f ? 0 : int(f);
      c[a] = i >= dims[a] ? dims[a] - 1 : i;
    }
    return c;
  }
  LIBINDEX_HOST_DEVICE bool is_occupied(Vec3i c) const {
    return occupied[((long long)c.z * dims.y + c.y) * dims.x + c.x] != 0;
  }
  /// Ray parameter where the ray o + t d leaves cell c (the nearest exit face).
  LIBINDEX_HOST_DEVICE float exit_t(Vec3i c, Vec3f o, Vec3f d) const {
    float t = 3.0e38f;
    for (int a = 0; a < 3; ++a) {
      if (d[a] == 0.0f) continue;
      const float face = float(origin[a] + (c[a] + (d[a] > 0.0f ? 1 : 0)) * cell_size);
      const float ta = (face - o[a]) / d[a];
      t = ta < t ? ta : t;
    }
    return t;
  }
};
static_assert(std::is_trivially_copyable_v<SkipGridView>);

/// Per-brick value ranges of macro cells. Built once per brick (the data), reused every frame;
/// only the occupancy (which depends on the colormap) is recomputed per frame.
class MacroCellGrid {
public:
  MacroCellGrid() = default;
  /// Cells tile `brick.owned` from its lower corner; each cell's range covers every voxel a
  /// trilinear sample (and, with gradients, its central differences) inside the cell can read.
  static MacroCellGrid build(const BrickView& brick, int cell_size = 8);

  /// Occupancy for a colormap: a cell is occupied when some value in its range maps to alpha > 0.
  /// Conservative by a relative epsilon so rounding in interpolation can never hide a sample.
  std::vector<uint8_t> occupancy(const ColormapView& colormap) const;

  SkipGridView view(const uint8_t* occupied) const { return {occupied, origin_, dims_, cell_size_}; }
  Vec3i dims() const { return dims_; }
  long long cell_count() const { return (long long)dims_.x * dims_.y * dims_.z; }

private:
  Vec3i origin_, dims_;
  int cell_size_ = 8;
  std::vector<float> min_, max_;
};

/// True when some value in [lo, hi] maps to a non-zero alpha (the occupancy test of one cell).
bool range_may_be_visible(const ColormapView& colormap, float lo, float hi);

} // namespace libindex::kernels
