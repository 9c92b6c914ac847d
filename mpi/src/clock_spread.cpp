// SPDX-License-Identifier: Apache-2.0
#include "libindex/mpi/clock_spread.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "libindex/mpi/check.h"

namespace libindex::mpi {
namespace {
double system_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
} // namespace

double wall_clock_spread_seconds(MPI_Comm comm, double (*read_clock)()) {
  constexpr int kTries = 5, kTag = 0x11c5;
  const auto wall_seconds = read_clock ? read_clock : &system_seconds;
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  // Rank 0's own clock is offset 0, exactly; the others' offsets are intervals.
  double highest_low = 0, lowest_high = 0;
  for (int other = 1; other < ranks; ++other) {
    if (rank == 0) {
      double best_round_trip = std::numeric_limits<double>::infinity(), offset = 0;
      for (int t = 0; t < kTries; ++t) {
        const double sent = wall_seconds();
        double theirs = 0;
        LIBINDEX_MPI_CHECK(comm, MPI_Send(nullptr, 0, MPI_BYTE, other, kTag, comm));
        LIBINDEX_MPI_CHECK(comm, MPI_Recv(&theirs, 1, MPI_DOUBLE, other, kTag, comm, MPI_STATUS_IGNORE));
        const double received = wall_seconds(), round_trip = received - sent;
        if (round_trip < best_round_trip) best_round_trip = round_trip, offset = theirs - 0.5 * (sent + received);
      }
      highest_low = std::max(highest_low, offset - 0.5 * best_round_trip);
      lowest_high = std::min(lowest_high, offset + 0.5 * best_round_trip);
    } else if (rank == other) {
      for (int t = 0; t < kTries; ++t) {
        LIBINDEX_MPI_CHECK(comm, MPI_Recv(nullptr, 0, MPI_BYTE, 0, kTag, comm, MPI_STATUS_IGNORE));
        const double mine = wall_seconds();
        LIBINDEX_MPI_CHECK(comm, MPI_Send(&mine, 1, MPI_DOUBLE, 0, kTag, comm));
      }
    }
  }
  double spread = std::max(0.0, highest_low - lowest_high);
  LIBINDEX_MPI_CHECK(comm, MPI_Bcast(&spread, 1, MPI_DOUBLE, 0, comm));
  return spread;
}

} // namespace libindex::mpi
