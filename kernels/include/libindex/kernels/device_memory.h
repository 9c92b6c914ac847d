// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Voxels that live in CUDA device memory: a simulation's GPU field, published in situ and
/// rendered by the CUDA backend without a trip through host memory. No CUDA types here: callers
/// need no CUDA headers, and a build without CUDA links these too (they throw saying so, and
/// is_device_pointer is always false there).

#include <array>
#include <memory>
#include <utility>

#include "libindex/kernels/skip_grid.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// Whether `p` points into CUDA device memory (cudaMalloc, cudaMallocAsync). Host memory, pinned
/// host memory and managed memory (which the CPU can read) are not. False when no device answers
/// and in a build without CUDA. Costs one cudaPointerGetAttributes (about a microsecond).
bool is_device_pointer(const void* p);

/// Elements between neighbouring voxels along x, y and z; {0, 0, 0}: dense over the stored box.
using ElementStrides = std::array<long long, 3>;

/// A dense, x-fastest copy of a box of voxels in device memory (owned; freed with the last copy of
/// the handle). An empty box holds nothing.
class DeviceBrick {
 public:
  DeviceBrick() = default;
  Box3i box() const { return box_; }
  DType dtype() const { return dtype_; }
  bool empty() const { return !bytes_; }
  /// The view a backend renders: owning `owned` of `volume`, in device memory.
  BrickView view(const Box3i& owned, const Box3i& volume) const {
    return {bytes_.get(), dtype_, box_, owned, volume, 0, true};
  }

  /// Copies `box` from device memory at `data` (voxel `stored.lo` first, `strides` apart) into a
  /// new dense DeviceBrick, on the GPU. Throws Error when `box` is not inside `stored` or CUDA fails.
  static DeviceBrick copy(const void* data, DType dtype, const Box3i& stored, ElementStrides strides, const Box3i& box);
  /// Copies a dense brick of `stored` from host memory at `data` into a new DeviceBrick; returns
  /// once the copy is done. Throws Error when CUDA fails.
  static DeviceBrick upload(const void* data, DType dtype, const Box3i& stored);

 private:
  std::shared_ptr<void> bytes_;
  Box3i box_;
  DType dtype_ = DType::uint8;
};

/// The voxels of `box` of a device brick, copied into host memory (for the ghost-voxel exchange,
/// which runs over host MPI).
Brick copy_to_host(const BrickView& device_brick, const Box3i& box);

/// The smallest and largest normalized value of the finite voxels of `box` (inside brick.stored)
/// of a device brick, reduced on the GPU; {+inf, -inf} when there are none. The same values
/// normalize_voxel gives on the CPU.
std::pair<double, double> device_value_range(const BrickView& device_brick, const Box3i& box);

/// MacroCellGrid::build for a brick in device memory: the same cells and, bit for bit, the same
/// ranges, computed on the GPU (one thread per cell).
MacroCellGrid build_grid_on_device(const BrickView& device_brick, int cell_size = 8);

} // namespace libindex::kernels
