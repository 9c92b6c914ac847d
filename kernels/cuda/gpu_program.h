// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What a sample program reads on the GPU, laid out once for the host that fills it and the
/// kernels that read it (program_kernel.cu). One GpuProgramFrame per frame, in device memory.

#include "../src/program_march.h"

namespace libindex::kernels {

struct GpuProgramFrame {
  /// The program's view (xac_abi.h). The host fills all but the volume's function pointers and
  /// its sampler and colormap handles, which only device code can take (libindex_program_setup).
  LibindexXacFrame abi;
  ColormapView colormap; ///< entries in device memory
  DType dtype;
  /// The brick in device memory, as the volume of `dtype` (the others unused).
  ProgramVolume<uint8_t> u8;
  ProgramVolume<uint16_t> u16;
  ProgramVolume<int16_t> i16;
  ProgramVolume<float> f32;
  Vec3f scaling, translation; ///< voxel to scene
};

/// The kernels' names in the linked image (program_kernel.cu).
inline constexpr const char* kProgramSetupKernel = "libindex_program_setup";
inline constexpr const char* kProgramMarchKernel = "libindex_program_march";

} // namespace libindex::kernels
