// SPDX-License-Identifier: Apache-2.0
// Slice planes: the volume's values on the plane through the colormap (the volume's, or each plane's
// own), opaque; the volume in front
// of a plane composited over it, behind it hidden; one brick shows each point of a plane, so bricks
// composited in visibility order equal one brick.
#include <gtest/gtest.h>

#include <cmath>

#include "../cpu/cpu_backend.h"
#include "libindex/kernels/sampler.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

std::unique_ptr<kernels::Backend> cpu(bool packets = true) { return kernels::make_cpu_backend(packets); }

// A field that varies on every axis, so a wrong plane position or orientation shows.
Brick lumpy(Vec3i size) {
  return make_volume(size, DType::float32, [](Vec3f c) {
    return 0.5f + 0.3f * std::sin(0.35f * c.x + 0.2f * c.z) * std::cos(0.25f * c.y - 0.1f * c.z);
  });
}

// The colormap's table at value v with its edge colours outside the domain, as a plane shows it.
Vec4f table_colour(const Colormap& m, float v) {
  ColormapView view = m.view();
  view.mode = BoundaryMode::clamp_to_edge;
  return colormap_lookup(view, v);
}

} // namespace

TEST(Planes, AnObliquePlaneShowsTheVolumeSampledOnIt) {
  // Ortho view down -z over a transparent volume: each pixel whose ray meets the plane inside the
  // volume shows the colormap at the trilinear value at the hit point, computed here independently.
  const Brick vol = lumpy({24, 20, 16});
  FrameParams f = ortho_down_z(24, 20, 40, 30, 45, 36);
  f.colormap = colormap_preset("viridis", 0.0f); // the volume itself shows nothing
  f.colormap.domain_min = 0.2f, f.colormap.domain_max = 0.8f;
  SlicePlane& p = f.settings.planes[0];
  p.normal = normalize(Vec3f{0.3f, -0.2f, 1.0f});
  p.up = normalize(cross(p.normal, Vec3f{1, 0, 0}));
  p.point = Vec3f{12, 10, 8} - cross(p.up, p.normal) * 9.0f - p.up * 7.0f; // the rectangle's corner
  p.extent_x = 18, p.extent_y = 14;
  f.settings.plane_count = 1;
  const auto sampler = kernels::make_dense_sampler(whole_view(vol), vol.data<float>());
  Colormap own = colormap_preset("magma", 0.2f); // the planes' own (IndeX: the colormap in scope at them)
  own.domain_min = 0.35f, own.domain_max = 0.65f;
  for (const bool own_colormap : {false, true})
    for (bool packets : {true, false}) {
      if (own_colormap) f.plane_colormaps[0] = own;
      const Colormap& shows = own_colormap ? own : f.colormap;
      const Image img = render_whole(*cpu(packets), vol, f);
      int shown = 0;
      for (int py = 0; py < f.height; ++py)
        for (int px = 0; px < f.width; ++px) {
          const Ray ray = camera_ray(f.camera, camera_frame(f.camera), px, py, f.width, f.height);
          const float t = dot(p.normal, p.point - ray.origin) / dot(p.normal, ray.dir);
          const Vec3f hit = ray.origin + ray.dir * t, on = hit - p.point;
          const float u = dot(on, cross(p.up, p.normal)), v = dot(on, p.up);
          const bool inside_rect = u > 0.01f && u < p.extent_x - 0.01f && v > 0.01f && v < p.extent_y - 0.01f;
          const bool inside_volume =
              hit.x > 0.01f && hit.x < 23.99f && hit.y > 0.01f && hit.y < 19.99f && hit.z > 0.01f && hit.z < 15.99f;
          const Vec4f got = img.at(px, py);
          if (inside_rect && inside_volume) {
            const Vec4f want = table_colour(shows, sampler.value(hit));
            ASSERT_NEAR(got.x, want.x, 1e-4f) << px << " " << py << " packets " << packets << " own " << own_colormap;
            ASSERT_NEAR(got.y, want.y, 1e-4f) << px << " " << py;
            ASSERT_NEAR(got.z, want.z, 1e-4f) << px << " " << py;
            ASSERT_EQ(got.w, 1.0f) << "a plane is opaque";
            ++shown;
          } else if (!(u > -0.01f && u < p.extent_x + 0.01f && v > -0.01f && v < p.extent_y + 0.01f) ||
                     !(hit.x > -0.01f && hit.x < 24.01f && hit.y > -0.01f && hit.y < 20.01f && hit.z > -0.01f &&
                       hit.z < 16.01f)) {
            ASSERT_EQ(got.w, 0.0f) << "off the plane or outside the volume: nothing, at " << px << " " << py;
          }
        }
      EXPECT_GT(shown, 200) << "the plane must cover a good part of the image";
    }
}

TEST(Planes, EachPlaneShowsTheValuesThroughItsOwnColormap) {
  // Two planes facing the camera side by side (x < 12 at z = 11.3, x > 12 at z = 7.7), each with a
  // colormap of its own, over a volume that shows nothing: each pixel is its plane's colormap at
  // the value there.
  const Brick vol = lumpy({24, 16, 16});
  FrameParams f = ortho_down_z(24, 16, 40, 24, 48, 32);
  f.colormap = colormap_preset("viridis", 0.0f);
  f.settings.plane_count = 2;
  f.settings.planes[0] = {{0, 0, 11.3f}, {0, 0, 1}, {0, 1, 0}, 12, 16};
  f.settings.planes[1] = {{12, 0, 7.7f}, {0, 0, 1}, {0, 1, 0}, 12, 16};
  Colormap left = colormap_preset("grayscale", 1.0f), right = colormap_preset("magma", 1.0f);
  left.domain_min = right.domain_min = 0.2f, left.domain_max = right.domain_max = 0.8f;
  f.plane_colormaps[0] = left, f.plane_colormaps[1] = right;
  const auto sampler = kernels::make_dense_sampler(whole_view(vol), vol.data<float>());
  for (bool packets : {true, false}) {
    const Image img = render_whole(*cpu(packets), vol, f);
    int shown[2] = {0, 0};
    for (int py = 0; py < f.height; ++py)
      for (int px = 0; px < f.width; ++px) {
        const Ray ray = camera_ray(f.camera, camera_frame(f.camera), px, py, f.width, f.height);
        const int plane = ray.origin.x < 12 ? 0 : 1;
        const float z = f.settings.planes[plane].point.z;
        const Vec3f hit = ray.origin + ray.dir * ((ray.origin.z - z) / -ray.dir.z);
        if (std::fabs(hit.x - 12) < 0.3f || hit.y < 0.3f || hit.y > 15.7f || hit.x < 0.3f || hit.x > 23.7f) continue;
        const Vec4f want = table_colour(plane == 0 ? left : right, sampler.value(hit)), got = img.at(px, py);
        ASSERT_NEAR(got.x, want.x, 1e-4f) << px << " " << py << " plane " << plane << " packets " << packets;
        ASSERT_NEAR(got.y, want.y, 1e-4f) << px << " " << py;
        ASSERT_NEAR(got.z, want.z, 1e-4f) << px << " " << py;
        ++shown[plane];
      }
    EXPECT_GT(shown[0], 300);
    EXPECT_GT(shown[1], 300);
  }
}

TEST(Planes, TheVolumeInFrontIsOverThePlaneAndBehindItHidden) {
  // A plane across z = 9.3 facing the camera: the image is the volume between the eye and the
  // plane (rendered alone by cutting the region of interest there) over the opaque plane.
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = ortho_down_z(16, 16, 40, 14, 20, 20);
  f.colormap = colormap_preset("magma", 0.15f);
  f.settings.plane_count = 1;
  f.settings.planes[0] = {{0, 0, 9.3f}, {0, 0, 1}, {0, 1, 0}, 16, 16};
  const Image with_plane = render_whole(*cpu(), vol, f);
  FrameParams front = f;
  front.settings.plane_count = 0;
  front.settings.region_of_interest.lo.z = 9.3f; // only what lies in front of the plane
  const Image in_front = render_whole(*cpu(), vol, front);
  const auto sampler = kernels::make_dense_sampler(whole_view(vol), vol.data<float>());
  for (int py = 1; py < f.height - 1; ++py)
    for (int px = 1; px < f.width - 1; ++px) {
      const Ray ray = camera_ray(f.camera, camera_frame(f.camera), px, py, f.width, f.height);
      const Vec3f hit = ray.origin + ray.dir * ((ray.origin.z - 9.3f) / -ray.dir.z);
      const Vec4f plane = table_colour(f.colormap, sampler.value(hit));
      const Vec4f a = in_front.at(px, py), got = with_plane.at(px, py);
      const float w = 1.0f - a.w;
      ASSERT_NEAR(got.x, a.x + w * plane.x, 1e-4f) << px << " " << py;
      ASSERT_NEAR(got.y, a.y + w * plane.y, 1e-4f);
      ASSERT_NEAR(got.z, a.z + w * plane.z, 1e-4f);
      ASSERT_NEAR(got.w, 1.0f, 1e-6f);
      ASSERT_GT(a.w, 0.01f) << "the volume in front must show";
    }
}

TEST(Planes, TwoBricksShowEachPointOfThePlaneOnce) {
  // The plane crosses the seam between two bricks (x = 12): composited in visibility order they
  // equal the single brick, including the plane's pixels on both sides of the seam.
  const Brick whole = lumpy({24, 24, 24});
  FrameParams f = view_of_24_cube({-20, 34, 46}, 40, 32);
  f.colormap = colormap_preset("inferno", 0.1f);
  f.settings.plane_count = 2;
  f.settings.planes[0] = {{0, 0, 13.5f}, {0, 0.6f, 0.8f}, {0, 0.8f, -0.6f}, 24, 30}; // tilted, across the seam
  f.settings.planes[1] = {{4, 0, 0}, {1, 0, 0}, {0, 0, 1}, 24, 24};                  // x = 4: the left brick only
  auto backend = cpu();
  const Image reference = render_whole(*backend, whole, f);
  EXPECT_LT(max_abs_difference(render_split_at_x(*backend, whole, 12, 2, f), reference), 1e-5f);
  int opaque = 0;
  for (const Vec4f& p : reference.pixels()) opaque += p.w == 1.0f;
  EXPECT_GT(opaque, 100) << "the planes must cover part of the image";
}

TEST(Planes, MaximumIntensityProjectionIgnoresPlanes) {
  const Brick vol = lumpy({8, 8, 8});
  FrameParams f = ortho_down_z(8, 8, 20, 8, 6, 6);
  f.colormap = colormap_preset("viridis", 1.0f);
  f.settings.mode = RenderMode::maximum_intensity;
  const Image without = render_whole(*cpu(), vol, f);
  f.settings.plane_count = 1;
  f.settings.planes[0] = {{0, 0, 4}, {0, 0, 1}, {0, 1, 0}, 8, 8};
  EXPECT_EQ(max_abs_difference(render_whole(*cpu(), vol, f), without), 0.0f);
}
