// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What a sample program reads on the GPU, laid out once for the host that fills it and the
/// kernels that read it (program_kernel.cu). One GpuProgramFrame per frame, in device memory.

#include "../src/program_march.h"

namespace libindex::kernels {

/// A brick in device memory as a program reads it: the ProgramVolume of its type (the others
/// unused). Only device code can take the fetch function's address, so the setup kernel binds it.
struct GpuProgramVolume {
  DType dtype = DType::float32;
  ProgramVolume<uint8_t> u8;
  ProgramVolume<uint16_t> u16;
  ProgramVolume<int16_t> i16;
  ProgramVolume<float> f32;

  GpuProgramVolume() = default;
  /// Over `voxels`, which must be in device memory.
  explicit GpuProgramVolume(const BrickView& voxels) : dtype(voxels.dtype) {
    visit_dtype(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const ProgramVolume<T> volume(voxels);
      if constexpr (std::is_same_v<T, uint8_t>) u8 = volume;
      if constexpr (std::is_same_v<T, uint16_t>) u16 = volume;
      if constexpr (std::is_same_v<T, int16_t>) i16 = volume;
      if constexpr (std::is_same_v<T, float>) f32 = volume;
    });
  }
};

struct GpuProgramFrame {
  /// The program's view (program_frame_abi). The host fills all but the function pointers and the
  /// sampler and colormap handles, which the setup kernel (libindex_program_setup) takes.
  LibindexXacFrame abi;
  ColormapView colormap; ///< entries in device memory
  GpuProgramVolume volume;
  /// The slots mapped in abi.mapped_slots: each one's colormap (entries in device memory) and, where
  /// bit `slot` of slot_volumes_mapped is set, its volume's voxels under this brick (else a
  /// colormap's slot, which reads `volume`).
  ColormapView slot_colormaps[LIBINDEX_XAC_MAX_SLOTS];
  GpuProgramVolume slot_volumes[LIBINDEX_XAC_MAX_SLOTS];
  unsigned int slot_volumes_mapped = 0;
  Vec3f scaling, translation; ///< voxel to scene
};

/// The kernels' names in the linked image (program_kernel.cu).
inline constexpr const char* kProgramSetupKernel = "libindex_program_setup";
inline constexpr const char* kProgramMarchKernel = "libindex_program_march";

} // namespace libindex::kernels
