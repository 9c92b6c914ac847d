// SPDX-License-Identifier: Apache-2.0
// Volumes on one grid mixed per sample (mix.h): a transparent partner changes nothing, transmittances
// multiply, colours mix by opacity, and split bricks composited in order equal the whole brick.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../cpu/cpu_backend.h"
#include "libindex/error.h"
#include "libindex/kernels/mix.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

Brick waves(Vec3i size, DType t) {
  return make_volume(size, t, [](Vec3f c) {
    return 0.5f + 0.45f * std::sin(0.4f * c.x + 0.15f * c.z) * std::cos(0.3f * c.y - 0.2f * c.z);
  });
}

/// Two layers mixed with empty-space skipping on or off in both; `stats` gets the call's counters.
Image render_pair(kernels::Backend& backend, const Brick& a, const FrameParams& fa, const Brick& b,
                  const FrameParams& fb, bool skipping, RenderStats& stats) {
  FrameParams sa = fa, sb = fb;
  sa.settings.empty_space_skipping = sb.settings.empty_space_skipping = skipping;
  return render_mix(backend, {{&a, &sa}, {&b, &sb}}, &stats);
}

float max_alpha(const Image& a) {
  float m = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) m = std::max(m, a.at(x, y).w);
  return m;
}

} // namespace

TEST(MixedVolumes, ATransparentPartnerChangesNothing) {
  const Vec3i size{24, 20, 16};
  const Brick a = waves(size, DType::float32), b = waves(size, DType::uint16);
  for (bool shaded : {false, true}) {
    FrameParams fa = oblique_view(size);
    fa.colormap = colormap_preset("viridis", 0.4f);
    fa.settings.shading.enabled = shaded;
    FrameParams fb = fa;
    fb.colormap = constant_colormap({1, 0, 0, 0}); // shows nothing
    fb.settings.shading.enabled = !shaded;
    const auto cpu = kernels::make_cpu_backend(true);
    const Image alone = render_whole(*cpu, a, fa);
    ASSERT_GT(max_alpha(alone), 0.5f);
    EXPECT_LT(max_difference(render_mix(*cpu, {{&a, &fa}, {&b, &fb}}), alone), 1e-5f) << "shaded " << shaded;
  }
}

TEST(MixedVolumes, TransmittancesMultiplyAndColoursMixByOpacity) {
  // Without early termination every sample counts: 1 - alpha of the mix is the product of each
  // volume's 1 - alpha rendered alone, at every pixel, whatever the fields.
  const Vec3i size{24, 20, 16};
  const Brick a = waves(size, DType::float32);
  const Brick b_on_grid = make_volume(size, DType::uint8, [](Vec3f c) {
    const float r = length(c - Vec3f{12, 10, 8});
    return r < 8 ? 1.0f - r / 8 : 0.0f;
  });
  FrameParams fa = oblique_view(size);
  fa.settings.early_termination = false;
  fa.colormap = colormap_preset("viridis", 0.3f);
  FrameParams fb = fa;
  fb.colormap = colormap_preset("inferno", 0.6f);
  fb.settings.sampling_distance_reference = 2.0f; // its own opacity reference
  const auto cpu = kernels::make_cpu_backend(true);
  const Image ia = render_whole(*cpu, a, fa), ib = render_whole(*cpu, b_on_grid, fb);
  const Image mix = render_mix(*cpu, {{&a, &fa}, {&b_on_grid, &fb}});
  int checked = 0;
  for (int y = 0; y < mix.height(); ++y)
    for (int x = 0; x < mix.width(); ++x) {
      const float expected = 1.0f - (1.0f - ia.at(x, y).w) * (1.0f - ib.at(x, y).w);
      ASSERT_NEAR(mix.at(x, y).w, expected, 2e-5f) << x << "," << y;
      checked += expected > 0.2f;
    }
  EXPECT_GT(checked, 100);

  // Constant fields: every sample mixes red (a1) and blue (a2) alike, so the pixel's colour is
  // (a1 red + a2 blue) / (a1 + a2) with the opacities corrected for the sampling distance.
  const Brick one = constant_volume(size, DType::uint8, 1.0f);
  FrameParams fr = fa, fbl = fa;
  fr.colormap = constant_colormap({1, 0, 0, 0.1f});
  fbl.colormap = constant_colormap({0, 0, 1, 0.3f});
  const Image m = render_mix(*cpu, {{&one, &fr}, {&one, &fbl}});
  const float a1 = 1 - std::sqrt(1 - 0.1f), a2 = 1 - std::sqrt(1 - 0.3f); // exponent dt / dt_ref = 1/2
  const Vec4f centre = m.at(24, 20);
  ASSERT_GT(centre.w, 0.5f);
  EXPECT_NEAR(centre.x / centre.w, a1 / (a1 + a2), 1e-5f);
  EXPECT_NEAR(centre.z / centre.w, a2 / (a1 + a2), 1e-5f);
  EXPECT_EQ(centre.y, 0.0f);
}

TEST(MixedVolumes, AVolumeMixedWithItselfDoublesItsOpticalDepth) {
  // Constant opacity a in the colormap: the mix of a volume with itself is the volume under a
  // colormap of opacity 1 - (1 - a)^2 and the same colours.
  const Vec3i size{20, 20, 20};
  const Brick a = waves(size, DType::int16);
  FrameParams f = oblique_view(size);
  f.colormap = colormap_preset("viridis", 1.0f);
  for (size_t i = 0; i < f.colormap.entries.size(); ++i) f.colormap.entries[i].w = 0.2f;
  FrameParams doubled = f;
  for (size_t i = 0; i < doubled.colormap.entries.size(); ++i) doubled.colormap.entries[i].w = 1 - 0.8f * 0.8f;
  const auto cpu = kernels::make_cpu_backend(true);
  const Image alone = render_whole(*cpu, a, doubled);
  ASSERT_GT(max_alpha(alone), 0.9f);
  EXPECT_LT(max_difference(render_mix(*cpu, {{&a, &f}, {&a, &f}}), alone), 1e-5f);
}

TEST(MixedVolumes, SplitBricksCompositedInOrderEqualTheWhole) {
  const Vec3i size{24, 20, 16};
  const Brick a = waves(size, DType::float32);
  const Brick b = make_volume(size, DType::uint8, [](Vec3f c) { return c.x / 24.0f; });
  FrameParams fa = oblique_view(size), fb = fa;
  fa.colormap = colormap_preset("viridis", 0.5f);
  fb.colormap = colormap_preset("inferno", 0.5f);
  fb.settings.shading.enabled = true;
  const auto cpu = kernels::make_cpu_backend(true);
  const Image whole = render_mix(*cpu, {{&a, &fa}, {&b, &fb}});
  // Halves along x; the eye is at x > 24, so the upper half is in front.
  Brick sa[2], sb[2];
  Image halves[2];
  const Box3i boxes[2] = {{{0, 0, 0}, {12, 20, 16}}, {{12, 0, 0}, {24, 20, 16}}};
  for (int h = 0; h < 2; ++h) {
    const kernels::MixedLayer layers[2] = {{sub_brick(a, boxes[h], 2, sa[h]), &fa},
                                           {sub_brick(b, boxes[h], 2, sb[h]), &fb}};
    halves[h] = Image(fa.width, fa.height);
    const RenderStats s = cpu->render_mixed(layers, halves[h].view());
    Image clean(fa.width, fa.height);
    for (int y = s.active.y0; y < s.active.y1; ++y)
      for (int x = s.active.x0; x < s.active.x1; ++x) clean.at(x, y) = halves[h].at(x, y);
    halves[h] = std::move(clean);
  }
  Image composed(fa.width, fa.height);
  for (int y = 0; y < fa.height; ++y)
    for (int x = 0; x < fa.width; ++x) {
      const Vec4f front = halves[1].at(x, y), back = halves[0].at(x, y);
      composed.at(x, y) = front + back * (1 - front.w);
    }
  ASSERT_GT(max_alpha(whole), 0.5f);
  EXPECT_LT(max_difference(composed, whole), 1e-5f);
}

// A volume on another grid is read in its own voxel space: b holds a's voxels from z = 4 up and is
// placed at z = 4, so wherever it is sampled it has a's value there. Mixed with a, it gives a mixed
// with itself over the same region (one region of interest, z >= 5, keeps both layers off b's lower
// face, where b's sampling clamps to its first voxel centre). Packets and single rays alike.
TEST(MixedVolumes, AVolumeOnAnotherGridIsReadInItsOwnVoxelSpace) {
  const Vec3i size{16, 16, 16};
  const Brick a = waves(size, DType::float32);
  Brick b({{0, 0, 0}, {16, 16, 12}}, DType::float32);
  for (int z = 0; z < 12; ++z)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x)
        b.data<float>()[(z * 16 + y) * 16 + x] = a.data<float>()[((z + 4) * 16 + y) * 16 + x];
  FrameParams fa = oblique_view(size);
  fa.colormap = colormap_preset("viridis", 0.5f);
  FrameParams upper = fa;
  upper.colormap = colormap_preset("magma", 0.5f);
  upper.settings.region_of_interest.lo.z = 5;
  FrameParams fb = upper;
  fb.settings.translation.z = 4;
  for (const bool packets : {true, false}) {
    const auto cpu = kernels::make_cpu_backend(packets);
    const Image same = render_mix(*cpu, {{&a, &fa}, {&a, &upper}});
    EXPECT_LT(max_difference(render_mix(*cpu, {{&a, &fa}, {&b, &fb}}), same), 1e-5f) << "packets " << packets;
    EXPECT_GT(max_difference(same, render_whole(*cpu, a, fa)), 0.05f) << "the second layer shows";
  }
}

TEST(MixedVolumes, EachVolumeKeepsItsOwnRegionOfInterest) {
  // One volume shown through two layers whose regions of interest split it at x = 11: every sample
  // is taken by exactly one layer, so the mix is the volume alone.
  const Vec3i size{24, 20, 16};
  const Brick a = waves(size, DType::float32);
  FrameParams whole = oblique_view(size);
  whole.colormap = colormap_preset("viridis", 0.5f);
  FrameParams left = whole, right = whole;
  left.settings.region_of_interest.hi.x = 11;
  right.settings.region_of_interest.lo.x = 11;
  const auto cpu = kernels::make_cpu_backend(true);
  const Image alone = render_whole(*cpu, a, whole);
  ASSERT_GT(max_alpha(alone), 0.5f);
  EXPECT_LT(max_difference(render_mix(*cpu, {{&a, &right}, {&a, &left}}), alone), 1e-5f);
  EXPECT_GT(max_difference(render_mix(*cpu, {{&a, &right}}), alone), 0.1f) << "one half alone differs";
}

TEST(MixedVolumes, SkippingTheCellsEveryLayerHidesChangesNoPixel) {
  // Two sparse layers, each showing another part of the volume: skipping may drop only cells both
  // hide, so the picture is the same with and without it, for fewer samples.
  const Vec3i size{40, 36, 32};
  const Brick a = make_volume(size, DType::float32, [](Vec3f c) { // a ball at the right
    return std::max(0.0f, 1.0f - length(c - Vec3f{30, 18, 16}) / 8.0f);
  });
  const Brick b = make_volume(size, DType::uint8, [](Vec3f c) { return c.x < 8 ? 0.9f : 0.0f; }); // a slab at the left
  FrameParams fa = oblique_view(size), fb;
  fa.colormap = colormap_preset("viridis", 0.6f);
  fa.colormap.domain_min = 0.2f, fa.colormap.mode = BoundaryMode::clamp_to_transparent;
  fb = fa;
  fb.colormap = colormap_preset("magma", 0.4f);
  fb.colormap.domain_min = 0.5f, fb.colormap.mode = BoundaryMode::clamp_to_transparent;
  fb.settings.shading.enabled = true;
  const auto cpu = kernels::make_cpu_backend(true);
  const auto render = [&](bool skipping, RenderStats& stats) {
    return render_pair(*cpu, a, fa, b, fb, skipping, stats);
  };
  RenderStats with, without;
  const Image skipped = render(true, with), full = render(false, without);
  ASSERT_GT(max_alpha(full), 0.3f);
  EXPECT_EQ(max_difference(skipped, full), 0.0f);
  EXPECT_LT(with.samples, without.samples * 3 / 4) << with.samples << " of " << without.samples;
  // The grid is kept between frames: a second frame gives the same picture.
  RenderStats again;
  EXPECT_EQ(max_difference(render(true, again), skipped), 0.0f);
}

TEST(MixedVolumes, SkippingWorksAcrossGridsAndChangesNoPixel) {
  // The ball of the test above, and the slab on another grid: twice the resolution (scaling 0.5)
  // and shifted by a quarter voxel, so that no cell of one lines up with a cell of the other.
  // Skipping maps each lead cell into the slab's voxel space: the same picture, for fewer samples.
  const Vec3i size{40, 36, 32};
  const Brick a = make_volume(size, DType::float32, [](Vec3f c) {
    return std::max(0.0f, 1.0f - length(c - Vec3f{30, 18, 16}) / 8.0f);
  });
  const Brick b = make_volume({80, 72, 64}, DType::uint8, [](Vec3f c) { return c.x < 16 ? 0.9f : 0.0f; });
  FrameParams fa = oblique_view(size);
  fa.colormap = colormap_preset("viridis", 0.6f);
  fa.colormap.domain_min = 0.2f, fa.colormap.mode = BoundaryMode::clamp_to_transparent;
  FrameParams fb = fa;
  fb.colormap = colormap_preset("magma", 0.4f);
  fb.colormap.domain_min = 0.5f, fb.colormap.mode = BoundaryMode::clamp_to_transparent;
  fb.settings.scaling = {0.5f, 0.5f, 0.5f};
  fb.settings.translation = {0.25f, 0, 0};
  for (const bool packets : {true, false}) {
    const auto cpu = kernels::make_cpu_backend(packets);
    RenderStats with, without;
    const Image skipped = render_pair(*cpu, a, fa, b, fb, true, with);
    const Image full = render_pair(*cpu, a, fa, b, fb, false, without);
    ASSERT_GT(max_alpha(full), 0.3f);
    EXPECT_GT(max_difference(full, render_whole(*cpu, a, fa)), 0.1f) << "the slab shows";
    EXPECT_EQ(max_difference(skipped, full), 0.0f) << "packets " << packets;
    EXPECT_LT(with.samples, without.samples * 3 / 4) << with.samples << " of " << without.samples;
  }
}

TEST(MixedVolumes, RayPacketsGiveTheImageOfOneRayAtATimeBitForBit) {
  if (!kernels::cpu_packet_isa()) GTEST_SKIP() << "no SIMD ray packets in this build or on this CPU";
  // Three layers of three voxel types; shading, early termination, skipping on and off, a slice
  // plane: built in, or coloured by a surface program that leaves it translucent, so that the rays
  // go on behind it one at a time.
  const auto translucent = surface_program("float4 c = sample_info.sample_color;\n"
                                           "c.w = 0.4f;\n"
                                           "sample_output.set_color(c);\n"
                                           "return NV_IDX_PROG_OK;");
  const Vec3i size{40, 36, 32};
  const Brick a = waves(size, DType::float32), b = waves(size, DType::uint16), c = waves(size, DType::int16);
  FrameParams fa = oblique_view(size);
  fa.colormap = colormap_preset("viridis", 0.5f);
  fa.colormap.domain_min = 0.6f, fa.colormap.mode = BoundaryMode::clamp_to_transparent;
  FrameParams fb = fa, fc = fa;
  fb.colormap = colormap_preset("magma", 0.3f);
  fb.settings.shading.enabled = true;
  fc.colormap = colormap_preset("inferno", 0.8f);
  fc.colormap.domain_min = -0.2f, fc.colormap.domain_max = 0.4f;
  fc.settings.region_of_interest = {{4, 0, 0}, {30, 30, 30}};
  for (bool skipping : {true, false})
    for (bool early : {true, false})
      for (const char* plane : {"none", "built in", "program"}) {
        FrameParams sa = fa, sb = fb, sc = fc;
        for (FrameParams* f : {&sa, &sb, &sc}) f->settings.empty_space_skipping = skipping;
        sa.settings.early_termination = early;
        if (plane != std::string("none")) {
          sa.settings.plane_count = 1;
          sa.settings.planes[0] = {{0, 0, 20}, {0, 0, 1}, {0, 1, 0}, 40, 36};
        }
        if (plane == std::string("program")) sa.plane_programs = every_plane(translucent);
        const kernels::MixedLayer layers[3] = {{whole_view(a), &sa}, {whole_view(b), &sb}, {whole_view(c), &sc}};
        Image one(fa.width, fa.height), packets(fa.width, fa.height);
        const RenderStats s1 = kernels::make_cpu_backend(false)->render_mixed(layers, one.view());
        const RenderStats sp = kernels::make_cpu_backend(true)->render_mixed(layers, packets.view());
        EXPECT_EQ(sp.samples, s1.samples);
        ASSERT_TRUE(sp.active == s1.active);
        int differing = 0;
        float alpha = 0;
        for (int y = s1.active.y0; y < s1.active.y1; ++y)
          for (int x = s1.active.x0; x < s1.active.x1; ++x) {
            differing += std::memcmp(&one.at(x, y), &packets.at(x, y), sizeof(Vec4f)) != 0;
            alpha = std::max(alpha, one.at(x, y).w);
          }
        EXPECT_GT(alpha, 0.3f);
        EXPECT_EQ(differing, 0) << "skipping " << skipping << ", early termination " << early << ", plane " << plane;
      }
}

// Packets prefetch the rows they will read in bricks beyond the caches (over 64 MiB: every layer's
// sampler decides for its own brick); the mixed image must still be one ray's, bit for bit.
TEST(MixedVolumes, LayersBeyondTheCachesStillMatchOneRayInPackets) {
  if (!kernels::cpu_packet_isa()) GTEST_SKIP() << "no SIMD ray packets in this build or on this CPU";
  const Vec3i size{416, 416, 416}; // 72 MiB of uint8
  const Brick big = make_volume(size, DType::uint8, [](Vec3f c) {
    return std::fabs(std::fmod(0.037f * c.x + 0.011f * c.y + 0.023f * c.z, 2.0f) - 1.0f);
  });
  FrameParams fa = oblique_view(size);
  fa.colormap = colormap_preset("viridis", 0.05f);
  FrameParams fb = fa;
  fb.colormap = colormap_preset("magma", 0.08f);
  fb.colormap.domain_min = 0.4f, fb.colormap.mode = BoundaryMode::clamp_to_transparent;
  fb.settings.shading.enabled = true;
  const kernels::MixedLayer layers[2] = {{whole_view(big), &fa}, {whole_view(big), &fb}};
  Image one(fa.width, fa.height), packets(fa.width, fa.height);
  const RenderStats s1 = kernels::make_cpu_backend(false)->render_mixed(layers, one.view());
  const RenderStats sp = kernels::make_cpu_backend(true)->render_mixed(layers, packets.view());
  EXPECT_EQ(sp.samples, s1.samples);
  EXPECT_GT(max_alpha(one), 0.3f);
  int differing = 0;
  for (int y = 0; y < one.height(); ++y)
    for (int x = 0; x < one.width(); ++x)
      differing += std::memcmp(&one.at(x, y), &packets.at(x, y), sizeof(Vec4f)) != 0;
  EXPECT_EQ(differing, 0);
}
