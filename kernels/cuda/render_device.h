// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The GPU this process renders on, for CUDA calls made on other threads.
///
/// CUDA's current device is a property of each host thread, and a thread that never chose one works
/// on device 0, opening a context there (hundreds of MiB) on its first call. The session gives each
/// rank its own GPU (the local rank modulo the visible devices) and the CUDA backend selects it on
/// its render thread; the entry points that other threads call (page-locked allocations from I/O
/// and TBB threads, an in-situ publisher's device copies) choose it first through this, so that a
/// node's 4-8 ranks do not all open contexts on GPU 0.

#include <atomic>

#include <cuda_runtime.h>

namespace libindex::kernels {

inline std::atomic<int> g_render_device{-1}; ///< -1: no backend yet; CUDA's default (device 0) stands

inline void set_render_device(int device) { g_render_device.store(device); }

/// Makes the rendering GPU current on the calling thread (a no-op before a backend chose one) and
/// leaves it so: restoring the thread's previous device would open a context on GPU 0 for threads
/// that never chose one, since CUDA 12 (cudaSetDevice initializes the device's context). On a
/// simulation's thread it changes nothing as long as the simulation publishes from the GPU its
/// rank renders on, as docs/insitu.md asks; a field on another GPU could not be rendered anyway.
inline void use_render_device() {
  const int device = g_render_device.load();
  int current = -1;
  if (device < 0 || (cudaGetDevice(&current) == cudaSuccess && current == device)) return;
  if (cudaSetDevice(device) != cudaSuccess) cudaGetLastError(); // the call that follows reports
}

} // namespace libindex::kernels
