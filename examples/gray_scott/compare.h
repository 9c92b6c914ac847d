// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file --compare B: the cost of watching a run, measured within the run. Blocks of B steps
/// alternate, with visualization and without. Two runs of the same binary on a shared machine can
/// differ by more than the few percent being measured (memory placement, the neighbours' load);
/// two neighbouring blocks of one run mostly do not, so the blocks are compared in pairs.

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <vector>

class BlockComparison {
 public:
  explicit BlockComparison(long long block_steps) : block_steps_(block_steps) {}

  /// Whether step `step` (0-based) lies in a block with visualization: the first block is one.
  bool watching(long long step) const { return (step / block_steps_) % 2 == 0; }
  /// Whether an update follows step `step`: after a watched block's first step (so that a frame
  /// renders from the block's start), then every `every` steps.
  bool update_after(long long step, int every) const { return watching(step) && (step % block_steps_) % every == 0; }
  /// Whether step `step` ends its block.
  bool ends_block(long long step) const { return (step + 1) % block_steps_ == 0; }

  /// Adds `seconds` of timed work (steps and updates) to the block in progress.
  void add(double seconds) { current_ += seconds; }
  void end_block() { blocks_.push_back(current_), current_ = 0; }

  /// Collective over `comm`: the slowest rank's time of each block; the rank with `print` prints what
  /// a step costs with and without visualization. The first pair is left out (it starts the server,
  /// builds the first frame's state and warms the caches).
  void report(MPI_Comm comm, bool print) {
    std::vector<double> slowest(blocks_.size());
    MPI_Allreduce(blocks_.data(), slowest.data(), int(blocks_.size()), MPI_DOUBLE, MPI_MAX, comm);
    if (!print) return;
    std::vector<double> with, without, pair_overhead;
    for (size_t pair = 1; 2 * pair + 1 < slowest.size(); ++pair) {
      const double on = slowest[2 * pair] / double(block_steps_), off = slowest[2 * pair + 1] / double(block_steps_);
      with.push_back(on), without.push_back(off), pair_overhead.push_back(on / off - 1);
    }
    if (with.empty()) {
      std::printf("gray_scott: --compare: fewer than two pairs of blocks, nothing to compare\n");
      return;
    }
    const double on = median(with), off = median(without);
    std::sort(pair_overhead.begin(), pair_overhead.end());
    std::printf("gray_scott: --compare %lld: %zu pairs of blocks (the first left out); a step costs %.3f ms "
                "with visualization, updates included, %.3f ms without (medians of the blocks): %+.1f %%\n",
                block_steps_, with.size(), 1e3 * on, 1e3 * off, 100 * (on / off - 1));
    std::printf("gray_scott: --compare: overhead by pair: median %+.1f %%, from %+.1f %% to %+.1f %%\n",
                100 * median(pair_overhead), 100 * pair_overhead.front(), 100 * pair_overhead.back());
  }

 private:
  static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }

  long long block_steps_;
  double current_ = 0;
  std::vector<double> blocks_; ///< this rank's timed seconds per finished block, in order
};
