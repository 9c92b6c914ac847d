// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file How far apart the ranks' wall clocks are: paced render threads work in windows of the wall
/// clock that are meant to fall at the same moments on every rank (FrameParams::host_duty).

#include <mpi.h>

namespace libindex::mpi {

/// How far apart the ranks' wall clocks (std::chrono::system_clock) are at least, in seconds, on
/// every rank. Rank 0 times a few round trips to each other rank, as NTP does: the other rank's
/// reading minus the round trip's midpoint is its clock's offset, give or take half the round trip,
/// so the answer is the largest offset's lower end minus the smallest's upper end (0 when they
/// overlap). A rank descheduled on a busy node widens its round trip, not the answer: ranks of one
/// node come out 0 or nearly. Collective over comm; N - 1 round trips of a few tries, one at a time.
/// `read_clock` (seconds) stands for the wall clock in tests.
double wall_clock_spread_seconds(MPI_Comm comm, double (*read_clock)() = nullptr);

} // namespace libindex::mpi
