// SPDX-License-Identifier: Apache-2.0
// Surface sample programs on slice planes (IndeX's surface_sample_program, as NVIDIA's seismic
// scenes draw their planes): the program gets the plane's own colour and normal at each point a ray
// meets it, reads the volume through the scene-to-object transform, and its alpha makes the plane
// translucent, so the volume behind it shows through. Each test compares with an image computed
// another way: the plain plane, no plane at all, or the volume in front of and behind the plane
// rendered apart and composited here.
#include <gtest/gtest.h>

#include <cmath>

#include "../cpu/cpu_backend.h"
#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"
#include "libindex/kernels/sampler.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;
using kernels::ProgramTarget;

namespace {

Brick lumpy(Vec3i size) {
  return make_volume(size, DType::float32, [](Vec3f c) {
    return 0.5f + 0.3f * std::sin(0.35f * c.x + 0.2f * c.z) * std::cos(0.25f * c.y - 0.1f * c.z);
  });
}

// A plane across z = 9.3 facing an orthographic camera that looks down -z; the volume shows.
FrameParams plane_across_z(Vec3i size, float z) {
  FrameParams f = ortho_down_z(float(size.x), float(size.y), 40, float(size.x) - 2, 20, 20);
  f.colormap = colormap_preset("magma", 0.15f);
  f.settings.plane_count = 1;
  f.settings.planes[0] = {{0, 0, z}, {0, 0, 1}, {0, 1, 0}, float(size.x), float(size.y)};
  Colormap planes = colormap_preset("viridis", 1.0f);
  planes.domain_min = 0.1f, planes.domain_max = 0.9f;
  f.plane_colormaps[0] = planes;
  return f;
}

float total_alpha(const Image& a) {
  float s = 0;
  for (const Vec4f& p : a.pixels()) s += p.w;
  return s;
}

Image render(const Brick& vol, const FrameParams& f, bool packets = true) {
  return render_whole(*kernels::make_cpu_backend(packets), vol, f);
}

} // namespace

TEST(SurfacePrograms, ThePlanesOwnColourMadeOpaqueEqualsThePlainPlane) {
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = plane_across_z({16, 16, 24}, 9.3f);
  const Image plain = render(vol, f);
  f.plane_programs = every_plane(surface_program("const float4 c = sample_info.sample_color;\n"
                                                 "sample_output.set_color(make_float4(c.x, c.y, c.z, 1.0f));\n"
                                                 "return NV_IDX_PROG_OK;"));
  const Image programmed = render(vol, f);
  EXPECT_LT(max_abs_difference(programmed, plain), 1e-6f);
  int opaque = 0;
  for (const Vec4f& p : plain.pixels()) opaque += p.w == 1.0f;
  EXPECT_GT(opaque, 200) << "the plane must cover the image";
}

TEST(SurfacePrograms, APlaneWhoseProgramDiscardsEveryPointIsNotThere) {
  // The ray goes on behind the plane on the same sample lattice: the image is the volume's alone.
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = plane_across_z({16, 16, 24}, 9.3f);
  f.plane_programs = every_plane(surface_program("return NV_IDX_PROG_DISCARD_SAMPLE;"));
  const Image discarded = render(vol, f);
  FrameParams none = f;
  none.settings.plane_count = 0;
  const Image without = render(vol, none);
  EXPECT_LT(max_abs_difference(discarded, without), 1e-6f);
  EXPECT_GT(total_alpha(without), 50.0f) << "the volume must show";
}

TEST(SurfacePrograms, EachPlaneRunsItsOwnProgramOrNone) {
  // Two planes across the view (IndeX: each plane node with the program in scope at it). A program
  // that discards every point on one of them leaves the image of the other plane alone; with the
  // programs swapped, the image of the first alone.
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = plane_across_z({16, 16, 24}, 9.3f);
  f.settings.plane_count = 2;
  f.settings.planes[1] = {{0, 0, 15.6f}, {0, 0, 1}, {0, 1, 0}, 10, 16}; // in front of plane 0 on the left
  f.plane_colormaps[1] = colormap_preset("magma", 1.0f);
  const auto discard = surface_program("return NV_IDX_PROG_DISCARD_SAMPLE;");
  const auto only = [&](int plane) {
    FrameParams one = f;
    one.settings.plane_count = 1;
    one.settings.planes[0] = f.settings.planes[plane];
    one.plane_colormaps[0] = f.plane_colormaps[size_t(plane)];
    return render(vol, one);
  };
  const Image first = only(0), second = only(1);
  EXPECT_GT(max_abs_difference(first, second), 0.1f) << "the two planes must look different";
  for (const int gone : {0, 1}) {
    FrameParams g = f;
    g.plane_programs[size_t(gone)].program = discard;
    const Image got = render(vol, g);
    EXPECT_LT(max_abs_difference(got, gone == 0 ? second : first), 1e-6f) << "plane " << gone << " discarded";
    EXPECT_EQ(max_abs_difference(render(vol, g, false), got), 0.0f) << "ray packets: the same pixels, bit for bit";
  }
}

TEST(SurfacePrograms, ATranslucentPlaneShowsTheVolumeBehindIt) {
  // The program colours the plane by the volume's value, read through the scene-to-object
  // transform (the scene is stretched along z), with alpha 0.4: each pixel is the volume in front,
  // over 0.4 of the plane, over the volume behind it, each rendered apart here. (The plane lies
  // between two samples: one on it would go behind it here and in front in the image cut at it.)
  const Vec3i size{16, 16, 12};
  const Brick vol = lumpy(size);
  FrameParams f = plane_across_z(size, 11.1f);
  f.settings.scaling = {1, 1, 2}; // the volume spans z in [0, 24] in the scene
  f.plane_programs = every_plane(surface_program(
      "const auto& volume = state.scene.access<Sparse_volume>(1);\n"
      "const float3 p = transform_point(volume.get_scene_to_object_transform(), sample_info.scene_position);\n"
      "const float v = volume.generate_sampler<float, Volume_filter_mode::TRILINEAR>(0u).fetch_sample(p);\n"
      "float4 c = state.self.get_colormap().lookup(v);\n"
      "c.w = 0.4f;\n"
      "sample_output.set_color(c);\n"
      "return NV_IDX_PROG_OK;"));
  const Image got = render(vol, f);
  EXPECT_EQ(max_abs_difference(render(vol, f, false), got), 0.0f) << "ray packets: the same pixels, bit for bit";
  FrameParams front = f, behind = f;
  front.plane_programs = behind.plane_programs = {};
  front.settings.plane_count = behind.settings.plane_count = 0;
  front.settings.region_of_interest.lo.z = 11.1f, behind.settings.region_of_interest.hi.z = 11.1f;
  const Image in_front = render(vol, front), in_back = render(vol, behind);
  const auto sampler = kernels::make_dense_sampler(whole_view(vol), vol.data<float>());
  ColormapView planes = f.plane_colormaps[0]->view();
  planes.mode = BoundaryMode::clamp_to_edge;
  for (int py = 1; py < f.height - 1; ++py)
    for (int px = 1; px < f.width - 1; ++px) {
      const Ray ray = camera_ray(f.camera, camera_frame(f.camera), px, py, f.width, f.height);
      const Vec3f hit = ray.origin + ray.dir * ((ray.origin.z - 11.1f) / -ray.dir.z);
      const Vec4f c = colormap_lookup(planes, sampler.value({hit.x, hit.y, hit.z / 2.0f}));
      const Vec4f a = in_front.at(px, py), b = in_back.at(px, py);
      Vec4f want = a;
      const float w = (1.0f - want.w) * 0.4f;
      want = {want.x + w * c.x, want.y + w * c.y, want.z + w * c.z, want.w + w};
      want = over(want, b);
      const Vec4f g = got.at(px, py);
      ASSERT_NEAR(g.x, want.x, 1e-4f) << px << " " << py;
      ASSERT_NEAR(g.y, want.y, 1e-4f) << px << " " << py;
      ASSERT_NEAR(g.z, want.z, 1e-4f) << px << " " << py;
      ASSERT_NEAR(g.w, want.w, 1e-4f) << px << " " << py;
      ASSERT_GT(b.w, 0.01f) << "the volume behind the plane must show";
    }
}

TEST(SurfacePrograms, TheProgramSeesThePlanesNormalFacingTheEye) {
  // An oblique plane seen from above: the normal the program gets is the plane's, turned to the
  // side the ray comes from.
  const Brick vol = lumpy({24, 20, 16});
  FrameParams f = ortho_down_z(24, 20, 40, 30, 30, 24);
  f.colormap = colormap_preset("viridis", 0.0f);
  SlicePlane& p = f.settings.planes[0];
  p.normal = normalize(Vec3f{0.3f, -0.2f, -1.0f}); // facing away from the camera
  p.up = normalize(cross(p.normal, Vec3f{1, 0, 0}));
  p.point = Vec3f{12, 10, 8} - cross(p.up, p.normal) * 9.0f - p.up * 7.0f;
  p.extent_x = 18, p.extent_y = 14;
  f.settings.plane_count = 1;
  f.plane_programs =
      every_plane(surface_program("const float3 n = sample_info.sample_normal;\n"
                                  "sample_output.set_color(make_float4(n.x * 0.5f + 0.5f, n.y * 0.5f + 0.5f,\n"
                                  "                                    n.z * 0.5f + 0.5f, 1.0f));\n"
                                  "return NV_IDX_PROG_OK;"));
  const Image img = render(vol, f);
  const Vec3f facing = p.normal * -1.0f; // towards +z, where the camera is
  int shown = 0;
  for (const Vec4f& c : img.pixels()) {
    if (c.w != 1.0f) continue;
    ASSERT_NEAR(c.x, facing.x * 0.5f + 0.5f, 1e-5f);
    ASSERT_NEAR(c.y, facing.y * 0.5f + 0.5f, 1e-5f);
    ASSERT_NEAR(c.z, facing.z * 0.5f + 0.5f, 1e-5f);
    ++shown;
  }
  EXPECT_GT(shown, 100);
}

TEST(SurfacePrograms, TwoBricksWithATranslucentPlaneEqualOne) {
  // The translucent plane crosses the seam between two bricks (x = 12); each brick shows its part
  // of the plane and the volume behind it, and composited in visibility order they equal one brick.
  const Brick whole = lumpy({24, 24, 24});
  FrameParams f = view_of_24_cube({-20, 34, 46}, 40, 32);
  f.colormap = colormap_preset("inferno", 0.1f);
  f.settings.plane_count = 2;
  f.settings.planes[0] = {{0, 0, 13.5f}, {0, 0.6f, 0.8f}, {0, 0.8f, -0.6f}, 24, 30};
  f.settings.planes[1] = {{4, 0, 0}, {1, 0, 0}, {0, 0, 1}, 24, 24};
  f.plane_programs = every_plane(surface_program("float4 c = sample_info.sample_color;\n"
                                                 "c.w = 0.5f;\n"
                                                 "sample_output.set_color(c);\n"
                                                 "return NV_IDX_PROG_OK;"));
  auto backend = kernels::make_cpu_backend();
  const Image reference = render_whole(*backend, whole, f);
  EXPECT_LT(max_abs_difference(render_split_at_x(*backend, whole, 12, 2, f), reference), 1e-5f);
  FrameParams opaque_planes = f;
  opaque_planes.plane_programs = {};
  EXPECT_GT(max_abs_difference(reference, render_whole(*backend, whole, opaque_planes)), 0.05f)
      << "the translucent planes must differ from opaque ones";
}

TEST(SurfacePrograms, ACrashingSurfaceProgramEndsItsFrameAndThePlanesShowTheirColormap) {
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = plane_across_z({16, 16, 24}, 9.3f);
  const Image plain = render(vol, f);
  f.plane_programs =
      every_plane(surface_program("volatile int* nowhere = nullptr;\n*nowhere = 1;\nreturn NV_IDX_PROG_OK;"));
  auto backend = kernels::make_cpu_backend();
  try {
    render_whole(*backend, vol, f);
    FAIL() << "the frame must end with an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("surface sample program surface.xac:1 crashed"), std::string::npos)
        << e.what();
  }
  EXPECT_NE(f.plane_programs[0].program->fault.load(), 0);
  EXPECT_LT(max_abs_difference(render_whole(*backend, vol, f), plain), 1e-6f) << "next frame: the plain planes";
}

TEST(SurfacePrograms, WhereVolumesMixTheirPlanesRunTheProgramsAsOverOneVolume) {
  // A transparent volume mixed in per sample changes nothing: the mix's translucent plane, and the
  // volume behind it, equal one volume's; a program that crashes ends the mix's frame as well.
  const Vec3i size{16, 16, 24};
  const Brick vol = lumpy(size);
  const Brick partner = make_volume(size, DType::uint8, [](Vec3f c) { return c.x / 16.0f; });
  FrameParams f = plane_across_z(size, 9.3f);
  f.plane_programs = every_plane(surface_program("float4 c = sample_info.sample_color;\n"
                                                 "c.w = 0.4f;\n"
                                                 "sample_output.set_color(c);\n"
                                                 "return NV_IDX_PROG_OK;"));
  FrameParams clear = f;
  clear.colormap = constant_colormap({1, 0, 0, 0});
  clear.plane_programs = {};
  auto cpu = kernels::make_cpu_backend(true);
  const Image alone = render_whole(*cpu, vol, f);
  EXPECT_LT(max_difference(render_mix(*cpu, {{&vol, &f}, {&partner, &clear}}), alone), 1e-5f);
  FrameParams plain = f;
  plain.plane_programs = {};
  EXPECT_GT(max_difference(alone, render_whole(*cpu, vol, plain)), 0.05f) << "translucent, not the opaque plane";
  EXPECT_LT(max_difference(render_mix(*cpu, {{&vol, &plain}, {&partner, &clear}}), render_whole(*cpu, vol, plain)),
            1e-5f)
      << "the built-in planes in a mix, as before";

  f.plane_programs =
      every_plane(surface_program("volatile int* nowhere = nullptr;\n*nowhere = 1;\nreturn NV_IDX_PROG_OK;"));
  EXPECT_THROW(render_mix(*cpu, {{&vol, &f}, {&partner, &clear}}), Error);
  EXPECT_NE(f.plane_programs[0].program->fault.load(), 0) << "off from now on";
  EXPECT_LT(max_difference(render_mix(*cpu, {{&vol, &f}, {&partner, &clear}}), render_whole(*cpu, vol, plain)), 1e-5f);
}

// XAC's scene-to-world transform is where index::scaling and index::translation put the scene's
// own space (FrameParams::scene_scaling, scene_translation): NVIDIA's gridlines program turns its
// grid spacing into world units with get_world_to_scene_transform_inverse().
TEST(SurfacePrograms, TheSceneToWorldTransformIsTheScenesPlacement) {
  const Brick vol = lumpy({16, 16, 24});
  FrameParams f = plane_across_z({16, 16, 24}, 9.3f);
  f.colormap = constant_colormap({0, 0, 0, 0}); // the volume adds nothing: pixels are the plane's
  f.plane_programs = every_plane(surface_program(
      "const float3 g = transform_vector(state.scene.get_world_to_scene_transform_inverse(), make_float3(2, 2, 2));\n"
      "const float3 o = transform_point(state.scene.get_world_to_scene_transform(), make_float3(3, 5, 9));\n"
      "const float3 w = transform_point(state.scene.get_scene_to_world_transform(), o);\n"
      "sample_output.set_color(make_float4(g.x / 16, g.y / 16, g.z / 16, o.x * o.y * o.z * w.x / 3));\n"
      "return NV_IDX_PROG_OK;"));
  const auto centre = [&](const FrameParams& frame) {
    const Image image = render(vol, frame);
    return image.at(image.width() / 2, image.height() / 2);
  };
  f.scene_scaling = {2, 4, 8}, f.scene_translation = {1, 1, 1}; // (3, 5, 9) in the world is (1, 1, 1)
  const Vec4f placed = centre(f);
  EXPECT_NEAR(placed.x, 0.25f, 1e-6f);
  EXPECT_NEAR(placed.y, 0.5f, 1e-6f);
  EXPECT_NEAR(placed.z, 1.0f, 1e-6f);
  EXPECT_NEAR(placed.w, 1.0f, 1e-6f) << "world to scene and back";
  f.scene_scaling = {1, 1, 1}, f.scene_translation = {0, 0, 0};
  EXPECT_NEAR(centre(f).x, 0.125f, 1e-6f) << "without a placement, world and scene are one space";
}

TEST(SurfacePrograms, ASurfaceProgramCompilesForTheGpuWithNvrtc) {
  const char* text =
      "NV_IDX_XAC_VERSION_1_0\nusing namespace nv::index;\nusing namespace nv::index::xac;\n"
      "class Surface_sample_program {\n  NV_IDX_SURFACE_SAMPLE_PROGRAM\npublic:\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {\n"
      "    const auto& v = state.scene.access<Sparse_volume>(1);\n"
      "    const float3 p = transform_point(v.get_scene_to_object_transform(), info.scene_position);\n"
      "    const float3 g = transform_vector(state.scene.get_world_to_scene_transform_inverse(),\n"
      "                                      make_float3(2000, 200, 200));\n"
      "    float4 c = v.generate_sampler<float>(0u).fetch_sample_classify(p, state.self.get_colormap());\n"
      "    c.w = fmodf(info.scene_position.x, g.x) < 1.0f ? 1.0f : 0.8f;\n"
      "    out.set_color(c);\n"
      "    return NV_IDX_PROG_OK;\n  }\n};\n";
  std::string log;
  try {
    log = kernels::compile_sample_program_for_gpu({text, "surface.xac", 1, ProgramTarget::surface});
  } catch (const Error& e) {
    GTEST_SKIP() << e.what(); // a build without CUDA
  }
  EXPECT_EQ(log, "");
  EXPECT_NO_THROW(kernels::compile_sample_program({text, "surface.xac", 1, ProgramTarget::surface}));
}
