// SPDX-License-Identifier: Apache-2.0
/// \file Agreement and broadcast_string under mpirun (CTest: 1, 2, 3, 4, 5 and 8 ranks). Every
/// rank runs every test; a failure on any rank fails the test on every rank (TearDown). MPI calls
/// are counted through the profiling interface (call_counter.h), so the tests pin down how many
/// collectives an agreement costs, not only what it answers.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "call_counter.h"
#include "libindex/error.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"

using namespace libindex;
using libindex::mpi::Agreement;
using libindex::mpi::testing::mpi_calls;
using libindex::mpi::testing::MpiCalls;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

/// What agree() threw on this rank ("" when it returned).
std::string agree_error(Agreement& a, MPI_Comm comm = MPI_COMM_WORLD) {
  try {
    a.agree(comm);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

/// After an error every rank must still be in step: one more agreement answers correctly.
void expect_ranks_in_step() {
  Agreement a;
  const int ranks = a.sum(1), sum_of_ranks = a.sum(world_rank());
  ASSERT_NO_THROW(a.agree(MPI_COMM_WORLD));
  const long long n = world_size();
  EXPECT_EQ(a.summed(ranks), n);
  EXPECT_EQ(a.summed(sum_of_ranks), n * (n - 1) / 2);
}

/// Every test is collective. A failed assertion on any rank fails the test on all of them.
class Agreements : public ::testing::Test {
 protected:
  void TearDown() override {
    int failed = HasFailure() ? 1 : 0, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !failed) ADD_FAILURE() << "an assertion failed on another rank";
  }
};

TEST_F(Agreements, SumsAndMaximaAreExactOnOneToAllRanks) {
  const int me = world_rank(), n = world_size();
  for (int k = 1; k <= n; ++k) { // the first k ranks of the world
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, me < k ? 0 : MPI_UNDEFINED, me, &sub);
    if (sub == MPI_COMM_NULL) continue;
    const long long r = me, kk = k;
    Agreement a;
    const int count = a.sum(r + 1);
    const int big = a.sum((1LL << 40) * (r + 1) + r); // beyond a double's 53 bits
    const int negative = a.sum(-3 * r);
    const int half = a.max(0.5 * double(r) - 1.0);
    const int tiny = a.max(-1e300 * double(r + 1));
    const int width = a.same(640, "width");
    const int last = a.max(r == k - 1 ? 0.1 : -0.0);
    const MpiCalls before = mpi_calls();
    ASSERT_NO_THROW(a.agree(sub)) << k << " ranks";
    const MpiCalls calls = mpi_calls() - before;
    EXPECT_EQ(calls.allreduce, 1) << k << " ranks";
    EXPECT_EQ(calls.other_collectives(), 0) << k << " ranks";
    EXPECT_EQ(calls.collectives(), 1) << k << " ranks";
    EXPECT_EQ(a.summed(count), kk * (kk + 1) / 2);
    EXPECT_EQ(a.summed(big), (1LL << 40) * (kk * (kk + 1) / 2) + kk * (kk - 1) / 2);
    EXPECT_EQ(a.summed(negative), -3 * (kk * (kk - 1) / 2));
    EXPECT_EQ(a.maximum(half), 0.5 * double(k - 1) - 1.0);
    EXPECT_EQ(a.maximum(tiny), -1e300);
    EXPECT_EQ(a.maximum(last), 0.1);
    EXPECT_EQ(a.slots(), 7);
    EXPECT_EQ(width, 5);
    MPI_Comm_free(&sub);
  }
}

TEST_F(Agreements, MaximaOfNaNAndSignedZeroAreTheSameEverywhere) {
  const int me = world_rank(), n = world_size();
  Agreement a;
  const int zero = a.max(me == 0 ? 0.0 : -0.0);
  const int nan = a.max(me == n - 1 ? std::numeric_limits<double>::quiet_NaN() : double(me));
  const int minus = a.max(-0.0);
  ASSERT_NO_THROW(a.agree(MPI_COMM_WORLD));
  EXPECT_EQ(a.maximum(zero), 0.0);
  EXPECT_FALSE(std::signbit(a.maximum(zero))) << "+0 beats -0";
  EXPECT_TRUE(std::isnan(a.maximum(nan)));
  EXPECT_TRUE(std::signbit(a.maximum(minus)));
}

TEST_F(Agreements, AFailureThrowsOnEveryRankWithTheLowestFailingRanksMessage) {
  const int me = world_rank(), n = world_size();
  {
    // Rank 2 fails (the last rank on fewer ranks) and bails out before adding its slots.
    const int failing = std::min(2, n - 1);
    Agreement a;
    if (me == failing) {
      a.fail("disk full on rank " + std::to_string(me));
      a.fail("a later failure is not reported");
    } else {
      a.sum(1);
      a.same(7, "width");
    }
    const MpiCalls before = mpi_calls();
    const std::string what = agree_error(a);
    const MpiCalls calls = mpi_calls() - before;
    const std::string message = "disk full on rank " + std::to_string(failing);
    EXPECT_EQ(what, n > 1 ? "rank " + std::to_string(failing) + ": " + message : message);
    EXPECT_EQ(calls.allreduce, 1);
    EXPECT_EQ(calls.bcast, 2) << "the message's length, then its bytes";
    EXPECT_EQ(calls.collectives(), 3);
    expect_ranks_in_step();
  }
  {
    // Ranks 1 and 3 fail at once: rank 1 wins, on every rank.
    Agreement a;
    a.sum(me);
    if (me == 1) a.fail("first failure");
    if (me == 3) a.fail("second failure");
    const std::string what = agree_error(a);
    if (n >= 2) {
      EXPECT_EQ(what, "rank 1: first failure");
    } else {
      EXPECT_EQ(what, "") << "one rank, nobody failed";
    }
    expect_ranks_in_step();
  }
  {
    // agree_on_errors is the same rule with nothing else to agree on.
    const MpiCalls before = mpi_calls();
    EXPECT_NO_THROW(mpi::agree_on_errors(MPI_COMM_WORLD, ""));
    EXPECT_EQ((mpi_calls() - before).allreduce, 1);
    EXPECT_EQ((mpi_calls() - before).collectives(), 1);
    std::string what;
    try {
      mpi::agree_on_errors(MPI_COMM_WORLD, me == n - 1 ? "out of memory" : "");
    } catch (const Error& e) {
      what = e.what();
    }
    EXPECT_EQ(what, n > 1 ? "rank " + std::to_string(n - 1) + ": out of memory" : "out of memory");
    expect_ranks_in_step();
  }
}

TEST_F(Agreements, ADifferingSameValueThrowsOnEveryRankNamingIt) {
  const int me = world_rank(), n = world_size();
  Agreement a;
  a.same(3, "compositing: pixel format");
  a.same(me == n - 1 ? 9 : 8, "compositing: image width");
  a.same(me == 0 ? 1 : 2, "compositing: image height"); // differs too, but comes later
  a.sum(1);
  const MpiCalls before = mpi_calls();
  const std::string what = agree_error(a);
  EXPECT_EQ((mpi_calls() - before).collectives(), 1);
  EXPECT_EQ(what, n > 1 ? "compositing: image width differs across ranks" : "");
  expect_ranks_in_step();
}

TEST_F(Agreements, ASlotLayoutMismatchThrowsOnEveryRank) {
  const int me = world_rank(), n = world_size();
  const bool odd_one = me == n - 1 && n > 1;
  {
    Agreement a; // one more slot on the last rank
    a.sum(1);
    a.max(2);
    if (odd_one) a.sum(3);
    EXPECT_EQ(agree_error(a), n > 1 ? "mpi::Agreement: ranks added different numbers of slots (2 to 3)" : "");
    expect_ranks_in_step();
  }
  {
    Agreement a; // same count, another kind
    if (odd_one)
      a.max(1);
    else
      a.sum(1);
    a.sum(2);
    EXPECT_EQ(agree_error(a),
              n > 1 ? "mpi::Agreement: ranks added 2 slots each, but of different kinds, order or names" : "");
    expect_ranks_in_step();
  }
  {
    Agreement a; // same kinds, another name
    a.same(1, odd_one ? "height" : "width");
    EXPECT_EQ(agree_error(a),
              n > 1 ? "mpi::Agreement: ranks added 1 slots each, but of different kinds, order or names" : "");
    expect_ranks_in_step();
  }
  {
    Agreement a; // beyond the inline slots
    for (int i = 0; i < 40 + (odd_one ? 1 : 0); ++i) a.sum(i);
    EXPECT_EQ(agree_error(a), n > 1 ? "mpi::Agreement: ranks added different numbers of slots (40 to 41)" : "");
    expect_ranks_in_step();
  }
}

TEST_F(Agreements, SlotsBeyondTheInlineOnesTakeOneMoreAllreduce) {
  const long long me = world_rank(), n = world_size();
  Agreement a;
  std::vector<int> slots;
  for (int i = 0; i < 100; ++i) slots.push_back(a.sum(me * 1000 + i));
  a.same(5, "fine");
  const MpiCalls before = mpi_calls();
  ASSERT_NO_THROW(a.agree(MPI_COMM_WORLD));
  EXPECT_EQ((mpi_calls() - before).allreduce, 2);
  EXPECT_EQ((mpi_calls() - before).collectives(), 2);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.summed(slots[size_t(i)]), 1000 * (n * (n - 1) / 2) + n * i) << i;
  // Exactly the inline ones: still one.
  Agreement b;
  for (int i = 0; i < Agreement::inline_slots; ++i) b.sum(1);
  const MpiCalls before_b = mpi_calls();
  ASSERT_NO_THROW(b.agree(MPI_COMM_WORLD));
  EXPECT_EQ((mpi_calls() - before_b).allreduce, 1);
  EXPECT_EQ(b.summed(Agreement::inline_slots - 1), n);
}

TEST_F(Agreements, OneReductionForAllFramesAndClearReuses) {
  const long long me = world_rank(), n = world_size();
  Agreement warm; // the first agree() of the process may create the reduction
  warm.agree(MPI_COMM_WORLD);
  const MpiCalls before = mpi_calls();
  Agreement a;
  for (int frame = 0; frame < 10; ++frame) {
    a.clear();
    const int s = a.sum(me + frame);
    const int m = a.max(double(me * frame));
    a.same(frame, "frame");
    a.agree(MPI_COMM_WORLD);
    EXPECT_EQ(a.summed(s), n * (n - 1) / 2 + n * frame);
    EXPECT_EQ(a.maximum(m), double((n - 1) * frame));
  }
  const MpiCalls calls = mpi_calls() - before;
  EXPECT_EQ(calls.allreduce, 10);
  EXPECT_EQ(calls.collectives(), 10);
  EXPECT_EQ(calls.op_create, 0) << "the MPI_Op is made once per process";
}

TEST_F(Agreements, ResultsAreReadOnlyAfterAgreeAndOnlyOfTheirKind) {
  Agreement a;
  const int s = a.sum(1), m = a.max(1.0);
  EXPECT_THROW(a.summed(s), Error) << "before agree()";
  a.agree(MPI_COMM_WORLD);
  EXPECT_EQ(a.summed(s), world_size());
  EXPECT_THROW(a.summed(m), Error);
  EXPECT_THROW(a.maximum(s), Error);
  EXPECT_THROW(a.summed(7), Error);
  EXPECT_TRUE(!a.failed());
  a.fail("");
  EXPECT_TRUE(a.failed());
  const std::string what = agree_error(a); // every rank failed: rank 0's message
  EXPECT_EQ(what, world_size() > 1 ? "rank 0: unknown error" : "unknown error");
}

TEST_F(Agreements, BroadcastStringFromAnyRoot) {
  const int me = world_rank(), n = world_size();
  std::string text = me == n - 1 ? "from the last rank" : "stale";
  MpiCalls before = mpi_calls();
  mpi::broadcast_string(text, MPI_COMM_WORLD, n - 1);
  EXPECT_EQ(text, "from the last rank");
  EXPECT_EQ((mpi_calls() - before).bcast, 2);
  std::string empty = me == 0 ? "" : "stale";
  before = mpi_calls();
  mpi::broadcast_string(empty, MPI_COMM_WORLD);
  EXPECT_EQ(empty, "");
  EXPECT_EQ((mpi_calls() - before).bcast, 1) << "no bytes to send after the length";
}

} // namespace
