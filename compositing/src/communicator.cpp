// SPDX-License-Identifier: Apache-2.0
#include "communicator.h"

#include "libindex/error.h"

namespace libindex::compositing::detail {

Communicator::Communicator(MPI_Comm parent) {
  if (!mpi::usable()) throw Error("compositing: MPI is not initialized (or already finalized)");
  if (parent == MPI_COMM_NULL) throw Error("compositing: the communicator is MPI_COMM_NULL");
  // The duplicate inherits the caller's handler, so set ours before any call that could fail on it.
  LIBINDEX_MPI_CHECK(parent, MPI_Comm_dup(parent, &comm_));
  try {
    LIBINDEX_MPI_CHECK(comm_, MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    rank_ = mpi::comm_rank(comm_);
    size_ = mpi::comm_size(comm_);
  } catch (...) {
    MPI_Comm_free(&comm_);
    throw;
  }
}

Communicator::~Communicator() {
  // A destructor must not throw; a failure to free leaks one communicator, nothing worse.
  mpi::free_comm(comm_);
}

} // namespace libindex::compositing::detail
