// SPDX-License-Identifier: Apache-2.0
// A publisher declared in main outlives MPI_Finalize: an update() after it returns `internal` instead
// of calling MPI, and the destructor frees nothing of MPI's, so the job ends with exit code 0 (Open
// MPI aborts every rank of a job that frees a communicator after MPI_Finalize). Run under mpirun.
#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "libindex/insitu.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  libindex::insitu::PublisherOptions options;
  options.serve.server.port = 0;
  options.serve.on_ready = [](const std::string&) {};
  options.serve.session.log = false;
  options.width = options.height = 32;
  libindex::insitu::Publisher viz(MPI_COMM_WORLD, options);
  const libindex::Box3i global{{0, 0, 0}, {8, 8, 4 * ranks}}, mine{{0, 0, 4 * rank}, {8, 8, 4 * rank + 4}};
  const std::vector<float> field(size_t(mine.voxel_count()), 0.5f);
  viz.publish("u", field.data(), mine, global, 0);
  if (const auto st = viz.update(0, 0.0); !st) {
    std::fprintf(stderr, "update before MPI_Finalize failed: %s\n", st.message.c_str());
    return 1;
  }
  MPI_Finalize();
  const auto st = viz.update(1, 0.0);
  if (st.code != libindex::insitu::Status::internal || st.message.find("finalized") == std::string::npos) {
    std::fprintf(stderr, "update after MPI_Finalize: code %d, '%s'\n", st.code, st.message.c_str());
    return 1;
  }
  if (rank == 0) std::printf("after MPI_Finalize: %s\n", st.message.c_str());
  return 0; // ~Publisher runs now
}
