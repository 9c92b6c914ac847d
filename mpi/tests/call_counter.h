// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file MPI calls of this process, counted through the MPI profiling interface: call_counter.cpp
/// defines MPI_Allreduce, MPI_Comm_dup, ... forwarding to PMPI_*, so that linked into a test
/// binary it sees every call made by the binary and its static libraries (calls MPI makes inside
/// itself do not pass through them).

namespace libindex::mpi::testing {

struct MpiCalls {
  // Collectives over a communicator.
  long long allreduce = 0, iallreduce = 0, reduce = 0, bcast = 0, barrier = 0, gather = 0, gatherv = 0, allgather = 0,
            allgatherv = 0, alltoall = 0, alltoallv = 0, scatter = 0, scan = 0, exscan = 0, reduce_scatter_block = 0;
  // Communicator management (collective as well).
  long long comm_dup = 0, comm_idup = 0, comm_split = 0, comm_create = 0, comm_free = 0;
  // Local calls worth watching.
  long long op_create = 0, isend = 0, mprobe = 0;

  /// Every collective call above except MPI_Allreduce and the communicator calls.
  long long other_collectives() const {
    return iallreduce + reduce + bcast + barrier + gather + gatherv + allgather + allgatherv + alltoall + alltoallv +
           scatter + scan + exscan + reduce_scatter_block;
  }
  /// Every collective, communicator creation and freeing included.
  long long collectives() const {
    return allreduce + other_collectives() + comm_dup + comm_idup + comm_split + comm_create + comm_free;
  }
  MpiCalls operator-(const MpiCalls& before) const;
};

/// The counts so far on this rank.
MpiCalls mpi_calls();

} // namespace libindex::mpi::testing
