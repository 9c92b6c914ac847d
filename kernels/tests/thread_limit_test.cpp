// SPDX-License-Identifier: Apache-2.0
// with_thread_limit(): the parallel loops of kernels/ run at most that many bodies at once (in situ,
// a frame rendering beside the simulation must leave it its cores), and the limit ends with the call.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "../src/parallel.h"
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
