// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What a sample program reads on the GPU, laid out once for the host that fills it and the
/// kernels that read it (program_kernel.cu). One GpuProgramFrame per frame, in device memory.

#include "libindex/colormap.h"
#include "libindex/kernels/sampler.h"
#include "libindex/volume.h"
#include "libindex/xac_abi.h"

namespace libindex::kernels {

struct GpuProgramFrame {
  /// The program's view (xac_abi.h). The host fills all but the volume's function pointers and
  /// its sampler and colormap handles, which only device code can take (libindex_program_setup).
  LibindexXacFrame abi;
  ColormapView colormap; ///< entries in device memory
  DType dtype;
  /// The brick in device memory, through the sampler of `dtype` (the others unused).
  DenseSampler<uint8_t> u8;
  DenseSampler<uint16_t> u16;
  DenseSampler<int16_t> i16;
  DenseSampler<float> f32;
  Vec3f lo, hi;               ///< the stored box's outermost voxel centres: fetches clamp to them
  Vec3f scaling, translation; ///< voxel to scene
};

/// The kernels' names in the linked image (program_kernel.cu).
inline constexpr const char* kProgramSetupKernel = "libindex_program_setup";
inline constexpr const char* kProgramMarchKernel = "libindex_program_march";

} // namespace libindex::kernels
