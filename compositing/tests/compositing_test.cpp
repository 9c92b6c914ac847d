// SPDX-License-Identifier: Apache-2.0
/// \file Compositing under mpirun (CTest runs it on 1, 2, 3, 4, 5 and 8 ranks): every strategy and
/// wire format against the serial `over` of all layers, computed on root. Every rank runs every
/// test; a failure on any rank fails that test on every rank (Compositing::TearDown), and each
/// rank's exit code reaches mpirun, which fails when any rank does.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "libindex/compositing/compositor.h"
#include "libindex/error.h"
#include "libindex/mpi/check.h"
#include "mapping_flags.h"
#include "memory.h"
#include "pixel_format.h"
#include "rect_ops.h"
#include "sparse.h"
#include "strategies.h"

using namespace libindex;
using namespace libindex::compositing;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

constexpr Strategy all_strategies[] = {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k};
constexpr PixelFormat all_formats[] = {PixelFormat::f32, PixelFormat::f16, PixelFormat::u8};

const char* name(PixelFormat f) { return f == PixelFormat::f32 ? "f32" : (f == PixelFormat::f16 ? "f16" : "u8"); }

/// How a test frame is made. Layers come from a hash of (seed, rank, x, y), so root rebuilds any
/// rank's pixel for the reference without a message.
struct Frame {
  int width = 61, height = 37;
  uint32_t seed = 1;
  bool sparse = true;        ///< random active sub-rectangles, else the whole image
  int empty_ranks = 0;       ///< ranks at odd positions of the order get an empty rect, when 1
  bool all_empty = false;    ///< every rank: empty rect
  bool transparent = false;  ///< full rects, but every pixel transparent
  bool single_pixel = false; ///< one non-empty pixel per rank
  bool mip_values = false;   ///< (v, 0, 0, 1) with v in [-1, 1], as the session's distributed MIP
};

uint64_t mix(uint64_t x) { // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::vector<int> visibility_order(const Frame& f) {
  std::vector<int> order(static_cast<size_t>(world_size()));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 g(f.seed);
  std::shuffle(order.begin(), order.end(), g);
  return order;
}

Rect active_rect(const Frame& f, int rank) {
  if (f.all_empty) return {};
  if (f.empty_ranks) {
    const std::vector<int> order = visibility_order(f);
    const int pos = int(std::find(order.begin(), order.end(), rank) - order.begin());
    if (pos % 2 == 1) return {};
  }
  if (!f.sparse) return {0, 0, f.width, f.height};
  std::mt19937 g(f.seed * 7919u + uint32_t(rank));
  // Random, but every rect spans the middle fifth of the image, so that layers really overlap
  // (order mistakes show) while each rank's rect still differs.
  auto span = [&](int n, int& lo, int& hi) {
    lo = std::uniform_int_distribution<int>(0, 2 * n / 5)(g);
    hi = std::uniform_int_distribution<int>(std::max(lo + 1, (3 * n + 4) / 5), n)(g);
  };
  Rect r;
  span(f.width, r.x0, r.x1);
  span(f.height, r.y0, r.y1);
  return r;
}

/// The pixel rank `rank` contributes at (x, y), as the compositor must see it (transparent outside
/// its active rect). Premultiplied: colour <= alpha <= 1; a quarter of the pixels are empty.
Vec4f layer_pixel(const Frame& f, int rank, const Rect& active, int x, int y) {
  if (x < active.x0 || x >= active.x1 || y < active.y0 || y >= active.y1 || f.transparent) return {};
  const uint64_t h = mix((uint64_t(f.seed) << 48) ^ (uint64_t(rank) << 40) ^ (uint64_t(y) << 20) ^ uint64_t(x));
  if (f.single_pixel) return x == active.x0 && y == active.y0 ? Vec4f{0.25f, 0.5f, 0.125f, 0.75f} : Vec4f{};
  if ((h & 3) == 0) return {};
  if (f.mip_values) return {float((h >> 8) & 0xffff) / 32767.5f - 1.0f, 0, 0, 1};
  const float a = float((h >> 8) & 0xffff) / 65535.0f;
  auto c = [&](int i) { return a * float((h >> (24 + 10 * i)) & 1023) / 1023.0f; };
  return {c(0), c(1), c(2), a};
}

/// This rank's image: its layer inside the active rect and, outside it, an opaque colour the
/// compositor must never read (the contract says transparent; this proves it only reads `active`).
Image make_image(const Frame& f, int rank, const Rect& active) {
  Image image(f.width, f.height);
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      const bool inside = x >= active.x0 && x < active.x1 && y >= active.y0 && y < active.y1;
      image.at(x, y) = inside ? layer_pixel(f, rank, active, x, y) : Vec4f{0.25f, 0.5f, 0.75f, 1.0f};
    }
  return image;
}

/// The serial result on one rank from every layer: front to back, `over` (or max) in order.
Image reference(const Frame& f, Operator op) {
  const std::vector<int> order = visibility_order(f);
  std::vector<Rect> rects;
  for (int r = 0; r < world_size(); ++r) rects.push_back(active_rect(f, r));
  Image out(f.width, f.height);
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      Vec4f acc{};
      for (int r : order) {
        const Vec4f p = layer_pixel(f, r, rects[size_t(r)], x, y);
        if (op == Operator::over)
          acc = over(acc, p);
        else if (p.w > 0) // max over the pixels present
          acc = acc.w == 0
                    ? p
                    : Vec4f{std::max(acc.x, p.x), std::max(acc.y, p.y), std::max(acc.z, p.z), std::max(acc.w, p.w)};
      }
      out.at(x, y) = acc;
    }
  return out;
}

/// How far the wire may move a pixel, and why. A strategy merges n layers with n-1 `over`s, and in
/// each one operand is a message: each rank's partial result is quantized once on its way, the
/// final gather once more, so at most Q = n quantizations touch a pixel. One of them perturbs a
/// partial composite V by at most eps per channel (u8: half a step, 0.5/255; f16: half an ulp
/// below 1, 2^-12 — premultiplied values never exceed 1). The result is P over V over S with P, S
/// exact, so it moves by (1 - P.a) * (dV.c - dV.a * S.c): at most 2 eps. First-order sum: 2 Q eps,
/// plus slack for float rounding and second-order terms. f32 keeps 1e-6 (float rounding only).
float tolerance(PixelFormat f, Operator op) {
  const float eps = f == PixelFormat::u8 ? 0.5f / 255.0f : (f == PixelFormat::f16 ? 0x1p-12f : 0.0f);
  if (f == PixelFormat::f32) return 1e-6f;
  // max commutes with monotone rounding, and re-rounding a rounded value changes nothing: one eps.
  if (op == Operator::max) return eps + 1e-6f;
  return 2.0f * float(world_size()) * eps + 1e-5f;
}

struct Outcome {
  Image image;
  Stats stats;
};

Outcome run(const Frame& f, const Options& o) {
  const int rank = world_rank();
  const Rect active = active_rect(f, rank);
  Image local = make_image(f, rank, active);
  const std::vector<int> order = visibility_order(f);
  Outcome out;
  out.image = composite(local.view(), active, order, MPI_COMM_WORLD, o, &out.stats);
  return out;
}

/// Runs `f` with `o` and checks the result against the serial reference on root.
Stats check(const Frame& f, const Options& o, const std::string& what) {
  const Outcome out = run(f, o);
  const int rank = world_rank();
  if (rank != o.root) {
    EXPECT_EQ(out.image.width(), 0) << what << ": non-root ranks get an empty image";
    return out.stats;
  }
  const Image expected = reference(f, o.op);
  EXPECT_EQ(out.image.width(), f.width) << what;
  EXPECT_EQ(out.image.height(), f.height) << what;
  if (out.image.width() != f.width || out.image.height() != f.height) return out.stats;
  EXPECT_LE(max_abs_difference(out.image, expected), tolerance(o.format, o.op))
      << what << " on " << world_size() << " ranks";
  // Outside every active rect nothing may appear, whatever the wire format.
  std::vector<Rect> rects;
  for (int r = 0; r < world_size(); ++r) rects.push_back(active_rect(f, r));
  int stray = 0;
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      bool covered = false;
      for (const Rect& r : rects) covered |= x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      const Vec4f p = out.image.at(x, y);
      if (!covered && (p.x != 0 || p.y != 0 || p.z != 0 || p.w != 0)) ++stray;
    }
  EXPECT_EQ(stray, 0) << what << ": non-zero pixels outside every active rect";
  return out.stats;
}

std::string label(Strategy s, PixelFormat f) { return to_string(s) + "/" + name(f); }

long long sum_over_ranks(long long v) {
  long long total = 0;
  MPI_Allreduce(&v, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

/// Every test is collective. A failed assertion on any rank fails the test on all of them.
class Compositing : public ::testing::Test {
 protected:
  void TearDown() override {
    int failed = HasFailure() ? 1 : 0, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !failed) ADD_FAILURE() << "an assertion failed on another rank";
  }
};

TEST_F(Compositing, EveryStrategyAndFormatMatchesSerialOver) {
  Frame f; // 61x37, random sub-rects, random order, garbage outside the rects
  for (Strategy s : all_strategies) {
    long long bytes[3] = {};
    for (PixelFormat p : all_formats) {
      Options o;
      o.strategy = s;
      o.format = p;
      const Stats st = check(f, o, label(s, p));
      EXPECT_EQ(st.used, s);
      bytes[int(p)] = sum_over_ranks(st.bytes_sent);
    }
    // The format is what travels: smaller pixels, fewer bytes (same runs, same headers).
    if (world_size() > 1) {
      EXPECT_LT(bytes[int(PixelFormat::f16)], bytes[int(PixelFormat::f32)]) << to_string(s);
      EXPECT_LT(bytes[int(PixelFormat::u8)], bytes[int(PixelFormat::f16)]) << to_string(s);
    }
  }
  Options automatic;
  const Stats st = check(f, automatic, "auto");
  EXPECT_EQ(st.used, choose_strategy(world_size(), f.width, f.height));
}

TEST_F(Compositing, DenseLayersAndOtherSeeds) {
  for (uint32_t seed : {2u, 3u}) {
    Frame f;
    f.seed = seed;
    f.sparse = seed == 3;
    f.width = 40;
    f.height = 64;
    for (Strategy s : all_strategies) {
      Options o;
      o.strategy = s;
      check(f, o, label(s, PixelFormat::f32) + " seed " + std::to_string(seed));
    }
  }
}

TEST_F(Compositing, RadixKWorksForAnyK) {
  Frame f;
  f.seed = 11;
  for (int k : {2, 3, 5, 8}) {
    Options o;
    o.strategy = Strategy::radix_k;
    o.radix_k = k;
    const Stats st = check(f, o, "radix-k k=" + std::to_string(k));
    const int m = detail::radix_k_groups(world_size(), k);
    EXPECT_EQ(st.rounds, (m < world_size() ? 1 : 0) + int(detail::radix_k_factors(m, k).size()));
  }
}

TEST_F(Compositing, RanksWithEmptyActiveRectTakePart) {
  Frame f;
  f.seed = 5;
  f.empty_ranks = 1;
  for (Strategy s : all_strategies)
    for (PixelFormat p : {PixelFormat::f32, PixelFormat::u8}) {
      Options o;
      o.strategy = s;
      o.format = p;
      check(f, o, label(s, p) + " with empty ranks");
    }
}

TEST_F(Compositing, OddLargeImage) {
  Frame f;
  f.width = 1023;
  f.height = 517;
  f.seed = 7;
  for (Strategy s : all_strategies) {
    Options o;
    o.strategy = s;
    check(f, o, label(s, PixelFormat::f32) + " 1023x517");
  }
  Options o;
  o.format = PixelFormat::f16;
  check(f, o, "auto/f16 1023x517");
}

TEST_F(Compositing, OneByOneImage) {
  Frame f;
  f.width = f.height = 1;
  f.sparse = false;
  f.seed = 9;
  for (Strategy s : all_strategies)
    for (PixelFormat p : all_formats) {
      Options o;
      o.strategy = s;
      o.format = p;
      check(f, o, label(s, p) + " 1x1");
    }
}

TEST_F(Compositing, MaxOperator) {
  Frame f;
  f.seed = 13;
  for (Strategy s : all_strategies)
    for (PixelFormat p : {PixelFormat::f32, PixelFormat::u8}) {
      Options o;
      o.strategy = s;
      o.format = p;
      o.op = Operator::max;
      check(f, o, label(s, p) + " max");
    }
}

TEST_F(Compositing, MaxKeepsSignedMipValues) {
  // The session's distributed MIP sends (max value, 0, 0, 1) with values of signed volumes in
  // [-1, 1]: a rank that saw nothing at a pixel must not floor its maximum at 0.
  Frame f;
  f.seed = 29;
  f.mip_values = true;
  for (Strategy s : all_strategies)
    for (PixelFormat p : {PixelFormat::f32, PixelFormat::f16}) {
      Options o;
      o.strategy = s;
      o.format = p;
      o.op = Operator::max;
      check(f, o, label(s, p) + " signed MIP values");
    }
}

TEST_F(Compositing, EmptyFramesSendOnlyMarkers) {
  const int n = world_size();
  for (bool all_empty : {true, false}) {
    Frame f;
    f.width = f.height = 256;
    f.all_empty = all_empty;
    f.transparent = !all_empty; // full rects whose pixels are all transparent
    f.sparse = false;
    for (Strategy s : all_strategies) {
      Options o;
      o.strategy = s;
      const Stats st = check(f, o, to_string(s) + (all_empty ? " empty rects" : " transparent frame"));
      // A rank sends at most n messages (direct send: n-1 and the gather): 40-byte markers, and
      // for the gather of a blank region a header and one 8-byte chunk entry.
      EXPECT_LE(st.bytes_sent, 48LL * n) << to_string(s);
      EXPECT_EQ(sum_over_ranks(st.bytes_sent), sum_over_ranks(st.bytes_received));
    }
  }
}

TEST_F(Compositing, OnlyActivePixelsTravel) {
  // One non-empty pixel per rank in a 256x256 image (1 MiB as dense f32): what travels is
  // headers plus a few pixels. A message holds at most n pixels: a 40-byte header, a chunk table
  // of at most 4 entries (chunks of >= 64 rows of 256 pixels), n runs of (8 + 16) bytes; a rank
  // sends at most n messages.
  const int n = world_size();
  Frame f;
  f.width = f.height = 256;
  f.single_pixel = true;
  f.seed = 17;
  for (Strategy s : all_strategies) {
    Options o;
    o.strategy = s;
    const Stats st = check(f, o, to_string(s) + " single pixels");
    EXPECT_LE(st.bytes_sent, (long long)n * (72 + 24 * n)) << to_string(s);
  }
}

TEST_F(Compositing, CompositeIntoRewritesEveryPixel) {
  // The caller's buffer holds the last frame (here: an opaque colour everywhere); the result must
  // equal composite()'s exactly, on every strategy and format.
  Frame f;
  f.seed = 23;
  f.empty_ranks = 1;
  const int rank = world_rank();
  const Rect active = active_rect(f, rank);
  Image local = make_image(f, rank, active);
  const std::vector<int> order = visibility_order(f);
  for (Strategy s : all_strategies)
    for (PixelFormat p : {PixelFormat::f32, PixelFormat::u8}) {
      Options o;
      o.strategy = s;
      o.format = p;
      o.root = world_size() / 2;
      Image kept(rank == o.root ? f.width : 0, rank == o.root ? f.height : 0);
      for (Vec4f& px : kept.pixels()) px = {0.5f, 0.25f, 0.125f, 1.0f};
      for (int frame = 0; frame < 2; ++frame) { // the second frame reuses the buffer
        composite_into(kept.view(), local.view(), active, order, MPI_COMM_WORLD, o);
        const Image fresh = composite(local.view(), active, order, MPI_COMM_WORLD, o);
        if (rank == o.root) {
          EXPECT_EQ(max_abs_difference(kept, fresh), 0.0f) << label(s, p) << " frame " << frame;
        }
      }
    }
  // A result of the wrong size on root is refused on every rank.
  Image wrong(world_rank() == 0 ? 3 : 0, 3);
  EXPECT_THROW(composite_into(wrong.view(), local.view(), active, order, MPI_COMM_WORLD), Error);
}

TEST_F(Compositing, StatsAndAnyRoot) {
  const int n = world_size();
  Frame f;
  f.seed = 19;
  for (Strategy s : all_strategies) {
    Options o;
    o.strategy = s;
    o.root = n - 1;
    const Stats st = check(f, o, to_string(s) + " root " + std::to_string(o.root));
    EXPECT_EQ(st.used, s);
    EXPECT_GE(st.milliseconds, 0.0);
    EXPECT_EQ(sum_over_ranks(st.bytes_sent), sum_over_ranks(st.bytes_received)) << "every byte sent arrives";
    const int m = int(std::bit_floor(unsigned(n)));
    // Radix-k with the default k = 4, worked out by hand: n ranks fold to m groups (the largest m <= n
    // with 2m >= n whose prime factors are <= 2k), one round per radix of m's factors packed into
    // products <= k, plus one for the fold. 4 = 2*2 is one round of 4; 8 = 2*2*2 is 4 then 2;
    // 6 = 3*2 is 3 then 2; primes up to 7 are one round each.
    const int radix_k_rounds[] = {0, 0, 1, 1, 1, 1, 2, 1, 2}; // by n = 0..8
    int expected_rounds = 0;
    if (s == Strategy::direct_send)
      expected_rounds = n > 1 ? 1 : 0;
    else if (s == Strategy::binary_swap)
      expected_rounds = (m < n ? 1 : 0) + std::countr_zero(unsigned(m));
    else if (n <= 8)
      expected_rounds = radix_k_rounds[n];
    else
      ADD_FAILURE() << "no hand-computed radix-k round count for " << n << " ranks: add it";
    EXPECT_EQ(st.rounds, expected_rounds) << to_string(s);
    if (n > 1 && world_rank() != o.root) {
      EXPECT_GT(st.bytes_sent, 0);
    }
  }
}

TEST_F(Compositing, BadArgumentsThrowOnEveryRank) {
  const int n = world_size();
  Image image(8, 8);
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const Rect active{0, 0, 8, 8};

  std::vector<int> repeated = order;
  repeated[0] = n > 1 ? 1 : 5; // not a permutation
  EXPECT_THROW(composite(image.view(), active, repeated, MPI_COMM_WORLD), Error);
  Options bad_root;
  bad_root.root = n;
  EXPECT_THROW(composite(image.view(), active, order, MPI_COMM_WORLD, bad_root), Error);
  // Only the last rank passes another size: every rank must still throw, none may hang.
  if (n > 1) {
    Image other(world_rank() == n - 1 ? 9 : 8, 8);
    try {
      composite(other.view(), active, order, MPI_COMM_WORLD);
      ADD_FAILURE() << "mismatched image sizes were accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("image width differs"), std::string::npos) << e.what();
    }
  }
  // After the errors the next call works.
  Frame f;
  check(f, Options{}, "after errors");
}

// ---- Pieces that need no communication (run on every rank alike) ----

TEST(Half, MatchesTheCompilersConversion) {
  // Every half converts to a float and back unchanged.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    const float f = detail::half_to_float(uint16_t(h));
    if (nan) {
      EXPECT_TRUE(std::isnan(f)) << h;
      continue;
    }
    ASSERT_EQ(detail::float_to_half(f), h) << "half 0x" << std::hex << h;
  }
  // Known values and round-to-nearest-even at the edges.
  EXPECT_EQ(detail::float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(detail::float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(detail::float_to_half(65519.99f), 0x7bff);
  EXPECT_EQ(detail::float_to_half(65520.0f), 0x7c00);            // tie above the largest: to even = inf
  EXPECT_EQ(detail::float_to_half(1.0f + 0x1p-11f), 0x3c00);     // tie: to even (1.0)
  EXPECT_EQ(detail::float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02); // tie: to even (upwards)
  EXPECT_EQ(detail::float_to_half(0x1p-24f), 0x0001);            // smallest subnormal
  EXPECT_EQ(detail::float_to_half(0x1p-25f), 0x0000);            // tie with zero: to even
  EXPECT_EQ(detail::float_to_half(0x1.8p-25f), 0x0001);
  EXPECT_EQ(detail::float_to_half(3 * 0x1p-25f), 0x0002); // 1.5 ulp: tie, to even
  EXPECT_EQ(detail::float_to_half(-2.0f), 0xc000);
#if defined(__FLT16_MAX__)
  // Random floats of every magnitude against the compiler's own IEEE conversion.
  std::mt19937 g(3);
  for (int i = 0; i < 2000000; ++i) {
    const float f = std::bit_cast<float>(uint32_t(g()));
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    ASSERT_EQ(detail::float_to_half(f), std::bit_cast<uint16_t>(h)) << f;
  }
#endif
}

TEST(Split, PartsCoverTheRegionOnce) {
  std::mt19937 g(5);
  for (int trial = 0; trial < 500; ++trial) {
    const Rect r{int(g() % 7), int(g() % 7), 7 + int(g() % 40), 7 + int(g() % 40)};
    const int k = 1 + int(g() % 9);
    long long area = 0;
    for (int i = 0; i < k; ++i) {
      const Rect p = detail::split(r, k, i);
      EXPECT_TRUE(detail::contains(r, p));
      area += p.area();
      for (int j = 0; j < i; ++j) EXPECT_TRUE(intersect(p, detail::split(r, k, j)).empty());
    }
    EXPECT_EQ(area, r.area());
  }
}

TEST(RadixK, GroupsAndFactors) {
  EXPECT_EQ(detail::radix_k_groups(1, 4), 1);
  EXPECT_EQ(detail::radix_k_groups(5, 4), 5);   // 5 <= 2k: one round of 5
  EXPECT_EQ(detail::radix_k_groups(11, 4), 10); // 11 > 2k: fold one rank, 10 = 5 x 2
  EXPECT_EQ(detail::radix_k_groups(13, 2), 12); // k = 2 allows primes up to 4: 12 = 3 x 2 x 2
  EXPECT_EQ(detail::radix_k_factors(8, 4), (std::vector<int>{4, 2}));
  EXPECT_EQ(detail::radix_k_factors(12, 4), (std::vector<int>{3, 4}));
  EXPECT_EQ(detail::radix_k_factors(16, 4), (std::vector<int>{4, 4}));
  EXPECT_EQ(detail::radix_k_factors(1, 4), (std::vector<int>{}));
}

TEST(Sparse, EncodeParseBlendRoundTrip) {
  Frame f;
  f.width = 300;
  f.height = 90; // several chunks of runs
  const Rect active{3, 5, 290, 88};
  Image image = make_image(f, 0, active);
  const detail::Tile tile(image.view(), active);
  const Rect part{0, 10, 300, 80};
  for (PixelFormat p : all_formats) {
    const detail::Buffer b = detail::encode(tile, part, p);
    const detail::Message m = detail::parse(b.data(), b.size, part, p);
    Image out(f.width, f.height);
    detail::blend(m, detail::Canvas{out.pixels().data(), 0, 0, out.width()}, detail::Blend::store);
    float worst = 0;
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x) {
        const bool inside = x >= 3 && x < 290 && y >= 10 && y < 80;
        const Vec4f e = inside ? image.at(x, y) : Vec4f{}, o = out.at(x, y);
        worst =
            std::max({worst, std::fabs(e.x - o.x), std::fabs(e.y - o.y), std::fabs(e.z - o.z), std::fabs(e.w - o.w)});
      }
    EXPECT_LE(worst, p == PixelFormat::f32 ? 0.0f : tolerance(p, Operator::max)) << name(p);
    // A truncated or mislabelled message is refused, never blended out of bounds.
    EXPECT_THROW(detail::parse(b.data(), b.size - 1, part, p), Error);
    EXPECT_THROW(detail::parse(b.data(), b.size, Rect{0, 10, 300, 40}, p), Error);
    EXPECT_THROW(detail::parse(b.data(), b.size, part, p == PixelFormat::u8 ? PixelFormat::f32 : PixelFormat::u8),
                 Error);

    // Walk::whole + Blend::replace rewrites every pixel of the part, blank or not, and nothing else.
    const detail::Buffer whole = detail::encode(tile, part, p, detail::Walk::whole);
    Image stale(f.width, f.height);
    for (Vec4f& px : stale.pixels()) px = {1, 1, 1, 1};
    detail::blend(detail::parse(whole.data(), whole.size, part, p),
                  detail::Canvas{stale.pixels().data(), 0, 0, stale.width()}, detail::Blend::replace);
    worst = 0;
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x) {
        const bool in_part = y >= 10 && y < 80, in_data = in_part && x >= 3 && x < 290;
        const Vec4f e = in_data ? image.at(x, y) : (in_part ? Vec4f{} : Vec4f{1, 1, 1, 1}), o = stale.at(x, y);
        worst =
            std::max({worst, std::fabs(e.x - o.x), std::fabs(e.y - o.y), std::fabs(e.z - o.z), std::fabs(e.w - o.w)});
      }
    EXPECT_LE(worst, p == PixelFormat::f32 ? 0.0f : tolerance(p, Operator::max)) << name(p) << " replace";
  }
  // A blank part still travels as a header, so that the receiver clears it.
  const detail::Tile blank(image.view(), Rect{});
  const detail::Buffer b = detail::encode(blank, part, PixelFormat::f32, detail::Walk::whole);
  EXPECT_EQ(b.size, sizeof(detail::MessageHeader) + sizeof(uint64_t));
  EXPECT_EQ(detail::encode(blank, part, PixelFormat::f32).size, sizeof(detail::MessageHeader)); // a marker
}

TEST(Sparse, RowsPerChunkBeyondTheExtentMeanOneChunk) {
  // A whole-walk message of a blank part: one chunk, no runs; replace clears the part. Its rows per
  // chunk rewritten to 2^31 (beyond an int) must still mean one chunk of the part's rows: before
  // parse() clamped it, the chunk's pixel count wrapped and replace cleared past the canvas.
  Frame f;
  f.width = 40;
  f.height = 30;
  Image image = make_image(f, 0, Rect{0, 0, 40, 30});
  const Rect part{4, 6, 36, 20};
  const detail::Tile blank(image.view(), Rect{});
  detail::Buffer b = detail::encode(blank, part, PixelFormat::f32, detail::Walk::whole);
  ASSERT_EQ(b.size, sizeof(detail::MessageHeader) + sizeof(uint64_t));
  for (const uint32_t rows : {15u, 1u << 31, ~0u}) {
    detail::MessageHeader h;
    std::memcpy(&h, b.data(), sizeof h);
    h.rows_per_chunk = rows;
    std::memcpy(b.data(), &h, sizeof h);
    const detail::Message m = detail::parse(b.data(), b.size, part, PixelFormat::f32);
    EXPECT_EQ(m.chunks, 1u) << rows;
    EXPECT_EQ(m.header.rows_per_chunk, uint32_t(part.height())) << rows;
    std::vector<Vec4f> canvas(size_t(part.area()), Vec4f{1, 1, 1, 1});
    detail::blend(m, detail::Canvas{canvas.data(), part.x0, part.y0, part.width()}, detail::Blend::replace);
    EXPECT_EQ(std::count_if(canvas.begin(), canvas.end(), [](const Vec4f& p) { return p.w == 0.0f; }), part.area())
        << rows;
  }
}

// Messages of 2 MiB or more travel between ranks of a node by one process_vm_readv, which pins and
// walks every page of the sender's buffer: blocks that big start on a huge page and ask for
// transparent huge pages (a 2-rank 1024x1024 binary swap took 2.0 ms a frame instead of 3.0).
TEST(Storage, BlocksOfAHugePageOrMoreAskForHugePages) {
  const size_t huge = frame_memory::huge_page_bytes;
  detail::Storage big, small;
  const std::byte* block = big.reserve(3 * huge + 100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % huge, 0u);
  EXPECT_EQ(big.capacity, 4 * huge); // rounded up to a power of two, as before
  (void)small.reserve(100 * 1024);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data.get()) % 64, 0u);
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage"))
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  const std::string flags = test_support::mapping_flags(block);
  EXPECT_NE(flags.find(" hg "), std::string::npos) << flags;
}

TEST(Strategy, NamesAndTheAutomaticRule) {
  for (Strategy s : {Strategy::automatic, Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k})
    EXPECT_EQ(parse_strategy(to_string(s)), s);
  EXPECT_EQ(to_string(Strategy::binary_swap), "binary-swap");
  EXPECT_THROW(parse_strategy("bswap"), Error);
  EXPECT_EQ(choose_strategy(2, 2048, 2048), Strategy::direct_send);
  EXPECT_EQ(choose_strategy(4, 2048, 2048), Strategy::direct_send);
  EXPECT_EQ(choose_strategy(5, 2048, 2048), Strategy::radix_k);
  EXPECT_EQ(choose_strategy(8, 128, 128), Strategy::direct_send);
  EXPECT_EQ(choose_strategy(8, 1024, 1024), Strategy::binary_swap);
  EXPECT_EQ(choose_strategy(6, 1024, 1024), Strategy::radix_k);
  EXPECT_EQ(choose_strategy(64, 128, 128), Strategy::binary_swap);
}

} // namespace
