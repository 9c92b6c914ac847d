// SPDX-License-Identifier: Apache-2.0
// A scene written in IndeX syntax (.prj with a lookup-table colormap from .cmap files, a camera,
// rendering properties, a raw volume) renders exactly the image the same scene gives through the
// C++ API; and the shipped scenes load without warnings and render, pixel for pixel, what an
// independent reference renderer (the conventions written out again in double precision) computes.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "libindex/error.h"
#include "libindex/follower.h"
#include "libindex/io/project_file.h"
#include "libindex/io/scene.h"
#include "libindex/scene_spec.h"
#include "libindex/scene_view.h"
#include "libindex/session.h"

using namespace libindex;
namespace fs = std::filesystem;

namespace {

SessionOptions quiet() {
  SessionOptions o;
  o.backend = kernels::BackendKind::cpu;
  o.log = false;
  return o;
}

/// A 20x16x12 uint16 volume: a smooth blob, written x-fastest, little endian.
std::vector<uint16_t> blob() {
  std::vector<uint16_t> v(20 * 16 * 12);
  size_t i = 0;
  for (int z = 0; z < 12; ++z)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 20; ++x, ++i) {
        const float dx = (x + 0.5f - 10) / 9, dy = (y + 0.5f - 8) / 7, dz = (z + 0.5f - 6) / 5;
        v[i] = uint16_t(65535 * std::max(0.0f, 1 - std::sqrt(dx * dx + dy * dy + dz * dz)));
      }
  return v;
}

/// The rendering conventions written out again, in double, one ray at a time and nothing shared with
/// the library's renderer but Brick::value (voxel normalization): the camera's rays, the sample
/// lattice t = k dt in the half-open volume box, trilinear interpolation between voxel centres
/// clamped to the outermost ones, the colormap lookup and its boundary modes, opacity correction,
/// front-to-back accumulation and early termination. Direct volume rendering without shading or
/// jitter (what the shipped scenes use; the test checks that they do).
Image reference_render(const Brick& vol, const FrameParams& f) {
  using V = std::array<double, 3>;
  auto normalized = [](V a) {
    const double l = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    return V{a[0] / l, a[1] / l, a[2] / l};
  };
  auto cross = [](V a, V b) {
    return V{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
  };
  const Camera& c = f.camera;
  const V d = normalized({c.dir.x, c.dir.y, c.dir.z});
  const V r = normalized(cross(d, {c.up.x, c.up.y, c.up.z}));
  const V u = cross(r, d);
  const RenderSettings& s = f.settings;
  const Vec3i n = vol.box.size();
  const double sc[3] = {s.scaling.x, s.scaling.y, s.scaling.z},
               tr[3] = {s.translation.x, s.translation.y, s.translation.z};
  auto value = [&](const double p[3]) { // trilinear, p in voxel space
    int i0[3], i1[3];
    double w[3];
    for (int a = 0; a < 3; ++a) {
      const double x = std::clamp(p[a] - 0.5, 0.0, double(n[a] - 1));
      i0[a] = int(std::floor(x)), i1[a] = std::min(i0[a] + 1, n[a] - 1), w[a] = x - i0[a];
    }
    double v = 0;
    for (int corner = 0; corner < 8; ++corner) {
      double weight = 1;
      Vec3i at;
      for (int a = 0; a < 3; ++a) {
        const bool hi = (corner >> a) & 1;
        weight *= hi ? w[a] : 1 - w[a];
        at[a] = vol.box.lo[a] + (hi ? i1[a] : i0[a]);
      }
      v += weight * vol.value(at);
    }
    return v;
  };
  const Colormap& m = f.colormap;
  const int last = int(m.entries.size()) - 1;
  auto classify = [&](double v, double rgba[4]) {
    double t = (v - m.domain_min) / (double(m.domain_max) - m.domain_min);
    if (!(t >= 0 && t <= 1)) {
      if (m.mode == BoundaryMode::clamp_to_transparent) {
        rgba[0] = rgba[1] = rgba[2] = rgba[3] = 0;
        return;
      }
      t = t > 0.5 ? 1.0 : 0.0;
    }
    const double x = t * last;
    const int i = std::min(int(x), last), j = std::min(i + 1, last);
    const double g = x - i;
    const Vec4f a = m.entries[size_t(i)], b = m.entries[size_t(j)];
    rgba[0] = a.x + g * (b.x - a.x), rgba[1] = a.y + g * (b.y - a.y), rgba[2] = a.z + g * (b.z - a.z);
    rgba[3] = a.w + g * (b.w - a.w);
  };
  const double dt = s.sampling_distance, exponent = double(s.sampling_distance) / s.sampling_distance_reference;
  Image img(f.width, f.height);
  for (int py = 0; py < f.height; ++py)
    for (int px = 0; px < f.width; ++px) {
      const double sx = -0.5 * c.aperture + (px + 0.5) * c.aperture / f.width;
      const double sy = 0.5 * c.aperture / c.aspect - (py + 0.5) * c.aperture / (double(c.aspect) * f.height);
      V o{c.from.x, c.from.y, c.from.z}, dir = d;
      if (c.orthographic)
        for (int a = 0; a < 3; ++a) o[a] += r[a] * sx + u[a] * sy;
      else
        dir = normalized({d[0] * c.focal + r[0] * sx + u[0] * sy, d[1] * c.focal + r[1] * sx + u[1] * sy,
                          d[2] * c.focal + r[2] * sx + u[2] * sy});
      const double along_view = dir[0] * d[0] + dir[1] * d[1] + dir[2] * d[2];
      double acc[4] = {0, 0, 0, 0};
      // The ray's parameter range over the volume box (slabs), widened by a step: the exact inside
      // test below decides each sample.
      double t0 = 0, t1 = 1e30;
      for (int a = 0; a < 3; ++a) {
        const double step = dir[a] / sc[a], start = (o[a] - tr[a]) / sc[a];
        if (step == 0) {
          if (start < 0 || start >= n[a]) t1 = -1;
          continue;
        }
        const double ta = (0 - start) / step, tb = (n[a] - start) / step;
        t0 = std::max(t0, std::min(ta, tb)), t1 = std::min(t1, std::max(ta, tb));
      }
      const long long k_first = std::max(0LL, (long long)std::floor(t0 / dt) - 1);
      const long long k_last = t1 < t0 ? -1 : (long long)std::ceil(t1 / dt) + 1;
      for (long long k = k_first; k <= k_last; ++k) {
        const double t = k * dt, view_distance = t * along_view;
        if (view_distance < c.clip_min || view_distance >= c.clip_max) continue;
        double p[3];
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          p[a] = (o[a] + dir[a] * t - tr[a]) / sc[a];
          inside = inside && p[a] >= 0 && p[a] < n[a];
        }
        if (!inside) continue;
        double rgba[4];
        classify(value(p), rgba);
        if (!(rgba[3] > 0)) continue;
        const double alpha = rgba[3] >= 1 ? 1.0 : 1 - std::pow(1 - rgba[3], exponent);
        const double w = (1 - acc[3]) * alpha;
        for (int ch = 0; ch < 3; ++ch) acc[ch] += w * rgba[ch];
        acc[3] += w;
        if (s.early_termination && acc[3] >= 1 - 1.0 / 512) break;
      }
      img.at(px, py) = {float(acc[0]), float(acc[1]), float(acc[2]), float(acc[3])};
    }
  return img;
}

/// Keeps the last brick read, so that the reference reuses the session's read of the whole volume
/// on one rank (a 256^3 synthetic volume takes seconds to generate).
class KeepLastRead : public io::VolumeSource {
 public:
  explicit KeepLastRead(std::shared_ptr<io::VolumeSource> inner) : inner_(std::move(inner)) {}
  Box3i box() const override { return inner_->box(); }
  DType dtype() const override { return inner_->dtype(); }
  std::string describe() const override { return inner_->describe(); }
  Brick read(const Box3i& r) const override {
    if (!(last_.box == r)) last_ = inner_->read(r);
    return last_;
  }

 private:
  std::shared_ptr<io::VolumeSource> inner_;
  mutable Brick last_;
};

} // namespace

TEST(SceneRender, IndexSceneEqualsTheSameSceneThroughTheCppApi) {
  const fs::path dir = fs::temp_directory_path() / ("libindex_scene_render_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<uint16_t> voxels = blob();
  std::ofstream(dir / "blob.raw", std::ios::binary)
      .write(reinterpret_cast<const char*>(voxels.data()), std::streamsize(voxels.size() * 2));
  // Two lookup tables; the scene picks index 1: red rising, alpha rising (values 0..65535).
  {
    std::ofstream a(dir / "zero.cmap"), b(dir / "red.cmap");
    for (int i = 0; i < 256; ++i) a << "0 0 0 0\n", b << i * 257 << " " << (255 - i) * 100 << " 0 " << i * 200 << "\n";
  }
  std::ofstream(dir / "scene.prj") << R"(#! index_app_project 0
app::colormap::file_count = 2
app::colormap::file_0 = zero.cmap
app::colormap::file_1 = red.cmap
index::canvas_resolution = 48 40
index::camera::from = 40 30 50
index::camera::dir = -30 -22 -44
index::camera::up = 0 1 0
index::camera::aperture = 0.5
index::camera::aspect = 1.2
index::camera::focal = 1
index::camera::orthographic = false
app::scene::root::children = g
app::scene::g::type = static_scene_group
app::scene::g::children = props cmap vol
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.25
app::scene::props::sampling_distance_reference = 2
app::scene::cmap::type = colormap
app::scene::cmap::map_type = lookup_table
app::scene::cmap::map_index = 1
app::scene::cmap::domain = 0.1 0.9
app::scene::cmap::domain_boundary_mode = clamp_to_transparent
app::scene::vol::type = sparse_volume
app::scene::vol::importer = nv::index::plugin::base_importer.Sparse_volume_importer_raw
app::scene::vol::input_directory = .
app::scene::vol::input_file_base_name = blob
app::scene::vol::input_file_extension = .raw
app::scene::vol::voxel_format = uint16
app::scene::vol::bbox = 0 0 0 20 16 12
)";
  io::ProjectFile project;
  project.add_file((dir / "scene.prj").string());
  SceneView view = make_scene_view(io::load_scene(project));
  EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();

  // The same scene through the C++ API.
  FrameParams api;
  api.width = 48, api.height = 40;
  api.camera.from = {40, 30, 50}, api.camera.dir = {-30, -22, -44}, api.camera.up = {0, 1, 0};
  api.camera.aperture = 0.5f, api.camera.aspect = 1.2f, api.camera.focal = 1.0f;
  api.colormap.entries.clear();
  for (int i = 0; i < 256; ++i)
    api.colormap.entries.push_back({i * 257 / 65535.0f, (255 - i) * 100 / 65535.0f, 0.0f, i * 200 / 65535.0f});
  api.colormap.domain_min = 0.1f, api.colormap.domain_max = 0.9f;
  api.colormap.mode = BoundaryMode::clamp_to_transparent;
  api.settings.sampling_distance = 0.25f;
  api.settings.sampling_distance_reference = 2.0f;
  Brick brick({{0, 0, 0}, {20, 16, 12}}, DType::uint16);
  std::memcpy(brick.bytes.data(), voxels.data(), brick.bytes.size());
  struct InMemory : io::VolumeSource {
    Brick b;
    Box3i box() const override { return b.box; }
    DType dtype() const override { return b.dtype; }
    std::string describe() const override { return "memory"; }
    Brick read(const Box3i& r) const override {
      Brick out(intersect(r, b.box), b.dtype);
      for (int z = out.box.lo.z; z < out.box.hi.z; ++z)
        for (int y = out.box.lo.y; y < out.box.hi.y; ++y)
          for (int x = out.box.lo.x; x < out.box.hi.x; ++x)
            out.data<uint16_t>()[((z - out.box.lo.z) * out.box.size().y + (y - out.box.lo.y)) * out.box.size().x +
                                 (x - out.box.lo.x)] = b.data<uint16_t>()[(z * 16 + y) * 20 + x];
      return out;
    }
  };
  auto memory = std::make_shared<InMemory>();
  memory->b = brick;

  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(view.volume);
  const Image from_scene = session.render_frame(view.frame);
  session.set_volume(memory);
  const Image from_api = session.render_frame(api);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    EXPECT_EQ(max_abs_difference(from_scene, from_api), 0.0f);
    float alpha = 0;
    for (const Vec4f& p : from_api.pixels()) alpha += p.w;
    EXPECT_GT(alpha, 5.0f) << "the blob must be visible";
  }
  fs::remove_all(dir);
}

TEST(SceneRender, ShippedScenesLoadWithoutWarningsAndMatchAnIndependentRenderer) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (const char* name : {"default.prj", "supernova.prj", "empty.prj"}) {
    io::ProjectFile project;
    project.add_file(std::string(LIBINDEX_SCENES_DIR) + "/" + name);
    SceneView view = make_scene_view(io::load_scene(project));
    EXPECT_TRUE(view.scene.warnings.empty()) << name << ": " << view.scene.warnings.front();
    view.frame.width = view.frame.height = 48;
    view.frame.camera.aspect = 1;
    Session session(MPI_COMM_WORLD, quiet());
    const auto volume = view.volume ? std::make_shared<KeepLastRead>(view.volume) : nullptr;
    session.set_volume(volume);
    const Image image = session.render_frame(view.frame);
    if (rank != 0) continue;
    float alpha = 0;
    for (const Vec4f& p : image.pixels()) alpha += p.w;
    if (std::string(name) == "empty.prj") {
      EXPECT_EQ(alpha, 0.0f) << "an empty scene renders the background";
      continue;
    }
    // What the reference covers: direct volume rendering, no shading, no jitter.
    ASSERT_EQ(view.frame.settings.mode, RenderMode::direct_volume) << name;
    ASSERT_FALSE(view.frame.settings.shading.enabled) << name;
    ASSERT_FALSE(view.frame.settings.jitter) << name;
    const Image expected = reference_render(volume->read(volume->box()), view.frame);
    float expected_alpha = 0;
    for (const Vec4f& p : expected.pixels()) expected_alpha += p.w;
    // Float against double: measured 3e-6 per pixel and 1e-4 over the 2304 pixels' alpha (~320).
    // (A ray that early termination stops one sample apart would differ by up to 2e-3: no ray of
    // these scenes gets that opaque; if an edited scene makes one, this says so.)
    EXPECT_LE(max_abs_difference(image, expected), 1e-4f) << name;
    EXPECT_NEAR(alpha, expected_alpha, 0.01f) << name;
    EXPECT_GT(expected_alpha, 48 * 48 / 20.0f) << name << ": the scene must cover more than a twentieth of the image";
  }
}

// index::global_transform that turns the scene a quarter about the view axis, through the volume's
// centre: the picture turns with it, pixel for pixel (IndeX places a scene by that matrix and keeps
// its camera in world space; libindex turns the camera back instead). Turned the wrong way (the
// matrix read transposed) the picture would turn the other way.
TEST(SceneRender, AGlobalTransformThatRotatesTurnsThePicture) {
  const fs::path dir = fs::temp_directory_path() / ("libindex_scene_turn_" + std::to_string(getpid()));
  { // each rank its own copy (its own directory)
    fs::create_directories(dir);
    std::vector<uint16_t> voxels = blob();
    for (int z = 4; z < 8; ++z) // a lump towards +x and +y: no turn or mirror maps the volume onto itself
      for (int y = 9; y < 13; ++y)
        for (int x = 14; x < 18; ++x) voxels[size_t((z * 16 + y) * 20 + x)] = 60000;
    std::ofstream(dir / "blob.raw", std::ios::binary)
        .write(reinterpret_cast<const char*>(voxels.data()), std::streamsize(voxels.size() * 2));
  }
  const std::string scene = R"(index::canvas_resolution = 64 64
index::camera::from = 10 8 60
index::camera::dir = 0 0 -1
index::camera::up = 0 1 0
index::camera::aperture = 0.45
index::camera::aspect = 1
index::camera::focal = 1
app::scene::root::children = cmap vol
app::scene::cmap::type = colormap
app::scene::cmap::domain = 0.1 1
app::scene::cmap::domain_boundary_mode = clamp_to_transparent
app::scene::vol::type = sparse_volume
app::scene::vol::importer = nv::index::plugin::base_importer.Sparse_volume_importer_raw
app::scene::vol::input_directory = )" +
                            dir.string() + R"(
app::scene::vol::input_file_base_name = blob
app::scene::vol::input_file_extension = .raw
app::scene::vol::voxel_format = uint16
app::scene::vol::bbox = 0 0 0 20 16 12
)";
  // Row vectors: x turns to y about z; the translation keeps the centre (10, 8, 6) in place.
  const std::string quarter_turn = "index::global_transform = 0 1 0 0 -1 0 0 0 0 0 1 0 18 -2 0 1\n";
  const auto render = [&](const std::string& text) {
    io::ProjectFile project;
    project.add_text("#! index_app_project 0\n" + text, "turn.prj");
    const SceneView view = make_scene_view(io::load_scene(project));
    EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();
    Session session(MPI_COMM_WORLD, quiet());
    session.set_volume(view.volume);
    return session.render_frame(view.frame);
  };
  const Image plain = render(scene), turned = render(quarter_turn + scene);
  fs::remove_all(dir);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return;
  // Offsets from the image centre: (dx, dy) with rows going down turns to (dy, -dx).
  Image expected(64, 64), other_way(64, 64);
  float alpha = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      expected.at(y, 63 - x) = plain.at(x, y), other_way.at(63 - y, x) = plain.at(x, y);
      alpha += plain.at(x, y).w;
    }
  EXPECT_GT(alpha, 64 * 64 / 10.0f) << "the blob must fill a good part of the picture";
  EXPECT_LE(max_abs_difference(turned, expected), 1e-4f);
  EXPECT_GT(max_abs_difference(turned, other_way), 0.1f) << "the lump shows which way the picture turned";
}

TEST(SceneRender, ASampleProgramRendersTheSameAtAnyRankCount) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  io::ProjectFile project;
  project.add_file(std::string(LIBINDEX_SCENES_DIR) + "/xac_edges.prj");
  SceneView view = make_scene_view(io::load_scene(project));
  compile_programs(view); // every rank compiles (or finds in the cache) the scene's program
  EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();
  ASSERT_TRUE(view.frame.program);
  view.frame.width = 64, view.frame.height = 48;
  view.frame.camera.aspect = 64.0f / 48.0f;
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(view.volume);
  const Image image = session.render_frame(view.frame);
  if (rank != 0) return;
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  const Image expected = alone.render_frame(view.frame);
  FrameParams plain = view.frame;
  plain.program = nullptr;
  const Image without = alone.render_frame(plain);
  // Bricks get 3 ghost voxels with a program: its gradient (1.5 voxels apart) reads the same values.
  EXPECT_LE(max_abs_difference(image, expected), 1.0f / 255);
  EXPECT_GT(max_abs_difference(expected, without), 0.1f) << "the program must change the picture";
}

TEST(SceneRender, ASurfaceProgramOnPlanesRendersTheSameAtAnyRankCount) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  io::ProjectFile project;
  project.add_file(std::string(LIBINDEX_SCENES_DIR) + "/slices_grid.prj");
  SceneView view = make_scene_view(io::load_scene(project));
  compile_programs(view);
  EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();
  ASSERT_EQ(view.surface_programs.size(), 1u);
  ASSERT_TRUE(view.surface_programs[0]);
  view.frame.width = 64, view.frame.height = 48;
  view.frame.camera.aspect = 64.0f / 48.0f;
  view.frame.settings.early_termination = false; // it stops per brick: N ranks equal 1 rank without it
  set_plane_appearance(view, 0, view.frame);
  ASSERT_TRUE(view.frame.plane_programs[0].program && view.frame.plane_programs[1].program) << "on both planes";
  ASSERT_EQ(view.frame.plane_programs[0].slots.size(), 1u) << "slot 1: the volume";
  Session session(MPI_COMM_WORLD, quiet());
  session.set_volume(view.volume);
  const Image image = session.render_frame(view.frame);
  if (rank != 0) return;
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  const Image expected = alone.render_frame(view.frame);
  FrameParams plain = view.frame;
  plain.plane_programs = {};
  EXPECT_LE(max_abs_difference(image, expected), 1e-5f);
  EXPECT_GT(max_abs_difference(expected, alone.render_frame(plain)), 0.1f) << "the program must change the planes";
}

// The frame loop (a Follower, as the viewer and index-render run it) hands sample programs the
// scene's index::scaling and index::translation as XAC's scene-to-world transform.
TEST(SceneRender, ProgramsGetTheScenesPlacementAsItsSceneToWorldTransform) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::string text =
      "#! index_app_project 0\n"
      "index::scaling = 2 4 8\nindex::translation = 1 1 1\n"
      "index::camera::from = 16 32 400\nindex::camera::dir = 0 0 -1\n"
      "index::camera::up = 0 1 0\nindex::camera::orthographic = true\n"
      "index::camera::aperture = 40\n"
      "app::scene::root::children = cmap vol program across\n"
      "app::scene::cmap::type = colormap\napp::scene::cmap::preset = grayscale\n"
      "app::scene::cmap::domain = 2 3\n" // every value below it: the volume shows nothing
      "app::scene::cmap::domain_boundary_mode = clamp_to_transparent\n"
      "app::scene::vol::type = sparse_volume\napp::scene::vol::importer = synthetic\n"
      "app::scene::vol::generator = sphere\napp::scene::vol::size = 16 16 16\n"
      "app::scene::program::type = rendering_kernel_program\n"
      "app::scene::program::target = surface_sample_program\n"
      "app::scene::program::source_string << (END)\n"
      "NV_IDX_XAC_VERSION_1_0\nusing namespace nv::index;\nusing namespace nv::index::xac;\n"
      "class Surface_sample_program {\n  NV_IDX_SURFACE_SAMPLE_PROGRAM\npublic:\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {\n"
      "    const float3 g = transform_vector(state.scene.get_scene_to_world_transform(),\n"
      "                                      make_float3(0.0625f, 0.0625f, 0.0625f));\n"
      "    out.set_color(make_float4(g.x, g.y, g.z, 1.0f));\n"
      "    return NV_IDX_PROG_OK;\n  }\n};\n"
      "(END)\n"
      "app::scene::across::type = plane\napp::scene::across::point = 0 0 8\n"
      "app::scene::across::normal = 0 0 1\napp::scene::across::up = 0 1 0\n"
      "app::scene::across::extent = 16 16\n";
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_text(text, "placement.prj"));
  SceneView view = build_scene(spec, false);
  ASSERT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();
  Session session(MPI_COMM_WORLD, quiet());
  Follower follower(session, kernels::BackendKind::cpu);
  Op op;
  op.scene_version = 1;
  op.scene = spec;
  op.backend = kernels::BackendKind::cpu;
  op.frame = view.frame;
  op.frame.width = op.frame.height = 16;
  op.frame.camera.aspect = 1;
  op.frame.scene_scaling = {1, 1, 1}, op.frame.scene_translation = {0, 0, 0}; // the follower sets them
  const Image image = follower.follow(op);
  if (rank != 0) return;
  const Vec4f centre = image.at(8, 8);
  EXPECT_NEAR(centre.x, 0.125f, 1e-6f);
  EXPECT_NEAR(centre.y, 0.25f, 1e-6f);
  EXPECT_NEAR(centre.z, 0.5f, 1e-6f);
  EXPECT_NEAR(centre.w, 1.0f, 1e-6f) << "the plane, with nothing of the volume in front of it";
}

TEST(SceneRender, ASurfaceProgramThatDoesNotCompileLeavesThePlainPlanes) {
  // The same scene with a typo in the program: one warning naming the scene file's line and the
  // compiler's message, and the planes drawn as without a program.
  std::ifstream in(std::string(LIBINDEX_SCENES_DIR) + "/slices_grid.prj");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t typo = text.find("fmaxf(line, on_line(p.x))");
  ASSERT_NE(typo, std::string::npos);
  text.replace(typo, 5, "fmaxx");
  io::ProjectFile project;
  project.add_text(text, "typo.prj");
  SceneView view = make_scene_view(io::load_scene(project));
  compile_programs(view);
  ASSERT_EQ(view.surface_programs.size(), 1u);
  EXPECT_FALSE(view.surface_programs[0]);
  ASSERT_EQ(view.scene.warnings.size(), 1u);
  EXPECT_NE(view.scene.warnings[0].find("typo.prj:"), std::string::npos) << view.scene.warnings[0];
  EXPECT_NE(view.scene.warnings[0].find("fmaxx"), std::string::npos) << view.scene.warnings[0];
  EXPECT_NE(view.scene.warnings[0].find("its planes show their colormap"), std::string::npos);
  set_plane_appearance(view, 0, view.frame);
  EXPECT_FALSE(view.frame.first_plane_program());
}

TEST(SceneRender, ColormapDomainsInScenes) {
  // A reversed domain is a valid scene (the table read backwards); an empty one is refused, naming it.
  const auto scene = [](const std::string& domain) {
    io::ProjectFile project;
    project.add_text("#! index_app_project 0\n"
                     "app::scene::root::children = c v\n"
                     "app::scene::c::type = colormap\n"
                     "app::scene::c::preset = grayscale\n"
                     "app::scene::c::domain = " +
                         domain +
                         "\n"
                         "app::scene::v::type = sparse_volume\n"
                         "app::scene::v::importer = synthetic\n"
                         "app::scene::v::generator = sphere\n"
                         "app::scene::v::size = 4\n",
                     "domains.prj");
    return io::load_scene(project);
  };
  const io::SceneDescription reversed = scene("1 0");
  ASSERT_EQ(reversed.volumes.size(), 1u);
  EXPECT_EQ(reversed.volumes[0].colormap.domain_min, 1.0f);
  EXPECT_EQ(reversed.volumes[0].colormap.domain_max, 0.0f);
  const auto refusal = [&](const std::string& domain) {
    try {
      scene(domain);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal("0.5 0.5"), "domains.prj:5: app::scene::c::domain = '0.5 0.5': the domain must not be empty");
  // Numbers in scenes are finite: NaN or infinity in a domain is a mistake, not a value.
  EXPECT_EQ(refusal("nan 1"),
            "domains.prj:5: app::scene::c::domain = 'nan 1': expected 2 numbers, 'nan' is not a number");
  EXPECT_EQ(refusal("0 inf"),
            "domains.prj:5: app::scene::c::domain = '0 inf': expected 2 numbers, 'inf' is not a number");
}
