// SPDX-License-Identifier: Apache-2.0
/// \file exchange_ghosts under mpirun (CTest: 1, 2, 3, 4 and 5 ranks). Every rank fills its box
/// with an analytic field of the global voxel coordinate; after the exchange every voxel of the
/// returned brick, ghosts included, must equal the field at its own coordinate, so a voxel put one
/// place off, taken from the wrong rank or left unfilled fails. Decompositions: the k-d tree's with
/// one rank without data, uneven boxes one voxel thick (a ghost width of 2 reaches past the nearest
/// neighbour) cut along every axis, pinwheels (not guillotine cuts), everything on one rank. MPI calls are counted
/// through the profiling interface (call_counter.h): one agreement, messages only to neighbours.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "call_counter.h"
#include "libindex/decomposition.h"
#include "libindex/error.h"
#include "libindex/kdtree.h"
#include "libindex/mpi/check.h"
#include "libindex/mpi/ghost_exchange.h"

using namespace libindex;
using libindex::mpi::testing::mpi_calls;
using libindex::mpi::testing::MpiCalls;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

Box3i box(int x0, int y0, int z0, int x1, int y1, int z1) { return {{x0, y0, z0}, {x1, y1, z1}}; }

/// 13 x 11 x 9 voxels, not at the origin.
const Box3i global_box = box(-3, 2, 5, 10, 13, 14);

/// The field, per voxel format: a different value for every voxel near any other.
template <class T>
T field(Vec3i v) {
  const int m = (v.x * 7 + v.y * 13 + v.z * 29) % 256;
  if constexpr (std::is_same_v<T, uint8_t>)
    return uint8_t((m + 256) % 256);
  else if constexpr (std::is_same_v<T, uint16_t>)
    return uint16_t(((v.x * 3 + v.y * 101 + v.z * 10007) % 65536 + 65536) % 65536);
  else if constexpr (std::is_same_v<T, int16_t>)
    return int16_t(((v.x * 5 + v.y * 67 + v.z * 997) % 65536 + 65536) % 65536 - 32768);
  else
    return float(v.x) + 64.0f * float(v.y) + 4096.0f * float(v.z) + 0.25f;
}

/// A brick over `b` holding the field.
Brick filled(const Box3i& b, DType t) {
  Brick out(b, t);
  visit_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data<T>();
    for (int z = b.lo.z; z < b.hi.z; ++z)
      for (int y = b.lo.y; y < b.hi.y; ++y)
        for (int x = b.lo.x; x < b.hi.x; ++x) *p++ = field<T>({x, y, z});
  });
  return out;
}

/// Voxels of `b` that differ from the field, and the first of them in `first`.
long long wrong_voxels(const Brick& b, std::string& first) {
  long long wrong = 0;
  visit_dtype(b.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = b.data<T>();
    for (int z = b.box.lo.z; z < b.box.hi.z; ++z)
      for (int y = b.box.lo.y; y < b.box.hi.y; ++y)
        for (int x = b.box.lo.x; x < b.box.hi.x; ++x, ++p) {
          const T expected = field<T>({x, y, z});
          if (*p != expected && wrong++ == 0) {
            // snprintf, not string concatenation: GCC 12 reports a false -Wrestrict on the latter.
            char text[160];
            std::snprintf(text, sizeof text, "(%d, %d, %d) holds %g, the field %g", x, y, z, double(*p),
                          double(expected));
            first = text;
          }
        }
  });
  return wrong;
}

struct Layout {
  std::string name;
  std::vector<Box3i> boxes; ///< one per rank of MPI_COMM_WORLD
};

/// The decompositions for this many ranks; each tiles global_box (checked by the first test).
std::vector<Layout> layouts(int n) {
  std::vector<Layout> out;
  // The k-d tree's leaves for n - 1 ranks, in reverse, and rank n / 2 without data (one rank: all).
  {
    const int data = n == 1 ? 1 : n - 1;
    const KdTree t = build_kdtree(global_box, data);
    std::vector<Box3i> b;
    for (int i = data - 1; i >= 0; --i) b.push_back(t.leaf_box(i));
    if (n > 1) b.insert(b.begin() + n / 2, Box3i{});
    out.push_back({"k-d tree, rank " + std::to_string(n / 2) + " without data", b});
  }
  // Uneven: boxes one voxel thick, so that a ghost width of 2 reaches two ranks away, and cuts along
  // every axis at every rank count from 2 on, so that each side of a box gets ghosts somewhere.
  switch (n) {
  case 1:
    out.push_back({"uneven", {global_box}});
    break;
  case 2:
    out.push_back({"uneven along z", {box(-3, 2, 5, 10, 13, 6), box(-3, 2, 6, 10, 13, 14)}});
    out.push_back({"uneven along y", {box(-3, 3, 5, 10, 13, 14), box(-3, 2, 5, 10, 3, 14)}});
    break;
  case 3:
    out.push_back(
        {"uneven along x", {box(-2, 2, 5, -1, 13, 14), box(-3, 2, 5, -2, 13, 14), box(-1, 2, 5, 10, 13, 14)}});
    out.push_back(
        {"uneven along z and y", {box(-3, 2, 5, 10, 13, 6), box(-3, 2, 6, 10, 3, 14), box(-3, 3, 6, 10, 13, 14)}});
    break;
  case 4:
    out.push_back({"uneven, rank 0 without data",
                   {Box3i{}, box(-3, 2, 5, 3, 13, 14), box(3, 2, 5, 10, 3, 14), box(3, 3, 5, 10, 13, 14)}});
    out.push_back(
        {"uneven along z, x and y",
         {box(-3, 2, 5, 10, 13, 7), box(-3, 2, 7, 0, 13, 14), box(0, 2, 7, 10, 3, 14), box(0, 3, 7, 10, 13, 14)}});
    break;
  default: // pinwheels round a thin centre, in x-y and in x-z; ranks 5... without data
  {
    std::vector<Box3i> xy{box(3, 2, 5, 10, 5, 14), box(1, 4, 5, 3, 5, 14), box(-3, 2, 5, 3, 4, 14),
                          box(1, 5, 5, 10, 13, 14), box(-3, 4, 5, 1, 13, 14)}; // right, centre, bottom, top, left
    std::vector<Box3i> xz{box(-3, 2, 5, 3, 13, 7), box(3, 2, 5, 10, 13, 8), box(1, 2, 8, 10, 13, 14),
                          box(-3, 2, 7, 1, 13, 14), box(1, 2, 7, 3, 13, 8)}; // bottom, right, top, left, centre
    xy.resize(size_t(n)), xz.resize(size_t(n));
    out.push_back({"pinwheel in x-y", xy});
    out.push_back({"pinwheel in x-z", xz});
  }
  }
  // Everything on the last rank.
  {
    std::vector<Box3i> b(static_cast<size_t>(n));
    b.back() = global_box;
    out.push_back({"all on rank " + std::to_string(n - 1), b});
  }
  return out;
}

constexpr DType all_dtypes[] = {DType::uint8, DType::uint16, DType::int16, DType::float32};

/// What exchange_ghosts threw ("" when it returned).
std::string exchange_error(const std::vector<Box3i>& boxes, const Brick& mine, int ghost,
                           const Box3i& global = global_box) {
  try {
    (void)mpi::exchange_ghosts(MPI_COMM_WORLD, global, boxes, mine, ghost);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

/// "rank R: message" as Agreement reports rank R's failure ("message" alone on one rank).
std::string from_rank(int r, const std::string& message) {
  return world_size() == 1 ? message : "rank " + std::to_string(r) + ": " + message;
}

/// After an error every rank must still be in step: one more exchange gives the right voxels.
void expect_ranks_in_step() {
  const Layout l = layouts(world_size())[0];
  const Box3i& own = l.boxes[size_t(world_rank())];
  Brick out;
  ASSERT_NO_THROW(out = mpi::exchange_ghosts(MPI_COMM_WORLD, global_box, l.boxes, filled(own, DType::float32), 1));
  std::string first;
  EXPECT_EQ(wrong_voxels(out, first), 0) << first;
}

/// Every test is collective. A failed assertion on any rank fails the test on all of them.
class GhostExchange : public ::testing::Test {
 protected:
  void TearDown() override {
    int failed = HasFailure() ? 1 : 0, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !failed) ADD_FAILURE() << "an assertion failed on another rank";
  }
};

} // namespace

TEST_F(GhostExchange, EveryVoxelIsTheFieldAtItsGlobalCoordinate) {
  const int me = world_rank(), n = world_size();
  int exchanges = 0;
  for (const Layout& l : layouts(n)) {
    ASSERT_NO_THROW(check_decomposition(global_box, l.boxes)) << l.name;
    const Box3i& own = l.boxes[size_t(me)];
    for (int ghost : {0, 1, 2, 3})
      for (DType t : all_dtypes) {
        const std::string what = l.name + ", ghost " + std::to_string(ghost) + ", " + to_string(t);
        // A rank without data passes a default brick: its format does not have to match.
        const Brick mine = own.empty() ? Brick() : filled(own, t);
        const MpiCalls before = mpi_calls();
        const Brick out = mpi::exchange_ghosts(MPI_COMM_WORLD, global_box, l.boxes, mine, ghost);
        const MpiCalls calls = mpi_calls() - before;
        EXPECT_EQ(out.dtype, t) << what;
        if (own.empty()) {
          EXPECT_TRUE(out.box.empty()) << what;
          EXPECT_TRUE(out.bytes.empty()) << what;
        } else {
          ASSERT_EQ(out.box, grow(own, ghost, global_box)) << what;
          ASSERT_EQ(out.bytes.size(), size_t(out.box.voxel_count()) * size_t(dtype_size(t))) << what;
          std::string first;
          EXPECT_EQ(wrong_voxels(out, first), 0) << what << ": " << first;
        }
        // One duplicate, one agreement, nothing else collective; a message to each rank whose grown
        // box holds some of this rank's voxels, and to no other.
        int neighbours = 0;
        for (int r = 0; r < n; ++r)
          if (r != me && !l.boxes[size_t(r)].empty() &&
              !intersect(grow(l.boxes[size_t(r)], ghost, global_box), own).empty())
            ++neighbours;
        EXPECT_EQ(calls.isend, neighbours) << what;
        EXPECT_EQ(calls.allreduce, 1) << what;
        EXPECT_EQ(calls.comm_dup, 1) << what;
        EXPECT_EQ(calls.comm_free, 1) << what;
        EXPECT_EQ(calls.other_collectives(), 0) << what;
        ++exchanges;
      }
  }
  EXPECT_EQ(exchanges, int(layouts(n).size()) * 4 * 4);
  EXPECT_EQ(layouts(n).size(), n == 1 ? 3u : 4u);
}

TEST_F(GhostExchange, TheGhostsReachTwoRanksAway) {
  // The uneven layouts put a rank's ghost layer of 2 into two other ranks' boxes: at 3 ranks rank 1
  // (x = -3) gets x = -2 from rank 0 and x = -1 from rank 2.
  if (world_size() != 3) GTEST_SKIP() << "needs 3 ranks";
  const Layout l = layouts(3)[1];
  const Box3i& own = l.boxes[size_t(world_rank())];
  const Brick out = mpi::exchange_ghosts(MPI_COMM_WORLD, global_box, l.boxes, filled(own, DType::uint16), 2);
  if (world_rank() == 1) {
    ASSERT_EQ(out.box, box(-3, 2, 5, 0, 13, 14));
    const uint16_t* p = out.data<uint16_t>();
    // Voxel (x, 7, 9): index (x + 3) + 3 * ((7 - 2) + 11 * (9 - 5)).
    for (int x = -3; x < 0; ++x) EXPECT_EQ(p[(x + 3) + 3 * (5 + 11 * 4)], field<uint16_t>({x, 7, 9})) << x;
  }
}

TEST_F(GhostExchange, ErrorsThrowTheSameOnEveryRankAndLeaveThemInStep) {
  const int me = world_rank(), n = world_size();
  const Layout l = layouts(n)[1]; // every rank has data, except rank 0 at 4 ranks
  const Box3i& own = l.boxes[size_t(me)];
  std::vector<int> with_data;
  for (int r = 0; r < n; ++r)
    if (!l.boxes[size_t(r)].empty()) with_data.push_back(r);

  // The brick is not this rank's box (on the last rank: one voxel further along x).
  {
    Box3i shifted = l.boxes[size_t(n - 1)];
    shifted.lo.x += 1, shifted.hi.x += 1;
    EXPECT_EQ(exchange_error(l.boxes, filled(me == n - 1 ? shifted : own, DType::float32), 1),
              from_rank(n - 1, "exchange_ghosts: the brick holds " + to_string(shifted) + ", this rank's box is " +
                                   to_string(l.boxes[size_t(n - 1)])));
  }
  expect_ranks_in_step();

  // A byte count that does not match the box (on rank 0, or the first rank with data).
  {
    Brick mine = filled(own, DType::int16);
    if (me == with_data[0]) mine.bytes.pop_back();
    const long long voxels = l.boxes[size_t(with_data[0])].voxel_count();
    EXPECT_EQ(exchange_error(l.boxes, mine, 2),
              from_rank(with_data[0], "exchange_ghosts: the brick of " + to_string(l.boxes[size_t(with_data[0])]) +
                                          " holds " + std::to_string(2 * voxels - 1) + " bytes, not " +
                                          std::to_string(2 * voxels) + " (" + std::to_string(voxels) +
                                          " voxels of sint16)"));
  }
  expect_ranks_in_step();

  // A gap: the boxes, the same on every rank, leave out rank 0's (all ranks fail alike).
  {
    std::vector<Box3i> gap = l.boxes;
    const Box3i lost = gap[size_t(with_data[0])];
    gap[size_t(with_data[0])] = Box3i{};
    const std::string expected =
        n == 1
            ? "exchange_ghosts: the decomposition has no box: the only rank's box is empty, none holds any of the "
              "global box " +
                  to_string(global_box)
            : "exchange_ghosts: the boxes leave " + std::to_string(lost.voxel_count()) + " voxels of the global box " +
                  to_string(global_box) + " to no rank, e.g. voxel (" + std::to_string(lost.lo.x) + ", " +
                  std::to_string(lost.lo.y) + ", " + std::to_string(lost.lo.z) + ")";
    EXPECT_EQ(exchange_error(gap, me == with_data[0] ? Brick() : filled(own, DType::uint8), 1), from_rank(0, expected));
  }
  expect_ranks_in_step();

  // Fewer boxes than ranks.
  {
    std::vector<Box3i> one{global_box};
    const std::string expected =
        n == 1 ? "" : from_rank(0, "exchange_ghosts: 1 box for " + std::to_string(n) + " ranks");
    EXPECT_EQ(exchange_error(one, me == 0 ? filled(global_box, DType::uint8) : Brick(), 0), expected);
  }
  expect_ranks_in_step();

  if (n == 1) return; // the rest needs ranks that disagree
  // The first rank with data has uint16 voxels, the others float32.
  EXPECT_EQ(exchange_error(l.boxes, filled(own, me == with_data[0] ? DType::uint16 : DType::float32), 2),
            "exchange_ghosts: the ranks' bricks differ in voxel format: rank " + std::to_string(with_data[0]) +
                " has uint16, rank " + std::to_string(with_data[1]) + " has float32");
  expect_ranks_in_step();
  // Three formats.
  if (n >= 3) {
    const DType t = me == with_data[0] ? DType::int16 : (me == with_data[1] ? DType::uint8 : DType::float32);
    EXPECT_EQ(exchange_error(l.boxes, filled(own, t), 1),
              "exchange_ghosts: the ranks' bricks differ in voxel format: rank " + std::to_string(with_data[1]) +
                  " has uint8, rank " + std::to_string(with_data[0]) + " has sint16, rank " +
                  std::to_string(with_data[2]) + " has float32");
    expect_ranks_in_step();
  }
  // The ghost width differs.
  EXPECT_EQ(exchange_error(l.boxes, filled(own, DType::uint8), me == 0 ? 1 : 2),
            "exchange_ghosts: ghost width differs across ranks");
  expect_ranks_in_step();
  // The last rank was given another (valid) decomposition than the others.
  {
    const Layout other = layouts(n)[0];
    const std::vector<Box3i>& boxes = me == n - 1 ? other.boxes : l.boxes;
    EXPECT_EQ(exchange_error(boxes, filled(boxes[size_t(me)], DType::uint8), 1),
              "exchange_ghosts: the decomposition (global box and boxes) differs across ranks");
  }
  expect_ranks_in_step();
}
