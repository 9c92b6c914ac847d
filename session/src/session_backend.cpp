// SPDX-License-Identifier: Apache-2.0
#include "session_backend.h"

#include <unistd.h>

#include <climits>
#include <iostream>
#include <string>
#include <vector>

#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"

namespace libindex {
namespace {

/// Every rank's text on rank 0, by rank (collective).
std::vector<std::string> gather_text(MPI_Comm comm, const std::string& mine) {
  constexpr int kLength = 192;
  char buffer[kLength] = {0};
  mine.copy(buffer, kLength - 1);
  const int rank = mpi::comm_rank(comm), ranks = mpi::comm_size(comm);
  std::vector<char> all(rank == 0 ? size_t(ranks) * kLength : 0);
  LIBINDEX_MPI_CHECK(comm, MPI_Gather(buffer, kLength, MPI_CHAR, all.data(), kLength, MPI_CHAR, 0, comm));
  std::vector<std::string> out;
  for (int r = 0; rank == 0 && r < ranks; ++r) out.emplace_back(&all[size_t(r) * kLength]);
  return out;
}

std::string host_name() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return name;
}

} // namespace

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
  const std::vector<std::string> names = gather_text(comm, backend->name() + " on " + host_name());
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
