// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file One backend for the whole session, chosen collectively, each rank on its own GPU.

#include <mpi.h>

#include <memory>

#include "libindex/kernels/backend.h"

namespace libindex {

/// Collective over `comm`. `automatic` picks CUDA only when every rank sees a device and every rank
/// could open its own, else the CPU on every rank (the head says why); `cuda` without a device on
/// some rank throws on every rank, naming it. A rank renders on device node_rank % the devices it
/// sees (kernels::device_for_node_rank). With `log`, the head prints the choice, and each rank's
/// device (name, ordinal, PCI bus id) for CUDA.
std::unique_ptr<kernels::Backend> make_session_backend(MPI_Comm comm, kernels::BackendKind kind, bool log,
                                                       int node_rank);

} // namespace libindex
