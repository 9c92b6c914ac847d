// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Per-brick state that outlives a frame: the skip grid's value ranges, built when a brick is
/// first seen and rebuilt only when its identity (data pointer, boxes, generation) changes; and what
/// the current colormap makes of them, rebuilt only when the colormap changes.

#include <utility>

#include "libindex/kernels/device_memory.h"
#include "libindex/kernels/skip_grid.h"

namespace libindex::kernels {

/// The skipping a colormap implies on a brick's grid: each cell's empty radius and the box
/// of the occupied cells. `version` grows with each rebuild, so a backend knows when to upload.
struct SkipCells {
  std::vector<uint8_t> empty_radius;
  Box3f occupied;
  long long version = 0;
};

class BrickCache {
 public:
  /// True when `b` is not the brick the cache holds (so device uploads must be redone too).
  bool is_new(const BrickView& b) const {
    return !valid_ || b.data != key_.data || b.dtype != key_.dtype || !(b.stored == key_.stored) ||
           !(b.owned == key_.owned) || !(b.volume == key_.volume) || b.generation != key_.generation ||
           b.on_device != key_.on_device;
  }
  const MacroCellGrid& grid(const BrickView& b) {
    if (is_new(b)) remember(b);
    if (!grid_valid_) {
      grid_ = b.on_device ? build_grid_on_device(b) : MacroCellGrid::build(b); // built where the voxels are
      grid_valid_ = true;
      cells_valid_ = false;
    }
    return grid_;
  }
  /// The grid under colormap `m`: rebuilt only when the colormap or the brick changes, not every
  /// frame (a camera drag changes neither).
  const SkipCells& skip_cells(const BrickView& b, const Colormap& m) {
    const MacroCellGrid& g = grid(b);
    if (!cells_valid_ || m != cells_for_) {
      const std::vector<uint8_t> occupancy = g.occupancy(m.view());
      cells_.empty_radius = g.empty_radius(occupancy);
      cells_.occupied = g.occupied_box(occupancy);
      ++cells_.version;
      cells_for_ = m, cells_valid_ = true;
    }
    return cells_;
  }
  /// Takes `b`'s grid built elsewhere (the CUDA backend builds a host brick's on the GPU, from the
  /// copy it uploads anyway).
  void set_grid(const BrickView& b, MacroCellGrid g) {
    remember(b);
    grid_ = std::move(g);
    grid_valid_ = true;
    cells_valid_ = false;
  }
  /// Holds no brick (an upload failed half-way: the next frame must upload again).
  void forget() { valid_ = grid_valid_ = cells_valid_ = false; }
  void remember(const BrickView& b) {
    if (is_new(b)) grid_valid_ = cells_valid_ = false;
    key_ = b;
    valid_ = true;
  }

 private:
  BrickView key_;
  bool valid_ = false, grid_valid_ = false;
  MacroCellGrid grid_;
  SkipCells cells_;
  Colormap cells_for_; ///< the colormap cells_ was built for
  bool cells_valid_ = false;
};

} // namespace libindex::kernels
