// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file How ops travel from the head to every rank: a broadcast whose receivers sleep while they
/// wait. OpenMPI's blocking collectives poll a core at 100 % while waiting; a viewer with no client,
/// or ranks beside a simulation, must cost nothing. So every op is an MPI_Ibcast of a fixed block
/// that the receivers test with a backing-off sleep (at most kMaxSleep between tests, so a new op is
/// seen within a few milliseconds); the rare op longer than the block (a changed scene spec) sends
/// the rest in a second broadcast.

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "libindex/frame_op.h"

namespace libindex {

class OpChannel {
 public:
  static constexpr size_t kBlockBytes = 4096;
  static constexpr std::chrono::microseconds kMaxSleep{4000};

  /// `comm` must outlive the channel; rank 0 sends, every other rank receives.
  explicit OpChannel(MPI_Comm comm) : comm_(comm), block_(kBlockBytes) {}

  /// Rank 0: sends `op` to every rank (collective with their receive()).
  void send(const Op& op);
  /// Other ranks: waits, mostly asleep, for the next op. Throws libindex::Error when it cannot be
  /// decoded (the head runs another libindex).
  Op receive();

  /// Broadcasts on this channel so far (each op is one, or two when it is longer than a block).
  long long broadcasts() const { return broadcasts_; }

 private:
  MPI_Comm comm_;
  std::vector<uint8_t> block_;
  long long broadcasts_ = 0;
};

} // namespace libindex
