// SPDX-License-Identifier: Apache-2.0
/// \file A Compositor kept across frames, under mpirun (CTest: 1, 2, 3, 4, 5 and 8 ranks): frames
/// of changing size, active rectangles, order, strategy, operator, format and root give images
/// bit-identical to the free function's; the collectives a frame costs are counted through the
/// MPI profiling interface (call_counter.h); steady frames allocate nothing. Every rank runs every
/// test; a failure on any rank fails it on every rank (TearDown).

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "call_counter.h"
#include "libindex/compositing/compositor.h"
#include "libindex/error.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "memory.h"

// Every operator new of the process, counted: steady frames must make none.
namespace {
std::atomic<long long> news{0};
void* counted_new(std::size_t n) {
  news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* counted_new(std::size_t n, std::align_val_t a) {
  news.fetch_add(1, std::memory_order_relaxed);
  const std::size_t align = std::size_t(a);
  if (void* p = std::aligned_alloc(align, (std::max<std::size_t>(n, 1) + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_new(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace libindex;
using namespace libindex::compositing;
using libindex::mpi::testing::mpi_calls;
using libindex::mpi::testing::MpiCalls;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

/// One frame's arguments. Layers come from a hash of (seed, rank, x, y).
struct Shot {
  int width = 61, height = 37;
  uint32_t seed = 1;
  Options options;
  bool empty_ranks = false; ///< every third rank has an empty active rect
};

uint64_t mix(uint64_t x) { // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::vector<int> order_of(const Shot& s) {
  std::vector<int> order(static_cast<size_t>(world_size()));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 g(s.seed);
  std::shuffle(order.begin(), order.end(), g);
  return order;
}

Rect active_of(const Shot& s, int rank) {
  if (s.empty_ranks && rank % 3 == 1) return {};
  std::mt19937 g(s.seed * 7919u + uint32_t(rank));
  auto span = [&](int n, int& lo, int& hi) {
    lo = std::uniform_int_distribution<int>(0, n / 2)(g);
    hi = std::uniform_int_distribution<int>(lo + 1, n)(g);
  };
  Rect r;
  span(s.width, r.x0, r.x1);
  span(s.height, r.y0, r.y1);
  return r;
}

/// This rank's image: premultiplied layer pixels inside `active` (a quarter empty), an opaque
/// colour outside it that the compositor must never read.
Image image_of(const Shot& s, int rank, const Rect& active) {
  Image image(s.width, s.height);
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      Vec4f p{0.25f, 0.5f, 0.75f, 1.0f};
      if (x >= active.x0 && x < active.x1 && y >= active.y0 && y < active.y1) {
        const uint64_t h = mix((uint64_t(s.seed) << 48) ^ (uint64_t(rank) << 40) ^ (uint64_t(y) << 20) ^ uint64_t(x));
        const float a = float((h >> 8) & 0xffff) / 65535.0f;
        auto c = [&](int i) { return a * float((h >> (24 + 10 * i)) & 1023) / 1023.0f; };
        p = (h & 3) == 0 ? Vec4f{} : Vec4f{c(0), c(1), c(2), a};
      }
      image.at(x, y) = p;
    }
  return image;
}

/// Pixels of `a` and `b` whose bits differ (all when the sizes differ).
long long differing_pixels(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height())
    return (long long)std::max(a.pixels().size(), b.pixels().size()) + 1;
  long long n = 0;
  for (size_t i = 0; i < a.pixels().size(); ++i) n += std::memcmp(&a.pixels()[i], &b.pixels()[i], sizeof(Vec4f)) != 0;
  return n;
}

void expect_same_stats(const Stats& a, const Stats& b, const std::string& what) {
  EXPECT_EQ(a.used, b.used) << what;
  EXPECT_EQ(a.bytes_sent, b.bytes_sent) << what;
  EXPECT_EQ(a.bytes_received, b.bytes_received) << what;
  EXPECT_EQ(a.rounds, b.rounds) << what;
}

/// The frames of the reuse test: sizes, rects, orders, strategies, operators, formats and roots
/// all change from one frame to the next.
std::vector<Shot> changing_shots() {
  const int n = world_size();
  const Strategy strategies[] = {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k, Strategy::automatic};
  const int sizes[][2] = {{61, 37}, {1, 1}, {256, 200}, {300, 90}, {40, 64}, {517, 301}, {64, 64}, {3, 200}};
  std::vector<Shot> shots;
  for (int i = 0; i < 24; ++i) {
    Shot s;
    s.width = sizes[i % 8][0];
    s.height = sizes[i % 8][1];
    s.seed = 100u + uint32_t(i);
    s.empty_ranks = i % 5 == 2;
    s.options.strategy = strategies[i % 4];
    s.options.radix_k = 2 + i % 4;
    s.options.op = i % 3 == 1 ? Operator::max : Operator::over;
    s.options.format = i % 3 == 0 ? PixelFormat::f32 : (i % 3 == 1 ? PixelFormat::f16 : PixelFormat::u8);
    s.options.root = (i * 7) % n;
    shots.push_back(s);
  }
  return shots;
}

std::string describe(const Shot& s, int i) {
  return "frame " + std::to_string(i) + " (" + std::to_string(s.width) + "x" + std::to_string(s.height) + " " +
         to_string(s.options.strategy) + " root " + std::to_string(s.options.root) + ")";
}

/// Every test is collective. A failed assertion on any rank fails the test on all of them.
class CompositorReuse : public ::testing::Test {
 protected:
  void TearDown() override {
    int failed = HasFailure() ? 1 : 0, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !failed) ADD_FAILURE() << "an assertion failed on another rank";
  }
};

TEST_F(CompositorReuse, ChangingFramesAreBitIdenticalToTheFreeFunction) {
  const int rank = world_rank();
  Compositor compositor(MPI_COMM_WORLD);
  Image kept; // root's output, kept while the size stays
  const std::vector<Shot> shots = changing_shots();
  for (size_t i = 0; i < shots.size(); ++i) {
    const Shot& s = shots[i];
    const std::string what = describe(s, int(i));
    const Rect active = active_of(s, rank);
    Image local = image_of(s, rank, active);
    const std::vector<int> order = order_of(s);
    const bool root = rank == s.options.root;

    Stats fresh_stats, reused_stats, into_stats, checked_stats;
    const Image fresh = composite(local.view(), active, order, MPI_COMM_WORLD, s.options, &fresh_stats);
    const Image reused = compositor.composite(local.view(), active, order, s.options, &reused_stats);
    if (root && (kept.width() != s.width || kept.height() != s.height)) kept = Image(s.width, s.height);
    if (!root) kept = Image();
    for (Vec4f& p : kept.pixels()) p = {1, 0, 1, 1}; // stale: every pixel must be rewritten
    compositor.composite_into(kept.view(), local.view(), active, order, s.options, &into_stats);
    const Image into = kept;

    // The checked path: the caller's agreement carries the checks, the frame makes no collective.
    Image checked(root ? s.width : 0, root ? s.height : 0);
    mpi::Agreement agreement;
    const int samples = agreement.sum(rank + 1);
    const ImageView checked_view = checked.view();
    compositor.add_checks(agreement, local.view(), order, s.options, &checked_view);
    agreement.agree(compositor.comm());
    EXPECT_EQ(agreement.summed(samples), (long long)world_size() * (world_size() + 1) / 2);
    compositor.composite_into(checked.view(), local.view(), active, order, s.options, &checked_stats, true);

    expect_same_stats(reused_stats, fresh_stats, what + " composite");
    expect_same_stats(into_stats, fresh_stats, what + " composite_into");
    expect_same_stats(checked_stats, fresh_stats, what + " checked");
    if (root) {
      EXPECT_EQ(fresh.width(), s.width) << what;
      EXPECT_EQ(differing_pixels(reused, fresh), 0) << what << " composite";
      EXPECT_EQ(differing_pixels(into, fresh), 0) << what << " composite_into";
      EXPECT_EQ(differing_pixels(checked, fresh), 0) << what << " checked";
    } else {
      EXPECT_EQ(reused.width(), 0) << what;
    }
  }
}

TEST_F(CompositorReuse, OneCommDupForTenFramesAndNoAllreduceWhenChecked) {
  const int rank = world_rank();
  Shot s;
  s.width = 128;
  s.height = 96;
  const Rect active = active_of(s, rank);
  Image local = image_of(s, rank, active);
  const std::vector<int> order = order_of(s);
  Image kept(rank == 0 ? s.width : 0, rank == 0 ? s.height : 0);

  const MpiCalls start = mpi_calls();
  {
    Compositor compositor(MPI_COMM_WORLD);
    const MpiCalls made = mpi_calls() - start;
    EXPECT_EQ(made.comm_dup, 1);
    EXPECT_EQ(made.collectives(), 1) << "the duplicate, nothing else";

    // Unchecked frames: each checks itself with one allreduce, and nothing else collective.
    MpiCalls before = mpi_calls();
    for (int frame = 0; frame < 10; ++frame) compositor.composite_into(kept.view(), local.view(), active, order, {});
    MpiCalls calls = mpi_calls() - before;
    EXPECT_EQ(calls.allreduce, 10);
    EXPECT_EQ(calls.comm_dup, 0);
    EXPECT_EQ(calls.comm_free, 0);
    EXPECT_EQ(calls.collectives(), 10);

    // Checked frames: the caller's one agreement per frame is the only collective.
    before = mpi_calls();
    long long in_composite = 0, in_composite_all = 0;
    mpi::Agreement agreement;
    for (int frame = 0; frame < 10; ++frame) {
      agreement.clear();
      agreement.sum(frame);
      const ImageView result = kept.view();
      compositor.add_checks(agreement, local.view(), order, {}, &result);
      agreement.agree(compositor.comm());
      const MpiCalls mid = mpi_calls();
      compositor.composite_into(kept.view(), local.view(), active, order, {}, nullptr, true);
      in_composite += (mpi_calls() - mid).allreduce;
      in_composite_all += (mpi_calls() - mid).collectives();
    }
    calls = mpi_calls() - before;
    EXPECT_EQ(in_composite, 0) << "composite_into(checked) makes no MPI_Allreduce";
    EXPECT_EQ(in_composite_all, 0) << "composite_into(checked) makes no collective at all";
    EXPECT_EQ(calls.allreduce, 10) << "the caller's agreements";
    EXPECT_EQ(calls.collectives(), 10);
  }
  const MpiCalls life = mpi_calls() - start;
  EXPECT_EQ(life.comm_dup, 1) << "one MPI_Comm_dup for the Compositor's 20 frames";
  EXPECT_EQ(life.comm_free, 1);
  EXPECT_EQ(life.allreduce, 20);
  EXPECT_EQ(life.other_collectives(), 0);

  // For comparison, the free function: a duplicate, a check and a free every frame.
  const MpiCalls before = mpi_calls();
  for (int frame = 0; frame < 10; ++frame) composite_into(kept.view(), local.view(), active, order, MPI_COMM_WORLD);
  const MpiCalls free_calls = mpi_calls() - before;
  EXPECT_EQ(free_calls.comm_dup, 10);
  EXPECT_EQ(free_calls.comm_free, 10);
  EXPECT_EQ(free_calls.allreduce, 10);
  EXPECT_EQ(free_calls.other_collectives(), 0);
}

TEST_F(CompositorReuse, SteadyFramesAllocateNothing) {
  const int rank = world_rank();
  // Frames of different shapes in turn, each shape seen once before counting.
  std::vector<Shot> shots;
  for (Strategy strategy : {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k})
    for (int size : {64, 512}) {
      Shot s;
      s.width = size;
      s.height = size * 3 / 4;
      s.seed = uint32_t(size) + uint32_t(strategy);
      s.options.strategy = strategy;
      s.options.radix_k = 3;
      s.options.format = size == 64 ? PixelFormat::u8 : PixelFormat::f32;
      shots.push_back(s);
    }
  struct Prepared {
    Rect active;
    Image local, kept;
    std::vector<int> order;
  };
  std::vector<Prepared> frames;
  for (const Shot& s : shots) {
    const Rect active = active_of(s, rank);
    frames.push_back(
        {active, image_of(s, rank, active), Image(rank == 0 ? s.width : 0, rank == 0 ? s.height : 0), order_of(s)});
  }
  Compositor compositor(MPI_COMM_WORLD);
  auto run_all = [&](bool checked, mpi::Agreement& agreement) {
    for (size_t i = 0; i < shots.size(); ++i) {
      Prepared& f = frames[i];
      if (checked) {
        agreement.clear();
        const ImageView result = f.kept.view();
        compositor.add_checks(agreement, f.local.view(), f.order, shots[i].options, &result);
        agreement.agree(compositor.comm());
      }
      compositor.composite_into(f.kept.view(), f.local.view(), f.active, f.order, shots[i].options, nullptr, checked);
    }
  };
  mpi::Agreement agreement;
  for (bool checked : {false, true}) {
    const long long news_warm = news.load(), blocks_warm = detail::allocation_count.load();
    run_all(checked, agreement); // warm-up: buffers grow to what these frames need
    if (!checked) {              // the counters do count: the first frames allocate
      EXPECT_GT(news.load() - news_warm, 0);
      if (world_size() > 1) {
        EXPECT_GT(detail::allocation_count.load() - blocks_warm, 0);
      }
    }
    const long long news_before = news.load(), blocks_before = detail::allocation_count.load();
    for (int round = 0; round < 3; ++round) run_all(checked, agreement);
    EXPECT_EQ(news.load() - news_before, 0)
        << "operator new calls in 3 x " << shots.size() << " frames, checked " << checked;
    EXPECT_EQ(detail::allocation_count.load() - blocks_before, 0)
        << "buffers allocated in 3 x " << shots.size() << " frames, checked " << checked;
  }
}

TEST_F(CompositorReuse, AGrowingFootprintFindsItsBuffersReady) {
  // The first frame of a shape makes room for dense parts, so that later frames whose footprint
  // grows (an orbit's first pass over its views) do not meet fresh memory (memory.h).
  const int rank = world_rank();
  for (Strategy strategy : {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k})
    for (PixelFormat format : {PixelFormat::f32, PixelFormat::u8}) {
      Options options;
      options.strategy = strategy;
      options.format = format;
      const int width = 96, height = 80;
      const std::vector<int> order = order_of(Shot{});
      Image kept(rank == 0 ? width : 0, rank == 0 ? height : 0);
      auto solid = [&](const Rect& active) {
        Image image(width, height);
        for (int y = active.y0; y < active.y1; ++y)
          for (int x = active.x0; x < active.x1; ++x) image.at(x, y) = {0.1f, 0.2f, 0.3f, 0.5f};
        return image;
      };
      const Rect corner{0, 0, 2, 2}, whole{0, 0, width, height};
      Image small = solid(corner), large = solid(whole);
      Compositor compositor(MPI_COMM_WORLD);
      compositor.composite_into(kept.view(), small.view(), corner, order, options);
      const long long before = detail::allocation_count.load();
      compositor.composite_into(kept.view(), large.view(), whole, order, options);
      EXPECT_EQ(detail::allocation_count.load() - before, 0)
          << to_string(strategy) << ", format " << int(format) << ", rank " << rank;
      if (rank == 0) { // n layers of alpha 0.5: 1 - 0.5^n (u8 carries 128/255 for 0.5)
        const float expected = 1.0f - std::pow(0.5f, float(world_size()));
        EXPECT_NEAR(kept.at(width - 1, height - 1).w, expected, format == PixelFormat::u8 ? 2.0f / 255 : 1e-6f);
      }
    }
}

TEST_F(CompositorReuse, BadArgumentsThrowOnEveryRankAndTheCompositorGoesOn) {
  const int rank = world_rank(), n = world_size();
  Shot s;
  const Rect active = active_of(s, rank);
  Image local = image_of(s, rank, active);
  std::vector<int> order = order_of(s);
  Compositor compositor(MPI_COMM_WORLD);
  const MpiCalls before = mpi_calls();

  std::vector<int> repeated = order;
  repeated[0] = n > 1 ? repeated[1] : 5; // not a permutation, on every rank: rank 0 reports
  std::string what;
  try {
    compositor.composite(local.view(), active, repeated, {});
  } catch (const Error& e) {
    what = e.what();
  }
  const std::string message = "compositing: visibility order is not a permutation of the ranks";
  EXPECT_EQ(what, n > 1 ? "rank 0: " + message : message);

  if (n > 1) { // only the last rank passes another size
    Shot other = s;
    other.width = rank == n - 1 ? 62 : 61;
    Image wrong = image_of(other, rank, active);
    what.clear();
    try {
      compositor.composite(wrong.view(), active, order, {});
    } catch (const Error& e) {
      what = e.what();
    }
    EXPECT_EQ(what, "compositing: image width differs across ranks");
  }

  // The caller's own failure rides on the same agreement as the checks.
  mpi::Agreement agreement;
  if (rank == n - 1) agreement.fail("render failed");
  compositor.add_checks(agreement, local.view(), order, {});
  what.clear();
  try {
    agreement.agree(compositor.comm());
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_EQ(what, n > 1 ? "rank " + std::to_string(n - 1) + ": render failed" : "render failed");

  // After the errors the same Compositor composites as the free function does.
  const Image again = compositor.composite(local.view(), active, order, {});
  const Image fresh = composite(local.view(), active, order, MPI_COMM_WORLD, {});
  if (rank == 0) {
    EXPECT_EQ(differing_pixels(again, fresh), 0);
  }
  EXPECT_EQ((mpi_calls() - before).comm_dup, 1) << "the free function's only";
}

TEST_F(CompositorReuse, AMovedCompositorKeepsItsCommunicator) {
  const int rank = world_rank();
  Shot s;
  const Rect active = active_of(s, rank);
  Image local = image_of(s, rank, active);
  const std::vector<int> order = order_of(s);
  Compositor first(MPI_COMM_WORLD);
  const MPI_Comm comm = first.comm();
  Compositor second(std::move(first));
  EXPECT_EQ(second.comm(), comm);
  EXPECT_EQ(second.rank(), rank);
  EXPECT_EQ(second.size(), world_size());
  const Image a = second.composite(local.view(), active, order, {});
  const Image b = composite(local.view(), active, order, MPI_COMM_WORLD, {});
  if (rank == 0) {
    EXPECT_EQ(differing_pixels(a, b), 0);
  }
}

} // namespace
