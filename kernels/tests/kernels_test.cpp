// SPDX-License-Identifier: Apache-2.0
// The CPU marcher against analytic answers. Every expectation is a number the conventions in
// DESIGN.md fix; a wrong lattice, opacity correction, colormap or camera would change it.
#include <gtest/gtest.h>

#include <cmath>
#include <span>

#include "../cpu/cpu_backend.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"
#include "libindex/kernels/skip_grid.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

/// A perspective w x h view of ball(40) from above one corner, the ball filling most of it.
FrameParams view_of_ball_40(int w, int h) {
  FrameParams f;
  f.width = w, f.height = h;
  f.camera.from = {60, 50, 80};
  f.camera.dir = normalize(Vec3f{20, 20, 20} - f.camera.from);
  f.camera.focal = 1, f.camera.aperture = 0.8f, f.camera.aspect = float(w) / float(h);
  return f;
}
std::unique_ptr<kernels::Backend> cpu() { return kernels::make_cpu_backend(); }
float analytic_alpha(float a, float path, float dt_ref) { return 1.0f - std::pow(1.0f - a, path / dt_ref); }
} // namespace

TEST(Slab, AlphaMatchesBeerLambertForSeveralSamplingDistances) {
  const Brick vol = constant_volume({16, 16, 32}, DType::float32, 0.5f);
  auto backend = cpu();
  for (float dt : {1.0f, 0.5f, 0.25f, 0.4f, 0.3f}) {
    FrameParams f = ortho_down_z(16, 16, 40.1f, 8, 9, 9); // every ray crosses the full 32 voxels
    f.colormap = constant_colormap({1, 0.5f, 0.25f, 0.2f});
    f.settings.sampling_distance = dt;
    f.settings.sampling_distance_reference = 1.0f;
    Image img = render_whole(*backend, vol, f);
    const float expected = analytic_alpha(0.2f, 32, 1.0f);
    // 32/dt samples for the dt that divide 32; 0.3 gives 107 samples of a path of 106.67 steps.
    const float samples = std::floor(32.0f / dt + 1e-3f) + (dt == 0.3f ? 1.0f : 0.0f);
    const float expected_lattice = 1.0f - std::pow(1.0f - 0.2f, samples * dt);
    EXPECT_NEAR(img.at(4, 4).w, expected_lattice, 1e-4) << "dt " << dt;
    if (dt != 0.3f) {
      EXPECT_NEAR(img.at(4, 4).w, expected, 1e-4) << "dt " << dt;
    }
    EXPECT_NEAR(img.at(4, 4).x, img.at(4, 4).w * 1.0f, 1e-5); // premultiplied color
    EXPECT_NEAR(img.at(4, 4).y, img.at(4, 4).w * 0.5f, 1e-5);
  }
}

TEST(Slab, ScalingMakesPathsLongerInSceneSpace) {
  const Brick vol = constant_volume({8, 8, 16}, DType::uint8, 1.0f);
  FrameParams f = ortho_down_z(16, 16, 40.1f, 8, 5, 5); // scene box is [0,16]x[0,16]x[0,32]
  f.settings.scaling = {2, 2, 2};
  f.colormap = constant_colormap({1, 1, 1, 0.05f});
  f.settings.sampling_distance = 0.5f;
  f.settings.sampling_distance_reference = 2.0f;
  Image img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(2, 2).w, analytic_alpha(0.05f, 32, 2.0f), 1e-4);
}

TEST(Slab, RegionOfInterestClipsThePath) {
  const Brick vol = constant_volume({16, 16, 32}, DType::float32, 0.5f);
  FrameParams f = ortho_down_z(16, 16, 40.1f, 8, 5, 5);
  f.colormap = constant_colormap({1, 1, 1, 0.1f});
  f.settings.region_of_interest = {{-100, -100, 8}, {100, 100, 20}}; // 12 voxels of the 32
  Image img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(2, 2).w, analytic_alpha(0.1f, 12, 1.0f), 1e-4);
  // An ROI beside the volume leaves it empty and the active rectangle empty.
  f.settings.region_of_interest = {{100, 100, 100}, {200, 200, 200}};
  RenderStats s;
  img = render_whole(*cpu(), vol, f, &s);
  EXPECT_TRUE(s.active.empty());
  EXPECT_EQ(s.samples, 0);
  EXPECT_EQ(img.at(2, 2).w, 0.0f);
}

TEST(Colormap, DomainAndBoundaryModes) {
  const Brick vol = constant_volume({8, 8, 10}, DType::float32, 0.8f);
  FrameParams f = ortho_down_z(8, 8, 20.1f, 4, 3, 3);
  f.colormap.entries = {{1, 0, 0, 0.0f}, {0, 0, 1, 0.4f}};
  // Domain [0.6, 1.0]: u = 0.5, halfway between the entries -> alpha 0.2, color (0.5, 0, 0.5).
  f.colormap.domain_min = 0.6f, f.colormap.domain_max = 1.0f;
  Image img = render_whole(*cpu(), vol, f);
  const float a = analytic_alpha(0.2f, 10, 1.0f);
  EXPECT_NEAR(img.at(1, 1).w, a, 1e-4);
  EXPECT_NEAR(img.at(1, 1).x, 0.5f * a, 1e-4);
  // Domain [0, 0.5]: 0.8 is above it. clamp_to_edge uses the last entry; clamp_to_transparent nothing.
  f.colormap.domain_min = 0.0f, f.colormap.domain_max = 0.5f;
  img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(1, 1).w, analytic_alpha(0.4f, 10, 1.0f), 1e-4);
  EXPECT_NEAR(img.at(1, 1).z, img.at(1, 1).w, 1e-5); // pure blue
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  img = render_whole(*cpu(), vol, f);
  EXPECT_EQ(img.at(1, 1).w, 0.0f);
}

TEST(Values, IntegerVoxelsAreNormalizedBeforeTheColormap) {
  // int16 -16384 -> -0.50002; domain [-1, 1] -> u = 0.2500 -> alpha 0.25 of a 0..1 ramp.
  Colormap ramp;
  ramp.entries = {{1, 1, 1, 0}, {1, 1, 1, 1}};
  ramp.domain_min = -1, ramp.domain_max = 1;
  for (auto [t, v, expected_u] : {std::tuple{DType::int16, -0.5f, 0.25f}, std::tuple{DType::uint16, 0.25f, 0.625f},
                                  std::tuple{DType::uint8, 1.0f, 1.0f}}) {
    const Brick vol = constant_volume({4, 4, 4}, t, v);
    FrameParams f = ortho_down_z(4, 4, 10.1f, 2, 1, 1);
    f.colormap = ramp;
    f.settings.sampling_distance = 1.0f;
    Image img = render_whole(*cpu(), vol, f);
    EXPECT_NEAR(img.at(0, 0).w, analytic_alpha(expected_u, 4, 1.0f), 2e-4) << to_string(t);
  }
}

// int16 -32768 is -1 exactly, as the GPU's texture unit reads it (not -1.0000305): with the
// domain [-1, 1] and transparent outside it, a volume of -32768 shows, by packets and one ray alike.
TEST(Values, Int16MinimumIsMinusOneExactly) {
  EXPECT_EQ(normalize_voxel(int16_t(-32768)), -1.0f);
  EXPECT_EQ(normalize_voxel(int16_t(-32767)), -1.0f);
  EXPECT_EQ(raw_voxel(int16_t(-32768)) * voxel_scale<int16_t>(), -1.0f);
  Brick vol({{0, 0, 0}, {4, 4, 4}}, DType::int16);
  for (int16_t& v : std::span(vol.data<int16_t>(), size_t(vol.box.voxel_count()))) v = -32768;
  Colormap flat;
  flat.entries = {{1, 1, 1, 0.5f}, {1, 1, 1, 0.5f}};
  flat.domain_min = -1, flat.domain_max = 1;
  flat.mode = BoundaryMode::clamp_to_transparent;
  FrameParams f = ortho_down_z(4, 4, 10.1f, 2, 1, 1);
  f.colormap = flat;
  f.settings.sampling_distance = 1.0f;
  for (bool packets : {true, false}) {
    const Image img = render_whole(*kernels::make_cpu_backend(packets), vol, f);
    EXPECT_NEAR(img.at(0, 0).w, analytic_alpha(0.5f, 4, 1.0f), 2e-4) << (packets ? "packets" : "one ray");
  }
}

TEST(Camera, BrightVoxelLandsOnThePredictedPixel) {
  const Vec3i hot{21, 9, 14};
  const Brick vol = make_volume({32, 32, 32}, DType::uint8, [&](Vec3f c) {
    return (int(c.x) == hot.x && int(c.y) == hot.y && int(c.z) == hot.z) ? 1.0f : 0.0f;
  });
  for (bool ortho : {false, true}) {
    FrameParams f;
    f.width = 64, f.height = 48;
    f.camera.orthographic = ortho;
    f.camera.from = {16, 16, 80};
    f.camera.dir = {0, 0, -1};
    f.camera.up = {0, 1, 0};
    f.camera.focal = 1.0f;
    f.camera.aspect = 64.0f / 48.0f;
    f.camera.aperture = ortho ? 40.0f : 0.6f;
    f.colormap.entries = {{1, 1, 1, 0}, {1, 1, 1, 1}};
    Image img = render_whole(*cpu(), vol, f);
    int bx = -1, by = -1;
    float best = 0;
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x)
        if (img.at(x, y).w > best) best = img.at(x, y).w, bx = x, by = y;
    // Predicted: the voxel centre projected onto the plane, then plane -> pixel per the conventions.
    const Vec3f c{hot.x + 0.5f, hot.y + 0.5f, hot.z + 0.5f};
    const Vec3f v = c - f.camera.from;
    float sx = v.x, sy = v.y; // right = +x, up = +y for this camera
    if (!ortho) sx *= f.camera.focal / -v.z, sy *= f.camera.focal / -v.z;
    const float ap = f.camera.aperture;
    const int px = int(std::floor((sx + ap / 2) * f.width / ap));
    const int py = int(std::floor((ap / (2 * f.camera.aspect) - sy) * f.camera.aspect * f.height / ap));
    EXPECT_EQ(bx, px) << (ortho ? "ortho" : "perspective");
    EXPECT_EQ(by, py) << (ortho ? "ortho" : "perspective");
    EXPECT_GT(best, 0.1f);
  }
}

TEST(MarschnerLobb, ErrorFallsAsSamplingDistanceShrinks) {
  const Brick vol = marschner_lobb(41);
  FrameParams f;
  f.width = f.height = 48;
  f.camera.from = {20.5f, -30, 60};
  f.camera.dir = normalize(Vec3f{0, 50.5f, -39.5f});
  f.camera.up = {0, 0, 1};
  f.camera.focal = 1, f.camera.aperture = 0.9f;
  f.colormap = colormap_preset("grayscale", 0.15f);
  f.settings.early_termination = false;
  f.settings.sampling_distance = 0.02f;
  auto backend = cpu();
  const Image reference = render_whole(*backend, vol, f);
  float previous = INFINITY;
  for (float dt : {2.0f, 1.0f, 0.5f, 0.25f}) {
    f.settings.sampling_distance = dt;
    const float error = max_abs_difference(render_whole(*backend, vol, f), reference);
    EXPECT_LT(error, previous) << "dt " << dt;
    previous = error;
  }
  EXPECT_LT(previous, 0.03f); // at dt = 0.25 the image is within 3 % of the reference
}

TEST(Gradient, StencilEqualsTheSixLookupsCentralDifferences) {
  // trilinear_gradient reads 32 voxels once; inside the volume it must equal f(p + e) - f(p - e) from
  // six trilinear lookups, and on a linear ramp both are exactly twice its slope.
  const Brick lumpy = make_volume({13, 11, 9}, DType::float32, [](Vec3f c) {
    return std::sin(0.9f * c.x) * std::cos(0.7f * c.y) + 0.3f * std::sin(1.3f * c.z + c.x);
  });
  const Brick ramp = make_volume({13, 11, 9}, DType::float32, [](Vec3f c) { return 0.5f * c.x - 0.25f * c.y + c.z; });
  const auto lumpy_s = kernels::make_dense_sampler(whole_view(lumpy), lumpy.data<float>());
  const auto ramp_s = kernels::make_dense_sampler(whole_view(ramp), ramp.data<float>());
  uint32_t h = 12345;
  const auto next = [&](float lo, float hi) {
    h = h * 1664525u + 1013904223u;
    return lo + (hi - lo) * float(h >> 8) / 16777216.0f;
  };
  for (int i = 0; i < 500; ++i) {
    // Far enough inside that no lookup at p +- 1 is clamped: [2, size - 2].
    const Vec3f p{next(2, 11), next(2, 9), next(2, 7)};
    const Vec3f g = lumpy_s.gradient(p);
    const auto at = [&](Vec3f o) { return lumpy_s.value(p + o); };
    EXPECT_NEAR(g.x, at({1, 0, 0}) - at({-1, 0, 0}), 2e-6f) << p.x << " " << p.y << " " << p.z;
    EXPECT_NEAR(g.y, at({0, 1, 0}) - at({0, -1, 0}), 2e-6f);
    EXPECT_NEAR(g.z, at({0, 0, 1}) - at({0, 0, -1}), 2e-6f);
    const Vec3f r = ramp_s.gradient(p);
    EXPECT_NEAR(r.x, 1.0f, 2e-6f);
    EXPECT_NEAR(r.y, -0.5f, 2e-6f);
    EXPECT_NEAR(r.z, 2.0f, 2e-6f);
  }
  // At the volume's faces the stencil is clamped to the outermost voxels: a one-sided difference.
  EXPECT_NEAR(ramp_s.gradient({0.5f, 5.5f, 4.5f}).x, 0.5f, 1e-6f);  // (f(x1) - f(x0)) at the lower face
  EXPECT_NEAR(ramp_s.gradient({12.5f, 5.5f, 4.5f}).x, 0.5f, 1e-6f); // and at the upper one
}

TEST(Skipping, SameImageFewerSamples) {
  const Brick vol = ball(48);
  for (bool shading : {false, true})
    for (bool jitter : {false, true}) {
      FrameParams f;
      f.width = 40, f.height = 30;
      f.camera.from = {70, 60, 90};
      f.camera.dir = normalize(Vec3f{24, 24, 24} - f.camera.from);
      f.camera.focal = 1, f.camera.aperture = 0.8f, f.camera.aspect = 40.0f / 30.0f;
      f.colormap = colormap_preset("viridis", 0.5f);
      f.colormap.domain_min = 0.5f; // transparent below: the ball's outer shell and the corners are empty
      f.colormap.mode = BoundaryMode::clamp_to_transparent;
      f.settings.shading.enabled = shading;
      f.settings.jitter = jitter;
      auto backend = cpu();
      RenderStats on, off;
      f.settings.empty_space_skipping = true;
      Image a = render_whole(*backend, vol, f, &on);
      f.settings.empty_space_skipping = false;
      Image b = render_whole(*backend, vol, f, &off);
      EXPECT_EQ(max_abs_difference(a, b), 0.0f) << "shading " << shading << " jitter " << jitter;
      EXPECT_LT(on.samples * 10, off.samples * 7) << "skipping should save at least 30 % of the samples";
      EXPECT_GT(a.at(20, 15).w, 0.1f);
    }
}

TEST(Skipping, EmptyRadiusIsTheChessboardDistanceToAnOccupiedCell) {
  // A 9 x 7 x 5-cell grid (cell size 2) with a few occupied cells; the radius of every cell must be
  // the brute-force Chebyshev distance to the nearest one.
  const Brick vol = constant_volume({18, 14, 10}, DType::uint8, 0.0f);
  const kernels::MacroCellGrid grid = kernels::MacroCellGrid::build(whole_view(vol), 2);
  ASSERT_EQ(grid.dims(), (Vec3i{9, 7, 5}));
  std::vector<uint8_t> occupancy(size_t(grid.cell_count()), 0);
  const std::vector<Vec3i> occupied = {{1, 1, 0}, {7, 5, 4}, {4, 0, 2}};
  const auto index = [&](Vec3i c) { return (size_t(c.z) * 7 + c.y) * 9 + c.x; };
  for (Vec3i c : occupied) occupancy[index(c)] = 1;
  const std::vector<uint8_t> radius = grid.empty_radius(occupancy);
  for (int z = 0; z < 5; ++z)
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 9; ++x) {
        int expected = 255;
        for (Vec3i c : occupied)
          expected = std::min(expected, std::max({std::abs(x - c.x), std::abs(y - c.y), std::abs(z - c.z)}));
        ASSERT_EQ(radius[index({x, y, z})], expected) << x << " " << y << " " << z;
      }
  // The box of the occupied cells, one voxel wider on each side.
  const Box3f box = grid.occupied_box(occupancy);
  EXPECT_EQ(box.lo, (Vec3f{2 - 1, 0 - 1, 0 - 1}));
  EXPECT_EQ(box.hi, (Vec3f{16 + 1, 12 + 1, 10 + 1}));
  // Nothing occupied: every cell is as far from one as a byte can say, and the box is empty.
  std::fill(occupancy.begin(), occupancy.end(), 0);
  for (uint8_t r : grid.empty_radius(occupancy)) ASSERT_EQ(r, 255);
  EXPECT_TRUE(grid.occupied_box(occupancy).empty());
}

TEST(Skipping, LongJumpsOverEmptySpaceKeepTheImage) {
  // Three small blobs far apart in a 96^3 volume: rays cross most of it in a few jumps of many
  // cells. Axis-aligned views (zero direction components), an oblique one and an orthographic one,
  // shaded and not, must give exactly the image without skipping, from far fewer samples.
  const Brick vol = make_volume({96, 96, 96}, DType::uint8, [](Vec3f p) {
    float v = 0;
    for (Vec3f c : {Vec3f{15, 20, 30}, Vec3f{70, 75, 60}, Vec3f{50, 20, 80}}) {
      const Vec3f d = p - c;
      v = std::max(v, 1.0f - std::sqrt(dot(d, d)) / 7.0f);
    }
    return v;
  });
  const Vec3f centre{48, 48, 48};
  const Vec3f eyes[] = {{48, 48, 260}, {48, -170, 48}, {-150, 40, 52}, {200, 170, 230}};
  for (const Vec3f eye : eyes)
    for (bool ortho : {false, true})
      for (bool shading : {false, true}) {
        FrameParams f;
        f.width = 48, f.height = 40;
        f.camera.from = eye;
        f.camera.dir = normalize(centre - eye);
        f.camera.up = std::abs(f.camera.dir.z) > 0.9f ? Vec3f{0, 1, 0} : Vec3f{0, 0, 1};
        f.camera.orthographic = ortho;
        f.camera.focal = 1, f.camera.aperture = ortho ? 150.0f : 0.8f, f.camera.aspect = 48.0f / 40.0f;
        f.colormap = colormap_preset("viridis", 0.6f);
        f.colormap.domain_min = 0.3f;
        f.colormap.mode = BoundaryMode::clamp_to_transparent;
        f.settings.shading.enabled = shading;
        auto backend = cpu();
        RenderStats on, off;
        f.settings.empty_space_skipping = true;
        const Image a = render_whole(*backend, vol, f, &on);
        f.settings.empty_space_skipping = false;
        const Image b = render_whole(*backend, vol, f, &off);
        const std::string what =
            "eye " + std::to_string(eye.x) + " ortho " + std::to_string(ortho) + " shading " + std::to_string(shading);
        EXPECT_EQ(max_abs_difference(a, b), 0.0f) << what;
        EXPECT_LT(on.samples * 10, off.samples) << what << ": skipping should save 90 % of the samples here";
        float shown = 0;
        for (const Vec4f& p : a.pixels()) shown += p.w;
        EXPECT_GT(shown, 1.0f) << what << ": the view must see a blob";
      }
}

TEST(Skipping, ABackendRebuildsItsSkippingWhenTheColormapOrShadingChanges) {
  // One backend keeps a brick's skipping from frame to frame; a new colormap, domain or shading
  // must give the image a fresh backend gives (a stale occupancy would skip what is now visible).
  const Brick vol = ball(40);
  FrameParams f = view_of_ball_40(36, 30);
  f.colormap = colormap_preset("viridis", 0.5f);
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  auto kept = cpu();
  float previous_sum = -1;
  for (const auto& [domain_min, shading] : {std::pair{0.8f, false}, {0.2f, false}, {0.2f, true}, {0.8f, true}}) {
    f.colormap.domain_min = domain_min;
    f.settings.shading.enabled = shading;
    const Image again = render_whole(*kept, vol, f), fresh = render_whole(*cpu(), vol, f);
    EXPECT_EQ(max_abs_difference(again, fresh), 0.0f) << "domain " << domain_min << " shading " << shading;
    float sum = 0; // red and alpha: shading changes the first, the domain both
    for (const Vec4f& p : fresh.pixels()) sum += p.x + p.w;
    EXPECT_NE(sum, previous_sum) << "each step must change the picture";
    previous_sum = sum;
  }
}

TEST(Skipping, OccupancyFollowsTheColormap) {
  Colormap m;
  m.entries = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}}; // visible near u = 2/3 only
  auto v = m.view();
  EXPECT_FALSE(kernels::range_may_be_visible(v, 0.0f, 0.3f));
  EXPECT_TRUE(kernels::range_may_be_visible(v, 0.0f, 0.34f)); // reaches past entry 1 toward entry 2
  EXPECT_TRUE(kernels::range_may_be_visible(v, 0.9f, 0.95f)); // between entries 2 and 3
  EXPECT_FALSE(kernels::range_may_be_visible(v, 1.5f, 2.0f)); // edge entry alpha 0
  m.entries.back().w = 0.5f;
  EXPECT_TRUE(kernels::range_may_be_visible(m.view(), 1.5f, 2.0f)); // clamp_to_edge: edge alpha 0.5
  m.mode = BoundaryMode::clamp_to_transparent;
  EXPECT_FALSE(kernels::range_may_be_visible(m.view(), 1.5f, 2.0f));
}

TEST(Mip, MaximumAlongTheRay) {
  const Brick vol = make_volume({8, 8, 16}, DType::float32, [](Vec3f c) { return c.z < 5 ? 0.9f : 0.2f; });
  FrameParams f = ortho_down_z(8, 8, 30.1f, 4, 3, 3);
  f.settings.mode = RenderMode::maximum_intensity;
  f.colormap.entries = {{0, 0, 0, 0}, {1, 1, 1, 1}};
  Image img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(1, 1).w, 0.9f, 1e-5);
  EXPECT_NEAR(img.at(1, 1).x, 0.9f * 0.9f, 1e-5); // premultiplied
}

TEST(Bricks, TwoBricksWithGhostsComposeToTheWholeImage) {
  // Ownership at kernel level: two half-open bricks with one ghost layer, composited with `over`
  // in visibility order, equal the single-brick image (early termination off: no rank stops early).
  const Brick whole = marschner_lobb(24);
  FrameParams f = view_of_24_cube({-20, 30, 50}, 33, 27);
  f.colormap = colormap_preset("magma", 0.3f);
  f.settings.shading.enabled = true;
  auto backend = cpu();
  const Image reference = render_whole(*backend, whole, f);
  EXPECT_LT(max_abs_difference(render_split_at_x(*backend, whole, 12, 2, f), reference), 1e-5f);
  EXPECT_GT(reference.at(16, 13).w, 0.05f);
}

TEST(Camera, NearAndFarPlanesClipAlongTheViewDirection) {
  const Brick vol = constant_volume({16, 16, 32}, DType::float32, 0.5f);
  FrameParams f = ortho_down_z(16, 16, 40.1f, 8, 5, 5); // volume spans distances 8.1 .. 40.1
  f.colormap = constant_colormap({1, 1, 1, 0.1f});
  f.camera.clip_min = 20.1f, f.camera.clip_max = 30.1f; // 10 units of the 32
  Image img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(2, 2).w, analytic_alpha(0.1f, 10, 1.0f), 1e-4);
  // Perspective: an off-axis ray meets the planes farther along itself (1 / cos of its angle).
  f.camera.orthographic = false;
  f.camera.focal = 1.0f, f.camera.aperture = 0.2f;
  f.camera.clip_min = 0, f.camera.clip_max = 20.1f; // plane z = 20: the ray reaches 12 units deep
  img = render_whole(*cpu(), vol, f);
  EXPECT_NEAR(img.at(2, 2).w, analytic_alpha(0.1f, 12, 1.0f), 2e-3); // centre ray ~ along the axis
}

TEST(CpuBackend, RayPacketsGiveTheImageOfOneRayAtATime) {
  // The backend's dispatch: packets where the build and this CPU have them, else one ray at a time;
  // either way the same pixels and sample count (kernels_packet_*_test compare every setting).
  const Brick vol = ball(40);
  FrameParams f = view_of_ball_40(48, 40);
  f.colormap = colormap_preset("plasma", 0.4f);
  f.settings.shading.enabled = true;
  auto packets = kernels::make_cpu_backend(true), one_ray = kernels::make_cpu_backend(false);
  const char* isa = kernels::cpu_packet_isa();
  EXPECT_NE(packets->name().find(isa ? std::string(isa) + " ray packets" : "one ray at a time"), std::string::npos)
      << packets->name();
  EXPECT_NE(one_ray->name().find("one ray at a time"), std::string::npos) << one_ray->name();
  RenderStats a, b;
  const Image with = render_whole(*packets, vol, f, &a), without = render_whole(*one_ray, vol, f, &b);
  EXPECT_EQ(max_abs_difference(with, without), 0.0f);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_GT(with.at(24, 20).w, 0.1f);
}
