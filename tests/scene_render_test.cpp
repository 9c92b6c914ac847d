// SPDX-License-Identifier: Apache-2.0
// A scene written in IndeX syntax (.prj with a lookup-table colormap from .cmap files, a camera,
// rendering properties, a raw volume) renders exactly the image the same scene gives through the
// C++ API; and the shipped scenes load without warnings and render something.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "libindex/io/project_file.h"
#include "libindex/io/scene.h"
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

TEST(SceneRender, ShippedScenesLoadWithoutWarningsAndShowSomething) {
  for (const char* name : {"default.prj", "supernova.prj", "empty.prj"}) {
    io::ProjectFile project;
    project.add_file(std::string(LIBINDEX_SCENES_DIR) + "/" + name);
    SceneView view = make_scene_view(io::load_scene(project));
    EXPECT_TRUE(view.scene.warnings.empty()) << name << ": " << view.scene.warnings.front();
    view.frame.width = view.frame.height = 48;
    view.frame.camera.aspect = 1;
    Session session(MPI_COMM_WORLD, quiet());
    session.set_volume(view.volume);
    const Image image = session.render_frame(view.frame);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) continue;
    float alpha = 0;
    for (const Vec4f& p : image.pixels()) alpha += p.w;
    if (std::string(name) == "empty.prj") {
      EXPECT_EQ(alpha, 0.0f) << "an empty scene renders the background";
    } else
      EXPECT_GT(alpha, 20.0f) << name;
  }
}
