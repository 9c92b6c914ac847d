// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The host's cores march an image in tiles: one per parallel item, counted into the frame's
/// progress, and skipped once the frame is cancelled. The CPU backend and the mix share it.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "libindex/frame.h"
#include "libindex/image.h"
#include "parallel.h"

namespace libindex::kernels {

/// Pixels per tile edge: enough rays to amortize a task, few enough to balance the cores.
constexpr int kTile = 16;

/// Calls march_tile(tile) for every tile of `r`, in parallel, and returns the sum of what it
/// returns (samples). Each tile counts into frame.progress; once frame.cancel reads true the
/// remaining tiles are skipped (a tile takes milliseconds, so a cancelled frame ends within a few).
/// With frame.host_duty below 1, each thread rests after a tile for as long as keeps its share of
/// the time at host_duty: (1 - d) / d times the tile's own time.
template <class MarchTile>
long long for_each_tile(Rect r, const FrameParams& frame, const MarchTile& march_tile) {
  using Clock = std::chrono::steady_clock;
  const int tiles_x = (r.width() + kTile - 1) / kTile, tiles_y = (r.height() + kTile - 1) / kTile;
  if (frame.progress) frame.progress->total += (long long)tiles_x * tiles_y;
  const bool paced = frame.host_duty > 0 && frame.host_duty < 1;
  const double rest_per_work = paced ? (1.0 - frame.host_duty) / frame.host_duty : 0.0;
  std::atomic<unsigned long long> total{0};
  parallel_for(tiles_x * tiles_y, [&](int tile) {
    if (frame.cancel && frame.cancel->load(std::memory_order_relaxed)) return;
    const Clock::time_point start = paced ? Clock::now() : Clock::time_point{};
    const int x0 = r.x0 + (tile % tiles_x) * kTile, y0 = r.y0 + (tile / tiles_x) * kTile;
    total += march_tile(Rect{x0, y0, std::min(x0 + kTile, r.x1), std::min(y0 + kTile, r.y1)});
    if (frame.progress) frame.progress->done.fetch_add(1, std::memory_order_relaxed);
    if (paced) std::this_thread::sleep_for((Clock::now() - start) * rest_per_work);
  });
  return (long long)total.load();
}

} // namespace libindex::kernels
