// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file parallel_for over [0, n) with TBB when the build has it, else std::thread: kernels/ must build
/// with nothing but a compiler (and CUDA), TBB optional. One call of `body` per index, always.

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "libindex/config.h"
#if LIBINDEX_WITH_TBB
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#endif

namespace libindex::kernels {

/// with_thread_limit()'s limit for this thread when built without TBB (with TBB, an arena's); 0: none.
inline thread_local int t_thread_limit = 0;

template <class Body>
void parallel_for(int n, const Body& body) {
#if LIBINDEX_WITH_TBB
  tbb::parallel_for(0, n, [&](int i) { body(i); });
#else
  int threads = std::max(1, std::min<int>(n, int(std::thread::hardware_concurrency())));
  if (t_thread_limit > 0) threads = std::min(threads, t_thread_limit);
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
  const int all = std::max(1, int(std::thread::hardware_concurrency()));
  return t_thread_limit > 0 ? std::min(all, t_thread_limit) : all;
#endif
}

inline void with_thread_limit_impl(int threads, const std::function<void()>& work) {
  if (threads <= 0) return work();
#if LIBINDEX_WITH_TBB
  tbb::task_arena arena(threads); // nested parallel loops run in the arena: at most `threads` at once
  arena.execute(work);
#else
  const int before = t_thread_limit;
  t_thread_limit = threads;
  try {
    work();
  } catch (...) {
    t_thread_limit = before;
    throw;
  }
  t_thread_limit = before;
#endif
}

} // namespace libindex::kernels
