// SPDX-License-Identifier: Apache-2.0
#include "session_backend.h"

#include <climits>
#include <iostream>
#include <string>
#include <vector>

#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "libindex/mpi/gather.h"

namespace libindex {

std::unique_ptr<kernels::Backend> make_session_backend(MPI_Comm comm, kernels::BackendKind kind, bool log,
                                                       int node_rank) {
  using kernels::BackendKind;
  const int rank = mpi::comm_rank(comm);
  std::string reason;
  const int devices = kernels::cuda_devices(&reason);
  const int device = kernels::device_for_node_rank(node_rank, devices);
  // The first rank without a device, if any (every rank learns it).
  int first_without = devices > 0 ? INT_MAX : rank;
  LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(MPI_IN_PLACE, &first_without, 1, MPI_INT, MPI_MIN, comm));
  const bool everywhere = first_without == INT_MAX;
  BackendKind chosen = kind == BackendKind::automatic ? (everywhere ? BackendKind::cuda : BackendKind::cpu) : kind;

  std::unique_ptr<kernels::Backend> backend;
  std::string error;
  try {
    backend = kernels::make_backend(chosen, false, device < 0 ? 0 : device);
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::string why_cpu;
  if (kind == BackendKind::automatic && chosen == BackendKind::cuda) {
    // A device that answers but will not open on some rank: the CPU on every rank, not a mix.
    int opened = error.empty() ? 1 : 0;
    LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(MPI_IN_PLACE, &opened, 1, MPI_INT, MPI_MIN, comm));
    if (!opened) {
      why_cpu = "a CUDA device failed to open on some rank" + (error.empty() ? std::string() : " (" + error + ")");
      backend = kernels::make_backend(BackendKind::cpu, false);
      error.clear();
    }
  } else if (kind == BackendKind::automatic && !everywhere) {
    why_cpu = first_without == rank ? reason : "rank " + std::to_string(first_without) + " has no CUDA device";
  }
  mpi::agree_on_errors(comm, error); // cuda requested where a rank has none: every rank throws, naming it
  const std::vector<std::string> names = mpi::gather_strings(comm, backend->name() + " on " + mpi::processor_name());
  if (log && rank == 0) {
    if (backend->kind() == BackendKind::cuda) {
      std::cerr << "[libindex] backend: cuda on " << names.size() << (names.size() == 1 ? " rank" : " ranks") << "\n";
      for (size_t r = 0; r < names.size(); ++r) std::cerr << "[libindex]   rank " << r << ": " << names[r] << "\n";
    } else {
      std::cerr << "[libindex] backend: " << backend->name();
      if (!why_cpu.empty()) std::cerr << " (no CUDA: " << why_cpu << ")";
      std::cerr << "\n";
    }
  }
  return backend;
}

} // namespace libindex
