// SPDX-License-Identifier: Apache-2.0
#include "libindex/kernels/backend.h"

#include <iostream>

#include "../cpu/cpu_backend.h"
#include "libindex/config.h"
#include "libindex/error.h"
#include "parallel.h"
#if LIBINDEX_WITH_CUDA
#include "../cuda/cuda_backend.h"
#endif

namespace libindex::kernels {

BackendKind parse_backend_kind(const std::string& t) {
  if (t == "auto") return BackendKind::automatic;
  if (t == "cpu") return BackendKind::cpu;
  if (t == "cuda") return BackendKind::cuda;
  throw Error("unknown backend '" + t + "' (expected auto, cpu or cuda)");
}

std::string to_string(BackendKind k) {
  return k == BackendKind::cpu ? "cpu" : (k == BackendKind::cuda ? "cuda" : "auto");
}

bool cuda_device_available(std::string* reason) {
#if LIBINDEX_WITH_CUDA
  return cuda_device_count(reason) > 0;
#else
  if (reason) *reason = "this build has no CUDA support (configured without a CUDA compiler)";
  return false;
#endif
}

int cuda_devices(std::string* reason) {
#if LIBINDEX_WITH_CUDA
  return cuda_device_count(reason);
#else
  if (reason) *reason = "this build has no CUDA support (configured without a CUDA compiler)";
  return 0;
#endif
}

int device_for_node_rank(int node_rank, int visible_devices) {
  if (visible_devices <= 0 || node_rank < 0) return -1;
  return node_rank % visible_devices;
}

std::unique_ptr<Backend> make_backend(BackendKind kind, bool log, int device) {
  std::string reason;
  std::unique_ptr<Backend> backend;
  if (kind == BackendKind::cuda) {
    if (!cuda_device_available(&reason)) throw Error("backend cuda requested but unavailable: " + reason);
#if LIBINDEX_WITH_CUDA
    backend = make_cuda_backend(device);
#endif
  } else if (kind == BackendKind::automatic && cuda_device_available(&reason)) {
#if LIBINDEX_WITH_CUDA
    try {
      backend = make_cuda_backend(device);
    } catch (const std::exception& e) { // a device that answers but cannot be used: the CPU it is
      reason = e.what();
    }
#endif
  }
  if (!backend) backend = make_cpu_backend();
  if (log) {
    std::cerr << "[libindex] backend: " << backend->name();
    if (kind == BackendKind::automatic && backend->kind() == BackendKind::cpu)
      std::cerr << " (no CUDA: " << reason << ")";
    std::cerr << "\n";
  }
  return backend;
}

void with_thread_limit(int threads, const std::function<void()>& work) { with_thread_limit_impl(threads, work); }

} // namespace libindex::kernels
