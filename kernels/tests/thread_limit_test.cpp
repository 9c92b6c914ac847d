// SPDX-License-Identifier: Apache-2.0
// with_thread_limit(): the parallel loops of kernels/ run at most that many bodies at once (in situ,
// a frame rendering beside the simulation must leave it its cores), and the limit ends with the call.
// FrameParams::host_duty: the tiles' threads start tiles only in the wall clock's work windows, the
// first duty of every kHostPacingPeriod, so they work about that share of the time, in the same windows
// on every rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

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

TEST(ThreadLimit, WorkWindowsAreTheFirstDutyOfEveryPeriodOfTheWallClock) {
  using std::chrono::milliseconds;
  const auto at = [](long long ms) { return std::chrono::system_clock::duration(milliseconds(ms)); };
  const long long period = kHostPacingPeriod.count();
  EXPECT_EQ(period, 100);
  EXPECT_TRUE(kernels::in_work_window(at(0), 0.1f));
  EXPECT_TRUE(kernels::in_work_window(at(9), 0.1f));
  EXPECT_FALSE(kernels::in_work_window(at(10), 0.1f));
  EXPECT_FALSE(kernels::in_work_window(at(99), 0.1f));
  EXPECT_TRUE(kernels::in_work_window(at(1'765'000'000'100), 0.1f)); // 2025-11-30 in ms: a period starts
  EXPECT_TRUE(kernels::in_work_window(at(1'765'000'000'149), 0.5f));
  EXPECT_FALSE(kernels::in_work_window(at(1'765'000'000'150), 0.5f));
}

namespace {
using Clock = std::chrono::steady_clock;
constexpr Rect kSixteenTiles{0, 0, 4 * kernels::kTile, 4 * kernels::kTile};

/// Busy for 2 ms (work, not a rest), then counts the tile; records when it started on the wall clock.
long long two_ms_tile(std::atomic<int>& marched, std::vector<std::chrono::system_clock::duration>& starts) {
  starts.push_back(std::chrono::system_clock::now().time_since_epoch()); // one thread: no race
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(2);
  while (Clock::now() < until) {}
  ++marched;
  return 1;
}
} // namespace

// At a duty of 1/10 a window is 10 ms, and tiles of 2 ms start at most 5 in one (at 0, 2, 4, 6 and
// 8 ms), so 16 tiles need 4 windows: the last starts at least 3 periods minus a window (290 ms)
// after the first; 250 is asserted, for a first tile that starts late. Sleeps never end early, so
// that lower bound holds on any machine, however busy; unpaced, the 16 tiles take 32 ms. Every
// tile starts in a window, within a generous 20 ms for a thread descheduled between the window's
// check and the tile (the old pacing, a rest of 9 times the tile's work after each, started tiles
// every 20 ms, most of them outside).
TEST(ThreadLimit, APacedFrameStartsItsTilesOnlyInTheWorkWindows) {
  for (const float share : {1.0f, 0.1f}) {
    const std::atomic<float> duty{share};
    FrameParams frame;
    frame.host_duty = &duty;
    std::atomic<int> marched{0};
    std::vector<std::chrono::system_clock::duration> starts;
    long long samples = 0;
    kernels::with_thread_limit(1, [&] {
      samples = kernels::for_each_tile(kSixteenTiles, frame, [&](Rect) { return two_ms_tile(marched, starts); });
    });
    EXPECT_EQ(marched.load(), 16);
    EXPECT_EQ(samples, 16);
    const double spread = std::chrono::duration<double>(starts.back() - starts.front()).count();
    std::printf("duty %.2f: 16 tiles of 2 ms started over %.1f ms\n", double(share), 1e3 * spread);
    if (share == 1) continue;
    EXPECT_GE(spread, 0.25) << "16 tiles of 2 ms at a duty of 1/10 fit in fewer than 4 windows";
    const auto tolerance = std::chrono::milliseconds(20);
    for (const auto start : starts)
      EXPECT_TRUE(kernels::in_work_window(start - tolerance, share) || kernels::in_work_window(start, share))
          << "a tile started " << std::chrono::duration<double, std::milli>(start % kHostPacingPeriod).count()
          << " ms into a period";
  }
}

// A tile longer than a window (a large volume's) still keeps the thread to about its share: after a
// tile of 30 ms that began in a 10 ms window (duty 1/10) and so ran at least 20 ms past its end, the
// thread rests 10 times that overrun (at least 200 ms) before the next; 3 such tiles then start at
// least 2 x 230 ms apart from first to last. Without the rest they start 70-100 ms apart (the next
// windows).
TEST(ThreadLimit, ATileLongerThanItsWindowIsPaidForWithARest) {
  const std::atomic<float> duty{0.1f};
  FrameParams frame;
  frame.host_duty = &duty;
  std::vector<std::chrono::system_clock::duration> starts;
  kernels::with_thread_limit(1, [&] {
    kernels::for_each_tile(Rect{0, 0, 3 * kernels::kTile, kernels::kTile}, frame, [&](Rect) {
      starts.push_back(std::chrono::system_clock::now().time_since_epoch());
      const Clock::time_point until = Clock::now() + std::chrono::milliseconds(30);
      while (Clock::now() < until) {}
      return 1ll;
    });
  });
  ASSERT_EQ(starts.size(), 3u);
  const double spread = std::chrono::duration<double>(starts.back() - starts.front()).count();
  EXPECT_GE(spread, 0.45) << "3 tiles of 30 ms at a duty of 1/10";
  std::printf("duty 0.10: 3 tiles of 30 ms started over %.1f ms\n", 1e3 * spread);
}

// The duty is read before every tile, not once a frame: a publisher's flush() raises it to 1 so that
// the frame the simulation now waits for finishes at full speed. Shown the other way round, which
// only needs a lower bound: the first tile lowers it from 1 to 1/10, and the other 15 then take at
// least 3 windows (2 periods minus a window, 190 ms, from the first of them to the last; 150 asserted).
TEST(ThreadLimit, ADutyChangedDuringAFrameTakesEffectAtTheNextTile) {
  std::atomic<float> duty{1.0f};
  FrameParams frame;
  frame.host_duty = &duty;
  std::atomic<int> marched{0};
  std::vector<std::chrono::system_clock::duration> starts;
  kernels::with_thread_limit(1, [&] {
    kernels::for_each_tile(kSixteenTiles, frame, [&](Rect) {
      if (marched.load() == 0) duty.store(0.1f);
      return two_ms_tile(marched, starts);
    });
  });
  EXPECT_EQ(marched.load(), 16);
  const double spread = std::chrono::duration<double>(starts.back() - starts[1]).count();
  EXPECT_GE(spread, 0.15) << "the duty lowered during the first tile was not used";
  std::printf("duty 1 -> 0.1 after the first tile: the other 15 tiles started over %.1f ms\n", 1e3 * spread);
}
