// SPDX-License-Identifier: Apache-2.0
/// \file gather_strings under mpirun (CTest: 1, 3 and 4 ranks): each rank sends a string whose
/// length and bytes depend on its rank (rank 1's is empty, one is longer than the 256 bytes the
/// old fixed-width gathers kept); the root, rank 0 or the last, gets every one, in rank order.

#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "libindex/mpi/check.h"
#include "libindex/mpi/gather.h"

using namespace libindex;

namespace {

std::string text_of(int rank) {
  if (rank == 1) return "";
  std::string s = "rank " + std::to_string(rank) + ":";
  s.append(size_t(rank) * 150, char('a' + rank % 26)); // rank 2: 300 bytes past the label
  s.push_back('\0');                                   // bytes, not C strings: an inner NUL survives
  s += "end";
  return s;
}

} // namespace

TEST(GatherStrings, EveryRanksStringReachesTheRootInRankOrder) {
  const int rank = mpi::comm_rank(MPI_COMM_WORLD), ranks = mpi::comm_size(MPI_COMM_WORLD);
  for (int root : {0, ranks - 1}) {
    const std::vector<std::string> all = mpi::gather_strings(MPI_COMM_WORLD, text_of(rank), root);
    if (rank != root) {
      EXPECT_TRUE(all.empty());
      continue;
    }
    ASSERT_EQ(all.size(), size_t(ranks));
    for (int r = 0; r < ranks; ++r) EXPECT_EQ(all[size_t(r)], text_of(r)) << "rank " << r;
  }
}

TEST(GatherStrings, ProcessorNameIsThisHost) { EXPECT_FALSE(mpi::processor_name().empty()); }
