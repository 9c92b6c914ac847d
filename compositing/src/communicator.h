// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The private communicator a Compositor works on. LIBINDEX_MPI_CHECK needs
/// MPI_ERRORS_RETURN, which Communicator sets on its duplicate so the caller's communicator keeps
/// its own handler. Nothing here ever aborts or exits.

#include <mpi.h>

#include "libindex/mpi/check.h"

namespace libindex::compositing::detail {

/// A private duplicate of the caller's communicator, made once per Compositor: messages of ours
/// can never match the caller's, errors come back as codes, and it is freed with its owner.
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
