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

using WallClock = std::chrono::system_clock;
/// How long a paced thread naps at most before it reads its duty again: raised to 1 (or the frame
/// cancelled), a wait or rest ends within a nap, so a frame the simulation now waits for does not
/// sleep on.
constexpr WallClock::duration kPacingNap = std::chrono::milliseconds(5);

/// The duty `duty` holds while it paces (between 0 and 1, the frame not cancelled); else 0.
inline float pacing_duty(const std::atomic<float>& duty, const std::atomic<bool>* cancel) {
  const float d = duty.load(std::memory_order_relaxed);
  return d > 0 && d < 1 && !(cancel && cancel->load(std::memory_order_relaxed)) ? d : 0.0f;
}

/// Where the work window that holds or precedes `since_epoch` (the wall clock) ends, at `duty`.
inline WallClock::duration work_window_end(WallClock::duration since_epoch, float duty) {
  return since_epoch - since_epoch % kHostPacingPeriod +
         std::chrono::duration_cast<WallClock::duration>(host_work_window(duty));
}

/// A paced thread (FrameParams::host_duty d below 1) works only in windows of the wall clock: the
/// first d * kHostPacingPeriod of every kHostPacingPeriod since the epoch (libindex/frame.h). Every
/// rank of every node has the same windows (NTP keeps a cluster's clocks within about a millisecond;
/// the in-situ publisher says when they are further apart), so a simulation whose ranks wait for each
/// other every step loses the same windows on all of them: paced at moments of their own, each
/// rank's render thread would hold the whole job up in its own windows, N ranks' windows adding up
/// (gray_scott at 4 ranks: +30-38 % a step instead of +3-14 %, bench/RESULTS.md).
/// Whether `since_epoch` (the wall clock) lies in a work window at `duty` (0 < duty < 1).
inline bool in_work_window(WallClock::duration since_epoch, float duty) {
  return since_epoch < work_window_end(since_epoch, duty);
}

/// Returns once the wall clock is in a work window at the duty (at once when it does not pace),
/// napping kPacingNap at most.
inline void wait_for_work_window(const std::atomic<float>& duty, const std::atomic<bool>* cancel) {
  for (float d = pacing_duty(duty, cancel); d > 0; d = pacing_duty(duty, cancel)) {
    const WallClock::duration now = WallClock::now().time_since_epoch();
    if (in_work_window(now, d)) return;
    std::this_thread::sleep_for(std::min<WallClock::duration>(kPacingNap, kHostPacingPeriod - now % kHostPacingPeriod));
  }
}

/// After a paced tile that began at `start` and ran past its window's end (a large volume's tile
/// may take longer than a window), rests 1 / duty times the overrun, napping kPacingNap at most,
/// so that the thread still works no more than its share of the time over a few periods.
inline void rest_after_overrun(WallClock::duration start, const std::atomic<float>& duty,
                               const std::atomic<bool>* cancel) {
  const float d0 = pacing_duty(duty, cancel);
  if (d0 == 0) return;
  const WallClock::duration overrun = WallClock::now().time_since_epoch() - work_window_end(start, d0);
  if (overrun <= WallClock::duration::zero()) return;
  const WallClock::time_point until =
      WallClock::now() + std::chrono::duration_cast<WallClock::duration>(overrun / double(d0));
  for (WallClock::time_point now = WallClock::now(); now < until && pacing_duty(duty, cancel) > 0;
       now = WallClock::now())
    std::this_thread::sleep_for(std::min<WallClock::duration>(kPacingNap, until - now));
}

/// Calls march_tile(tile) for every tile of `r`, in parallel, and returns the sum of what it
/// returns (samples). Each tile counts into frame.progress; once frame.cancel reads true the
/// remaining tiles are skipped (a tile takes milliseconds, so a cancelled frame ends within a few).
/// With frame.host_duty below 1, a thread starts a tile only in a work window (wait_for_work_window),
/// and rests after one that overran its window (rest_after_overrun).
template <class MarchTile>
long long for_each_tile(Rect r, const FrameParams& frame, const MarchTile& march_tile) {
  const int tiles_x = (r.width() + kTile - 1) / kTile, tiles_y = (r.height() + kTile - 1) / kTile;
  if (frame.progress) frame.progress->total += (long long)tiles_x * tiles_y;
  std::atomic<unsigned long long> total{0};
  parallel_for(tiles_x * tiles_y, [&](int tile) {
    if (frame.host_duty) wait_for_work_window(*frame.host_duty, frame.cancel);
    if (frame.cancel && frame.cancel->load(std::memory_order_relaxed)) return;
    const WallClock::duration start = frame.host_duty ? WallClock::now().time_since_epoch() : WallClock::duration{};
    const int x0 = r.x0 + (tile % tiles_x) * kTile, y0 = r.y0 + (tile / tiles_x) * kTile;
    total += march_tile(Rect{x0, y0, std::min(x0 + kTile, r.x1), std::min(y0 + kTile, r.y1)});
    if (frame.progress) frame.progress->done.fetch_add(1, std::memory_order_relaxed);
    if (frame.host_duty) rest_after_overrun(start, *frame.host_duty, frame.cancel);
  });
  return (long long)total.load();
}

} // namespace libindex::kernels
