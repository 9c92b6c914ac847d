// SPDX-License-Identifier: Apache-2.0
// End to end under mpirun -np N: the N-rank image equals the 1-rank image, each rank holds only its
// leaf plus ghosts, out-of-view ranks take part, and failures name the rank instead of hanging.
#include <gtest/gtest.h>
#include <mpi.h>

#include <atomic>
#include <cmath>

#include "libindex/default_view.h"
#include "libindex/error.h"
#include "libindex/io/synthetic.h"
#include "libindex/mpi/check.h"
#include "libindex/session.h"

using namespace libindex;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

SessionOptions quiet() {
  SessionOptions o;
  o.backend = kernels::BackendKind::cpu;
  o.log = false;
  return o;
}

FrameParams frame_for(Vec3f from, Vec3f target, bool ortho, int w, int h) {
  FrameParams f;
  f.width = w, f.height = h;
  f.camera.from = from;
  f.camera.dir = normalize(target - from);
  f.camera.up = std::fabs(f.camera.dir.y) > 0.9f ? Vec3f{0, 0, 1} : Vec3f{0, 1, 0};
  f.camera.focal = 1.0f;
  f.camera.aperture = ortho ? 70.0f : 1.0f;
  f.camera.aspect = float(w) / float(h);
  f.camera.orthographic = ortho;
  f.colormap = colormap_preset("magma", 0.25f);
  f.colormap.domain_min = 0.05f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.settings.early_termination = false;
  return f;
}

/// The 1-rank reference, rendered on the head alone.
Image reference(const std::shared_ptr<io::VolumeSource>& v, const FrameParams& f) {
  Image img;
  if (world_rank() == 0) {
    Session single(MPI_COMM_SELF, quiet());
    single.set_volume(v);
    img = single.render_frame(f);
  }
  return img;
}

struct View {
  const char* name;
  Vec3f from;
  bool ortho;
};

} // namespace

TEST(Distributed, NRankImageEqualsOneRankImage) {
  std::shared_ptr<io::VolumeSource> volume = io::make_synthetic("supernova", 40);
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  const Vec3f c{20, 20, 20};
  for (View v : {View{"along z", {20, 20, 130}, false}, View{"between axes", {-60, 70, 90}, false},
                 View{"ortho along x", {140, 20, 20}, true}, View{"ortho between", {90, -70, 60}, true},
                 View{"eye inside", {22, 17, 25}, false}}) {
    for (bool shading : {false, true}) {
      FrameParams f = frame_for(v.from, v.name == std::string("eye inside") ? Vec3f{40, 35, 0} : c, v.ortho, 61, 47);
      if (v.name == std::string("eye inside")) f.camera.aperture = 2.5f;
      f.settings.shading.enabled = shading;
      const Image n_rank = session.render_frame(f);
      const Image one = reference(volume, f);
      if (world_rank() == 0) {
        EXPECT_LE(max_abs_difference(n_rank, one), 1e-4f) << v.name << " shading " << shading;
        float total = 0;
        for (const Vec4f& p : one.pixels()) total += p.w;
        EXPECT_GT(total, 10.0f) << v.name << ": the reference must show something";
      }
    }
  }
}

namespace {
/// A 37x61x23 float32 volume: odd sizes everywhere, so the k-d tree's splits fall on odd voxel
/// counts and leaves are thin. A smooth field with detail on every axis (and no flat region, so
/// shading has a normal everywhere).
class OddSized : public io::VolumeSource {
 public:
  Box3i box() const override { return {{0, 0, 0}, {37, 61, 23}}; }
  DType dtype() const override { return DType::float32; }
  std::string describe() const override { return "odd-sized 37x61x23"; }
  Brick read(const Box3i& r) const override {
    Brick b(intersect(r, box()), DType::float32);
    size_t i = 0;
    for (int z = b.box.lo.z; z < b.box.hi.z; ++z)
      for (int y = b.box.lo.y; y < b.box.hi.y; ++y)
        for (int x = b.box.lo.x; x < b.box.hi.x; ++x, ++i) {
          const float dx = (x + 0.5f - 18.5f) / 18.5f, dy = (y + 0.5f - 30.5f) / 30.5f, dz = (z + 0.5f - 11.5f) / 11.5f;
          b.data<float>()[i] = 0.5f + 0.35f * std::sin(3.1f * dx + 1.7f * dy * dy) * std::cos(2.3f * dz - dx * dy) -
                               0.2f * (dx * dx + dz * dz);
        }
    return b;
  }
};
} // namespace

TEST(Distributed, OddSizedVolumeSeamsEqualOneRank) {
  // Run at 3, 5 and 7 ranks by CTest (and at every other count it runs this binary with): the
  // ghost layers (1 without shading, 2 with: central differences reach one voxel further) make
  // every seam invisible, whatever the leaf sizes.
  auto volume = std::make_shared<OddSized>();
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  for (View v : {View{"oblique", {-30, 80, 60}, false}, View{"ortho along y", {18.5f, 140, 11.5f}, true},
                 View{"ortho oblique", {70, -40, 50}, true}}) {
    for (bool shading : {false, true}) {
      FrameParams f = frame_for(v.from, {18.5f, 30.5f, 11.5f}, v.ortho, 45, 37);
      f.colormap = colormap_preset("viridis", 0.3f);
      f.colormap.domain_min = 0.3f;
      f.colormap.mode = BoundaryMode::clamp_to_transparent;
      f.settings.shading.enabled = shading;
      f.settings.sampling_distance = 0.37f; // off the voxel grid: samples fall at every distance to a seam
      const Image n_rank = session.render_frame(f);
      EXPECT_EQ(session.stored(), grow(session.leaf(), shading ? 2 : 1, volume->box())) << v.name;
      const Image one = reference(volume, f);
      if (world_rank() == 0) {
        EXPECT_LE(max_abs_difference(n_rank, one), 1e-4f) << v.name << " shading " << shading;
        float total = 0;
        for (const Vec4f& p : one.pixels()) total += p.w;
        EXPECT_GT(total, 0.1f * 45 * 37) << v.name << ": the reference must cover a tenth of the image";
      }
    }
  }
}

TEST(Distributed, MipOfNegativeValuesEqualsOneRank) {
  // Distributed MIP composites raw maxima (v, 0, 0, 1) by maximum, then classifies. Every value here
  // is negative, and a rank whose rays miss its leaf sends transparent zeros: they must take no part,
  // or the maximum of a pixel would become 0.
  struct Negative : OddSized {
    Brick read(const Box3i& r) const override {
      Brick b = OddSized::read(r);
      for (size_t i = 0; i < size_t(b.box.voxel_count()); ++i) b.data<float>()[i] -= 1.5f;
      return b;
    }
  };
  auto volume = std::make_shared<Negative>();
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  for (bool ortho : {false, true}) {
    FrameParams f = frame_for({-30, 80, 60}, {18.5f, 30.5f, 11.5f}, ortho, 45, 37);
    f.settings.mode = RenderMode::maximum_intensity;
    f.colormap = colormap_preset("grayscale", 1.0f);
    f.colormap.domain_min = -1.5f, f.colormap.domain_max = 0.0f;
    const Image n_rank = session.render_frame(f), one = reference(volume, f);
    if (world_rank() == 0) {
      EXPECT_LE(max_abs_difference(n_rank, one), 1e-5f) << (ortho ? "ortho" : "perspective");
      float total = 0;
      for (const Vec4f& p : one.pixels()) total += p.w;
      EXPECT_GT(total, 0.1f * 45 * 37) << "the reference must show the volume";
    }
  }
}

TEST(Distributed, EarlyTerminationStaysWithinOne255th) {
  std::shared_ptr<io::VolumeSource> volume = io::make_synthetic("sphere", 36);
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  FrameParams f = frame_for({-40, 50, 80}, {18, 18, 18}, false, 50, 40);
  f.colormap = colormap_preset("viridis", 1.0f);
  f.settings.early_termination = true;
  const Image n_rank = session.render_frame(f), one = reference(volume, f);
  if (world_rank() == 0) {
    EXPECT_LE(max_abs_difference(n_rank, one), 1.0f / 255.0f);
  }
}

TEST(Distributed, EachRankHoldsItsLeafPlusGhostsOnly) {
  std::shared_ptr<io::VolumeSource> volume = io::make_synthetic("sphere", 48);
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  for (bool shading : {false, true}) {
    FrameParams f = frame_for({24, 24, 150}, {24, 24, 24}, false, 16, 16);
    f.settings.shading.enabled = shading;
    session.render_frame(f);
    const int ghost = shading ? 2 : 1;
    const Box3i expected = grow(session.leaf(), ghost, volume->box());
    EXPECT_EQ(session.stored(), expected);
    EXPECT_EQ(session.resident_bytes(), expected.voxel_count() * 1) << "uint8: one byte per voxel";
    if (world_size() > 1) {
      EXPECT_LT(session.resident_bytes(), volume->box().voxel_count());
    }
  }
  // The leaves tile the volume.
  long long mine = session.leaf().voxel_count(), total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(total, volume->box().voxel_count());
}

TEST(Distributed, OutOfViewRanksOddAndTinyImages) {
  std::shared_ptr<io::VolumeSource> volume = io::make_synthetic("marschner-lobb", 32);
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  // Close to one corner and looking out of the volume's middle: several leaves are out of view.
  FrameParams f = frame_for({2, 2, 40}, {2, 2, 0}, false, 1023, 517);
  f.camera.aperture = 0.15f;
  f.colormap = colormap_preset("grayscale", 0.2f);
  Image n_rank = session.render_frame(f);
  Image one = reference(volume, f);
  if (world_rank() == 0) {
    EXPECT_LE(max_abs_difference(n_rank, one), 1e-4f);
    EXPECT_LE(session.last_stats().contributing_leaves, world_size());
    if (world_size() >= 4) {
      EXPECT_LT(session.last_stats().contributing_leaves, world_size());
    }
  }
  FrameParams tiny = frame_for({16, 16, 80}, {16, 16, 16}, false, 1, 1);
  tiny.colormap = colormap_preset("grayscale", 0.2f);
  n_rank = session.render_frame(tiny);
  one = reference(volume, tiny);
  if (world_rank() == 0) {
    ASSERT_EQ(n_rank.width(), 1);
    EXPECT_LE(max_abs_difference(n_rank, one), 1e-4f);
    EXPECT_GT(one.at(0, 0).w, 0.01f);
  }
}

TEST(Distributed, TooManyRanksForTheVolumeIsAClearErrorOnEveryRank) {
  if (world_size() < 3) GTEST_SKIP() << "needs 3 or more ranks";
  Session session(MPI_COMM_WORLD, quiet());
  try {
    session.set_volume(io::make_synthetic("sphere", 1)); // one voxel cannot be split
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use fewer ranks"), std::string::npos) << e.what();
  }
}

namespace {
/// A source that fails on one rank only, as a missing or unreadable file on one node would.
class FailingOnRank : public io::VolumeSource {
 public:
  FailingOnRank(std::shared_ptr<io::VolumeSource> inner, int bad) : inner_(std::move(inner)), bad_(bad) {}
  Box3i box() const override { return inner_->box(); }
  DType dtype() const override { return inner_->dtype(); }
  std::string describe() const override { return inner_->describe(); }
  Brick read(const Box3i& r) const override {
    if (world_rank() == bad_) throw Error("disk on fire reading " + to_string(r));
    return inner_->read(r);
  }

 private:
  std::shared_ptr<io::VolumeSource> inner_;
  int bad_;
};
} // namespace

TEST(Distributed, AFailingPeerIsNamedNotAHang) {
  const int bad = world_size() - 1;
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(std::make_shared<FailingOnRank>(io::make_synthetic("sphere", 24), bad));
  try {
    session.render_frame(frame_for({12, 12, 80}, {12, 12, 12}, false, 8, 8));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    // Several ranks: the failing one is named; alone, the message is the reader's own.
    const std::string expected = world_size() > 1 ? "rank " + std::to_string(bad) + ": disk on fire" : "disk on fire";
    EXPECT_EQ(std::string(e.what()).find(expected), 0u) << e.what();
  }
  // The session still works after the error: every rank got out of the failed frame together.
  session.set_volume(io::make_synthetic("sphere", 24));
  const Image img = session.render_frame(frame_for({12, 12, 80}, {12, 12, 12}, false, 8, 8));
  if (world_rank() == 0) {
    EXPECT_EQ(img.width(), 8);
  }
}

namespace {
/// Counts reads, to see that a prefetched time step is not read a second time.
class CountingSource : public io::VolumeSource {
 public:
  explicit CountingSource(std::shared_ptr<io::VolumeSource> inner) : inner_(std::move(inner)) {}
  Box3i box() const override { return inner_->box(); }
  DType dtype() const override { return inner_->dtype(); }
  std::string describe() const override { return inner_->describe(); }
  Brick read(const Box3i& r) const override {
    ++reads;
    return inner_->read(r);
  }
  mutable std::atomic<int> reads{0};

 private:
  std::shared_ptr<io::VolumeSource> inner_;
};
} // namespace

TEST(Distributed, NextTimeStepIsReadAheadOnceAndUsed) {
  auto step0 = std::make_shared<CountingSource>(io::make_synthetic("sphere", 32));
  auto step1 = std::make_shared<CountingSource>(io::make_synthetic("supernova", 32));
  Session session(MPI_COMM_WORLD, quiet());
  const FrameParams f = frame_for({16, 16, 90}, {16, 16, 16}, false, 24, 24);
  session.set_volume(step0);
  session.render_frame(f);
  session.prefetch(step1); // while step 0 is shown
  session.set_volume(step1);
  const Image shown = session.render_frame(f);
  EXPECT_EQ(step1->reads.load(), 1) << "the prefetched leaf must be used, not read again";
  EXPECT_EQ(session.resident_bytes(), session.stored().voxel_count());
  const Image fresh = reference(step1, f);
  if (world_rank() == 0) {
    EXPECT_LE(max_abs_difference(shown, fresh), 1e-4f);
  }
}

namespace {
/// A 64x32x32 volume whose only data sits in the quarter x < 16: voxel-count balance leaves ranks idle.
class QuarterFull : public io::VolumeSource {
 public:
  Box3i box() const override { return {{0, 0, 0}, {64, 32, 32}}; }
  DType dtype() const override { return DType::uint8; }
  std::string describe() const override { return "quarter-full"; }
  Brick read(const Box3i& r) const override {
    Brick b(intersect(r, box()), DType::uint8);
    size_t i = 0;
    for (int z = b.box.lo.z; z < b.box.hi.z; ++z)
      for (int y = b.box.lo.y; y < b.box.hi.y; ++y)
        for (int x = b.box.lo.x; x < b.box.hi.x; ++x, ++i)
          b.data<uint8_t>()[i] = x < 16 ? uint8_t(60 + (x * 7 + y * 3 + z * 5) % 150) : 0;
    return b;
  }
};
} // namespace

TEST(Distributed, RebalancingByVisibleWorkPutsEveryRankToWork) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  auto volume = std::make_shared<QuarterFull>();
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(volume);
  FrameParams f = frame_for({-40, 16, 16}, {32, 16, 16}, false, 40, 30); // looking along +x
  f.colormap.domain_min = 0.1f; // zeros are transparent: three quarters of the volume are empty
  Image before = session.render_frame(f);
  const int idle_before = world_size() - session.last_stats().contributing_leaves;
  EXPECT_TRUE(session.rebalance(f));
  const Image after = session.render_frame(f);
  const Image one = reference(volume, f);
  if (world_rank() == 0) {
    EXPECT_GT(idle_before, 0) << "voxel balance gives some ranks only empty space";
    EXPECT_EQ(session.last_stats().contributing_leaves, world_size()) << "after rebalancing every rank contributes";
    EXPECT_LE(max_abs_difference(after, one), 1e-4f) << "rebalancing never changes the image";
    EXPECT_LE(max_abs_difference(before, after), 1e-4f);
  }
  EXPECT_EQ(session.resident_bytes(), grow(session.leaf(), 1, volume->box()).voxel_count());
  EXPECT_FALSE(session.rebalance(f)) << "balanced already: nothing to change";
}
