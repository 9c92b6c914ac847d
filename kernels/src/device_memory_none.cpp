// SPDX-License-Identifier: Apache-2.0
/// \file device_memory.h in a build without CUDA: nothing is ever in device memory.
#include "libindex/error.h"
#include "libindex/kernels/device_memory.h"

namespace libindex::kernels {
namespace {
[[noreturn]] void no_cuda() {
  throw Error("voxels in device memory need CUDA, and this build has none (configured without a CUDA compiler)");
}
} // namespace

bool is_device_pointer(const void*) { return false; }
DeviceBrick DeviceBrick::copy(const void*, DType, const Box3i&, ElementStrides, const Box3i&) { no_cuda(); }
DeviceBrick DeviceBrick::upload(const void*, DType, const Box3i&) { no_cuda(); }
Brick copy_to_host(const BrickView&, const Box3i&) { no_cuda(); }
std::pair<double, double> device_value_range(const BrickView&, const Box3i&) { no_cuda(); }
MacroCellGrid build_grid_on_device(const BrickView&, int) { no_cuda(); }

} // namespace libindex::kernels
