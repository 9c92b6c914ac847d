// SPDX-License-Identifier: Apache-2.0
// The value ranges the host computes over a brick: the skip grid's per cell, and a rank's
// statistics (kernels/local_values.h) cut into slabs for the threads. Both against the plainest
// loop over the voxels, on odd sizes, sub-bricks with ghosts and every voxel type's extremes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "libindex/kernels/local_values.h"
#include "libindex/kernels/skip_grid.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

/// Voxel i of a brick of `t`: scattered values with the type's extremes (int16's -32768 beside
/// -32767), runs of one value, and for float32 a NaN and infinities.
void fill_with_every_kind_of_value(Brick& b) {
  const long long n = b.box.voxel_count();
  for (long long i = 0; i < n; ++i) {
    const long long k = (i * 7919) % 4001;
    const bool run = (i / 50) % 7 == 3; // stretches of one value
    switch (b.dtype) {
    case DType::uint8:
      b.data<uint8_t>()[i] = uint8_t(run ? 17 : i % 97 == 0 ? 255 : k % 200);
      break;
    case DType::uint16:
      b.data<uint16_t>()[i] = uint16_t(run ? 300 : i % 97 == 0 ? 65535 : k * 9);
      break;
    case DType::int16:
      b.data<int16_t>()[i] = int16_t(run ? -5 : i % 89 == 0 ? -32768 : i % 97 == 0 ? 32767 : k * 9 - 18000);
      break;
    case DType::float32:
      b.data<float>()[i] = i == n / 3 ? NAN : i == n / 2 ? INFINITY : i == n / 5 ? -INFINITY : float(k) * 0.01f - 7;
      break;
    }
  }
}

/// Min and max of the normalized voxels of `box` (clipped to what `view` stores), NaN making it
/// everything: what a skip-grid cell must hold, by brute force.
std::pair<float, float> brute_range(const BrickView& view, Box3i box) {
  box = intersect(box, view.stored);
  float lo = INFINITY, hi = -INFINITY;
  const Vec3i n = view.stored.size();
  for (int z = box.lo.z; z < box.hi.z; ++z)
    for (int y = box.lo.y; y < box.hi.y; ++y)
      for (int x = box.lo.x; x < box.hi.x; ++x) {
        const size_t i =
            (size_t(z - view.stored.lo.z) * n.y + size_t(y - view.stored.lo.y)) * n.x + size_t(x - view.stored.lo.x);
        const float v = visit_dtype(view.dtype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          return normalize_voxel(static_cast<const T*>(view.data)[i]);
        });
        if (v != v) return {-INFINITY, INFINITY};
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
  return {lo, hi};
}

} // namespace

// Each cell's range is its voxels' grown by kMacroCellReach, clipped to the stored box: computed
// by folding rows, per stored type, it must equal the brute-force range of the normalized voxels.
TEST(SkipGridRanges, EachCellHoldsTheRangeOfItsGrownVoxelsForEveryType) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    Brick whole(Box3i{{0, 0, 0}, {37, 61, 23}}, t);
    fill_with_every_kind_of_value(whole);
    Brick storage;
    // A rank's sub-brick at an odd offset with two ghost layers, and the whole volume.
    for (const BrickView& view : {sub_brick(whole, Box3i{{5, 13, 3}, {30, 50, 20}}, 2, storage), whole_view(whole)})
      for (int m : {8, 5, 2}) {
        const kernels::MacroCellGrid grid = kernels::MacroCellGrid::build(view, m);
        const Vec3i d = grid.dims();
        for (int z = 0; z < d.z; ++z)
          for (int y = 0; y < d.y; ++y)
            for (int x = 0; x < d.x; ++x) {
              const Vec3i o = grid.origin(), cell{x, y, z};
              constexpr int r = kernels::kMacroCellReach;
              Box3i grown;
              for (int a = 0; a < 3; ++a)
                grown.lo[a] = o[a] + cell[a] * m - r, grown.hi[a] = o[a] + (cell[a] + 1) * m + r;
              const auto [bmin, bmax] = brute_range(view, grown);
              const size_t c = (size_t(z) * d.y + y) * d.x + x;
              ASSERT_EQ(grid.min()[c], bmin) << to_string(t) << " m " << m << " cell " << x << " " << y << " " << z;
              ASSERT_EQ(grid.max()[c], bmax) << to_string(t) << " m " << m << " cell " << x << " " << y << " " << z;
            }
      }
  }
}

// A rank's statistics, counted by the host's threads in slabs: the range, the counts and every bin
// equal those of one plain pass over the voxels, whether the box is cut across z or (thin in z)
// across y, and for float32 with NaN and infinities.
TEST(LocalValues, SlabsCountedAtOnceAddUpToOnePassOverTheVoxels) {
  struct Case {
    DType t;
    Box3i stored, box;
  };
  const Case cases[] = {
      {DType::uint16, {{0, 0, 0}, {131, 127, 130}}, {{1, 2, 3}, {130, 127, 129}}}, // 2.1 M voxels: cut across z
      {DType::uint8, {{0, 0, 0}, {2051, 1029, 2}}, {{0, 3, 0}, {2050, 1029, 1}}},  // one layer: cut across y
      {DType::int16, {{-4, -4, -4}, {60, 61, 62}}, {{-3, -4, -2}, {59, 60, 61}}},  // one slab
      {DType::float32, {{0, 0, 0}, {129, 128, 67}}, {{0, 0, 1}, {129, 128, 67}}},  // 1.1 M voxels with NaN, ±inf
  };
  for (const Case& c : cases) {
    Brick b(c.stored, c.t);
    fill_with_every_kind_of_value(b);
    const BrickView view = whole_view(b);
    ValueStatistics one_pass;
    add_value_range(view, c.box, one_pass);
    add_histogram(view, c.box, one_pass);

    const kernels::LocalValues local = kernels::local_values(view, c.box);
    EXPECT_EQ(local.range.min, one_pass.min) << to_string(c.t);
    EXPECT_EQ(local.range.max, one_pass.max) << to_string(c.t);
    EXPECT_EQ(local.range.count, one_pass.count) << to_string(c.t);
    EXPECT_EQ(local.range.non_finite, one_pass.non_finite) << to_string(c.t);
    EXPECT_EQ(local.range.count + local.range.non_finite, c.box.voxel_count()) << to_string(c.t);
    EXPECT_EQ(local.stored.has_value(), c.t != DType::float32) << to_string(c.t);
    ValueStatistics binned;
    binned.min = one_pass.min, binned.max = one_pass.max;
    kernels::add_local_histogram(view, c.box, local, binned);
    EXPECT_EQ(binned.histogram, one_pass.histogram) << to_string(c.t);
  }
}
