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
///
/// Fresh memory is expensive where it is first written: every page faults in and is zeroed,
/// about 10 us a page on a 2-core VM (see back_pages). Buffers sized by the frame's footprint grew
/// whenever a view's footprint did, so the first pass over a set of views paid those pages frame
/// after frame (a 1024x1024 2-rank frame took 15-23 ms instead of 2-3 in IceT's 10-view test).
/// The strategies therefore reserve message buffers for a dense part at once (sparse.h
/// `dense_message_bytes`), and a new block's pages are backed as it is allocated (`back_pages`):
/// the first frame pays for them, later frames find them.
///
/// Blocks of 2 MiB or more sit on a huge-page boundary and ask for transparent huge pages (THP
/// `madvise`, Debian's default). Between ranks of a node Open MPI copies a message with one
/// process_vm_readv (CMA), which pins and walks the sender's pages: in 2 MiB pages that walk is 512
/// times shorter, and the pixel loops miss the TLB less. A 2-rank 1024x1024 binary swap went from
/// 2.9-3.1 to 2.0-2.1 ms a frame (bench/RESULTS.md).

#include <sys/mman.h>
#include <tbb/scalable_allocator.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "libindex/frame_memory.h"

namespace libindex::compositing::detail {

struct ScalableFree {
  void operator()(void* p) const { scalable_aligned_free(p); }
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
  const size_t bytes = allocation_size(count * sizeof(T));
  void* p = scalable_aligned_malloc(bytes, frame_memory::block_alignment(bytes, 64));
  if (!p) throw std::bad_alloc();
  frame_memory::ask_for_huge_pages(p, bytes);
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  return ScalableArray<T>(static_cast<T*>(p));
}

/// Backs the pages of [p, p + bytes) now rather than as they are first written: asks the kernel
/// for them in one call where it can (MADV_POPULATE_WRITE, Linux 5.14), then writes a byte of
/// each, which on a virtual machine also makes the host back them (measured on the 2-core VM, 8
/// MiB: first writes 20 ms; populate 1.7 ms and first writes 9 ms after it; later writes 0.2 ms).
inline void back_pages(std::byte* p, size_t bytes) {
  static const size_t page = size_t(sysconf(_SC_PAGESIZE));
#ifdef MADV_POPULATE_WRITE
  const uintptr_t first = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~uintptr_t(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~uintptr_t(page - 1);
  if (end > first) (void)madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
#endif
  volatile std::byte* v = p; // the contents are undefined anyway: any byte will do
  for (size_t i = 0; i < bytes; i += page) v[i] = std::byte{0};
}

/// Bytes kept from call to call: grows to the largest size asked for, never shrinks. Sizes are
/// rounded up to a power of two (at least 256 bytes), so that sizes wandering from frame to frame
/// settle after a few frames.
struct Storage {
  ScalableArray<std::byte> data;
  size_t capacity = 0;

  /// At least `bytes` bytes; what it held is lost when it grows. A new block's first `bytes`
  /// are backed at once (the rest of the rounding only when written).
  std::byte* reserve(size_t bytes) {
    if (bytes > capacity || !data) {
      const size_t size = std::bit_ceil(std::max<size_t>(bytes, 256));
      data.reset(); // the old block first: its pages may serve the new one
      data = allocate<std::byte>(size);
      capacity = size;
      back_pages(data.get(), bytes);
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
