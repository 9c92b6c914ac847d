// SPDX-License-Identifier: Apache-2.0
// GoogleTest main for the session's unit tests: MPI as a singleton (one process, no mpirun), so the
// tests that need a communicator get MPI_COMM_SELF and the rest need nothing.
#include <mpi.h>

#include <cstdlib>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  // CTest runs as root in CI; Open MPI refuses root unless told (as mpirun is told in the MPI tests).
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int result = RUN_ALL_TESTS();
  MPI_Finalize();
  return result;
}
