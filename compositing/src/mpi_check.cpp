// SPDX-License-Identifier: Apache-2.0
#include "mpi_check.h"

#include <string>

#include "libindex/error.h"

namespace libindex::compositing::detail {

void throw_mpi_error(int code, const char* call, const char* file, int line, MPI_Comm comm) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  std::string what;
  if (MPI_Error_string(code, text, &length) == MPI_SUCCESS)
    what.assign(text, size_t(length));
  else
    what = "MPI error code " + std::to_string(code);
  int rank = -1;
  if (comm != MPI_COMM_NULL && MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) rank = -1;
  throw Error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on rank " +
              (rank >= 0 ? std::to_string(rank) : std::string("?")) + ": " + what);
}

Communicator::Communicator(MPI_Comm parent) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) throw Error("compositing: MPI is not initialized (or already finalized)");
  if (parent == MPI_COMM_NULL) throw Error("compositing: the communicator is MPI_COMM_NULL");
  // The duplicate inherits the caller's handler, so set ours before any call that could fail on it.
  LIBINDEX_MPI_CHECK(parent, MPI_Comm_dup(parent, &comm_));
  try {
    LIBINDEX_MPI_CHECK(comm_, MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    rank_ = comm_rank(comm_);
    size_ = comm_size(comm_);
  } catch (...) {
    MPI_Comm_free(&comm_);
    throw;
  }
}

Communicator::~Communicator() {
  // A destructor must not throw; a failure to free leaks one communicator, nothing worse.
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

} // namespace libindex::compositing::detail

namespace libindex::compositing {

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  LIBINDEX_MPI_CHECK(comm, MPI_Comm_rank(comm, &rank));
  return rank;
}

int comm_size(MPI_Comm comm) {
  int size = 1;
  LIBINDEX_MPI_CHECK(comm, MPI_Comm_size(comm, &size));
  return size;
}

} // namespace libindex::compositing
