// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Kept for code written before libindex::mpi existed: LIBINDEX_MPI_CHECK, comm_rank and
/// comm_size now live in libindex/mpi/check.h (namespace libindex::mpi). New code includes that.

#include "libindex/mpi/check.h"

namespace libindex::compositing {
using mpi::comm_rank;
using mpi::comm_size;
} // namespace libindex::compositing
