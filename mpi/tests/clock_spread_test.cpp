// SPDX-License-Identifier: Apache-2.0
/// \file wall_clock_spread_seconds under mpirun (CTest: 1, 3 and 4 ranks on one node, one clock).

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "libindex/mpi/check.h"
#include "libindex/mpi/clock_spread.h"

using namespace libindex;

namespace {
int g_rank = 0;
/// How far rank r's test clock is set from the wall clock: a tenth of a second per rank, forward
/// for even ranks and back for odd ones, so that the spread has ends on both sides of rank 0's.
double offset_of(int r) { return (r % 2 ? -0.1 : 0.1) * r; }
double clock_set_apart() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() + offset_of(g_rank);
}
} // namespace

// One rank's spread is exactly 0; on one node it is the barrier's exit skew, never negative, and
// every rank gets the same value. The bound of an hour is not a time limit: a formula that added
// or mixed up the readings would give decades (seconds since 1970).
TEST(ClockSpread, RanksOfOneNodeAgreeAndEveryRankGetsTheSameSpread) {
  const double spread = mpi::wall_clock_spread_seconds(MPI_COMM_WORLD);
  if (mpi::comm_size(MPI_COMM_WORLD) == 1) {
    EXPECT_EQ(spread, 0.0);
  }
  EXPECT_GE(spread, 0.0);
  EXPECT_LT(spread, 3600.0);
  double largest_and_smallest[2] = {spread, -spread};
  LIBINDEX_MPI_CHECK(MPI_COMM_WORLD,
                     MPI_Allreduce(MPI_IN_PLACE, largest_and_smallest, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  EXPECT_EQ(largest_and_smallest[0], -largest_and_smallest[1]) << "ranks got different spreads";
  if (mpi::comm_rank(MPI_COMM_WORLD) == 0) std::printf("spread of the ranks' clocks: %.1f us\n", 1e6 * spread);
}

// Clocks set apart (rank 1 0.1 s back, rank 2 0.2 s forward, rank 3 0.3 s back): the spread is at
// most the true one (0.3 s at 3 ranks, 0.5 s at 4) and short of it by at most half a round trip
// between two ranks (microseconds here; 50 ms allowed for a busy node).
TEST(ClockSpread, ClocksSetApartAreFoundApart) {
  g_rank = mpi::comm_rank(MPI_COMM_WORLD);
  double most = 0, least = 0;
  for (int r = 0; r < mpi::comm_size(MPI_COMM_WORLD); ++r)
    most = std::max(most, offset_of(r)), least = std::min(least, offset_of(r));
  const double truth = most - least;
  const double spread = mpi::wall_clock_spread_seconds(MPI_COMM_WORLD, clock_set_apart);
  EXPECT_LE(spread, truth + 1e-6);
  EXPECT_GE(spread, truth - 0.05);
}
