// SPDX-License-Identifier: Apache-2.0
// The colormap's edges and the sampler against exact answers, through the CPU backend with ray
// packets and one ray at a time, each with empty-space skipping on and off: values below and above
// the domain, NaN voxels, a reversed and a zero-width domain, and trilinear interpolation of a linear
// ramp (exact between voxel centres) across a brick seam. Skipping must never change a pixel, so a
// skip grid that calls a visible cell empty shows up here as a wrong alpha, not just as a difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../cpu/cpu_backend.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/skip_grid.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

float analytic_alpha(float a, float path, float dt_ref) { return 1.0f - std::pow(1.0f - a, path / dt_ref); }

/// One way of rendering: the backend's packets or one ray at a time, skipping on or off.
struct Variant {
  bool packets, skipping;
  std::string name() const {
    return std::string(packets ? "packets" : "one ray") + (skipping ? ", skipping" : ", no skipping");
  }
};
constexpr Variant kVariants[] = {{true, true}, {true, false}, {false, true}, {false, false}};

/// Renders with a fresh backend (its brick cache keys on the data pointer, which a later volume may reuse).
Image render_variant(const Brick& vol, FrameParams f, Variant v, RenderStats* stats = nullptr) {
  f.settings.empty_space_skipping = v.skipping;
  auto backend = kernels::make_cpu_backend(v.packets);
  return render_whole(*backend, vol, f, stats);
}

/// Every pixel of every variant equals `want` within 1e-5 (the scene is uniform across the image).
void expect_every_pixel(const Brick& vol, const FrameParams& f, Vec4f want, const std::string& what) {
  for (Variant v : kVariants) {
    const Image img = render_variant(vol, f, v);
    float worst = 0;
    for (const Vec4f& p : img.pixels())
      worst = std::max(
          {worst, std::fabs(p.x - want.x), std::fabs(p.y - want.y), std::fabs(p.z - want.z), std::fabs(p.w - want.w)});
    EXPECT_LE(worst, 1e-5f) << what << " (" << v.name() << "): pixel (2,2) is (" << img.at(2, 2).x << ", "
                            << img.at(2, 2).y << ", " << img.at(2, 2).z << ", " << img.at(2, 2).w << "), want ("
                            << want.x << ", " << want.y << ", " << want.z << ", " << want.w << ")";
  }
}

/// An 8x8x16 float32 slab seen straight down -z: every ray takes 32 samples (dt 0.5), a path of 16.
FrameParams slab_frame() {
  FrameParams f = ortho_down_z(8, 8, 20.1f, 4, 5, 5);
  f.settings.sampling_distance = 0.5f;
  f.settings.sampling_distance_reference = 1.0f;
  return f;
}
constexpr float kSlabPath = 16.0f;

Vec4f premultiplied(Vec4f straight_rgb, float alpha) {
  return {straight_rgb.x * alpha, straight_rgb.y * alpha, straight_rgb.z * alpha, alpha};
}

} // namespace

TEST(ColormapBoundary, BelowTheDomainClampToEdgeIsTheOpaqueFirstEntry) {
  // Domain [0.5, 1]; every voxel is 0.1, below it. The first entry is opaque red, the last clear.
  const Brick vol = constant_volume({8, 8, 16}, DType::float32, 0.1f);
  FrameParams f = slab_frame();
  f.colormap.entries = {{1, 0, 0, 0.3f}, {0, 0, 1, 0.0f}};
  f.colormap.domain_min = 0.5f, f.colormap.domain_max = 1.0f;
  f.colormap.mode = BoundaryMode::clamp_to_edge;
  const float a = analytic_alpha(0.3f, kSlabPath, 1.0f);
  expect_every_pixel(vol, f, premultiplied({1, 0, 0, 0}, a), "clamp_to_edge below the domain");
  // A cell whose values all lie below the domain is visible exactly when the first entry is.
  EXPECT_TRUE(kernels::range_may_be_visible(f.colormap.view(), 0.1f, 0.1f));
  EXPECT_TRUE(kernels::range_may_be_visible(f.colormap.view(), -1e30f, 0.2f));
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  EXPECT_FALSE(kernels::range_may_be_visible(f.colormap.view(), 0.1f, 0.1f));
  expect_every_pixel(vol, f, {0, 0, 0, 0}, "clamp_to_transparent below the domain");
}

TEST(ColormapBoundary, AboveTheDomainClampToEdgeIsTheOpaqueLastEntry) {
  const Brick vol = constant_volume({8, 8, 16}, DType::float32, 1.7f);
  FrameParams f = slab_frame();
  f.colormap.entries = {{1, 0, 0, 0.0f}, {0, 1, 0, 0.0f}, {0, 0, 1, 0.25f}};
  f.colormap.domain_min = 0.5f, f.colormap.domain_max = 1.0f;
  const float a = analytic_alpha(0.25f, kSlabPath, 1.0f);
  expect_every_pixel(vol, f, premultiplied({0, 0, 1, 0}, a), "clamp_to_edge above the domain");
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  expect_every_pixel(vol, f, {0, 0, 0, 0}, "clamp_to_transparent above the domain");
}

TEST(ColormapBoundary, BelowTheDomainNextToSkippedCells) {
  // 8x8x48: z < 16 below the domain (opaque first entry), z >= 16 above it (clear last entry), so the
  // upper cells are empty and skipped while the lower ones must not be. The camera looks down -z.
  const Brick vol = make_volume({8, 8, 48}, DType::float32, [](Vec3f c) { return c.z < 16 ? -0.5f : 3.0f; });
  FrameParams f = ortho_down_z(8, 8, 52.1f, 4, 5, 5);
  f.colormap.entries = {{1, 0, 0, 0.3f}, {0, 0, 1, 0.0f}};
  f.colormap.domain_min = 0.0f, f.colormap.domain_max = 1.0f;
  // Samples lie at z = 52.1 - 0.5 k. Those with z < 15.5 read only -0.5 voxels: 31 of them (15.1 ..
  // 0.1). The two at z = 16.1 and 15.6 interpolate between -0.5 and 3.0: 1.6 (above: clear) and
  // -0.15 (below: red 0.3). So 32 red samples of 0.3 each: alpha 1 - 0.7^(32 * 0.5).
  const float a = analytic_alpha(0.3f, 16.0f, 1.0f);
  for (Variant v : kVariants) {
    RenderStats stats;
    const Image img = render_variant(vol, f, v, &stats);
    EXPECT_NEAR(img.at(2, 2).w, a, 1e-5) << v.name();
    EXPECT_NEAR(img.at(2, 2).x, a, 1e-5) << v.name();
    EXPECT_EQ(img.at(2, 2).z, 0.0f) << v.name();
    // Without skipping every ray takes all 96 samples; with it, the three empty upper cells (z >= 24,
    // their reach of 2 voxels stops at 22) are jumped: the rays resume at z = 23.6, 48 samples.
    EXPECT_EQ(stats.samples, 25LL * (v.skipping ? 48 : 96)) << v.name();
  }
}

TEST(ColormapBoundary, SkippingResumesAfterEachOccupiedRun) {
  // 8x8x48 seen down -z: voxels z in [16, 24) below the domain (the opaque first entry), the rest
  // above it (the clear last entry). Eleven entries, only the first visible, so the values that
  // interpolate across the domain (u >= 0.1) are clear too.
  const Brick vol =
      make_volume({8, 8, 48}, DType::float32, [](Vec3f c) { return c.z > 16 && c.z < 24 ? -0.5f : 3.0f; });
  FrameParams f = ortho_down_z(8, 8, 52.1f, 4, 5, 5);
  f.colormap.entries.assign(11, {0, 0, 0, 0});
  f.colormap.entries[0] = {1, 0, 0, 0.3f};
  // Red samples: z = 23.6 (-0.15, below) and 23.1 .. 16.6 (-0.5): 15, a path of 7.5. z = 16.1 reads 0.9.
  const float a = analytic_alpha(0.3f, 7.5f, 1.0f);
  for (Variant v : kVariants) {
    RenderStats stats;
    const Image img = render_variant(vol, f, v, &stats);
    EXPECT_NEAR(img.at(2, 2).w, a, 1e-5) << v.name();
    EXPECT_NEAR(img.at(2, 2).x, a, 1e-5) << v.name();
    // Cells of 8 with a reach of 2: [8, 16), [16, 24) and [24, 32) are occupied, the others empty.
    // Skipping samples z = 31.6 .. 8.1 (48 of the 96): it must skip again after the occupied run.
    EXPECT_EQ(stats.samples, 25LL * (v.skipping ? 48 : 96)) << v.name();
  }
}

TEST(ColormapBoundary, MipTakesEverySampleWhateverTheColormap) {
  // MIP's maximum is classified after the march (or composited across ranks first), so a cell whose
  // values the colormap hides still holds the maximum: MIP never skips. Here the maximum, 2.0, lies
  // above a clamp_to_transparent domain: the pixel is clear, and the value written is 2.0.
  // Cells z >= 32 hold only 2.0 (a skip grid for this colormap calls them empty); the samples below
  // z = 32 read at most 0.65.
  const Brick vol = make_volume({8, 8, 48}, DType::float32, [](Vec3f c) { return c.z < 32 ? 0.5f : 2.0f; });
  FrameParams f = ortho_down_z(8, 8, 52.1f, 4, 5, 5);
  f.settings.mode = RenderMode::maximum_intensity;
  f.colormap.entries = {{1, 1, 1, 0.5f}, {1, 1, 1, 1}};
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  for (Variant v : kVariants) {
    RenderStats stats;
    Image img = render_variant(vol, f, v, &stats);
    EXPECT_EQ(img.at(2, 2).w, 0.0f) << v.name();
    EXPECT_EQ(stats.samples, 25LL * 96) << v.name();
    FrameParams values = f;
    values.mip_output_values = true;
    img = render_variant(vol, values, v);
    EXPECT_EQ(img.at(2, 2).x, 2.0f) << v.name();
  }
}

TEST(ColormapBoundary, NaNVoxelsReadAsBelowTheDomain) {
  // colormap_lookup treats NaN as outside the domain and not above its middle: clamp_to_edge gives
  // the first entry, clamp_to_transparent nothing. A sample is NaN when any of its 8 corners is.
  // Voxels 8..11 in z are NaN; the rest hold 2.0, above the domain, where the last entry is clear.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Brick vol = make_volume({8, 8, 40}, DType::float32, [&](Vec3f c) { return c.z > 8 && c.z < 12 ? nan : 2.0f; });
  FrameParams f = ortho_down_z(8, 8, 44.1f, 4, 5, 5);
  f.colormap.entries = {{1, 0, 0, 0.3f}, {0, 0, 1, 0.0f}};
  f.colormap.domain_min = 0.0f, f.colormap.domain_max = 1.0f;
  // Samples at z = 44.1 - 0.5 k read a NaN corner for z - 1/2 in [7, 12): z = 12.1, 11.6, ..., 7.6,
  // ten samples, a path of 5.
  const float a = analytic_alpha(0.3f, 5.0f, 1.0f);
  for (Variant v : kVariants) {
    RenderStats stats;
    const Image img = render_variant(vol, f, v, &stats);
    EXPECT_NEAR(img.at(2, 2).w, a, 1e-5) << v.name();
    EXPECT_NEAR(img.at(2, 2).x, a, 1e-5) << v.name();
    EXPECT_NEAR(img.at(4, 0).w, a, 1e-5) << v.name();
    // Cells (8 voxels, reach 2) z >= 16 hold no NaN and only clear values: skipped, the rays resume
    // at z = 15.6, 32 samples instead of 80. A NaN cell must never look empty.
    EXPECT_EQ(stats.samples, 25LL * (v.skipping ? 32 : 80)) << v.name();
  }
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  expect_every_pixel(vol, f, {0, 0, 0, 0}, "NaN with clamp_to_transparent");
  // MIP: a NaN sample never becomes the maximum (the comparison with NaN is false).
  const Brick mip_vol =
      make_volume({8, 8, 40}, DType::float32, [&](Vec3f c) { return c.z > 8 && c.z < 12 ? nan : 0.3f; });
  f.settings.mode = RenderMode::maximum_intensity;
  f.mip_output_values = true; // the pixel is (max value, 0, 0, 1)
  for (Variant v : kVariants) {
    const Image img = render_variant(mip_vol, f, v);
    EXPECT_EQ(img.at(2, 2).x, 0.3f) << v.name();
    EXPECT_EQ(img.at(2, 2).w, 1.0f) << v.name();
  }
}

TEST(ColormapBoundary, ANaNColourShowsNaNVoxelsWhereTheTableShowsNothing) {
  // The volume of NaNVoxelsReadAsBelowTheDomain, under a table that is clear everywhere: only the
  // NaN colour (green, alpha 0.3) can show, over the same ten NaN samples (a path of 5).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Brick vol = make_volume({8, 8, 40}, DType::float32, [&](Vec3f c) { return c.z > 8 && c.z < 12 ? nan : 2.0f; });
  FrameParams f = ortho_down_z(8, 8, 44.1f, 4, 5, 5);
  f.colormap.entries = {{1, 0, 0, 0.0f}, {0, 0, 1, 0.0f}};
  f.colormap.nan_color = Vec4f{0, 1, 0, 0.3f};
  const float a = analytic_alpha(0.3f, 5.0f, 1.0f);
  for (BoundaryMode mode : {BoundaryMode::clamp_to_edge, BoundaryMode::clamp_to_transparent}) {
    f.colormap.mode = mode; // NaN is not outside the domain once it has a colour of its own
    for (Variant v : kVariants) {
      RenderStats stats;
      const Image img = render_variant(vol, f, v, &stats);
      EXPECT_NEAR(img.at(2, 2).w, a, 1e-5) << v.name();
      EXPECT_NEAR(img.at(2, 2).y, a, 1e-5) << v.name();
      EXPECT_EQ(img.at(2, 2).x, 0.0f) << v.name();
      // The table shows nothing, yet the cells holding NaN must not be skipped: z >= 16 is, as before.
      EXPECT_EQ(stats.samples, 25LL * (v.skipping ? 32 : 80)) << v.name();
    }
  }
  // Shading: a gradient next to NaN is NaN, and such samples stay unshaded rather than poisoning
  // the pixel.
  f.settings.shading.enabled = true;
  for (Variant v : kVariants) {
    const Image img = render_variant(vol, f, v);
    EXPECT_NEAR(img.at(2, 2).y, a, 1e-5) << v.name() << ", shaded";
  }
  f.colormap.nan_color = Vec4f{0, 1, 0, 0.0f}; // a clear NaN colour: nothing at all
  f.settings.shading.enabled = false;
  expect_every_pixel(vol, f, {0, 0, 0, 0}, "a clear NaN colour");
}

TEST(ColormapBoundary, ReversedDomainReadsTheTableBackwards) {
  // domain_min = 1, domain_max = 0: u = (v - 1) / (0 - 1) = 1 - v. The table runs clear red -> blue 0.4.
  FrameParams f = slab_frame();
  f.colormap.entries = {{1, 0, 0, 0.0f}, {0, 0, 1, 0.4f}};
  f.colormap.domain_min = 1.0f, f.colormap.domain_max = 0.0f;
  // v = 0.25 -> u = 0.75: alpha 0.3, colour (0.25, 0, 0.75).
  const float a = analytic_alpha(0.3f, kSlabPath, 1.0f);
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, 0.25f), f, premultiplied({0.25f, 0, 0.75f, 0}, a),
                     "reversed domain, v = 0.25");
  // Outside: v = -0.5 -> u = 1.5, the last entry (blue 0.4); v = 1.5 -> u = -0.5, the first (clear).
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, -0.5f), f,
                     premultiplied({0, 0, 1, 0}, analytic_alpha(0.4f, kSlabPath, 1.0f)), "reversed domain, v = -0.5");
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, 1.5f), f, {0, 0, 0, 0}, "reversed domain, v = 1.5");
  EXPECT_TRUE(kernels::range_may_be_visible(f.colormap.view(), 0.2f, 0.3f));
  EXPECT_FALSE(kernels::range_may_be_visible(f.colormap.view(), 1.2f, 1.3f));
}

TEST(ColormapBoundary, ZeroWidthDomainIsAStepAtTheDomain) {
  // The .prj parser and colormap.set refuse min == max; the kernels take it as the limit of a narrow
  // domain: u = (v - d) * inf, so v < d reads the first entry, v > d the last, and v == d gives
  // 0 * inf = NaN, which reads like a value below the domain (the first entry).
  FrameParams f = slab_frame();
  f.colormap.entries = {{1, 0, 0, 0.2f}, {0, 0, 1, 0.4f}};
  f.colormap.domain_min = 0.5f, f.colormap.domain_max = 0.5f;
  const Vec4f first = premultiplied({1, 0, 0, 0}, analytic_alpha(0.2f, kSlabPath, 1.0f));
  const Vec4f last = premultiplied({0, 0, 1, 0}, analytic_alpha(0.4f, kSlabPath, 1.0f));
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, 0.25f), f, first, "zero-width domain, v < d");
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, 0.75f), f, last, "zero-width domain, v > d");
  expect_every_pixel(constant_volume({8, 8, 16}, DType::float32, 0.5f), f, first, "zero-width domain, v == d");
}

namespace {

/// v = g . c at voxel centres c: trilinear interpolation reproduces it exactly between the centres,
/// and clamps each coordinate to the outermost centres (p - 1/2 in [0, n - 1]).
struct Ramp {
  Vec3i size{24, 20, 16};
  double g[3] = {0.02, 0.015, 0.01};
  Brick volume() const {
    return make_volume(size, DType::float32, [this](Vec3f c) { return float(g[0] * c.x + g[1] * c.y + g[2] * c.z); });
  }
  double at(const double p[3]) const {
    double v = 0;
    for (int a = 0; a < 3; ++a) v += g[a] * (std::clamp(p[a] - 0.5, 0.0, double(size[a] - 1)) + 0.5);
    return v;
  }
};

/// The analytic MIP of one pixel over the samples (t = (k + j) dt) inside `owned`, computed in double
/// from the camera's ray. `ambiguous` is set when a sample lies within kFace of a face of `owned`,
/// where float rounding (positions are floats of magnitude < 64: a few 1e-6) decides whether the
/// brick takes it.
constexpr double kFace = 1e-4;
struct Expected {
  bool hit = false, ambiguous = false;
  double max = -1e300, argmax_x = 0;
};
Expected analytic_mip(const Ramp& ramp, const FrameParams& f, const Box3i& owned, int px, int py) {
  const Ray ray = camera_ray(f.camera, camera_frame(f.camera), px, py, f.width, f.height);
  const double j = f.settings.jitter ? kernels::pixel_jitter(px, py) : 0.0;
  Expected e;
  for (int k = 0; k < 2000; ++k) {
    const double t = (k + j) * f.settings.sampling_distance;
    const double p[3] = {ray.origin.x + ray.dir.x * t, ray.origin.y + ray.dir.y * t, ray.origin.z + ray.dir.z * t};
    bool inside = true, near_box = true, near_face = false;
    for (int a = 0; a < 3; ++a) {
      inside = inside && p[a] >= owned.lo[a] && p[a] < owned.hi[a];
      near_box = near_box && p[a] > owned.lo[a] - kFace && p[a] < owned.hi[a] + kFace;
      near_face = near_face || std::fabs(p[a] - owned.lo[a]) < kFace || std::fabs(p[a] - owned.hi[a]) < kFace;
    }
    if (near_box && near_face) e.ambiguous = true;
    if (inside && ramp.at(p) > e.max) e.hit = true, e.max = ramp.at(p), e.argmax_x = p[0];
  }
  return e;
}

FrameParams ramp_frame(bool jitter, float dt) {
  FrameParams f;
  f.width = 40, f.height = 30;
  f.camera.from = {-14, 31, 27};
  f.camera.dir = normalize(Vec3f{12, 10, 8} - f.camera.from);
  f.camera.focal = 1, f.camera.aperture = 0.9f, f.camera.aspect = 40.0f / 30.0f;
  f.settings.mode = RenderMode::maximum_intensity;
  f.settings.jitter = jitter;
  f.settings.sampling_distance = dt;
  f.mip_output_values = true; // the pixel is (max value, 0, 0, 1), or 0 where the ray took no sample
  return f;
}

} // namespace

TEST(Trilinear, LinearRampMipIsTheAnalyticMaximumAcrossABrickSeam) {
  const Ramp ramp;
  const Brick whole = ramp.volume();
  const Box3i vol = whole.box;
  // The x < 11 brick and the x >= 11 brick, each with one ghost layer (what trilinear reads).
  const Box3i halves[2] = {{{0, 0, 0}, {11, 20, 16}}, {{11, 0, 0}, {24, 20, 16}}};
  for (bool jitter : {false, true})
    for (float dt : {0.5f, 0.37f})
      for (bool packets : {true, false}) {
        const std::string what = std::string(jitter ? "jitter" : "no jitter") + " dt " + std::to_string(dt) +
                                 (packets ? " packets" : " one ray");
        const FrameParams f = ramp_frame(jitter, dt);
        auto backend = kernels::make_cpu_backend(packets);
        const Image full = render_whole(*backend, whole, f);
        Image layers[2];
        for (int b = 0; b < 2; ++b) {
          Brick storage;
          layers[b] = Image(f.width, f.height);
          auto own = kernels::make_cpu_backend(packets);
          own->render(sub_brick(whole, halves[b], 1, storage), f, layers[b].view());
        }
        int compared = 0, at_seam = 0;
        double worst = 0;
        for (int py = 0; py < f.height; ++py)
          for (int px = 0; px < f.width; ++px) {
            // The whole volume, then each brick on its own: the brick that ends at the seam has its
            // maximum there whenever the ramp rises toward +x, read from its ghost layer.
            const Expected e = analytic_mip(ramp, f, vol, px, py);
            if (!e.ambiguous) {
              ++compared;
              EXPECT_EQ(full.at(px, py).w, e.hit ? 1.0f : 0.0f) << what << " pixel " << px << "," << py;
              if (e.hit) worst = std::max(worst, std::fabs(full.at(px, py).x - e.max));
            }
            for (int b = 0; b < 2; ++b) {
              const Expected eb = analytic_mip(ramp, f, halves[b], px, py);
              if (eb.ambiguous) continue;
              EXPECT_EQ(layers[b].at(px, py).w, eb.hit ? 1.0f : 0.0f) << what << " brick " << b;
              if (!eb.hit) continue;
              worst = std::max(worst, std::fabs(layers[b].at(px, py).x - eb.max));
              if (b == 0 && eb.argmax_x > 10.5) ++at_seam; // interpolated with the ghost voxel x = 11
            }
            // Composited by maximum (what the session does with MIP values), the bricks give the
            // whole-volume pixel exactly: the same samples at the same positions.
            const Vec4f a = layers[0].at(px, py), b = layers[1].at(px, py);
            const float composed = a.w > 0 && b.w > 0 ? std::max(a.x, b.x) : (a.w > 0 ? a.x : b.x);
            EXPECT_EQ(composed, full.at(px, py).x) << what << " pixel " << px << "," << py;
          }
        EXPECT_LE(worst, 1e-5) << what;
        EXPECT_GE(compared, f.width * f.height * 9 / 10) << what << ": too few pixels away from the faces";
        EXPECT_GT(at_seam, f.width * f.height / 8) << what << ": too few maxima next to the seam";
      }
}

TEST(Trilinear, LinearRampMipThroughTheColormap) {
  // The same maximum, classified: a 0..1 ramp over the domain [0, 1] gives alpha = max, red = max^2.
  const Ramp ramp;
  const Brick whole = ramp.volume();
  FrameParams f = ramp_frame(false, 0.5f);
  f.mip_output_values = false;
  f.colormap.entries = {{0, 0, 0, 0}, {1, 1, 1, 1}};
  const Image img = render_whole(*kernels::make_cpu_backend(), whole, f);
  int hits = 0;
  for (int py = 0; py < f.height; ++py)
    for (int px = 0; px < f.width; ++px) {
      const Expected e = analytic_mip(ramp, f, whole.box, px, py);
      if (e.ambiguous || !e.hit) continue;
      ++hits;
      EXPECT_NEAR(img.at(px, py).w, e.max, 1e-5) << px << "," << py;
      EXPECT_NEAR(img.at(px, py).x, e.max * e.max, 1e-5) << px << "," << py;
    }
  EXPECT_GT(hits, f.width * f.height / 2);
}
