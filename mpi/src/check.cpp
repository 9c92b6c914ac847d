// SPDX-License-Identifier: Apache-2.0
#include "libindex/mpi/check.h"

#include <string>

#include "libindex/error.h"

namespace libindex::mpi::detail {

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

} // namespace libindex::mpi::detail

namespace libindex::mpi {

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

NodeRank node_rank(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  LIBINDEX_MPI_CHECK(comm, MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, comm_rank(comm), MPI_INFO_NULL, &node));
  NodeRank r{comm_rank(node), comm_size(node)};
  MPI_Comm_free(&node);
  return r;
}

bool usable() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized); // both may be called at any time, even after MPI_Finalize
  return initialized && !finalized;
}

void free_comm(MPI_Comm& comm) noexcept {
  if (comm != MPI_COMM_NULL && usable()) MPI_Comm_free(&comm);
  comm = MPI_COMM_NULL;
}

} // namespace libindex::mpi
