// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Text that every rank has and the head wants: host names for the cluster status, each
/// rank's backend for the startup log.

#include <mpi.h>

#include <string>
#include <vector>

namespace libindex::mpi {

/// Every rank's `mine` on `root`, indexed by rank; empty on the other ranks. Strings of any length
/// (MPI_Gather of the lengths, then MPI_Gatherv of the bytes). Collective over comm.
std::vector<std::string> gather_strings(MPI_Comm comm, const std::string& mine, int root = 0);

/// This process's host name (MPI_Get_processor_name, which is gethostname on Open MPI and MPICH).
std::string processor_name();

} // namespace libindex::mpi
