// SPDX-License-Identifier: Apache-2.0
// The smallest in-situ code: every rank owns a slab of a global field along z, publishes it each
// step (borrowed, no ghost layers: libindex fetches them) and calls update(). Built with make and
// pkg-config as a simulation code would be:
//   mpicxx -std=c++20 -O2 main.cpp $(pkg-config --cflags --libs libindex) -o insitu_minimal
//   mpirun -np 4 ./insitu_minimal 100     # then open the printed URL
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "libindex/insitu.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: mpirun -np N %s [steps=10]\n  publishes a 64^3 field, a slab of it per rank, for `steps` steps "
                "and serves it: open the printed URL\n",
                argv[0]);
    return 0;
  }
  char* end = nullptr;
  const long steps = argc > 1 ? std::strtol(argv[1], &end, 10) : 10;
  if (argc > 2 || (argc > 1 && (*end != '\0' || end == argv[1] || steps < 0 || steps > 1000000000))) {
    std::fprintf(stderr, "%s: error: expected [steps], a whole number, not '%s' (see --help)\n", argv[0],
                 argv[argc - 1]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const libindex::Box3i global{{0, 0, 0}, {64, 64, 64}};
  const libindex::Box3i mine{{0, 0, 64 * rank / ranks}, {64, 64, 64 * (rank + 1) / ranks}};
  std::vector<float> u(size_t(mine.voxel_count()));
  int failures = 0, frames = 0;
  {
    libindex::insitu::PublisherOptions options;
    options.serve.server.port = 0; // any free port
    libindex::insitu::Publisher viz(MPI_COMM_WORLD, options);
    for (int step = 0; step < steps; ++step) {
      const double speed = viz.parameter("speed", 0.2, 0.0, 1.0); // steerable from the browser
      size_t i = 0;
      for (int z = mine.lo.z; z < mine.hi.z; ++z)
        for (int y = 0; y < 64; ++y)
          for (int x = 0; x < 64; ++x, ++i)
            u[i] = float(0.5 + 0.5 * std::sin(0.2 * x + speed * step) * std::cos(0.15 * y) * std::cos(0.1 * z));
      viz.publish("u", u.data(), mine, global);
      const libindex::insitu::Status st = viz.update(step, 0.01 * step);
      failures += !st;
      frames += st.rendered;
      if (!st && rank == 0) std::fprintf(stderr, "step %d: %s\n", step, st.message.c_str());
    }
  }
  if (rank == 0)
    std::printf("in situ: %ld steps on %d ranks, %d frames, %d failures\n", steps, ranks, frames, failures);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
