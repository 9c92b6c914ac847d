// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Where the per-frame buffers (messages, tiles) come from. glibc hands blocks of megabytes
/// back to the system at every free, so each frame faulted the same pages in again; on a 2-core
/// VM a 4 KiB fault costs about 2 us, ~40% of a 1024x1024 frame. TBB's scalable allocator keeps
/// freed large blocks, but reuses one only for a request of about its size, and footprints change
/// from frame to frame: sizes above 1 MiB are therefore rounded up to a power of two, so the next
/// frame finds its blocks again (measured: 3600 page faults a frame before, 70 after). The
/// rounding costs address space only; pages nobody writes are never backed.

#include <tbb/scalable_allocator.h>

#include <bit>
#include <cstddef>
#include <memory>
#include <new>

namespace libindex::compositing::detail {

struct ScalableFree {
  void operator()(void* p) const { scalable_free(p); }
};

/// `count` uninitialized T (an implicit-lifetime type), freed by the scalable allocator.
template <class T>
using ScalableArray = std::unique_ptr<T[], ScalableFree>;

template <class T>
ScalableArray<T> allocate(size_t count) {
  size_t bytes = count ? count * sizeof(T) : 1;
  if (bytes > (size_t(1) << 20)) bytes = std::bit_ceil(bytes);
  void* p = scalable_malloc(bytes); // 16-byte aligned at least: enough for Vec4f
  if (!p) throw std::bad_alloc();
  return ScalableArray<T>(static_cast<T*>(p));
}

} // namespace libindex::compositing::detail
