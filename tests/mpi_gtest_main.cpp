// SPDX-License-Identifier: Apache-2.0
// GoogleTest main for MPI tests: every rank runs every test; the exit code is non-zero on every rank
// when any rank failed, so a failure on a non-head rank fails the CTest test too.
#include <gtest/gtest.h>
#include <mpi.h>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) { // one report is enough; failures still count through the reduction below
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int local = RUN_ALL_TESTS();
  int any = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && any && !local) std::fprintf(stderr, "a test failed on another rank\n");
  MPI_Finalize();
  return any;
}
