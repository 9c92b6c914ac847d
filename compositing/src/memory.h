// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Where the buffers of a frame (messages, tiles) come from. glibc hands blocks of megabytes
/// back to the system at every free, so each frame faulted the same pages in again; on a 2-core
/// VM a 4 KiB fault costs about 2 us, ~40% of a 1024x1024 frame. TBB's scalable allocator keeps
/// freed large blocks, but reuses one only for a request of about its size, and footprints change
/// from frame to frame: sizes above 1 MiB are therefore rounded up to a power of two, so the next
/// frame finds its blocks again (measured: 3600 page faults a frame before, 70 after). The
/// rounding costs address space only; pages nobody writes are never backed.
///
/// A Compositor keeps its buffers from frame to frame (Storage): each grows to the largest size
/// it was asked for and is used again, so a steady frame loop allocates nothing at all.

#include <tbb/scalable_allocator.h>

#include <algorithm>
#include <atomic>
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

/// Allocations made by allocate() so far, in this process (the tests check that frames of a
/// kept Compositor make none).
inline std::atomic<long long> allocation_count{0};

/// The bytes allocate() asks for, for `bytes` requested.
inline size_t allocation_size(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  return bytes > (size_t(1) << 20) ? std::bit_ceil(bytes) : bytes;
}

template <class T>
ScalableArray<T> allocate(size_t count) {
  void* p = scalable_malloc(allocation_size(count * sizeof(T))); // 16-byte aligned at least: enough for Vec4f
  if (!p) throw std::bad_alloc();
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  return ScalableArray<T>(static_cast<T*>(p));
}

/// Bytes kept from call to call: grows to the largest size asked for, never shrinks. Sizes are
/// rounded up to a power of two (at least 256 bytes), so that sizes wandering from frame to frame
/// settle after a few frames.
struct Storage {
  ScalableArray<std::byte> data;
  size_t capacity = 0;

  /// At least `bytes` bytes; what it held is lost when it grows.
  std::byte* reserve(size_t bytes) {
    if (bytes > capacity || !data) {
      const size_t size = std::bit_ceil(std::max<size_t>(bytes, 256));
      data.reset(); // the old block first: its pages may serve the new one
      data = allocate<std::byte>(size);
      capacity = size;
    }
    return data.get();
  }
  /// Gives the block up without freeing it (MPI may still read it: see Round's destructor).
  void abandon() {
    (void)data.release();
    capacity = 0;
  }
};

} // namespace libindex::compositing::detail
