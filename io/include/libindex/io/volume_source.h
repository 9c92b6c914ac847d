// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The one interface every volume reader implements: any sub-box, read on its own.

#include <memory>
#include <string>

#include "libindex/volume.h"

namespace libindex::io {

/// A volume on disk or in memory. Every source serves any sub-box, reading only that box's bytes, so
/// each rank loads its own leaf (plus ghosts) in parallel and no rank ever holds the whole volume.
class VolumeSource {
 public:
  virtual ~VolumeSource() = default;
  /// The whole volume's voxel box, [0, n) on each axis.
  virtual Box3i box() const = 0;
  virtual DType dtype() const = 0;
  /// The voxels of `region` (clipped to box()), x-fastest. Throws Error naming the file and cause.
  virtual Brick read(const Box3i& region) const = 0;
  /// One line for logs: what and where, e.g. "raw skull.raw 256x256x256 uint8".
  virtual std::string describe() const = 0;
};

} // namespace libindex::io
