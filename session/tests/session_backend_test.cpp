// SPDX-License-Identifier: Apache-2.0
// One backend for the session, each rank on its own GPU, under mpirun at 1, 2 and 4 ranks on one
// node: node ranks are 0..n-1, the device a rank gets for 1, 2 and 4 visible devices spreads the
// ranks over them, every rank ends up with the same kind of backend, and asking for CUDA where a
// rank has none fails on every rank naming it. Runs without a GPU (and with one).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libindex/error.h"
#include "libindex/kernels/backend.h"
#include "libindex/mpi/check.h"
#include "libindex/session.h"

using namespace libindex;

namespace {
std::vector<int> gather_ints(int mine) {
  std::vector<int> all(size_t(mpi::comm_size(MPI_COMM_WORLD)));
  MPI_Allgather(&mine, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
  return all;
}
} // namespace

TEST(SessionBackend, NodeRanksNumberTheRanksOfANode) {
  const mpi::NodeRank me = mpi::node_rank(MPI_COMM_WORLD);
  const int ranks = mpi::comm_size(MPI_COMM_WORLD);
  EXPECT_EQ(me.size, ranks); // mpirun on one machine: one node
  std::vector<int> all = gather_ints(me.rank);
  std::sort(all.begin(), all.end());
  for (int r = 0; r < ranks; ++r) EXPECT_EQ(all[size_t(r)], r);
}

TEST(SessionBackend, RanksSpreadOverTheVisibleDevices) {
  const int node_rank = mpi::node_rank(MPI_COMM_WORLD).rank;
  for (int visible : {1, 2, 4}) {
    std::vector<int> devices = gather_ints(kernels::device_for_node_rank(node_rank, visible));
    std::vector<int> count(size_t(visible), 0);
    for (int d : devices) {
      ASSERT_GE(d, 0);
      ASSERT_LT(d, visible);
      ++count[size_t(d)];
    }
    // As even as it gets: no device has two ranks more than another.
    EXPECT_LE(*std::max_element(count.begin(), count.end()) - *std::min_element(count.begin(), count.end()), 1)
        << visible << " devices";
  }
  EXPECT_EQ(kernels::device_for_node_rank(node_rank, 0), -1); // none visible
}

TEST(SessionBackend, EveryRankGetsTheSameKind) {
  SessionOptions quiet;
  quiet.log = false;
  Session session(MPI_COMM_WORLD, quiet);
  const bool cuda = session.backend_name().rfind("cuda", 0) == 0;
  const std::vector<int> kinds = gather_ints(cuda ? 1 : 0);
  EXPECT_TRUE(std::all_of(kinds.begin(), kinds.end(), [&](int k) { return k == kinds[0]; }));
  EXPECT_EQ(cuda, kernels::cuda_devices() > 0); // auto: CUDA exactly when every rank has a device
}

TEST(SessionBackend, CudaWithoutADeviceFailsOnEveryRankNamingOne) {
  std::string reason;
  int have = kernels::cuda_devices(&reason) > 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (have) GTEST_SKIP() << "a CUDA device answers here";
  SessionOptions options;
  options.log = false;
  options.backend = kernels::BackendKind::cuda;
  try {
    Session session(MPI_COMM_WORLD, options);
    FAIL() << "a cuda session without a device";
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string expected = mpi::comm_size(MPI_COMM_WORLD) > 1 ? "rank 0: backend cuda requested but unavailable"
                                                                    : "backend cuda requested but unavailable";
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
}
