// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The one checking macro for MPI calls, shared by every module: a failed call throws
/// libindex::Error naming the call, file:line, the rank in `comm` and MPI's own error string. It
/// needs MPI_ERRORS_RETURN on the communicator (the library sets it on its private duplicates);
/// it never aborts. Also the rank and size of a communicator, checked the same way.

#include <mpi.h>

namespace libindex::mpi::detail {
[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line, MPI_Comm comm);
} // namespace libindex::mpi::detail

namespace libindex::mpi {
/// This process's rank in `comm`.
int comm_rank(MPI_Comm comm);
/// The number of ranks in `comm`.
int comm_size(MPI_Comm comm);
/// This process's rank among the ranks of `comm` on its node, and how many there are
/// (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED). Collective over `comm`.
struct NodeRank {
  int rank = 0, size = 1;
};
NodeRank node_rank(MPI_Comm comm);
/// Whether MPI can still be called: initialized and not yet finalized.
bool usable();
/// Frees a communicator the library duplicated, from a destructor: collective like MPI_Comm_free,
/// but nothing at all once MPI is finalized, since a C++ object may outlive MPI_Finalize (a
/// `Publisher viz(...)` declared in main), and freeing then would abort the whole job. Sets `comm`
/// to MPI_COMM_NULL.
void free_comm(MPI_Comm& comm) noexcept;
} // namespace libindex::mpi

/// Runs an MPI call and throws libindex::Error when it fails; `comm` names the rank in the message.
#define LIBINDEX_MPI_CHECK(comm, call)                                                                                 \
  do {                                                                                                                 \
    const int libindex_mpi_rc_ = (call);                                                                               \
    if (libindex_mpi_rc_ != MPI_SUCCESS)                                                                               \
      ::libindex::mpi::detail::throw_mpi_error(libindex_mpi_rc_, #call, __FILE__, __LINE__, (comm));                   \
  } while (0)
