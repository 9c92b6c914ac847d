// SPDX-License-Identifier: Apache-2.0
// Sample programs compiled for the GPU by NVRTC: the same unit the host compiler gets, with the
// prelude's files as NVRTC's in-memory headers; then linked by nvJitLink with the program marcher's
// relocatable PTX (program_kernel.cu, embedded) into the image the CUDA backend loads. Neither needs
// a device, so every CUDA build checks and links programs for the GPU. Both are loaded when first
// needed (dlopen), so binaries keep needing nothing of CUDA but the driver, as with the static
// runtime.
#include <dlfcn.h>
#include <cuda.h>
#include <nvJitLink.h>
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
  decltype(&nvrtcGetPTXSize) ptx_size = nullptr;
  decltype(&nvrtcGetPTX) ptx = nullptr;
  bool ready() const { return create != nullptr; }
};

/// The toolkit's library this build used first, then whatever the loader finds; nullptr if none.
void* open_cuda_library(const std::string& name) {
  const std::string candidates[] = {std::string(LIBINDEX_NVRTC_DIR) + "/" + name + ".so", name + ".so",
                                    name + ".so." + std::to_string(CUDA_VERSION / 1000)};
  for (const auto& c : candidates)
    if (void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
  return nullptr;
}

/// `fn` from library h by name; false when it lacks it.
template <class Fn>
bool bind(void* h, Fn& fn, const char* name) {
  fn = reinterpret_cast<Fn>(dlsym(h, name));
  return fn != nullptr;
}

/// The calls of `library` (opened once, on first use) bound by `bind_all(handle, api)`; throws Error
/// saying what is missing.
template <class Api, class BindAll>
const Api& load(const char* library, const char* what, const BindAll& bind_all) {
  static Api api;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [&] {
    void* h = open_cuda_library(library);
    if (!h)
      failure = std::string(what) + " (" + library + ".so) is not installed or not on the library path";
    else if (!bind_all(h, api))
      api = {}, failure = std::string(library) + ".so lacks the calls libindex needs";
  });
  if (!api.ready()) throw Error(failure);
  return api;
}

const Nvrtc& nvrtc() {
  return load<Nvrtc>("libnvrtc", "NVRTC", [](void* h, Nvrtc& a) {
    return bind(h, a.create, "nvrtcCreateProgram") & bind(h, a.compile, "nvrtcCompileProgram") &
           bind(h, a.log_size, "nvrtcGetProgramLogSize") & bind(h, a.log, "nvrtcGetProgramLog") &
           bind(h, a.destroy, "nvrtcDestroyProgram") & bind(h, a.error, "nvrtcGetErrorString") &
           bind(h, a.ptx_size, "nvrtcGetPTXSize") & bind(h, a.ptx, "nvrtcGetPTX");
  });
}

struct NvJitLink {
  decltype(&nvJitLinkCreate) create = nullptr;
  decltype(&nvJitLinkDestroy) destroy = nullptr;
  decltype(&nvJitLinkAddData) add = nullptr;
  decltype(&nvJitLinkComplete) complete = nullptr;
  decltype(&nvJitLinkGetLinkedCubinSize) cubin_size = nullptr;
  decltype(&nvJitLinkGetLinkedCubin) cubin = nullptr;
  decltype(&nvJitLinkGetErrorLogSize) log_size = nullptr;
  decltype(&nvJitLinkGetErrorLog) log = nullptr;
  bool ready() const { return create != nullptr; }
};

const NvJitLink& nvjitlink() {
  return load<NvJitLink>("libnvJitLink", "nvJitLink", [](void* h, NvJitLink& a) {
    return bind(h, a.create, "nvJitLinkCreate") & bind(h, a.destroy, "nvJitLinkDestroy") &
           bind(h, a.add, "nvJitLinkAddData") & bind(h, a.complete, "nvJitLinkComplete") &
           bind(h, a.cubin_size, "nvJitLinkGetLinkedCubinSize") & bind(h, a.cubin, "nvJitLinkGetLinkedCubin") &
           bind(h, a.log_size, "nvJitLinkGetErrorLogSize") & bind(h, a.log, "nvJitLinkGetErrorLog");
  });
}

/// Compiles the program's unit with NVRTC: the log ("" when it compiles) and, when asked, the PTX.
std::string nvrtc_compile(const std::string& unit, const std::vector<const char*>& options, std::string* ptx) {
  const Nvrtc& api = nvrtc();
  std::vector<const char*> names, texts;
  for (const PreludeFile& f : sample_program_prelude()) names.push_back(f.name), texts.push_back(f.text);
  nvrtcProgram program = nullptr;
  nvrtcResult r = api.create(&program, unit.c_str(), "program.cu", int(names.size()), texts.data(), names.data());
  if (r != NVRTC_SUCCESS) throw Error(std::string("NVRTC: ") + api.error(r));
  r = api.compile(program, int(options.size()), options.data());
  std::string log;
  size_t size = 0;
  if (api.log_size(program, &size) == NVRTC_SUCCESS && size > 1) {
    log.resize(size);
    api.log(program, log.data());
    log.resize(size - 1);
  }
  if (r == NVRTC_SUCCESS && ptx && api.ptx_size(program, &size) == NVRTC_SUCCESS) {
    ptx->resize(size);
    api.ptx(program, ptx->data());
  }
  api.destroy(&program);
  if (r == NVRTC_SUCCESS) return "";
  return log.empty() ? std::string(api.error(r)) : log;
}

} // namespace

extern const char kProgramMarcherPtx[]; // program_kernel.cu as relocatable PTX (embed_ptx.cmake)

std::string compile_sample_program_for_gpu(const SampleProgramSource& source) {
  // As the library's own CUDA code: no contracted multiply-adds (CPU and GPU round alike).
  return nvrtc_compile(sample_program_unit(source), {"--gpu-architecture=sm_90", "-std=c++17", "--fmad=false"},
                       nullptr);
}

std::vector<char> link_sample_program_for_gpu(const std::string& unit, int sm) {
  const std::string arch = "--gpu-architecture=compute_" + std::to_string(sm);
  std::string ptx;
  const std::string log = nvrtc_compile(unit, {arch.c_str(), "-std=c++17", "--fmad=false", "-rdc=true"}, &ptx);
  if (!log.empty()) throw Error("the sample program does not compile for the GPU: " + log);
  const NvJitLink& api = nvjitlink();
  const std::string target = "-arch=sm_" + std::to_string(sm);
  const char* options[] = {target.c_str()};
  nvJitLinkHandle link = nullptr;
  if (api.create(&link, 1, options) != NVJITLINK_SUCCESS) throw Error("nvJitLink: cannot create a link for " + target);
  std::vector<char> cubin;
  const std::string marcher = kProgramMarcherPtx;
  nvJitLinkResult r = api.add(link, NVJITLINK_INPUT_PTX, marcher.c_str(), marcher.size() + 1, "program_marcher");
  if (r == NVJITLINK_SUCCESS) r = api.add(link, NVJITLINK_INPUT_PTX, ptx.c_str(), ptx.size(), "sample_program");
  if (r == NVJITLINK_SUCCESS) r = api.complete(link);
  size_t size = 0;
  if (r == NVJITLINK_SUCCESS && api.cubin_size(link, &size) == NVJITLINK_SUCCESS) {
    cubin.resize(size);
    r = api.cubin(link, cubin.data());
  }
  std::string error;
  if (r != NVJITLINK_SUCCESS && api.log_size(link, &size) == NVJITLINK_SUCCESS && size > 1) {
    error.resize(size);
    api.log(link, error.data());
    error.resize(size - 1);
  }
  api.destroy(&link);
  if (r != NVJITLINK_SUCCESS)
    throw Error("nvJitLink could not link the sample program for " + target + ": " +
                (error.empty() ? "error " + std::to_string(int(r)) : error));
  return cubin;
}

} // namespace libindex::kernels
