// SPDX-License-Identifier: Apache-2.0
// The project files shipped in scenes/ parse, build and use every key they set (no warnings).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "libindex/io/scene.h"
#include "test_util.h"

namespace libindex::io {
namespace {

const std::string kScenes = LIBINDEX_SCENES_DIR;

SceneDescription load(const std::string& name, const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  ProjectFile p;
  p.add_file(kScenes + "/" + name);
  p.add_overrides(overrides);
  return load_scene(p);
}

void expect_no_warnings(const SceneDescription& s) {
  for (const auto& w : s.warnings) ADD_FAILURE() << w;
}

TEST(Scenes, DefaultIsTheBuiltInOne) {
  std::ifstream in(kScenes + "/default.prj");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), default_project_text());
  const SceneDescription s = load("default.prj");
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_EQ(s.volumes[0].importer, "synthetic");
  EXPECT_EQ(s.volumes[0].source->box().size(), (Vec3i{256, 256, 256}));
  EXPECT_EQ(s.volumes[0].colormap.entries.size(), 256u);
  EXPECT_FLOAT_EQ(s.volumes[0].sampling_distance_reference, 24.0f);
  ASSERT_TRUE(s.camera);
  EXPECT_FALSE(s.name.empty());
}

TEST(Scenes, SupernovaUsesTheShippedColormapFiles) {
  const SceneDescription s = load("supernova.prj");
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 1u);
  const Colormap& c = s.volumes[0].colormap;
  ASSERT_EQ(c.entries.size(), 256u);
  EXPECT_FLOAT_EQ(c.entries[0].w, 0.0f);
  EXPECT_FLOAT_EQ(c.entries[255].x, 1.0f);
  EXPECT_EQ(c.mode, BoundaryMode::clamp_to_transparent);
  // The second file through the command line, as the scene's comment says.
  const SceneDescription cw = load("supernova.prj", {{"app::colormap::startup_colormap_index", "1"}});
  EXPECT_NEAR(cw.volumes[0].colormap.entries[0].z, 0.754f, 1e-4f);
  EXPECT_EQ(s.canvas_width, 1024);
  EXPECT_EQ(s.canvas_height, 768);
}

TEST(Scenes, SlicesHasTwoPlanes) {
  const SceneDescription s = load("slices.prj");
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 1u);
  ASSERT_EQ(s.planes.size(), 2u);
  EXPECT_TRUE(s.planes[0].point == (Vec3f{0, 0, 64}) && s.planes[0].normal == (Vec3f{0, 0, 1}));
  EXPECT_TRUE(s.planes[1].point == (Vec3f{80, 0, 0}) && s.planes[1].up == (Vec3f{0, 0, 1}));
  EXPECT_EQ(s.planes[1].extent_y, 64.0f);
}

TEST(Scenes, SlicesGridRunsASurfaceProgramOnBothPlanes) {
  const SceneDescription s = load("slices_grid.prj");
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  ASSERT_EQ(s.planes.size(), 2u);
  ASSERT_EQ(s.surface_programs.size(), 1u);
  EXPECT_EQ(s.plane_programs, (std::vector<std::optional<size_t>>{0, 0})) << "both planes run it";
  const ProgramDesc& grid = s.surface_programs[0].program;
  EXPECT_EQ(grid.id, "grid");
  ASSERT_EQ(grid.buffers.count(0), 1u);
  EXPECT_EQ(grid.buffers.at(0).size(), 24u); // spacing, width, colour, padding
  ASSERT_EQ(s.surface_programs[0].slots.size(), 1u);
  EXPECT_EQ(s.surface_programs[0].slots[0].volume, std::optional<size_t>(0));
  ASSERT_EQ(s.plane_colormaps.size(), 2u);
  for (const auto& c : s.plane_colormaps) {
    ASSERT_TRUE(c);
    EXPECT_EQ(c->id, "plane_cmap");
  }
}

TEST(Scenes, TwoFieldsShareOneGrid) {
  const SceneDescription s = load("two_fields.prj");
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 2u);
  EXPECT_TRUE(share_grid(s, 0, 1)) << "mixed per sample";
  EXPECT_EQ(s.volumes[0].colormap_preset, "supernova");
  EXPECT_EQ(s.volumes[1].colormap_preset, "cool-warm");
  EXPECT_EQ(s.volumes[1].colormap.domain_min, 0.7f);
}

TEST(Scenes, XacTwoChannelsMapsBothVolumesAndColormapsToItsProgram) {
  const SceneDescription s = load("xac_two_channels.prj");
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 2u);
  ASSERT_TRUE(s.volumes[0].program);
  const auto& slots = s.volumes[0].program_slots;
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[0].volume, std::optional<size_t>(0));
  EXPECT_EQ(slots[1].volume, std::optional<size_t>(1));
  EXPECT_EQ(slots[2].node, "density_colormap");
  EXPECT_EQ(slots[3].node, "waves_colormap");
  EXPECT_EQ(slots[3].colormap.domain_min, 0.7f);
  EXPECT_EQ(s.volumes[1].drawn_by_program, std::optional<size_t>(0)) << "waves is drawn by the program only";
}

TEST(Scenes, Empty) {
  const SceneDescription s = load("empty.prj");
  expect_no_warnings(s);
  EXPECT_TRUE(s.volumes.empty());
}

TEST(Scenes, SkullRawPattern) {
  test::TempDir dir;
  std::vector<uint8_t> v(16 * 16 * 16, 77);
  test::write_bytes(dir.file("skull_16x16x16_uint8.raw"), v.data(), v.size());
  const SceneDescription s = load("skull_raw.prj", {{"app::scene::skull::input_directory", dir.path()},
                                                    {"app::scene::skull::input_file_base_name", "skull_16x16x16_uint8"},
                                                    {"app::scene::skull::bbox", "0 0 0 16 16 16"}});
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_EQ(s.volumes[0].importer, "raw");
  EXPECT_EQ(s.volumes[0].colormap.entries.size(), 4u);
  EXPECT_EQ(s.volumes[0].source->read({{5, 5, 5}, {6, 6, 6}}).data<uint8_t>()[0], 77);
  // Without the data, the error names the key, the file and where it looked.
  if (!std::filesystem::exists(kScenes + "/data/skull_256x256x256_uint8.raw")) {
    try {
      load("skull_raw.prj");
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("skull_raw.prj:"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
    }
  }
}

TEST(Scenes, VdbSphere) {
  const char* sphere = std::getenv("LIBINDEX_TEST_VDB_SPHERE"); // written by make_vdb_sphere (CTest fixture)
  if (!sphere) GTEST_SKIP() << "run through ctest: the make_vdb_sphere fixture writes the sphere";
  const SceneDescription s = load("vdb_sphere.prj", {{"app::scene::sphere::input_file", sphere}});
  expect_no_warnings(s);
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_EQ(s.volumes[0].importer, "openvdb");
  EXPECT_TRUE(s.volumes[0].shading.enabled);
  const VolumeSource& src = *s.volumes[0].source;
  const Vec3i size = src.box().size();
  EXPECT_GE(size.x, 60);
  EXPECT_LE(size.x, 64);
  const Brick centre =
      src.read({{size.x / 2, size.y / 2, size.z / 2}, {size.x / 2 + 1, size.y / 2 + 1, size.z / 2 + 1}});
  EXPECT_FLOAT_EQ(centre.data<float>()[0], 1.0f) << "fog volume: 1 inside";
  EXPECT_FLOAT_EQ(src.read({{0, 0, 0}, {1, 1, 1}}).data<float>()[0], 0.0f) << "corner of the box: outside";
}

} // namespace
} // namespace libindex::io
