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
/// the time at that duty d: (1 - d) / d times the tile's own time (rest_after).
/// A paced thread's rest after `work`: (1 - d) / d times as long at duty d, in naps of at most a
/// few milliseconds that read d again: raised to 1 (or the frame cancelled), the rest ends within
/// a nap, so a frame the simulation now waits for does not sleep on.
inline void rest_after(std::chrono::steady_clock::duration work, const std::atomic<float>& duty,
                       const std::atomic<bool>* cancel) {
  using Duration = std::chrono::steady_clock::duration;
  constexpr Duration kNap = std::chrono::milliseconds(5);
  Duration rested{0};
  for (;;) {
    const float d = duty.load(std::memory_order_relaxed);
    if (!(d > 0 && d < 1) || (cancel && cancel->load(std::memory_order_relaxed))) return;
    const double owed =
        std::chrono::duration<double>(work).count() * double(1 - d) / d - std::chrono::duration<double>(rested).count();
    if (owed <= 0) return;
    const Duration nap = std::min(kNap, std::chrono::duration_cast<Duration>(std::chrono::duration<double>(owed)));
    if (nap <= Duration::zero()) return;
    std::this_thread::sleep_for(nap); // never shorter than asked: the rest is at least what is owed
    rested += nap;
  }
}

template <class MarchTile>
long long for_each_tile(Rect r, const FrameParams& frame, const MarchTile& march_tile) {
  using Clock = std::chrono::steady_clock;
  const int tiles_x = (r.width() + kTile - 1) / kTile, tiles_y = (r.height() + kTile - 1) / kTile;
  if (frame.progress) frame.progress->total += (long long)tiles_x * tiles_y;
  std::atomic<unsigned long long> total{0};
  parallel_for(tiles_x * tiles_y, [&](int tile) {
    if (frame.cancel && frame.cancel->load(std::memory_order_relaxed)) return;
    const Clock::time_point start = frame.host_duty ? Clock::now() : Clock::time_point{};
    const int x0 = r.x0 + (tile % tiles_x) * kTile, y0 = r.y0 + (tile / tiles_x) * kTile;
    total += march_tile(Rect{x0, y0, std::min(x0 + kTile, r.x1), std::min(y0 + kTile, r.y1)});
    if (frame.progress) frame.progress->done.fetch_add(1, std::memory_order_relaxed);
    if (frame.host_duty) rest_after(Clock::now() - start, *frame.host_duty, frame.cancel);
  });
  return (long long)total.load();
}

} // namespace libindex::kernels
