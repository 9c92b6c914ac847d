// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Memory for frame-sized buffers (images of 16 bytes a pixel, bricks of a time step) that
/// outlives each frame: a freed block of a megabyte or more is kept for the next request of the
/// same size. A frame of
/// 2048x1536 is 50 MB; malloc maps such a block afresh every frame and unmaps it when freed, and
/// touching it again costs a page fault every 4 KiB (about 150 ms a frame on a VM, more than the
/// rendering). Frames come in few sizes, so a handful of kept blocks ends that.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace libindex {

namespace frame_memory {
/// `bytes` of memory aligned to 64 bytes: a kept block of exactly that size when there is one.
/// Throws std::bad_alloc, whose what() says how many GiB were asked for.
void* take(std::size_t bytes);
/// Gives back a block from take: kept (at most a few blocks, 1 GiB in all; the oldest goes first)
/// when it is large, freed otherwise.
void give(void* block, std::size_t bytes) noexcept;
/// Bytes in kept blocks now (for tests and statistics).
std::size_t kept_bytes() noexcept;

/// Blocks of this size or more should start on a huge-page boundary (x86-64's and AArch64's with a
/// 4 KiB granule) and ask for transparent huge pages: see ask_for_huge_pages.
inline constexpr std::size_t huge_page_bytes = std::size_t(2) << 20;
/// The alignment a block of `bytes` should have: huge_page_bytes for those that ask for huge pages,
/// else `small`.
constexpr std::size_t block_alignment(std::size_t bytes, std::size_t small) {
  return bytes >= huge_page_bytes ? huge_page_bytes : small;
}
/// Asks the kernel for transparent huge pages for a block of `bytes` or more at `block` (aligned by
/// block_alignment), when it is that large; advice only (THP `madvise`, Debian's default, or
/// `always`): where the kernel declines, 4 KiB pages. Filling such a block takes 512 times fewer
/// page faults, its reads miss the TLB less, and MPI's single copy between processes of a node pins
/// and walks 512 times fewer pages.
void ask_for_huge_pages(void* block, std::size_t bytes) noexcept;

/// Where blocks of a megabyte to a gigabyte (those that are kept) come from from now on: `allocate` (nullptr when it
/// cannot: the block then comes from malloc), returned to `release`, at most `limit` bytes of them at once; allocate =
/// nullptr: malloc again. The CUDA backend asks for page-locked memory, so images and bricks go to and from the GPU at
/// full speed and asynchronously. Blocks kept from before are dropped, so new frames get the new kind. False (nothing
/// changes but the limit) while frames still hold blocks of another allocator.
bool use_host_allocator(void* (*allocate)(std::size_t bytes), void (*release)(void* block), std::size_t limit);
/// Bytes now held in blocks from that allocator (for tests and statistics).
std::size_t allocator_bytes() noexcept;
} // namespace frame_memory

/// A std::allocator-like allocator over frame_memory, for std::vector.
template <class T>
struct FrameAllocator {
  using value_type = T;
  FrameAllocator() = default;
  template <class U>
  FrameAllocator(const FrameAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(frame_memory::take(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { frame_memory::give(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const FrameAllocator<U>&) const noexcept {
    return true;
  }
};

/// `Base` (an allocator), except that a vector's new elements are default-initialized instead of
/// value-initialized: bytes and other trivial types are left as the memory held them. For buffers
/// their owner fills whole (writing zeros first would cost a pass over them, and their page faults
/// on one thread).
template <class Base>
struct UninitializedAllocator : Base {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<typename std::allocator_traits<Base>::template rebind_alloc<U>>;
  };
  UninitializedAllocator() = default;
  template <class Other>
  UninitializedAllocator(const UninitializedAllocator<Other>& other) noexcept : Base(other) {}
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

} // namespace libindex
