// SPDX-License-Identifier: Apache-2.0
// A build without CUDA has no NVRTC and no nvJitLink.
#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"

namespace libindex::kernels {

std::string compile_sample_program_for_gpu(const SampleProgramSource&) {
  throw Error("this libindex was built without CUDA (LIBINDEX_WITH_CUDA=OFF): no NVRTC to compile for the GPU");
}

std::vector<char> link_sample_program_for_gpu(const std::string&, int) {
  throw Error("this libindex was built without CUDA (LIBINDEX_WITH_CUDA=OFF): no GPU image for sample programs");
}

} // namespace libindex::kernels
