// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "libindex/camera.h"
#include "libindex/colormap.h"
#include "libindex/error.h"
#include "libindex/frame_memory.h"
#include "libindex/value_statistics.h"
#include "libindex/image.h"
#include "libindex/volume.h"
#include "mapping_flags.h"

using namespace libindex;

TEST(Colormap, LinearBetweenEntriesAndBoundaryModes) {
  Colormap m;
  m.entries = {{0, 0, 0, 0}, {1, 0.5f, 0, 1}, {0, 1, 0, 0.5f}};
  m.domain_min = 0.2f, m.domain_max = 0.6f;
  auto v = m.view();
  // u = (0.3-0.2)/0.4 = 0.25 -> x = 0.5: halfway between entries 0 and 1.
  EXPECT_NEAR(v.lookup(0.3f).w, 0.5f, 1e-6);
  EXPECT_NEAR(v.lookup(0.3f).y, 0.25f, 1e-6);
  // u = 0.75 -> x = 1.5: halfway between entries 1 and 2.
  EXPECT_NEAR(v.lookup(0.5f).w, 0.75f, 1e-6);
  EXPECT_NEAR(v.lookup(0.9f).w, 0.5f, 1e-6); // clamp_to_edge: last entry
  m.mode = BoundaryMode::clamp_to_transparent;
  EXPECT_EQ(m.view().lookup(0.9f).w, 0.0f);
  EXPECT_EQ(m.view().lookup(0.1f).w, 0.0f);
  EXPECT_NEAR(m.view().lookup(0.6f).w, 0.5f, 1e-6); // the domain's end is inside
}

TEST(Colormap, PresetsAndErrors) {
  for (auto& n : colormap_preset_names()) EXPECT_EQ(colormap_preset(n).entries.size(), 256u) << n;
  auto viridis = colormap_preset("viridis");
  EXPECT_NEAR(viridis.entries[0].x, 0.267f, 0.015f);  // matplotlib's first viridis entry: 0.267 0.005 0.329
  EXPECT_NEAR(viridis.entries[255].y, 0.906f, 0.01f); // last: 0.993 0.906 0.144
  EXPECT_THROW(colormap_preset("nope"), Error);
  EXPECT_EQ(parse_boundary_mode("clamp_to_transparent"), BoundaryMode::clamp_to_transparent);
  EXPECT_THROW(parse_boundary_mode("wrap"), Error);
}

TEST(ValueStatistics, TheDataDomainIsTheRangeAndALevelSetsInsideUpToItsSurface) {
  ValueStatistics s;
  EXPECT_FALSE(data_domain(s)) << "no finite value";
  s.min = -3, s.max = 2.5, s.count = 10;
  EXPECT_EQ(data_domain(s), (std::pair{-3.0f, 2.5f}));
  EXPECT_EQ(data_domain(s, /*signed_distances=*/true), (std::pair{-3.0f, 0.0f}));
  s.min = 0.5; // a level set seen from outside only: its range, as any volume
  EXPECT_EQ(data_domain(s, true), (std::pair{0.5f, 2.5f}));
  s.min = s.max = 4;
  EXPECT_EQ(data_domain(s), (std::pair{3.5f, 4.5f})) << "one unit around a single value";
}

namespace {
/// A brick of `t` whose voxels run through the type's whole range with repeats (the extremes, int16's
/// -32768 beside -32767, runs of one value), stored with a margin around the box that is counted.
Brick brick_of_every_kind_of_value(DType t) {
  Brick b(Box3i{{-3, 2, 5}, {40, 15, 11}}, t); // 43 x 13 x 6: odd rows, the counted box inside
  const long long n = b.box.voxel_count();
  for (long long i = 0; i < n; ++i) {
    const long long k = (i * 7919) % 4001; // every value of [0, 4001), scattered
    switch (t) {
    case DType::uint8:
      b.data<uint8_t>()[i] = uint8_t(i % 9 == 0 ? 255 : k % 256);
      break;
    case DType::uint16:
      b.data<uint16_t>()[i] = uint16_t(i % 9 == 0 ? 65535 : k * 16);
      break;
    case DType::int16:
      b.data<int16_t>()[i] = int16_t(i % 11 == 0 ? -32768 : i % 13 == 0 ? 32767 : k * 16 - 32767);
      break;
    case DType::float32:
      b.data<float>()[i] = float(k);
      break;
    }
  }
  return b;
}
} // namespace

// Counting 8- and 16-bit voxels by stored value must give what the passes over the voxels give:
// the same range in float, the same counts, the same bins.
TEST(ValueStatistics, CountsByStoredValueGiveWhatThePassesOverTheVoxelsGive) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16}) {
    const Brick b = brick_of_every_kind_of_value(t);
    const BrickView view = whole_view(b);
    const Box3i counted{{-1, 3, 6}, {37, 14, 10}};
    ValueStatistics voxels, counts;
    add_value_range(view, counted, voxels);
    StoredValueCounts stored;
    add_stored_values(view, counted, stored);
    ASSERT_EQ(stored.counts.size(), t == DType::uint8 ? 256u : 65536u);
    add_value_range(stored, counts);
    EXPECT_EQ(counts.min, voxels.min) << to_string(t);
    EXPECT_EQ(counts.max, voxels.max) << to_string(t);
    EXPECT_EQ(counts.count, counted.voxel_count()) << to_string(t);
    EXPECT_EQ(voxels.count, counted.voxel_count()) << to_string(t);
    add_histogram(view, counted, voxels);
    add_histogram(stored, counts);
    EXPECT_EQ(counts.histogram, voxels.histogram) << to_string(t);
  }
  // The numbers themselves, for int16: -32768 reads as -32767, so the range is [-1, 1] exactly.
  const Brick b = brick_of_every_kind_of_value(DType::int16);
  StoredValueCounts stored;
  add_stored_values(whole_view(b), b.box, stored);
  long long lowest = 0;
  for (long long i = 0; i < b.box.voxel_count(); ++i) lowest += b.data<int16_t>()[i] <= -32767;
  EXPECT_EQ(stored.counts[32768] + stored.counts[32769], lowest) << "-32768 and -32767 (bits 0x8000, 0x8001)";
  ValueStatistics s;
  add_value_range(stored, s);
  add_histogram(stored, s);
  EXPECT_EQ(s.min, -1.0);
  EXPECT_EQ(s.max, 1.0);
  EXPECT_GE(s.histogram[0], lowest) << "both in the first bin";
}

// The float32 histogram bins at float speed against thresholds found once per bin; it must agree
// with bin_of exactly, also for values a few ulps either side of every bin's start, and over
// narrow, wide, negative and huge ranges, and ranges of subnormal floats (whose bins' width,
// 1/256 of the range, has no float reciprocal: that once indexed the histogram with INT_MIN).
TEST(ValueStatistics, FloatVoxelsFallInTheBinsBinOfGivesThemExactly) {
  const std::pair<float, float> ranges[] = {{-200.0f, 800.0f}, {0.0f, 1.0f},          {1e-3f, 1e-3f + 1e-6f},
                                            {-7.5f, -7.25f},   {-3e38f, 3e38f},       {0.1f, 0.3f},
                                            {100.0f, 103.0f},  {1e6f, 1e6f + 3.0f},   {0.0f, 1e-40f},
                                            {-3e-45f, 3e-45f}, {1e-38f, 1.00001e-38f}};
  for (const auto& [lo, hi] : ranges) {
    std::vector<float> values = {lo, hi};
    for (int k = 0; k <= ValueStatistics::kBins; ++k) {
      float v = float(double(lo) + (double(hi) - double(lo)) * k / ValueStatistics::kBins);
      for (int i = 0; i < 8; ++i) v = std::nextafter(v, -INFINITY);
      for (int i = 0; i < 17; ++i, v = std::nextafter(v, INFINITY))
        if (v >= lo && v <= hi) values.push_back(v);
    }
    values.push_back(NAN), values.push_back(INFINITY); // not counted
    Brick b(Box3i{{0, 0, 0}, {int(values.size()), 1, 1}}, DType::float32);
    std::copy(values.begin(), values.end(), b.data<float>());
    ValueStatistics s;
    add_value_range(whole_view(b), b.box, s);
    ASSERT_EQ(s.min, double(lo));
    ASSERT_EQ(s.max, double(hi));
    ValueStatistics expected = s;
    for (float v : values)
      if (std::isfinite(v)) ++expected.histogram[size_t(s.bin_of(v))];
    add_histogram(whole_view(b), b.box, s);
    EXPECT_EQ(s.histogram, expected.histogram) << lo << " to " << hi;
    EXPECT_GT(s.histogram[0], 0) << lo << " to " << hi;
    EXPECT_GT(s.histogram[ValueStatistics::kBins - 1], 0) << lo << " to " << hi;
  }
}

// Most float voxels are binned by the estimate alone, 16 at a time, and runs of one value at once;
// a value near an edge, a non-finite one, and every value of a row's last few go the exact way.
// Rows of random values, of runs (the range's ends, a value in the middle, one a few ulps off an
// edge), and of runs broken by NaN and infinities: the same bins as bin_of, value by value.
TEST(ValueStatistics, FloatRowsOfRandomValuesAndRunsFallInTheBinsBinOfGivesThem) {
  const std::pair<float, float> ranges[] = {{-3.0f, 3.0f}, {0.0f, 1.0f}, {-200.0f, 800.0f}, {1e6f, 1e6f + 3.0f}};
  std::mt19937 random(7);
  for (const auto& [lo, hi] : ranges) {
    std::vector<float> runs = {lo, hi, float(0.5 * (double(lo) + hi))};
    for (const int k : {1, 77, 128, ValueStatistics::kBins - 1}) { // values up to 4 ulps from an edge
      float v = float(double(lo) + (double(hi) - double(lo)) * k / ValueStatistics::kBins);
      for (int i = 0; i < 4; ++i) v = std::nextafter(v, -INFINITY);
      for (int i = 0; i < 9; ++i, v = std::nextafter(v, INFINITY)) runs.push_back(v);
    }
    const int width = 16 * 20 + 7; // blocks of 16 and a tail
    std::vector<float> values;
    std::uniform_real_distribution<float> uniform(lo, hi);
    for (int i = 0; i < width * 8; ++i) values.push_back(uniform(random));
    for (const float v : runs) values.insert(values.end(), size_t(width), v);
    for (const float v : runs) // broken runs: a value that is no number every 40 voxels
      for (int i = 0; i < width; ++i) values.push_back(i % 40 == 39 ? (i % 80 == 79 ? NAN : -INFINITY) : v);
    values.front() = lo, values.back() = hi;
    const int rows = int(values.size()) / width;
    values.resize(size_t(rows) * width);
    Brick b(Box3i{{0, 0, 0}, {width, rows, 1}}, DType::float32);
    std::copy(values.begin(), values.end(), b.data<float>());
    ValueStatistics s;
    s.min = lo, s.max = hi;
    ValueStatistics expected = s;
    for (float v : values)
      if (std::isfinite(v)) ++expected.histogram[size_t(s.bin_of(v))];
    add_histogram(whole_view(b), b.box, s);
    EXPECT_EQ(s.histogram, expected.histogram) << lo << " to " << hi;
    // And a box that starts inside a row: its blocks of 16 fall elsewhere.
    const Box3i part{{5, 1, 0}, {width - 2, rows, 1}};
    ValueStatistics in_part = s, expected_part = s;
    in_part.histogram.fill(0), expected_part.histogram.fill(0);
    for (int y = part.lo.y; y < part.hi.y; ++y)
      for (int x = part.lo.x; x < part.hi.x; ++x)
        if (const float v = values[size_t(y) * width + x]; std::isfinite(v))
          ++expected_part.histogram[size_t(s.bin_of(v))];
    add_histogram(whole_view(b), part, in_part);
    EXPECT_EQ(in_part.histogram, expected_part.histogram) << lo << " to " << hi;
  }
}

// The float range runs 16 minima and maxima side by side, one per position in a block of 16: the
// least and greatest finite value must come out wherever they lie (in any of the 16 positions, or
// in a row's tail), NaN and infinities must neither enter the range nor be counted as values, and a
// box that starts inside a row moves every value to another position.
TEST(ValueStatistics, TheFloatRangeFindsItsEndsInEveryLaneAndTailAndSkipsNonFiniteValues) {
  std::mt19937 random(11);
  std::uniform_real_distribution<float> uniform(-5.0f, 5.0f);
  for (const int width : {1, 15, 16, 17, 16 * 3 + 5}) {
    const int rows = 3;
    for (int at = 0; at < width * rows; ++at) { // where the ends lie
      std::vector<float> values(size_t(width) * rows);
      for (float& v : values) v = uniform(random);
      for (size_t i = 0; i < values.size(); i += 7) values[i] = (i / 7) % 3 == 0 ? NAN : (i % 2 ? INFINITY : -INFINITY);
      values[size_t(at)] = -9.5f;
      values[values.size() - 1 - size_t(at) % values.size()] = 8.25f; // may overwrite -9.5: then no -9.5
      Brick b(Box3i{{0, 0, 0}, {width, rows, 1}}, DType::float32);
      std::copy(values.begin(), values.end(), b.data<float>());
      for (const Box3i box : {b.box, Box3i{{std::min(3, width - 1), 1, 0}, {width, rows, 1}}}) {
        double lo = INFINITY, hi = -INFINITY;
        long long finite = 0;
        for (int y = box.lo.y; y < box.hi.y; ++y)
          for (int x = box.lo.x; x < box.hi.x; ++x)
            if (const float v = values[size_t(y) * width + x]; std::isfinite(v))
              lo = std::min(lo, double(v)), hi = std::max(hi, double(v)), ++finite;
        ValueStatistics s;
        add_value_range(whole_view(b), box, s);
        ASSERT_EQ(s.min, lo) << "width " << width << ", ends at " << at << ", box " << to_string(box);
        ASSERT_EQ(s.max, hi) << "width " << width << ", ends at " << at << ", box " << to_string(box);
        ASSERT_EQ(s.count, finite) << "width " << width;
        ASSERT_EQ(s.non_finite, box.voxel_count() - finite) << "width " << width;
      }
    }
  }
  // Nothing finite: an empty range, every voxel counted as non-finite.
  Brick b(Box3i{{0, 0, 0}, {20, 1, 1}}, DType::float32);
  std::fill(b.data<float>(), b.data<float>() + 20, NAN);
  ValueStatistics s;
  add_value_range(whole_view(b), b.box, s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.non_finite, 20);
}

TEST(ValueStatistics, CountsRefuseFloatsAndMixedTypes) {
  const Brick f = brick_of_every_kind_of_value(DType::float32), u = brick_of_every_kind_of_value(DType::uint16);
  StoredValueCounts stored;
  EXPECT_THROW(add_stored_values(whole_view(f), f.box, stored), Error);
  add_stored_values(whole_view(u), u.box, stored);
  const Brick b = brick_of_every_kind_of_value(DType::int16);
  EXPECT_THROW(add_stored_values(whole_view(b), b.box, stored), Error);
}

TEST(Image, OverIsAssociativeAndConversionsRound) {
  Vec4f a{0.2f, 0.1f, 0.0f, 0.4f}, b{0.0f, 0.3f, 0.1f, 0.5f}, c{0.5f, 0.5f, 0.5f, 0.9f};
  Vec4f l = over(over(a, b), c), r = over(a, over(b, c));
  EXPECT_NEAR(l.x, r.x, 1e-6);
  EXPECT_NEAR(l.w, r.w, 1e-6);
  EXPECT_NEAR(l.w, 1 - 0.6f * 0.5f * 0.1f, 1e-6);
  Image img(1, 1);
  img.at(0, 0) = {0.25f, 0.0f, 0.0f, 0.5f};
  EXPECT_EQ(to_rgba8_straight(img)[0], 128); // 0.25/0.5 = 0.5 -> round(127.5) = 128
  EXPECT_EQ(to_rgba8_premultiplied(img)[0], 64);
  apply_background(img, {0, 0, 1, 1});
  EXPECT_NEAR(img.at(0, 0).z, 0.5f, 1e-6);
  EXPECT_NEAR(img.at(0, 0).w, 1.0f, 1e-6);
}

// The frame conversion every served frame goes through: each channel exactly to_unorm8's, over
// every float in [-0.01, 1.01] a 2^-20 step apart, the rounding edges (k + 0.5) / 255, and beyond.
TEST(Image, EightBitConversionIsToUnorm8ForEveryChannel) {
  std::vector<float> values;
  for (int i = -10486; i <= 1059062; ++i) values.push_back(float(i) / 1048576.0f);
  for (int k = 0; k < 255; ++k)
    for (float d : {-1e-6f, 0.0f, 1e-6f}) values.push_back((float(k) + 0.5f) / 255.0f + d);
  for (float v : {-1e30f, -0.0f, 2.0f, 1e30f}) values.push_back(v);
  while (values.size() % 4) values.push_back(0.5f);
  Image img(int(values.size() / 4), 1);
  for (size_t i = 0; i < values.size() / 4; ++i)
    img.pixels()[i] = {values[4 * i], values[4 * i + 1], values[4 * i + 2], values[4 * i + 3]};
  const std::vector<uint8_t> out = to_rgba8_premultiplied(img);
  ASSERT_EQ(out.size(), values.size());
  size_t wrong = 0;
  for (size_t i = 0; i < values.size(); ++i) wrong += out[i] != to_unorm8(values[i]);
  EXPECT_EQ(wrong, 0u);
  img.pixels()[0].x = std::nanf("");
  EXPECT_EQ(to_rgba8_premultiplied(img)[0], 0) << "NaN is no colour";
}

TEST(Camera, CentrePixelLooksAlongDirAndRectCoversBox) {
  Camera c;
  c.from = {0, 0, 10}, c.dir = {0, 0, -1}, c.up = {0, 1, 0}, c.aperture = 2, c.focal = 1;
  CameraFrame f = camera_frame(c);
  EXPECT_NEAR(f.right.x, 1.0f, 1e-6); // right = dir x up
  Ray r = camera_ray(c, f, 50, 50, 101, 101);
  EXPECT_NEAR(r.dir.z, -1.0f, 1e-6);
  // Top-left pixel looks up and to the left.
  Ray tl = camera_ray(c, f, 0, 0, 101, 101);
  EXPECT_LT(tl.dir.x, 0);
  EXPECT_GT(tl.dir.y, 0);
  // A unit box at distance 10 covers 1/10 of the plane half-width 1: about 10 pixels around the centre.
  Rect rect = projected_rect(c, {{-0.5f, -0.5f, -0.5f}, {0.5f, 0.5f, 0.5f}}, 101, 101);
  EXPECT_GE(rect.x0, 40);
  EXPECT_LE(rect.x1, 61);
  EXPECT_LE(rect.x0, 47);
  EXPECT_GE(rect.x1, 54);
  // Eye inside the box: the whole image.
  c.from = {0, 0, 0};
  EXPECT_EQ(projected_rect(c, {{-1, -1, -1}, {1, 1, 1}}, 8, 4), (Rect{0, 0, 8, 4}));
}

TEST(Volume, DtypesNormalize) {
  EXPECT_EQ(parse_dtype("sint16"), DType::int16);
  EXPECT_THROW(parse_dtype("rgba8"), Error);
  Brick b({{0, 0, 0}, {2, 1, 1}}, DType::int16);
  b.data<int16_t>()[1] = -32767;
  EXPECT_FLOAT_EQ(b.value({1, 0, 0}), -1.0f);
  EXPECT_EQ(b.bytes.size(), 4u);
}

TEST(Volume, VisitDtypePicksTheVoxelType) {
  struct Expected {
    DType t;
    size_t size;
    bool is_signed, is_float;
  };
  for (const Expected e : {Expected{DType::uint8, 1, false, false}, Expected{DType::uint16, 2, false, false},
                           Expected{DType::int16, 2, true, false}, Expected{DType::float32, 4, true, true}}) {
    const auto [size, is_signed, is_float] = visit_dtype(e.t, [](auto tag) {
      using T = typename decltype(tag)::type;
      return std::tuple{sizeof(T), std::is_signed_v<T>, std::is_floating_point_v<T>};
    });
    EXPECT_EQ(size, e.size) << to_string(e.t);
    EXPECT_EQ(size, size_t(dtype_size(e.t))) << to_string(e.t);
    EXPECT_EQ(is_signed, e.is_signed) << to_string(e.t);
    EXPECT_EQ(is_float, e.is_float) << to_string(e.t);
  }
  // A reference to the callable is forwarded, and a void callable is allowed.
  int calls = 0;
  auto count = [&calls](auto) { ++calls; };
  visit_dtype(DType::uint16, count);
  EXPECT_EQ(calls, 1);
}

TEST(Volume, VisitDtypeRejectsAValueOutsideTheEnum) {
  const DType bad = static_cast<DType>(7);
  int calls = 0;
  try {
    visit_dtype(bad, [&](auto) { return ++calls; });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid voxel format (DType value 7"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 0);
}

#include "libindex/kdtree.h"

TEST(KdTree, AnyLeafCountTilesTheBoxBalanced) {
  const Box3i vol{{0, 0, 0}, {64, 48, 40}};
  for (int n : {1, 2, 3, 5, 7, 8}) {
    KdTree t = build_kdtree(vol, n);
    ASSERT_EQ(t.leaf_count(), n);
    int64_t sum = 0, mx = 0;
    for (int i = 0; i < n; ++i) {
      sum += t.leaf_box(i).voxel_count();
      mx = std::max(mx, t.leaf_box(i).voxel_count());
      for (int j = 0; j < i; ++j) EXPECT_TRUE(intersect(t.leaf_box(i), t.leaf_box(j)).empty());
    }
    EXPECT_EQ(sum, vol.voxel_count()) << n;                          // disjoint and covering
    EXPECT_LE(double(mx), 1.1 * double(vol.voxel_count()) / n) << n; // balanced within 10 %
  }
}

// A tiny volume on many ranks: leaves beyond the voxels get empty boxes; in a row of voxels, as many
// leaves as voxels get one each (in a 3 x 2 box the proportional splits may leave a voxel more to one).
TEST(KdTree, LeavesBeyondTheVoxelsAreEmptyAndTheOthersStillTileTheBox) {
  for (const Box3i vol : {Box3i{{0, 0, 0}, {1, 1, 1}}, Box3i{{0, 0, 0}, {2, 1, 1}}, Box3i{{-2, 4, 1}, {3, 5, 2}},
                          Box3i{{5, -3, 7}, {8, -1, 8}}})
    for (int n = 1; n <= 9; ++n) {
      const KdTree t = build_kdtree(vol, n);
      ASSERT_EQ(t.leaf_count(), n);
      int64_t sum = 0, nonempty = 0;
      for (int i = 0; i < n; ++i) {
        const Box3i b = t.leaf_box(i);
        sum += b.voxel_count();
        nonempty += !b.empty();
        if (!b.empty()) {
          EXPECT_EQ(intersect(b, vol), b) << to_string(b);
        }
        for (int j = 0; j < i; ++j) EXPECT_TRUE(intersect(b, t.leaf_box(j)).empty());
      }
      EXPECT_EQ(sum, vol.voxel_count()) << to_string(vol) << " in " << n;
      const bool row = vol.voxel_count() == vol.size().x;
      if (row) {
        EXPECT_EQ(nonempty, std::min<int64_t>(n, vol.voxel_count())) << to_string(vol) << " in " << n;
      } else {
        EXPECT_GE(nonempty, std::min(n, 4)) << to_string(vol) << " in " << n;
      }
      EXPECT_EQ(int(visibility_order(t, {-1, -1, -1}, {1, 1, 1}, false).size()), n);
    }
  // Jobs' parts may not be empty: a job's session reads an empty part as the whole volume.
  EXPECT_FALSE(build_weighted_kdtree({{0, 0, 0}, {2, 1, 1}}, {1, 1, 1}).has_value());
  EXPECT_TRUE(build_weighted_kdtree({{0, 0, 0}, {3, 1, 1}}, {1, 1, 1}).has_value());
}

// Jobs of a session weighted by their rank counts: 2 ranks and 6 ranks split 100 slabs 25 / 75.
TEST(KdTree, WeightedLeavesGetTheirShareOfTheVoxels) {
  const Box3i vol{{0, 0, 0}, {100, 10, 10}};
  const KdTree two = build_weighted_kdtree(vol, {2, 6}).value();
  EXPECT_EQ(two.leaf_box(0), (Box3i{{0, 0, 0}, {25, 10, 10}}));
  EXPECT_EQ(two.leaf_box(1), (Box3i{{25, 0, 0}, {100, 10, 10}}));
  const KdTree three = build_weighted_kdtree(vol, {1, 1, 2}).value();
  int64_t sum = 0;
  for (int i = 0; i < 3; ++i) sum += three.leaf_box(i).voxel_count();
  EXPECT_EQ(sum, vol.voxel_count());
  EXPECT_EQ(three.leaf_box(2).voxel_count(), vol.voxel_count() / 2);
  EXPECT_EQ(build_weighted_kdtree(vol, {3})->leaf_box(0), vol);
  EXPECT_THROW(build_weighted_kdtree(vol, {1, 0}), Error);
}

TEST(KdTree, VisibilityOrderPutsTheEyesSideFirst) {
  KdTree t = build_kdtree({{0, 0, 0}, {100, 10, 10}}, 4); // four slabs along x
  std::vector<int> from_left = visibility_order(t, {-5, 5, 5}, {1, 0, 0}, false);
  EXPECT_EQ(from_left, (std::vector<int>{0, 1, 2, 3}));
  std::vector<int> from_inside = visibility_order(t, {30, 5, 5}, {1, 0, 0}, false); // eye in leaf 1
  EXPECT_EQ(from_inside.front(), 1);
  std::vector<int> ortho = visibility_order(t, {500, 5, 5}, {-1, 0, 0}, true);
  EXPECT_EQ(ortho, (std::vector<int>{3, 2, 1, 0}));
}

// Frame-sized buffers outlive their image: the next image of the same size gets the same memory
// (no page faults), small ones go back to malloc, and what is kept stays bounded.
TEST(FrameMemory, AFreedFrameIsReusedByTheNextOfItsSize) {
  const Vec4f* first = nullptr;
  const std::size_t bytes = 1024 * 768 * sizeof(Vec4f);
  {
    Image a(1024, 768);
    first = a.pixels().data();
    a.at(5, 5) = {1, 1, 1, 1};
  }
  const std::size_t kept = frame_memory::kept_bytes();
  EXPECT_GE(kept, bytes);
  Image b(1024, 768);
  EXPECT_EQ(b.pixels().data(), first);
  EXPECT_EQ(frame_memory::kept_bytes(), kept - bytes);
  EXPECT_EQ(b.at(5, 5).w, 0.0f) << "a reused frame starts transparent black like a new one";
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.pixels().data()) % 64, 0u);
}

TEST(FrameMemory, ABlockThatCannotBeAllocatedSaysHowLargeItWas) {
  try {
    frame_memory::take(std::size_t(1) << 60); // 2^30 GiB: no machine has it
    FAIL() << "2^60 bytes were allocated";
  } catch (const std::bad_alloc& e) {
    EXPECT_EQ(std::string(e.what()).rfind("out of memory: 1.07e+09 GiB could not be allocated on this rank", 0), 0u)
        << e.what();
  }
}

TEST(FrameMemory, KeepsOnlyAFewLargeBlocks) {
  const std::size_t before = frame_memory::kept_bytes();
  { Image small(64, 64); } // 64 KiB: freed, not kept
  EXPECT_EQ(frame_memory::kept_bytes(), before) << "only blocks of a megabyte or more are kept";
  std::vector<void*> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(frame_memory::take((std::size_t(2) << 20) + 64 * i));
  for (int i = 0; i < 10; ++i) frame_memory::give(blocks[i], (std::size_t(2) << 20) + 64 * i);
  // The eight newest are kept; the two oldest (and whatever was kept before) were freed.
  std::size_t newest = 0;
  for (int i = 2; i < 10; ++i) newest += (std::size_t(2) << 20) + 64 * i;
  EXPECT_EQ(frame_memory::kept_bytes(), newest);
  EXPECT_EQ(frame_memory::take((std::size_t(2) << 20) + 64 * 9), blocks[9]);
  frame_memory::give(blocks[9], (std::size_t(2) << 20) + 64 * 9);
}

// A brick of a gigabyte is gathered from all over by every frame's rays: blocks of a huge page or
// more start on one and ask the kernel for transparent huge pages (fewer TLB misses, and 512 times
// fewer page faults to fill).
TEST(FrameMemory, BlocksOfAHugePageOrMoreAskForHugePages) {
  const std::size_t huge = frame_memory::huge_page_bytes, bytes = 3 * huge + 4096 * 7 + 100;
  void* block = frame_memory::take(bytes);
  const auto start = reinterpret_cast<std::uintptr_t>(block);
  EXPECT_EQ(start % huge, 0u);
  // The mapping that holds the block carries the kernel's MADV_HUGEPAGE flag ("hg" in VmFlags).
  const std::string flags = test_support::mapping_flags(block);
  frame_memory::give(block, bytes);
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage"))
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  EXPECT_NE(flags.find(" hg "), std::string::npos) << flags;
}

namespace {
// A stand-in for page-locked memory: counts what it gives and gets back.
std::size_t g_given = 0, g_back = 0;
void* counted_allocate(std::size_t bytes) {
  ++g_given;
  return std::aligned_alloc(64, bytes);
}
void counted_release(void* block) {
  ++g_back;
  std::free(block);
}
} // namespace

// A backend's host allocator (page-locked memory for the GPU's copies): large blocks come from it,
// go back to it when not kept, up to its limit; small ones and those beyond it come from malloc.
TEST(FrameMemory, LargeBlocksComeFromTheBackendsAllocatorUpToItsLimit) {
  const std::size_t mib = std::size_t(1) << 20;
  ASSERT_TRUE(frame_memory::use_host_allocator(counted_allocate, counted_release, 6 * mib));
  EXPECT_EQ(frame_memory::kept_bytes(), 0u) << "blocks kept from malloc are dropped";
  const std::size_t given = g_given;
  void* a = frame_memory::take(4 * mib);
  void* small = frame_memory::take(mib / 2);
  void* beyond = frame_memory::take(5 * mib); // 9 MiB would pass the limit: malloc's
  EXPECT_EQ(g_given, given + 1);
  EXPECT_EQ(frame_memory::allocator_bytes(), 4 * mib);
  EXPECT_FALSE(frame_memory::use_host_allocator(nullptr, nullptr, 0)) << "a frame still holds one of its blocks";
  frame_memory::give(small, mib / 2);
  frame_memory::give(beyond, 5 * mib);
  frame_memory::give(a, 4 * mib); // kept for the next frame of its size
  EXPECT_EQ(frame_memory::take(4 * mib), a);
  frame_memory::give(a, 4 * mib);
  const std::size_t back = g_back;
  ASSERT_TRUE(frame_memory::use_host_allocator(nullptr, nullptr, 0)); // malloc again
  EXPECT_EQ(g_back, back + 1) << "the kept block went back to the allocator that gave it";
  EXPECT_EQ(frame_memory::allocator_bytes(), 0u);
}

TEST(FrameMemory, ABrickReusesTheLastBrickOfItsSize) {
  // A time step's brick: the next one of the same box and type gets the same, already mapped, block.
  const Box3i box{{0, 0, 0}, {128, 128, 64}}; // 4 MiB of float32
  const std::byte* first = nullptr;
  {
    Brick a(box, DType::float32);
    first = a.bytes.data();
    a.data<float>()[7] = 3.0f;
  }
  {
    Brick b(box, DType::float32);
    EXPECT_EQ(b.bytes.data(), first);
    EXPECT_EQ(b.data<float>()[7], 0.0f) << "a reused brick starts zeroed like a new one";
    EXPECT_TRUE(std::all_of(b.bytes.begin(), b.bytes.end(), [](std::byte v) { return v == std::byte{0}; }));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.bytes.data()) % 64, 0u);
    b.data<float>()[7] = 5.0f;
  }
  // Unset: for a reader that writes every voxel, the block as it was, with no pass over it first.
  Brick c(box, DType::float32, Brick::Unset{});
  EXPECT_EQ(c.bytes.data(), first);
  EXPECT_EQ(c.data<float>()[7], 5.0f);
  EXPECT_EQ(c.bytes.size(), size_t(box.voxel_count()) * 4);
}
