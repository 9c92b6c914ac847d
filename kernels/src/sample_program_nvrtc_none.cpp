// SPDX-License-Identifier: Apache-2.0
// A build without CUDA has no NVRTC.
#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"

namespace libindex::kernels {

std::string compile_sample_program_for_gpu(const SampleProgramSource&) {
  throw Error("this libindex was built without CUDA (LIBINDEX_WITH_CUDA=OFF): no NVRTC to compile for the GPU");
}

} // namespace libindex::kernels
