// SPDX-License-Identifier: Apache-2.0
// with_thread_limit(): the parallel loops of kernels/ run at most that many bodies at once (in situ,
// a frame rendering beside the simulation must leave it its cores), and the limit ends with the call.
// FrameParams::host_duty: the tiles' threads rest so they work at most that share of the time.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "../src/parallel.h"
#include "../src/tiles.h"
#include "libindex/kernels/backend.h"

using namespace libindex;

namespace {
/// The most bodies of one parallel_for that ran at the same time.
int most_at_once() {
  std::atomic<int> running{0}, most{0};
  kernels::parallel_for(64, [&](int) {
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {}
    std::this_thread::sleep_for(std::chrono::milliseconds(1)); // long enough for others to overlap
    --running;
  });
  return most.load();
}
} // namespace

TEST(ThreadLimit, OneThreadRunsOneBodyAtATime) {
  int inside = 0, workers = 0;
  kernels::with_thread_limit(1, [&] {
    inside = most_at_once();
    workers = kernels::worker_threads();
  });
  EXPECT_EQ(inside, 1);
  EXPECT_EQ(workers, 1);
  // Afterwards the whole machine again.
  EXPECT_EQ(kernels::worker_threads(), std::max(1, int(std::thread::hardware_concurrency())));
}

TEST(ThreadLimit, ZeroMeansNoLimitAndExceptionsPassThrough) {
  int workers = 0;
  kernels::with_thread_limit(0, [&] { workers = kernels::worker_threads(); });
  EXPECT_EQ(workers, kernels::worker_threads());
  EXPECT_THROW(kernels::with_thread_limit(1, [] { throw std::runtime_error("from the work"); }), std::runtime_error);
  EXPECT_EQ(kernels::worker_threads(), std::max(1, int(std::thread::hardware_concurrency())));
}

// Every tile takes at least 2 ms of work; with a duty of 1/4 its thread then rests at least 3 times
// as long. Sleeps never end early, so the paced frame takes at least 4 times its tiles' work: a lower
// bound that holds on any machine, however busy. Each tile is still marched once.
TEST(ThreadLimit, APacedFrameRestsThreeTimesItsWorkAtADutyOfAQuarter) {
  using Clock = std::chrono::steady_clock;
  const Rect frame_rect{0, 0, 4 * kernels::kTile, 2 * kernels::kTile}; // 8 tiles
  const auto work = std::chrono::milliseconds(2);
  const auto march = [&](std::atomic<int>& marched) {
    return [&, work](Rect) {
      const Clock::time_point until = Clock::now() + work;
      while (Clock::now() < until) {} // busy: work, not a rest
      ++marched;
      return 1ll;
    };
  };
  for (const float share : {1.0f, 0.25f}) {
    const std::atomic<float> duty{share};
    FrameParams frame;
    frame.host_duty = &duty;
    std::atomic<int> marched{0};
    long long samples = 0;
    const Clock::time_point start = Clock::now();
    kernels::with_thread_limit(1, [&] { samples = kernels::for_each_tile(frame_rect, frame, march(marched)); });
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(marched.load(), 8);
    EXPECT_EQ(samples, 8);
    if (share < 1) {
      EXPECT_GE(seconds, 8 * 0.002 / share) << "8 tiles of 2 ms at a duty of " << share;
    }
    std::printf("duty %.2f: 8 tiles of 2 ms in %.1f ms\n", double(share), 1e3 * seconds);
  }
}

// The duty is read after every tile, not once a frame: a publisher's flush() raises it to 1 so that
// the frame the simulation now waits for finishes at full speed. Shown the other way round, which
// only needs a lower bound: the first tile lowers it from 1 to 1/4, and all 8 tiles then rest.
TEST(ThreadLimit, ADutyChangedDuringAFrameTakesEffectAtTheNextTile) {
  using Clock = std::chrono::steady_clock;
  const Rect frame_rect{0, 0, 4 * kernels::kTile, 2 * kernels::kTile}; // 8 tiles
  std::atomic<float> duty{1.0f};
  FrameParams frame;
  frame.host_duty = &duty;
  std::atomic<int> marched{0};
  const Clock::time_point start = Clock::now();
  kernels::with_thread_limit(1, [&] {
    kernels::for_each_tile(frame_rect, frame, [&](Rect) {
      if (marched++ == 0) duty.store(0.25f);
      const Clock::time_point until = Clock::now() + std::chrono::milliseconds(2);
      while (Clock::now() < until) {}
      return 1ll;
    });
  });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(marched.load(), 8);
  EXPECT_GE(seconds, 8 * 0.002 / 0.25) << "the duty lowered during the first tile was not used";
  std::printf("duty 1 -> 0.25 after the first tile: 8 tiles of 2 ms in %.1f ms\n", 1e3 * seconds);
}
