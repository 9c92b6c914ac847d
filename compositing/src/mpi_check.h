// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file One checking macro for every MPI call of the module, and the private communicator it
/// relies on. A failed call throws libindex::Error naming the call, file:line, the rank and MPI's
/// own error string; that needs MPI_ERRORS_RETURN, which Communicator sets on its duplicate so the
/// caller's communicator keeps its own handler. Nothing here ever aborts or exits.

#include <mpi.h>

namespace libindex::compositing::detail {

[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line, MPI_Comm comm);

/// A private duplicate of the caller's communicator for one call: messages of ours can never
/// match the caller's, errors come back as codes, and it is freed on every exit path.
class Communicator {
public:
  explicit Communicator(MPI_Comm parent);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  MPI_Comm get() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 0;
};

} // namespace libindex::compositing::detail

/// Runs an MPI call and throws libindex::Error when it fails; `comm` names the rank in the message.
#define LIBINDEX_MPI_CHECK(comm, call)                                                              \
  do {                                                                                              \
    const int libindex_mpi_rc_ = (call);                                                            \
    if (libindex_mpi_rc_ != MPI_SUCCESS)                                                            \
      ::libindex::compositing::detail::throw_mpi_error(libindex_mpi_rc_, #call, __FILE__, __LINE__, \
                                                       (comm));                                     \
  } while (0)
