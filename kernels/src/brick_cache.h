// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Per-brick state that outlives a frame: the skip grid's value ranges, built when a brick is
/// first seen and rebuilt only when its identity (data pointer, boxes, generation) changes.

#include "libindex/kernels/device_memory.h"
#include "libindex/kernels/skip_grid.h"

namespace libindex::kernels {

class BrickCache {
 public:
  /// True when `b` is not the brick the cache holds (so device uploads must be redone too).
  bool is_new(const BrickView& b) const {
    return !valid_ || b.data != key_.data || b.dtype != key_.dtype || !(b.stored == key_.stored) ||
           !(b.owned == key_.owned) || !(b.volume == key_.volume) || b.generation != key_.generation ||
           b.on_device != key_.on_device;
  }
  /// The brick's skip grid for frames that read gradients (shading) or only trilinear samples: the
  /// narrower reach skips more. Each is built the first time a frame needs it.
  const MacroCellGrid& grid(const BrickView& b, bool gradients) {
    if (is_new(b)) remember(b);
    const int i = gradients ? 1 : 0;
    if (!grid_valid_[i]) {
      const int reach = gradients ? kReachGradient : kReachTrilinear;
      grids_[i] = b.on_device ? build_grid_on_device(b, reach) : MacroCellGrid::build(b, reach); // where the voxels are
      grid_valid_[i] = true;
    }
    return grids_[i];
  }
  /// Holds no brick (an upload failed half-way: the next frame must upload again).
  void forget() { valid_ = grid_valid_[0] = grid_valid_[1] = false; }
  void remember(const BrickView& b) {
    if (is_new(b)) grid_valid_[0] = grid_valid_[1] = false;
    key_ = b;
    valid_ = true;
  }

 private:
  BrickView key_;
  bool valid_ = false, grid_valid_[2] = {false, false};
  MacroCellGrid grids_[2]; ///< trilinear reach, gradient reach
};

} // namespace libindex::kernels
