/* SPDX-License-Identifier: Apache-2.0 */
/* examples/insitu_minimal in C, through libindex/insitu_c.h: every rank owns a slab of a global field
 * along z, publishes it each step (borrowed, no ghost layers: libindex fetches them) and calls update().
 *   mpicc -std=c99 -O2 main.c $(pkg-config --cflags --libs libindex) -o insitu_c
 *   mpirun -np 4 ./insitu_c 100     # then open the printed URL
 */
#include <mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libindex/insitu_c.h"

int main(int argc, char** argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: mpirun -np N %s [steps=10]\n  publishes a 64^3 field, a slab of it per rank, for `steps` steps "
           "and serves it: open the printed URL\n",
           argv[0]);
    return 0;
  }
  char* end = NULL;
  const long steps = argc > 1 ? strtol(argv[1], &end, 10) : 10;
  if (argc > 2 || (argc > 1 && (*end != '\0' || end == argv[1] || steps < 0 || steps > 1000000000))) {
    fprintf(stderr, "%s: error: expected [steps], a whole number, not '%s' (see --help)\n", argv[0], argv[argc - 1]);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int global_lo[3] = {0, 0, 0}, global_hi[3] = {64, 64, 64};
  const int lo[3] = {0, 0, 64 * rank / ranks}, hi[3] = {64, 64, 64 * (rank + 1) / ranks};
  float* u = malloc(sizeof(float) * 64 * 64 * (size_t)(hi[2] - lo[2]) + 1);
  int failures = 0;
  long long frames = 0;

  libindex_insitu_options options;
  libindex_insitu_options_init(&options);
  options.port = 0; /* any free port */
  libindex_insitu_publisher* viz = NULL;
  if (libindex_insitu_create(MPI_COMM_WORLD, &options, &viz) != LIBINDEX_INSITU_OK) {
    if (rank == 0) fprintf(stderr, "%s\n", libindex_insitu_last_error(NULL));
    MPI_Finalize();
    return 1;
  }
  for (int step = 0; step < steps; ++step) {
    const double speed = libindex_insitu_parameter(viz, "speed", 0.2, 0.0, 1.0); /* steerable from the browser */
    size_t i = 0;
    for (int z = lo[2]; z < hi[2]; ++z)
      for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x, ++i)
          u[i] = (float)(0.5 + 0.5 * sin(0.2 * x + speed * step) * cos(0.15 * y) * cos(0.1 * z));
    libindex_insitu_publish_float(viz, "u", u, lo, hi, global_lo, global_hi, 0, NULL);
    if (libindex_insitu_update(viz, step, 0.01 * step) != LIBINDEX_INSITU_OK) {
      ++failures;
      if (rank == 0) fprintf(stderr, "step %d: %s\n", step, libindex_insitu_last_error(viz));
    }
  }
  /* Asynchronous mode (options.asynchronous = 1) would still be rendering the last frame; serve it. */
  if (libindex_insitu_flush(viz) != LIBINDEX_INSITU_OK) ++failures;
  frames = libindex_insitu_frames_rendered(viz);
  libindex_insitu_destroy(viz);
  free(u);
  if (rank == 0)
    printf("in situ (C): %ld steps on %d ranks, %lld frames, %d failures\n", steps, ranks, frames, failures);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
