// SPDX-License-Identifier: Apache-2.0
#include "libindex/frame_memory.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

namespace libindex::frame_memory {
namespace {

constexpr std::size_t kSmallest = std::size_t(1) << 20; ///< smaller blocks go back to malloc at once
constexpr std::size_t kMostBlocks = 8;                  ///< a frame's images, the bricks of a time step and the next
constexpr std::size_t kMostBytes = std::size_t(1) << 30;
constexpr std::size_t kAlignment = 64;

struct Block {
  void* memory;
  std::size_t bytes;
};

struct Kept {
  std::mutex mutex;
  std::deque<Block> blocks; ///< oldest first
  std::size_t bytes = 0;
  // use_host_allocator's: the blocks it gave (to give them back to it) and their bytes.
  void* (*allocate)(std::size_t) = nullptr;
  void (*release)(void*) = nullptr;
  std::size_t limit = 0, allocated = 0;
  std::unordered_map<void*, std::size_t> from_allocator;
};

Kept& kept() {
  static Kept* k = new Kept; // never destroyed: blocks may be given back during static destruction
  return *k;
}

std::size_t rounded(std::size_t bytes, std::size_t alignment = kAlignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

/// Frees a block that is not kept, to whichever allocated it. Holds k.mutex.
void release(Kept& k, void* block) {
  const auto it = k.from_allocator.find(block);
  if (it == k.from_allocator.end()) return std::free(block);
  k.allocated -= it->second;
  k.from_allocator.erase(it);
  k.release(block);
}

/// std::bad_alloc that says how much was asked for: it reaches users as a frame's one-line error
/// ("rank 0: out of memory: ...") where a bare "std::bad_alloc" would leave them guessing.
class BlockNotAllocated final : public std::bad_alloc {
 public:
  explicit BlockNotAllocated(std::size_t bytes) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "out of memory: %.3g GiB could not be allocated on this rank (more ranks make smaller bricks "
                  "and images)",
                  double(bytes) / double(std::size_t(1) << 30));
    message_ = text;
  }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// A block of `bytes` from malloc, in huge pages when it is large (ask_for_huge_pages): a fresh 1 GiB
/// brick was zeroed in 0.09-1.5 s instead of 2.5 s on the development VM, and random reads all over
/// it (a ray's gathers) took 10 % less time.
void* allocate_block(std::size_t bytes) {
  const std::size_t alignment = block_alignment(bytes, kAlignment);
  const std::size_t length = rounded(bytes, alignment);
  void* memory = std::aligned_alloc(alignment, length == 0 ? alignment : length);
  if (!memory) throw BlockNotAllocated(bytes);
  ask_for_huge_pages(memory, length);
  return memory;
}

} // namespace

void ask_for_huge_pages(void* block, std::size_t bytes) noexcept {
#ifdef MADV_HUGEPAGE
  if (bytes >= huge_page_bytes) (void)madvise(block, bytes, MADV_HUGEPAGE);
#else
  (void)block, (void)bytes;
#endif
}

void* take(std::size_t bytes) {
  if (bytes >= kSmallest) {
    Kept& k = kept();
    std::lock_guard lock(k.mutex);
    for (auto it = k.blocks.begin(); it != k.blocks.end(); ++it)
      if (it->bytes == bytes) {
        void* memory = it->memory;
        k.bytes -= bytes;
        k.blocks.erase(it);
        return memory;
      }
    // Only blocks that are kept for reuse: allocating page-locked memory costs more than malloc.
    if (k.allocate && bytes <= kMostBytes && k.allocated + bytes <= k.limit)
      if (void* memory = k.allocate(rounded(bytes))) {
        k.from_allocator.emplace(memory, bytes);
        k.allocated += bytes;
        return memory;
      }
  }
  return allocate_block(bytes);
}

void give(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  if (bytes < kSmallest) return std::free(block);
  Kept& k = kept();
  std::lock_guard lock(k.mutex);
  if (bytes > kMostBytes) return release(k, block);
  while (!k.blocks.empty() && (k.blocks.size() >= kMostBlocks || k.bytes + bytes > kMostBytes)) {
    release(k, k.blocks.front().memory);
    k.bytes -= k.blocks.front().bytes;
    k.blocks.pop_front();
  }
  k.blocks.push_back({block, bytes});
  k.bytes += bytes;
}

std::size_t kept_bytes() noexcept {
  Kept& k = kept();
  std::lock_guard lock(k.mutex);
  return k.bytes;
}

bool use_host_allocator(void* (*allocate)(std::size_t), void (*release_block)(void*), std::size_t limit) {
  Kept& k = kept();
  std::lock_guard lock(k.mutex);
  if (k.allocate == allocate && k.release == release_block) {
    k.limit = limit;
    return true;
  }
  for (const Block& b : k.blocks) release(k, b.memory); // kept blocks of the old kind
  k.blocks.clear();
  k.bytes = 0;
  if (k.allocated > 0) return false; // frames still hold the current allocator's blocks
  k.allocate = allocate, k.release = release_block, k.limit = allocate ? limit : 0;
  return true;
}

std::size_t allocator_bytes() noexcept {
  Kept& k = kept();
  std::lock_guard lock(k.mutex);
  return k.allocated;
}

} // namespace libindex::frame_memory
