// SPDX-License-Identifier: Apache-2.0
#include "libindex/frame_memory.h"

#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>

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
};

Kept& kept() {
  static Kept* k = new Kept; // never destroyed: blocks may be given back during static destruction
  return *k;
}

std::size_t rounded(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

} // namespace

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
  }
  void* memory = std::aligned_alloc(kAlignment, rounded(bytes == 0 ? 1 : bytes));
  if (!memory) throw std::bad_alloc();
  return memory;
}

void give(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  if (bytes < kSmallest || bytes > kMostBytes) return std::free(block);
  Kept& k = kept();
  std::lock_guard lock(k.mutex);
  while (!k.blocks.empty() && (k.blocks.size() >= kMostBlocks || k.bytes + bytes > kMostBytes)) {
    std::free(k.blocks.front().memory);
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

} // namespace libindex::frame_memory
