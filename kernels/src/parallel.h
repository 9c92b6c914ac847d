// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file parallel_for over [0, n) with TBB when the build has it, else std::thread: kernels/ must build
/// with nothing but a compiler (and CUDA), TBB optional. One call of `body` per index, always.

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "libindex/config.h"
#if LIBINDEX_WITH_TBB
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#endif

namespace libindex::kernels {

template <class Body>
void parallel_for(int n, const Body& body) {
#if LIBINDEX_WITH_TBB
  tbb::parallel_for(0, n, [&](int i) { body(i); });
#else
  const int threads = std::max(1, std::min<int>(n, int(std::thread::hardware_concurrency())));
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) body(i);
    });
  for (auto& th : pool) th.join();
#endif
}

inline int worker_threads() {
#if LIBINDEX_WITH_TBB
  // A tbb::global_control limit (benchmarks' one-core runs, hosts that cap threads) counts too.
  return std::min<int>(tbb::this_task_arena::max_concurrency(),
                       int(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)));
#else
  return std::max(1, int(std::thread::hardware_concurrency()));
#endif
}

} // namespace libindex::kernels
