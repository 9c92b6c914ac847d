// SPDX-License-Identifier: Apache-2.0
// Sample programs compiled for the GPU by NVRTC: the same unit the host compiler gets, with the
// prelude's files as NVRTC's in-memory headers. NVRTC needs no device, so every CUDA build checks
// programs for the GPU. It is loaded when first needed (dlopen), so binaries keep needing nothing of
// CUDA but the driver, as with the static runtime.
#include <dlfcn.h>
#include <cuda.h>
#include <nvrtc.h>

#include <mutex>
#include <vector>

#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"

namespace libindex::kernels {
namespace {

struct Nvrtc {
  decltype(&nvrtcCreateProgram) create = nullptr;
  decltype(&nvrtcCompileProgram) compile = nullptr;
  decltype(&nvrtcGetProgramLogSize) log_size = nullptr;
  decltype(&nvrtcGetProgramLog) log = nullptr;
  decltype(&nvrtcDestroyProgram) destroy = nullptr;
  decltype(&nvrtcGetErrorString) error = nullptr;
};

const Nvrtc& nvrtc() {
  static Nvrtc api;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    // The toolkit this build used first, then whatever the loader finds.
    const std::string candidates[] = {std::string(LIBINDEX_NVRTC_DIR) + "/libnvrtc.so", "libnvrtc.so",
                                      "libnvrtc.so." + std::to_string(CUDA_VERSION / 1000)};
    void* h = nullptr;
    for (const auto& c : candidates)
      if ((h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
    if (!h) {
      failure = "NVRTC (libnvrtc.so) is not installed or not on the library path";
      return;
    }
    api.create = reinterpret_cast<decltype(api.create)>(dlsym(h, "nvrtcCreateProgram"));
    api.compile = reinterpret_cast<decltype(api.compile)>(dlsym(h, "nvrtcCompileProgram"));
    api.log_size = reinterpret_cast<decltype(api.log_size)>(dlsym(h, "nvrtcGetProgramLogSize"));
    api.log = reinterpret_cast<decltype(api.log)>(dlsym(h, "nvrtcGetProgramLog"));
    api.destroy = reinterpret_cast<decltype(api.destroy)>(dlsym(h, "nvrtcDestroyProgram"));
    api.error = reinterpret_cast<decltype(api.error)>(dlsym(h, "nvrtcGetErrorString"));
    if (!api.create || !api.compile || !api.log_size || !api.log || !api.destroy || !api.error) {
      api = {};
      failure = "libnvrtc.so lacks the NVRTC calls libindex needs";
    }
  });
  if (!api.create) throw Error(failure);
  return api;
}

} // namespace

std::string compile_sample_program_for_gpu(const SampleProgramSource& source) {
  const Nvrtc& api = nvrtc();
  const std::string unit = sample_program_unit(source);
  std::vector<const char*> names, texts;
  for (const PreludeFile& f : sample_program_prelude()) names.push_back(f.name), texts.push_back(f.text);
  nvrtcProgram program = nullptr;
  nvrtcResult r = api.create(&program, unit.c_str(), "program.cu", int(names.size()), texts.data(), names.data());
  if (r != NVRTC_SUCCESS) throw Error(std::string("NVRTC: ") + api.error(r));
  // As the library's own CUDA code: no contracted multiply-adds (CPU and GPU round alike).
  const char* options[] = {"--gpu-architecture=sm_90", "-std=c++17", "--fmad=false"};
  r = api.compile(program, int(sizeof options / sizeof *options), options);
  std::string log;
  size_t size = 0;
  if (api.log_size(program, &size) == NVRTC_SUCCESS && size > 1) {
    log.resize(size);
    api.log(program, log.data());
    log.resize(size - 1);
  }
  api.destroy(&program);
  if (r == NVRTC_SUCCESS) return "";
  return log.empty() ? std::string(api.error(r)) : log;
}

} // namespace libindex::kernels
