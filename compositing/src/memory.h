// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Where the per-frame buffers (messages, tiles) come from: TBB's scalable allocator, which
/// keeps freed large blocks for reuse. glibc hands blocks of megabytes back to the system at every
/// free, so each frame faulted the same pages in again; on a 2-core VM a 4 KiB fault costs about
/// 2 us, which was ~40% of a 1024x1024 frame.

#include <tbb/scalable_allocator.h>

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
  void* p = scalable_aligned_malloc(count ? count * sizeof(T) : 1, 64);
  if (!p) throw std::bad_alloc();
  return ScalableArray<T>(static_cast<T*>(p));
}

} // namespace libindex::compositing::detail
