// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/scene.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "test_util.h"

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

const std::string kHead = "#! index_app_project 0\n";

std::string cmap_text(int count, int red) {
  std::string s;
  for (int i = 0; i < count; ++i) s += std::to_string(red) + " " + std::to_string(i * 257) + " 0 65535\n";
  return s;
}

// A project in `dir`: scene.prj with `body`, plus a 4x3x2 uint16 raw file data/vol.raw.
struct Fixture {
  TempDir dir;
  std::string prj;
  explicit Fixture(const std::string& body) {
    std::filesystem::create_directory(dir.file("data"));
    std::vector<uint16_t> v(24);
    for (size_t i = 0; i < v.size(); ++i) v[i] = uint16_t(1000 * i);
    test::write_bytes(dir.file("data/vol.raw"), v.data(), v.size() * 2);
    test::write_text(dir.file("a.cmap"), cmap_text(256, 0));
    test::write_text(dir.file("b.cmap"), cmap_text(256, 65535));
    prj = dir.file("scene.prj");
    test::write_text(prj, kHead + body);
  }
  SceneDescription load(const SceneOptions& options = {}) const {
    ProjectFile p;
    p.add_file(prj);
    return load_scene(p, options);
  }
  std::string at(int line) const { return prj + ":" + std::to_string(line); }
};

const std::string kRawVolume = "app::scene::vol::type = sparse_volume\n"
                               "app::scene::vol::importer = raw\n"
                               "app::scene::vol::input_directory = data\n"
                               "app::scene::vol::input_file_base_name = vol\n"
                               "app::scene::vol::input_file_extension = .raw\n"
                               "app::scene::vol::voxel_format = uint16\n"
                               "app::scene::vol::bbox = 0 0 0 4 3 2\n";

// IndeX's viewer reads every colormap file but a .cmap as a PPM image: its pixels are the entries.
TEST(Scene, AColormapFileMayBeAPpmImage) {
  Fixture f("app::colormap::file_0 = rainbow.ppm\n"
            "app::colormap::file_0::domain = 0 0.5\n"
            "app::scene::root::children = cmap vol\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::map_type = lookup_table\n"
            "app::scene::cmap::map_index = 0\n" +
            kRawVolume);
  const std::string ppm = "P6\n3 1\n255\n\xff\x01\x02\x03\xff\x04\x05\x06\xff";
  test::write_bytes(f.dir.file("rainbow.ppm"), ppm.data(), ppm.size());
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.at(0);
  const Colormap& map = s.volumes.at(0).colormap;
  ASSERT_EQ(map.entries.size(), 3u);
  EXPECT_EQ(map.entries[1], (Vec4f{3 / 255.0f, 1.0f, 4 / 255.0f, 1.0f}));
  EXPECT_FLOAT_EQ(map.domain_max, 0.5f);
}

// IndeX's viewer reads a domain and a boundary mode with each colormap file
// (app::colormap::file_<n>::domain, ::domain_boundary_mode); the scene's colormap node may
// override either. Other keys under a file are warned about, not fatal.
TEST(Scene, AColormapFileBringsItsOwnDomainAndBoundaryMode) {
  const std::string files = "app::colormap::file_0 = a.cmap\n"
                            "app::colormap::file_1 = b.cmap\n"
                            "app::colormap::file_1::domain = 0.25 0.5\n"
                            "app::colormap::file_1::domain_boundary_mode = clamp_to_transparent\n"
                            "app::colormap::file_1::colour = red\n"
                            "app::scene::root::children = cmap vol\n"
                            "app::scene::cmap::type = colormap\n"
                            "app::scene::cmap::map_type = lookup_table\n"
                            "app::scene::cmap::map_index = 1\n";
  Fixture f(files + kRawVolume);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(s.warnings[0], f.at(6), "app::colormap::file_1::colour", "ignored");
  const Colormap& map = s.volumes.at(0).colormap;
  EXPECT_FLOAT_EQ(map.domain_min, 0.25f);
  EXPECT_FLOAT_EQ(map.domain_max, 0.5f);
  EXPECT_EQ(map.mode, BoundaryMode::clamp_to_transparent);

  Fixture node(files + "app::scene::cmap::domain = 0.1 0.9\napp::scene::cmap::domain_boundary_mode = clamp_to_edge\n" +
               kRawVolume);
  const SceneDescription with_node = node.load(); // held: a reference into a temporary dangled here
  const Colormap& overridden = with_node.volumes.at(0).colormap;
  EXPECT_FLOAT_EQ(overridden.domain_min, 0.1f);
  EXPECT_FLOAT_EQ(overridden.domain_max, 0.9f);
  EXPECT_EQ(overridden.mode, BoundaryMode::clamp_to_edge);

  Fixture bad("app::colormap::file_0 = a.cmap\napp::colormap::file_0::domain = 1 1\n"
              "app::scene::root::children = cmap vol\napp::scene::cmap::type = colormap\n" +
              kRawVolume);
  EXPECT_CONTAINS_ALL(error_of([&] { bad.load(); }), bad.at(3), "the domain must not be empty");
}

TEST(Scene, LookupTableCameraAndRenderingPropertiesAreParsedExactly) {
  Fixture f("app::scene::info::name = Test scene\n"
            "app::scene::info::credits = me\n"
            "index::canvas_resolution = 900 600\n"
            "index::camera::from = 1 2 3\n"
            "index::camera::dir = 0 0 -1\n"
            "index::camera::up = 0 1 0\n"
            "index::camera::aperture = 0.05\n"
            "index::camera::aspect = 1.5\n"
            "index::camera::focal = 0.04\n"
            "index::camera::clip_min = 0.5\n"
            "index::camera::clip_max = 900\n"
            "index::camera::orthographic = yes\n"
            "index::region_of_interest = -1 -2 -3 10 20 30\n"
            "index::scaling = 2 2 4\n"
            "index::translation = 10 0 -5\n"
            "app::colormap::file_count = 2\n"
            "app::colormap::file_0 = a.cmap\n"
            "app::colormap::file_1 = b.cmap\n"
            "app::colormap::boundary_mode = clamp_to_transparent\n"
            "app::scene::root::children = props cmap light vol\n"
            "app::scene::props::type = sparse_volume_rendering_properties\n"
            "app::scene::props::sampling_distance = 0.25\n"
            "app::scene::props::sampling_distance_reference = 2\n"
            "app::scene::props::filter_mode = nearest\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::map_type = lookup_table\n"
            "app::scene::cmap::map_index = 1\n"
            "app::scene::cmap::domain = 0.1 0.9\n"
            "app::scene::light::type = directional_headlight\n"
            "app::scene::light::direction = 0 0 -2\n"
            "app::scene::light::intensity = 0.5 0.75 1\n" +
            kRawVolume);
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  EXPECT_EQ(s.name, "Test scene");
  EXPECT_EQ(s.credits, "me");
  EXPECT_EQ(s.canvas_width, 900);
  EXPECT_EQ(s.canvas_height, 600);
  ASSERT_TRUE(s.camera);
  EXPECT_FLOAT_EQ(s.camera->from.y, 2.0f);
  EXPECT_FLOAT_EQ(s.camera->dir.z, -1.0f);
  EXPECT_FLOAT_EQ(s.camera->up.y, 1.0f);
  EXPECT_FLOAT_EQ(s.camera->aperture, 0.05f);
  EXPECT_FLOAT_EQ(s.camera->aspect, 1.5f);
  EXPECT_FLOAT_EQ(s.camera->focal, 0.04f);
  EXPECT_FLOAT_EQ(s.camera->clip_min, 0.5f);
  EXPECT_FLOAT_EQ(s.camera->clip_max, 900.0f);
  EXPECT_TRUE(s.camera->orthographic);
  ASSERT_TRUE(s.region_of_interest);
  EXPECT_FLOAT_EQ(s.region_of_interest->lo.z, -3.0f);
  EXPECT_FLOAT_EQ(s.region_of_interest->hi.y, 20.0f);
  EXPECT_FLOAT_EQ(s.scaling.z, 4.0f);
  EXPECT_FLOAT_EQ(s.translation.x, 10.0f);

  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  EXPECT_EQ(v.id, "vol");
  EXPECT_EQ(v.name, "vol");
  EXPECT_EQ(v.importer, "raw");
  EXPECT_FLOAT_EQ(v.sampling_distance, 0.25f);
  EXPECT_FLOAT_EQ(v.sampling_distance_reference, 2.0f);
  EXPECT_TRUE(v.nearest_filter);
  EXPECT_TRUE(v.shading.enabled);
  EXPECT_FLOAT_EQ(v.shading.intensity, 0.75f);
  EXPECT_FLOAT_EQ(v.light_direction.z, -1.0f);
  EXPECT_EQ(v.colormap_id, "cmap");
  ASSERT_EQ(v.colormap.entries.size(), 256u);
  EXPECT_FLOAT_EQ(v.colormap.entries[0].x, 1.0f) << "file_1 = b.cmap has red 65535";
  EXPECT_FLOAT_EQ(v.colormap.entries[255].y, 1.0f);
  EXPECT_FLOAT_EQ(v.colormap.entries[1].y, 257.0f / 65535.0f);
  EXPECT_FLOAT_EQ(v.colormap.domain_min, 0.1f);
  EXPECT_FLOAT_EQ(v.colormap.domain_max, 0.9f);
  EXPECT_EQ(v.colormap.mode, BoundaryMode::clamp_to_transparent);
  EXPECT_EQ(v.bbox, (Box3i{{0, 0, 0}, {4, 3, 2}}));
  EXPECT_EQ(v.clip_region, v.bbox);
  EXPECT_EQ(v.source->dtype(), DType::uint16);
  EXPECT_EQ(v.source->read({{3, 2, 1}, {4, 3, 2}}).data<uint16_t>()[0], 23000);

  const RenderSettings r = render_settings(s, v);
  EXPECT_FLOAT_EQ(r.sampling_distance, 0.25f);
  EXPECT_FLOAT_EQ(r.scaling.z, 4.0f);
  EXPECT_FLOAT_EQ(r.translation.z, -5.0f);
  EXPECT_FLOAT_EQ(r.region_of_interest.hi.x, 30.0f) << "object space, placed: 10 * 2 + 10";
  EXPECT_FLOAT_EQ(r.region_of_interest.lo.z, -17.0f) << "-3 * 4 - 5";
  EXPECT_TRUE(r.shading.enabled);

  // The graph is kept for get_scene_graph.
  EXPECT_EQ(s.root_children, (std::vector<std::string>{"props", "cmap", "light", "vol"}));
  EXPECT_EQ(s.nodes.at("cmap").attributes.at("map_index").text, "1");
}

TEST(Scene, OverlappingVolumesMixPerSampleOnOneGridOrAnother) {
  Fixture f("app::scene::root::children = a b c\n"
            "app::scene::a::type = sparse_volume\n"
            "app::scene::a::importer = synthetic\n"
            "app::scene::a::generator = sphere\n"
            "app::scene::a::size = 8\n"
            "app::scene::b::type = sparse_volume\n"
            "app::scene::b::importer = synthetic\n"
            "app::scene::b::generator = marschner-lobb\n"
            "app::scene::b::size = 8\n"
            "app::scene::c::type = sparse_volume\n"
            "app::scene::c::importer = synthetic\n"
            "app::scene::c::generator = sphere\n"
            "app::scene::c::bbox = 1 0 0 9 8 8\n");
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 3u);
  EXPECT_TRUE(share_grid(s, 0, 1));
  EXPECT_FALSE(share_grid(s, 0, 2)) << "moved by one voxel";
  EXPECT_TRUE(s.warnings.empty()) << "b and c mix with a: " << s.warnings.front();
  EXPECT_TRUE(mix_per_sample(s, 0, 1));
  EXPECT_TRUE(mix_per_sample(s, 0, 2)) << "on another grid, overlapping";
  EXPECT_EQ(mix_leads(s), (std::vector<size_t>{0, 0, 0}));
  // a's ranks partition the hull of a and c, on a's grid: c reaches one voxel further along x.
  EXPECT_EQ(partition_box(s, 0), (Box3i{{0, 0, 0}, {9, 8, 8}}));
  EXPECT_EQ(partition_box(s, 2), (Box3i{{0, 0, 0}, {8, 8, 8}})) << "c's own box: it leads no mix";
}

TEST(Scene, AMixTakesAtMostFourVolumesAndOnlyThoseOverlappingItsFirst) {
  std::string text = "app::scene::root::children = v0 v1 v2 v3 v4 far\n";
  for (int i = 0; i < 5; ++i) {
    const std::string g = "app::scene::v" + std::to_string(i);
    text += g + "::type = sparse_volume\n" + g + "::importer = synthetic\n" + g + "::generator = sphere\n" + g +
            "::bbox = " + std::to_string(i) + " 0 0 " + std::to_string(i + 8) + " 8 8\n";
  }
  text += "app::scene::far::type = sparse_volume\napp::scene::far::importer = synthetic\n"
          "app::scene::far::generator = sphere\napp::scene::far::bbox = 11 0 0 19 8 8\n";
  Fixture f(text);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 6u);
  // v4 finds v0's mix full and leads its own; far (x 11..19) misses v0 and joins v4.
  const std::vector<size_t> leads = mix_leads(s);
  EXPECT_EQ(leads, (std::vector<size_t>{0, 0, 0, 0, 4, 4}));
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("app::scene::v4::type = 'sparse_volume': overlaps volume 'v0' but joins no mix with "
                               "it (a mix takes 4 volumes that overlap its first)"),
            std::string::npos)
      << s.warnings[0];
  EXPECT_EQ(partition_box(s, 0), (Box3i{{0, 0, 0}, {11, 8, 8}}));
  EXPECT_EQ(partition_box(s, 4), (Box3i{{0, 0, 0}, {15, 8, 8}})) << "v4's grid starts at x = 4";
}

TEST(Scene, AVolumeWithASampleProgramIsNotMixedPerSample) {
  Fixture f("app::scene::root::children = a g\n"
            "app::scene::g::type = static_scene_group\n"
            "app::scene::g::children = p b\n"
            "app::scene::p::type = rendering_kernel_program\n"
            "app::scene::p::source_string = class Volume_sample_program {};\n"
            "app::scene::a::type = sparse_volume\n"
            "app::scene::a::importer = synthetic\n"
            "app::scene::a::generator = sphere\n"
            "app::scene::a::size = 8\n"
            "app::scene::b::type = sparse_volume\n"
            "app::scene::b::importer = synthetic\n"
            "app::scene::b::generator = marschner-lobb\n"
            "app::scene::b::size = 8\n");
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 2u);
  EXPECT_FALSE(s.volumes[0].program);
  ASSERT_TRUE(s.volumes[1].program) << "the program applies to the volume after it in its group";
  EXPECT_TRUE(share_grid(s, 0, 1));
  EXPECT_FALSE(mix_per_sample(s, 0, 1)) << "a program colours its own samples";
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("one of the two has a sample program"), std::string::npos) << s.warnings[0];
}

TEST(Scene, AttributesApplyToLaterVolumesAndStayInsideTheirGroup) {
  Fixture f("app::scene::root::children = early group late\n"
            "app::scene::group::type = static_scene_group\n"
            "app::scene::group::children = cmap props sub\n"
            "app::scene::sub::type = static_scene_group\n"
            "app::scene::sub::children = inner\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::preset = magma\n"
            "app::scene::props::type = sparse_volume_rendering_properties\n"
            "app::scene::props::sampling_distance = 2\n"
            "app::scene::early::type = sparse_volume\n"
            "app::scene::early::generator = sphere\n"
            "app::scene::early::size = 8\n"
            "app::scene::inner::type = sparse_volume\n"
            "app::scene::inner::importer = synthetic\n"
            "app::scene::inner::generator = marschner-lobb\n"
            "app::scene::inner::size = 4 4 4\n"
            "app::scene::late::type = sparse_volume\n"
            "app::scene::late::importer = synthetic\n"
            "app::scene::late::generator = sphere\n"
            "app::scene::late::bbox = 0 0 0 6 6 6\n");
  const SceneDescription s = f.load();
  // The three boxes overlap (all start at 0): all three mix per sample.
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  EXPECT_EQ(mix_leads(s), (std::vector<size_t>{0, 0, 0}));
  ASSERT_EQ(s.volumes.size(), 3u);
  EXPECT_EQ(s.volumes[0].id, "early");
  EXPECT_EQ(s.volumes[0].colormap_id, "");
  EXPECT_FLOAT_EQ(s.volumes[0].sampling_distance, 0.5f);
  EXPECT_EQ(s.volumes[1].id, "inner");
  EXPECT_EQ(s.volumes[1].colormap_id, "cmap") << "inherited into the subgroup";
  EXPECT_FLOAT_EQ(s.volumes[1].sampling_distance, 2.0f);
  EXPECT_EQ(s.volumes[1].source->dtype(), DType::float32);
  EXPECT_EQ(s.volumes[1].source->box().size(), (Vec3i{4, 4, 4}));
  EXPECT_EQ(s.volumes[2].id, "late");
  EXPECT_EQ(s.volumes[2].colormap_id, "") << "the group's colormap does not leak out";
  EXPECT_FLOAT_EQ(s.volumes[2].sampling_distance, 0.5f);
  EXPECT_EQ(s.volumes[2].source->box().size(), (Vec3i{6, 6, 6}));
}

TEST(Scene, EmptySceneIsValid) {
  Fixture f("app::scene::root::children =\n");
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.volumes.empty());
  EXPECT_TRUE(s.warnings.empty());
  EXPECT_FALSE(s.camera);
  Fixture g("index::canvas_resolution = 64 32\n");
  EXPECT_TRUE(g.load().volumes.empty());
}

TEST(Scene, UnsupportedKeysWarnOnceEachAndTheSceneStillLoads) {
  Fixture f("index::subcube_size = 64 64 64\n"         // 2
            "dice::verbose = 3\n"                      // 3
            "app::scene::root::children = prog vol\n"  // 4
            "app::scene::prog::type = triangle_mesh\n" // 5
            "app::scene::prog::program_file = a.cu\n"  // 6
            "app::scene::unused::type = colormap\n"    // 7
            "app::scene::unused::preset = viridis\n"   // 8
            "typo_key = 1\n"                           // 9
            "app::scene::vol::cache = false\n"         // 10
            "app::scene::vol::frobnicate = 1\n"        // 11
            "app::viewer::port = 8080\n" +             // 12
            kRawVolume);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 1u);
  for (const auto& w : s.warnings) SCOPED_TRACE(w);
  ASSERT_EQ(s.warnings.size(), 8u);
  auto has = [&](int line, const std::string& text) {
    for (const auto& w : s.warnings)
      if (w.find(f.at(line) + ":") == 0 && w.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has(2, "index::subcube_size = '64 64 64': ignored (IndeX setting not supported"));
  EXPECT_TRUE(has(3, "dice::verbose"));
  EXPECT_TRUE(has(5, "app::scene::prog::type = 'triangle_mesh': ignored"));
  EXPECT_TRUE(has(7, "node 'unused'")) << "one warning for the node, not one per key";
  EXPECT_TRUE(has(9, "typo_key = '1': ignored (unknown key)"));
  EXPECT_TRUE(has(10, "app::scene::vol::cache = 'false': ignored (IndeX sparse_volume attribute"));
  EXPECT_TRUE(has(11, "unknown sparse_volume attribute"));
  EXPECT_TRUE(has(12, "app::viewer::port"));
  EXPECT_EQ(f.load({{"app::viewer::*"}}).warnings.size(), 7u) << "keys another module reads";
}

// A key a letter or two off one libindex reads is a typo, and the warning says which key was meant.
TEST(Scene, AMisspeltKeyNamesTheKeyMeant) {
  Fixture f("index::canvas_resolutoin = 64 64\n"   // 2
            "app::scene::root::children = vol\n"   // 3
            "app::scene::vol::bbx = 0 0 0 4 4 4\n" // 4
            "index::subcube_size = 64 64 64\n" +   // 5
            kRawVolume);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.warnings.size(), 3u);
  bool canvas = false, bbx = false, subcube = false;
  for (const std::string& w : s.warnings) {
    canvas |= w == f.at(2) + ": index::canvas_resolutoin = '64 64': ignored (not a key libindex reads; did you mean "
                             "'index::canvas_resolution'?)";
    bbx |= w == f.at(4) + ": app::scene::vol::bbx = '0 0 0 4 4 4': ignored (unknown sparse_volume attribute; did you "
                          "mean 'bbox'?)";
    subcube |= w == f.at(5) + ": index::subcube_size = '64 64 64': ignored (IndeX setting not supported by libindex)";
  }
  EXPECT_TRUE(canvas) << s.warnings[0];
  EXPECT_TRUE(bbx) << "a node's attribute, too";
  EXPECT_TRUE(subcube) << "far from every key: an IndeX setting, no guess";
}

TEST(Scene, SampleProgramsAndTheirBuffersReachTheVolumesAfterThem) {
  Fixture f("app::scene::root::children = params prog vol\n"                   // 2
            "app::scene::params::type = rendering_kernel_program_parameters\n" // 3
            "app::scene::params::buffer_0 = 0.5 -2i 7u\n"                      // 4
            "app::scene::params::buffer_3 = 1\n"                               // 5
            "app::scene::prog::type = rendering_kernel_program\n"              // 6
            "app::scene::prog::target = volume_sample_program\n"               // 7
            "app::scene::prog::source_string << (END)\n"                       // 8
            "class Volume_sample_program {\n"                                  // 9
            "};\n"                                                             // 10
            "(END)\n" +
            kRawVolume);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  const auto& p = s.volumes[0].program;
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "prog");
  EXPECT_EQ(p->text, "class Volume_sample_program {\n};");
  EXPECT_EQ(p->file, f.prj);
  EXPECT_EQ(p->first_line, 9) << "compiler messages count from the block's first line";
  ASSERT_EQ(p->buffers.size(), 2u);
  const std::vector<unsigned char>& b = p->buffers.at(0);
  ASSERT_EQ(b.size(), 12u);
  float half;
  int32_t minus_two;
  uint32_t seven;
  std::memcpy(&half, b.data(), 4), std::memcpy(&minus_two, b.data() + 4, 4), std::memcpy(&seven, b.data() + 8, 4);
  EXPECT_EQ(half, 0.5f);
  EXPECT_EQ(minus_two, -2);
  EXPECT_EQ(seven, 7u);
  EXPECT_EQ(p->buffers.at(3).size(), 4u);
}

// IndeX's `enabled = false` leaves a node out: a volume, a plane, an attribute, a group's subtree.
TEST(Scene, DisabledNodesAndGroupsAreLeftOut) {
  const auto sphere = [](const std::string& id, int x0, const std::string& extra = "") {
    const std::string k = "app::scene::" + id + "::";
    return k + "type = sparse_volume\n" + k + "importer = synthetic\n" + k + "generator = sphere\n" + k + "size = 4\n" +
           k + "bbox = " + std::to_string(x0) + " 0 0 " + std::to_string(x0 + 4) + " 4 4\n" + extra;
  };
  Fixture f("app::scene::root::children = magma viridis off_group a b c plane\n"
            "app::scene::magma::type = colormap\n"
            "app::scene::magma::preset = magma\n"
            "app::scene::viridis::type = colormap\n"
            "app::scene::viridis::preset = viridis\n"
            "app::scene::viridis::enabled = false\n"
            "app::scene::off_group::type = static_scene_group\n"
            "app::scene::off_group::enabled = false\n"
            "app::scene::off_group::children = hidden hidden_plane\n"
            "app::scene::hidden_plane::type = plane\n"
            "app::scene::hidden_plane::point = 0 0 1\n"
            "app::scene::hidden_plane::normal = 0 0 1\n"
            "app::scene::hidden_plane::up = 0 1 0\n"
            "app::scene::hidden_plane::extent = 4 4\n"
            "app::scene::plane::type = plane\n"
            "app::scene::plane::point = 0 0 2\n"
            "app::scene::plane::normal = 0 0 1\n"
            "app::scene::plane::up = 0 1 0\n"
            "app::scene::plane::extent = 4 4\n"
            "app::scene::plane::enabled = true\n" +
            sphere("hidden", 0) + sphere("a", 10) + sphere("b", 20, "app::scene::b::enabled = false\n") +
            sphere("c", 30));
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front(); // `enabled` is read, not ignored
  ASSERT_EQ(s.volumes.size(), 2u);
  EXPECT_EQ(s.volumes[0].id, "a");
  EXPECT_EQ(s.volumes[1].id, "c");
  EXPECT_EQ(s.volumes[0].colormap_preset, "magma") << "the disabled colormap after it changes nothing";
  ASSERT_EQ(s.planes.size(), 1u) << "the plane of the disabled group is left out";
  EXPECT_EQ(s.planes[0].point.z, 2.0f);
  // A disabled volume that an enabled volume's program maps is kept, and drawn by that program only.
  Fixture g("app::scene::root::children = mapping prog a plain\n"
            "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
            "app::scene::mapping::slot_1 = hidden\n"
            "app::scene::mapping::slot_2 = b\n"
            "app::scene::prog::type = rendering_kernel_program\n"
            "app::scene::prog::source_string = class Volume_sample_program {};\n"
            "app::scene::plain::type = static_scene_group\n"
            "app::scene::plain::children = b hidden_group\n"
            "app::scene::hidden_group::type = static_scene_group\n"
            "app::scene::hidden_group::enabled = false\n"
            "app::scene::hidden_group::children = hidden\n" +
            sphere("a", 0) + sphere("b", 10, "app::scene::b::enabled = false\n") + sphere("hidden", 20));
  const SceneDescription m = g.load();
  ASSERT_EQ(m.volumes.size(), 3u);
  EXPECT_EQ(m.volumes[1].id, "b");
  EXPECT_FALSE(m.volumes[1].enabled);
  EXPECT_EQ(m.volumes[1].drawn_by_program, std::optional<size_t>(0));
  EXPECT_EQ(m.volumes[2].id, "hidden");
  EXPECT_EQ(m.volumes[2].drawn_by_program, std::optional<size_t>(0));
  ASSERT_EQ(m.volumes[0].program_slots.size(), 2u);
  EXPECT_EQ(m.volumes[0].program_slots[0].volume, std::optional<size_t>(2));
  EXPECT_EQ(m.volumes[0].program_slots[1].volume, std::optional<size_t>(1));
}

// IndeX's rendering_kernel_program_scene_element_mapping: `<n> = id` (IndeX's public scenes) or
// `slot_<n> = id` names a volume or a colormap node.
TEST(Scene, ASceneElementMappingGivesTheProgramsSlotsTheirVolumesAndColormaps) {
  const std::string other = "app::scene::other::type = sparse_volume\n"
                            "app::scene::other::importer = synthetic\n"
                            "app::scene::other::generator = sphere\n"
                            "app::scene::other::size = 4\n"
                            "app::scene::other::bbox = 0 0 0 4 4 4\n";
  const std::string cm = "app::scene::cm::type = colormap\n"
                         "app::scene::cm::preset = viridis\n"
                         "app::scene::cm::domain = 0.2 0.8\n";
  // `other` in a group of its own: the program and the mapping are attributes that every volume
  // after them in their group takes.
  Fixture f("app::scene::root::children = group other\n"
            "app::scene::group::type = static_scene_group\n"
            "app::scene::group::children = mapping prog vol\n"
            "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
            "app::scene::mapping::1 = vol\n"
            "app::scene::mapping::slot_2 = other\n"
            "app::scene::mapping::13 = cm\n"
            "app::scene::prog::type = rendering_kernel_program\n"
            "app::scene::prog::source_string = class Volume_sample_program {};\n" +
            kRawVolume + other + cm);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 2u);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front(); // cm is used, and other is drawn by the program
  const auto& slots = s.volumes[0].program_slots;
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].slot, 1);
  EXPECT_EQ(slots[0].volume, std::optional<size_t>(0)) << "the program's own volume";
  EXPECT_EQ(slots[1].slot, 2);
  EXPECT_EQ(slots[1].volume, std::optional<size_t>(1));
  EXPECT_EQ(slots[2].slot, 13);
  EXPECT_FALSE(slots[2].volume);
  EXPECT_EQ(slots[2].node, "cm");
  EXPECT_EQ(slots[2].colormap.domain_min, 0.2f);
  EXPECT_EQ(slots[2].colormap.domain_max, 0.8f);
  EXPECT_EQ(slots[2].colormap.entries, colormap_preset("viridis").entries);
  EXPECT_EQ(s.volumes[1].drawn_by_program, std::optional<size_t>(0));
  EXPECT_FALSE(s.volumes[0].drawn_by_program);
  EXPECT_FALSE(s.volumes[1].program) << "the mapping is an attribute, not a program";
  EXPECT_EQ(mix_leads(s), (std::vector<size_t>{0, 1})) << "a volume a program draws is not mixed";
  {
    // Both volumes after the program: each has it, so each draws itself (reading the other).
    Fixture g("app::scene::root::children = mapping prog vol other\n"
              "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
              "app::scene::mapping::slot_1 = vol\n"
              "app::scene::mapping::slot_2 = other\n"
              "app::scene::prog::type = rendering_kernel_program\n"
              "app::scene::prog::source_string = class Volume_sample_program {};\n" +
              kRawVolume + other);
    const SceneDescription both = g.load();
    ASSERT_EQ(both.volumes.size(), 2u);
    EXPECT_TRUE(both.volumes[1].program);
    EXPECT_EQ(both.volumes[1].program_slots.size(), 2u);
    EXPECT_FALSE(both.volumes[0].drawn_by_program);
    EXPECT_FALSE(both.volumes[1].drawn_by_program);
  }

  // A program volume under a mapping whose line 4 is `slot`.
  const auto with_slot = [&](const std::string& slot, const std::string& extra = "") {
    return "app::scene::root::children = mapping prog vol\n"                              // 2
           "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n" // 3
           "app::scene::mapping::" +
           slot + "\n" + // 4
           "app::scene::prog::type = rendering_kernel_program\n"
           "app::scene::prog::source_string = class Volume_sample_program {};\n" +
           kRawVolume + extra;
  };
  // Errors name the slot's key.
  auto error = [&](const std::string& slot) { return error_of([&] { Fixture(with_slot(slot)).load(); }); };
  EXPECT_CONTAINS_ALL(error("slot_16 = vol"), "scene.prj:4", "slot_<n> with n from 0 to 15");
  EXPECT_CONTAINS_ALL(error("slot_x = vol"), "scene.prj:4", "slot_<n> with n from 0 to 15");
  EXPECT_CONTAINS_ALL(error("16 = vol"), "scene.prj:4", "<n> or slot_<n> with n from 0 to 15");
  EXPECT_CONTAINS_ALL(error("1x = vol"), "scene.prj:4", "<n> or slot_<n> with n from 0 to 15");
  EXPECT_CONTAINS_ALL(error("slot_1 = vol cm"), "scene.prj:4", "the id of one sparse_volume or colormap node");
  // A slot naming what is not there stays unmapped, with a warning naming its line: NVIDIA's public
  // scenes map `0 = 0`, and they render.
  const auto warning = [&](const std::string& slot, const std::string& extra = "") {
    const SceneDescription s = Fixture(with_slot(slot, extra)).load();
    EXPECT_TRUE(s.volumes.at(0).program_slots.empty()) << slot;
    return s.warnings.empty() ? std::string() : s.warnings.front();
  };
  EXPECT_CONTAINS_ALL(warning("0 = 0"), "scene.prj:4", "no node '0' in this scene; slot 0 stays unmapped");
  EXPECT_CONTAINS_ALL(warning("slot_1 = nowhere"), "scene.prj:4", "no node 'nowhere' in this scene");
  EXPECT_CONTAINS_ALL(warning("slot_1 = prog"), "scene.prj:4", "'prog' is a rendering_kernel_program node");
  EXPECT_CONTAINS_ALL(warning("1 = other", other), "scene.prj:4", "the volume 'other' is not in the scene graph");
  const SceneDescription unused = Fixture("app::scene::root::children = vol mapping\n"
                                          "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
                                          "app::scene::mapping::slot_0 = nowhere\n" + // 4
                                          kRawVolume)
                                      .load();
  ASSERT_EQ(unused.warnings.size(), 1u) << "also a mapping no volume takes";
  EXPECT_CONTAINS_ALL(unused.warnings[0], "scene.prj:4", "no node 'nowhere'");
}

TEST(Scene, ASampleProgramFromAFileAndTheCasesItIsLeftOut) {
  {
    Fixture f("app::scene::root::children = prog vol\n"
              "app::scene::prog::type = rendering_kernel_program\n"
              "app::scene::prog::source_file = programs/colour.cu\n" +
              kRawVolume);
    std::filesystem::create_directory(f.dir.file("programs"));
    test::write_text(f.dir.file("programs/colour.cu"), "// a program\n");
    const SceneDescription s = f.load();
    ASSERT_TRUE(s.volumes[0].program);
    EXPECT_EQ(s.volumes[0].program->text, "// a program\n");
    EXPECT_EQ(s.volumes[0].program->file, f.dir.file("programs/colour.cu"));
    EXPECT_EQ(s.volumes[0].program->first_line, 1);
  }
  {
    // A disabled program, and one for surfaces with no plane after it: the volume has no program.
    Fixture f("app::scene::root::children = off surface vol\n"         // 2
              "app::scene::off::type = rendering_kernel_program\n"     // 3
              "app::scene::off::enabled = false\n"                     // 4
              "app::scene::off::source_string = x\n"                   // 5
              "app::scene::surface::type = rendering_kernel_program\n" // 6
              "app::scene::surface::target = surface_sample_program\n" // 7
              "app::scene::surface::source_string = x\n" +             // 8
              kRawVolume);
    const SceneDescription s = f.load();
    EXPECT_FALSE(s.volumes[0].program);
    EXPECT_TRUE(s.surface_programs.empty());
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_EQ(s.warnings[0].rfind(f.at(6) + ":", 0), 0u) << s.warnings[0];
    EXPECT_CONTAINS_ALL(s.warnings[0], "no plane after it");
  }
  // Errors name file:line.
  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  EXPECT_CONTAINS_ALL(
      error("app::scene::root::children = p vol\napp::scene::p::type = rendering_kernel_program\n" + kRawVolume),
      "scene.prj:3", "needs 'source_file' or 'source_string'");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = p vol\n"
                            "app::scene::p::type = rendering_kernel_program_parameters\n"
                            "app::scene::p::buffer_0 = 1 two\n" +
                            kRawVolume),
                      "scene.prj:4", "'two' is not a number");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = p vol\n"
                            "app::scene::p::type = rendering_kernel_program_parameters\n"
                            "app::scene::p::buffer_9 = 1\n" +
                            kRawVolume),
                      "scene.prj:4", "slot from 0 to 7");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = p vol\n"
                            "app::scene::p::type = rendering_kernel_program\n"
                            "app::scene::p::source_file = missing.cu\n" +
                            kRawVolume),
                      "scene.prj:4", "missing.cu");
  {
    // A data file named as a program is refused before it is read.
    Fixture f("app::scene::root::children = p vol\n"
              "app::scene::p::type = rendering_kernel_program\n"
              "app::scene::p::source_file = big.cu\n" +
              kRawVolume);
    test::write_text(f.dir.file("big.cu"), std::string(3 << 20, 'x'));
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), "scene.prj:4", "at most 1 MiB");
  }
}

TEST(Scene, TransformedGroupsPlaceThePlanesInsideThem) {
  auto plane_node = [](const std::string& id, const std::string& point) {
    return "app::scene::" + id + "::type = plane\napp::scene::" + id + "::point = " + point + "\napp::scene::" + id +
           "::normal = 0 0 1\napp::scene::" + id + "::up = 0 1 0\napp::scene::" + id + "::extent = 4 2\n";
  };
  Fixture f("app::scene::root::children = moved nested matrix vol\n"
            "app::scene::moved::type = transformed_scene_group\n"
            "app::scene::moved::children = a\n"
            "app::scene::moved::scale = 2 1 1\n"
            "app::scene::moved::rotate = 0 0 90\n"
            "app::scene::moved::translate = 10 0 0\n"
            "app::scene::nested::type = transformed_scene_group\n"
            "app::scene::nested::translate = 0 0 5\n"
            "app::scene::nested::children = inner\n"
            "app::scene::inner::type = transformed_scene_group\n"
            "app::scene::inner::scale = 2 2 2\n"
            "app::scene::inner::children = b\n"
            "app::scene::matrix::type = transformed_scene_group\n"
            "app::scene::matrix::transform = 1 0 0 0  0 1 0 0  0 0 1 0  3 4 5 1\n"
            "app::scene::matrix::children = c\n" +
            plane_node("a", "1 0 0") + plane_node("b", "1 0 0") + plane_node("c", "1 0 0") + kRawVolume);
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  ASSERT_EQ(s.planes.size(), 3u);
  auto near = [](Vec3f a, Vec3f b) { return length(a - b) < 1e-5f; };
  // Scaled by 2 along x, turned 90 degrees about z, moved by 10 along x.
  const SlicePlane& a = s.planes[0];
  EXPECT_TRUE(near(a.point, {10, 2, 0})) << a.point.x << " " << a.point.y << " " << a.point.z;
  EXPECT_TRUE(near(a.up, {-1, 0, 0}));
  EXPECT_TRUE(near(a.normal, {0, 0, 1}));
  EXPECT_NEAR(a.extent_x, 8.0f, 1e-5f);
  EXPECT_NEAR(a.extent_y, 2.0f, 1e-5f);
  // The inner group's scale first, then the outer translation.
  const SlicePlane& b = s.planes[1];
  EXPECT_TRUE(near(b.point, {2, 0, 5}));
  EXPECT_NEAR(b.extent_x, 8.0f, 1e-5f);
  EXPECT_NEAR(b.extent_y, 4.0f, 1e-5f);
  // A full matrix: row vectors, translation in the last row.
  EXPECT_TRUE(near(s.planes[2].point, {4, 4, 5}));
  EXPECT_TRUE(near(s.planes[2].up, {0, 1, 0}));
}

TEST(Scene, TransformedGroupsRefuseWhatTheyCannotPlace) {
  {
    Fixture f("app::scene::root::children = g\n"
              "app::scene::g::type = transformed_scene_group\n"
              "app::scene::g::translate = 1 0 0\n"
              "app::scene::g::children = vol\n" + // 5
              kRawVolume);
    const SceneDescription s = f.load();
    ASSERT_EQ(s.volumes.size(), 1u);
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_NE(s.warnings[0].find("not transformed"), std::string::npos) << s.warnings[0];
  }
  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = g\napp::scene::g::type = transformed_scene_group\n"
                            "app::scene::g::transform = 1 0 0 0 0 1 0 0 0 0 1 0 0 0 0\n"),
                      "scene.prj:4", "16");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = g\napp::scene::g::type = transformed_scene_group\n"
                            "app::scene::g::transform = 1 0 0 1 0 1 0 0 0 0 1 0 0 0 0 1\n"),
                      "scene.prj:4", "affine");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = g\napp::scene::g::type = transformed_scene_group\n"
                            "app::scene::g::scale = 1 0 1\n"),
                      "scene.prj:4", "zero");
}

TEST(Scene, ErrorsNameFileLineKeyAndValue) {
  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  {
    Fixture f("app::scene::root::children = x\napp::scene::x::type = sparse_volumes\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(3) + ": app::scene::x::type = 'sparse_volumes'",
                        "unknown node type");
  }
  {
    Fixture f("app::scene::root::children = a ghost\napp::scene::a::type = colormap\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(2) + ": app::scene::root::children = 'a ghost'",
                        "node 'ghost' is not defined");
  }
  {
    Fixture f("app::scene::root::children = g\napp::scene::g::type = static_scene_group\n"
              "app::scene::g::children = h\napp::scene::h::type = static_scene_group\napp::scene::h::children = g\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(6), "cycle: g -> h -> g");
  }
  {
    Fixture f("app::scene::root::children = vol\n" + kRawVolume + "app::scene::vol::input_file_base_name = gone\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(10) + ": app::scene::vol::input_directory + ",
                        "'data + gone'", "no such file", "gone.raw");
  }
  for (const std::string format : {"rgba8", "float32_4", "float32_2"}) { // IndeX's colour and vector voxels
    Fixture f("app::scene::root::children = vol\n" + kRawVolume + "app::scene::vol::voxel_format = " + format + "\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(10) + ": app::scene::vol::voxel_format = '" + format + "'",
                        format + " volumes are not supported", "scalar volumes");
  }
  { // Older scenes spell it `format` (a public generator writes float32_4 vector fields so).
    std::string older = kRawVolume;
    older.replace(older.find("voxel_format = uint16"), 21, "format = float32_4");
    Fixture f("app::scene::root::children = vol\n" + older);
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(8) + ": app::scene::vol::format = 'float32_4'",
                        "float32_4 volumes are not supported");
  }
  {
    // A bbox larger than the file: the raw reader's size check, prefixed with the key that named the file.
    Fixture f("app::scene::root::children = vol\n" + kRawVolume + "app::scene::vol::bbox = 0 0 0 4 3 3\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(6) + ": app::scene::vol::input_file_base_name = 'vol'",
                        "truncated", "expected 72 bytes", "has 48 bytes");
  }
  {
    Fixture f("app::scene::root::children = vol\n" + kRawVolume + "app::scene::vol::bbox = 0 0 0 4 3\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(10) + ": app::scene::vol::bbox = '0 0 0 4 3'",
                        "expected 6 integers");
  }
  {
    Fixture f("app::scene::root::children = vol\n" + kRawVolume + "app::scene::vol::importer = magic\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(10) + ": app::scene::vol::importer = 'magic'",
                        "unknown importer");
  }
  {
    Fixture f(
        "app::colormap::file_0 = bad.cmap\n"
        "app::scene::root::children = c\napp::scene::c::type = colormap\napp::scene::c::map_type = lookup_table\n");
    test::write_text(f.dir.file("bad.cmap"), "1 2 3\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(2) + ": app::colormap::file_0 = 'bad.cmap'", "bad.cmap:1",
                        "4 numbers");
  }
  {
    Fixture f("app::colormap::file_0 = a.cmap\napp::scene::root::children = c\napp::scene::c::type = colormap\n"
              "app::scene::c::map_index = 3\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(5) + ": app::scene::c::map_index = '3'",
                        "app::colormap::file_3");
  }
  {
    Fixture f("app::scene::root::children = c\napp::scene::c::type = colormap\napp::scene::c::map_type = data\n"
              "app::scene::c::size = 2\napp::scene::c::data << (END)\n0 0 0 0\n1 1 1\n(END)\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(6) + ": app::scene::c::data = '0 0 0 0\n1 1 1'",
                        "expected size x 4 = 8 numbers", "got 7");
  }
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = p\napp::scene::p::type = sparse_volume_rendering_properties\n"
                            "app::scene::p::filter_mode = bicubic\n"),
                      ":4: app::scene::p::filter_mode = 'bicubic'", "unknown filter_mode");
  EXPECT_CONTAINS_ALL(error("index::camera::dir = 0 0 0\n"), ":2: index::camera::dir = '0 0 0'", "zero");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = s\napp::scene::s::type = sparse_volume\n"
                            "app::scene::s::generator = nebula\napp::scene::s::size = 8\n"),
                      ":4: app::scene::s::generator = 'nebula'", "unknown synthetic volume");
}

// IndeX's seismic scenes with slices (NVIDIA's public Parihaka scenes): index::scaling 1 1 2 with
// the region of interest, the volume's bbox and the planes all in the scene's object space; a
// colormap of the planes' own in their group; a light with intensity `1 -1 0`.
TEST(Scene, ARegionOfInterestPlanesColormapAndLightAsIndeXsSeismicScenesWriteThem) {
  const std::string planes_group = "app::scene::surfaces::type = static_scene_group\n"
                                   "app::scene::surfaces::children = plane_cmap light across along\n"
                                   "app::scene::plane_cmap::type = colormap\n"
                                   "app::scene::plane_cmap::preset = grayscale\n"
                                   "app::scene::plane_cmap::domain = 0.37 0.6\n"
                                   "app::scene::light::type = directional_headlight\n"
                                   "app::scene::light::direction = 0 1 -1\n"
                                   "app::scene::light::intensity = 1 -1 0\n"
                                   "app::scene::across::type = plane\n"
                                   "app::scene::across::position = 0 0 1\n"
                                   "app::scene::across::normal = 0 0 1\n"
                                   "app::scene::across::up = 0 1 0\n"
                                   "app::scene::across::extent = 4 3\n"
                                   "app::scene::along::type = plane\n"
                                   "app::scene::along::position = 2 0 0\n"
                                   "app::scene::along::normal = 1 0 0\n"
                                   "app::scene::along::up = 0 1 0\n"
                                   "app::scene::along::extent = 2 3\n";
  Fixture f("app::scene::root::children = cmap vol surfaces\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::preset = viridis\n"
            "app::scene::cmap::domain = 0.3 0.645\n"
            "index::scaling = 1 1 2\n"
            "index::translation = 10 0 0\n"
            "index::region_of_interest = 1 0 0.5 4 3 1.5\n" +
            kRawVolume + planes_group);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(s.warnings[0], "light::intensity = '1 -1 0'", "a negative intensity counts as 0");
  // The region in scene space, placed like the bbox: z doubled, x moved by 10.
  const RenderSettings r = render_settings(s, s.volumes.front());
  EXPECT_EQ(r.region_of_interest, (Box3f{{11, 0, 1}, {14, 3, 3}}));
  EXPECT_EQ(object_region_of_interest(s, r.region_of_interest), (Box3f{{1, 0, 0.5f}, {4, 3, 1.5f}}));
  EXPECT_EQ(r.translation, (Vec3f{10, 0, 0}));
  EXPECT_EQ(r.scaling, (Vec3f{1, 1, 2}));
  // Both planes show the values through the colormap in scope at them, not the volume's.
  ASSERT_EQ(s.planes.size(), 2u);
  ASSERT_EQ(s.plane_colormaps.size(), 2u);
  for (const auto& c : s.plane_colormaps) {
    ASSERT_TRUE(c);
    EXPECT_EQ(c->id, "plane_cmap");
    EXPECT_TRUE(c->domain_given);
    EXPECT_EQ(c->colormap.domain_min, 0.37f);
    EXPECT_EQ(c->colormap.entries, colormap_preset("grayscale").entries);
  }
  EXPECT_EQ(s.volumes.front().colormap_id, "cmap");
  {
    // Planes after the volume's colormap and no other: the volume's (a client's edit reaches them).
    Fixture g("app::scene::root::children = cmap vol across\n"
              "app::scene::cmap::type = colormap\n"
              "app::scene::cmap::preset = viridis\n" +
              kRawVolume + planes_group);
    const SceneDescription same = g.load();
    ASSERT_EQ(same.plane_colormaps.size(), 1u);
    ASSERT_TRUE(same.plane_colormaps[0]);
    EXPECT_EQ(same.plane_colormaps[0]->id, same.volumes.front().colormap_id);
  }
  {
    // A plane with no colormap in scope: the volumes' own.
    Fixture g("app::scene::root::children = vol along\n" + kRawVolume + planes_group);
    const SceneDescription none = g.load();
    ASSERT_EQ(none.plane_colormaps.size(), 1u);
    EXPECT_FALSE(none.plane_colormaps[0]);
  }
  {
    // Planes under two colormaps: each through its own, as IndeX draws them, and no warning.
    Fixture g("app::scene::root::children = vol surfaces other\n"
              "app::scene::other::type = static_scene_group\n"
              "app::scene::other::children = cmap across2\n"
              "app::scene::cmap::type = colormap\n"
              "app::scene::cmap::preset = viridis\n"
              "app::scene::across2::type = plane\n"
              "app::scene::across2::point = 0 0 1.5\n"
              "app::scene::across2::normal = 0 0 1\n"
              "app::scene::across2::up = 0 1 0\n"
              "app::scene::across2::extent = 4 3\n" +
              kRawVolume + planes_group);
    const SceneDescription two = g.load();
    ASSERT_EQ(two.plane_colormaps.size(), 3u);
    EXPECT_EQ(two.plane_colormaps[0]->id, "plane_cmap");
    EXPECT_EQ(two.plane_colormaps[1]->id, "plane_cmap");
    EXPECT_EQ(two.plane_colormaps[2]->id, "cmap");
    EXPECT_EQ(two.plane_colormaps[2]->colormap.entries, colormap_preset("viridis").entries);
    ASSERT_EQ(two.warnings.size(), 1u) << "the light's only";
  }
}

// The seismic scenes' planes run a surface sample program in their group, with the volume mapped to
// a slot by a mapping at the root (NVIDIA's Parihaka slices scene draws grid lines so).
TEST(Scene, PlanesTakeTheSurfaceProgramInScopeWithItsSlotsAndBuffers) {
  const std::string planes_group = "app::scene::surfaces::type = static_scene_group\n"
                                   "app::scene::surfaces::children = params grid across\n"
                                   "app::scene::params::type = rendering_kernel_program_parameters\n"
                                   "app::scene::params::buffer_0 = 1 2 3 -250\n"
                                   "app::scene::grid::type = rendering_kernel_program\n"
                                   "app::scene::grid::target = surface_sample_program\n"
                                   "app::scene::grid::source_string = // grid lines\n"
                                   "app::scene::across::type = plane\n"
                                   "app::scene::across::position = 0 0 1\n"
                                   "app::scene::across::normal = 0 0 1\n"
                                   "app::scene::across::up = 0 1 0\n"
                                   "app::scene::across::extent = 4 3\n";
  Fixture f("app::scene::root::children = mapping cmap vol surfaces\n"
            "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
            "app::scene::mapping::0 = 0\n"
            "app::scene::mapping::1 = vol\n"
            "app::scene::mapping::7 = cmap\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::preset = viridis\n" +
            kRawVolume + planes_group);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.surface_programs.size(), 1u);
  ASSERT_EQ(s.plane_programs, (std::vector<std::optional<size_t>>{0}));
  const ProgramDesc& grid = s.surface_programs[0].program;
  EXPECT_EQ(grid.id, "grid");
  EXPECT_EQ(grid.text, "// grid lines");
  EXPECT_FALSE(s.volumes.front().program) << "a surface program is not the volume's";
  ASSERT_EQ(grid.buffers.count(0), 1u);
  EXPECT_EQ(grid.buffers.at(0).size(), 16u);
  const std::vector<ProgramSlotDesc>& slots = s.surface_programs[0].slots;
  ASSERT_EQ(slots.size(), 2u) << "slot 0 names no node and stays unmapped";
  EXPECT_EQ(slots[0].slot, 1);
  EXPECT_EQ(slots[0].volume, std::optional<size_t>(0));
  EXPECT_EQ(slots[1].slot, 7);
  EXPECT_FALSE(slots[1].volume);
  EXPECT_EQ(slots[1].colormap.entries, colormap_preset("viridis").entries);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(s.warnings[0], "mapping::0", "slot 0 stays unmapped");
  {
    // Each plane runs the program in scope at it: a plane in another group runs that group's, a
    // plane outside both none; planes under one program node and its buffers share one program.
    std::string two_planes_group = planes_group;
    const std::string one_child = "children = params grid across\n";
    two_planes_group.replace(two_planes_group.find(one_child), one_child.size(),
                             "children = params grid across across_again\n");
    Fixture g("app::scene::root::children = vol surfaces other bare\n"
              "app::scene::bare::type = plane\n"
              "app::scene::bare::point = 0 1 0\n"
              "app::scene::bare::normal = 0 1 0\n"
              "app::scene::bare::up = 0 0 1\n"
              "app::scene::bare::extent = 2 3\n"
              "app::scene::across_again::type = plane\n"
              "app::scene::across_again::point = 0 0 2\n"
              "app::scene::across_again::normal = 0 0 1\n"
              "app::scene::across_again::up = 0 1 0\n"
              "app::scene::across_again::extent = 4 3\n"
              "app::scene::other::type = static_scene_group\n"
              "app::scene::other::children = plain along\n"
              "app::scene::plain::type = rendering_kernel_program\n"
              "app::scene::plain::target = surface_sample_program\n"
              "app::scene::plain::source_string = // plain\n"
              "app::scene::along::type = plane\n"
              "app::scene::along::position = 2 0 0\n"
              "app::scene::along::normal = 1 0 0\n"
              "app::scene::along::up = 0 1 0\n"
              "app::scene::along::extent = 2 3\n" +
              kRawVolume + two_planes_group);
    const SceneDescription two = g.load();
    ASSERT_EQ(two.surface_programs.size(), 2u);
    EXPECT_EQ(two.surface_programs[0].program.id, "grid");
    EXPECT_EQ(two.surface_programs[0].program.buffers.count(0), 1u);
    EXPECT_EQ(two.surface_programs[1].program.id, "plain");
    EXPECT_TRUE(two.surface_programs[1].program.buffers.empty()) << "the other group's scope has no buffer";
    EXPECT_EQ(two.plane_programs, (std::vector<std::optional<size_t>>{0, 0, 1, std::nullopt}))
        << "across, across_again, along, bare";
    EXPECT_TRUE(two.warnings.empty()) << two.warnings.front();
  }
}

// Where volumes mix per sample a surface program's slots read the volumes mapped to them, the mix's
// first and the others alike: both slots resolve, and nothing is warned about.
TEST(Scene, ASurfaceProgramSlotWhereVolumesAreMixedReadsItsVolume) {
  Fixture f("app::scene::root::children = a b surfaces\n"
            "app::scene::a::type = sparse_volume\n"
            "app::scene::a::importer = synthetic\n"
            "app::scene::a::generator = sphere\n"
            "app::scene::a::size = 8\n"
            "app::scene::b::type = sparse_volume\n"
            "app::scene::b::importer = synthetic\n"
            "app::scene::b::generator = marschner-lobb\n"
            "app::scene::b::size = 8\n"
            "app::scene::surfaces::type = static_scene_group\n"
            "app::scene::surfaces::children = mapping grid across\n"
            "app::scene::mapping::type = rendering_kernel_program_scene_element_mapping\n"
            "app::scene::mapping::1 = b\n"
            "app::scene::mapping::2 = a\n"
            "app::scene::grid::type = rendering_kernel_program\n"
            "app::scene::grid::target = surface_sample_program\n"
            "app::scene::grid::source_string = // grid lines\n"
            "app::scene::across::type = plane\n"
            "app::scene::across::point = 0 0 4\n"
            "app::scene::across::normal = 0 0 1\n"
            "app::scene::across::up = 0 1 0\n"
            "app::scene::across::extent = 8 8\n");
  const SceneDescription s = f.load();
  ASSERT_EQ(mix_leads(s), (std::vector<size_t>{0, 0}));
  ASSERT_EQ(s.surface_programs.size(), 1u);
  ASSERT_EQ(s.surface_programs[0].slots.size(), 2u);
  EXPECT_EQ(s.surface_programs[0].slots[0].slot, 1);
  EXPECT_EQ(s.surface_programs[0].slots[0].volume, std::optional<size_t>(1)) << "slot 1: b";
  EXPECT_EQ(s.surface_programs[0].slots[1].volume, std::optional<size_t>(0)) << "slot 2: a";
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
}

TEST(Scene, PlanesAreParsedPlacedAndCheckedLikeIndeXs) {
  Fixture f("app::scene::root::children = vol slice tilted\n" + kRawVolume +
            "app::scene::slice::type = plane\n"
            "app::scene::slice::point = 1 2 0.5\n"
            "app::scene::slice::normal = 0 0 2\n"
            "app::scene::slice::up = 0 1 1\n" // not orthogonal to the normal: its part in the plane
            "app::scene::slice::extent = 4 3\n"
            "app::scene::slice::pickable = true\n"
            "app::scene::tilted::type = plane\n"
            "app::scene::tilted::point = 0 0 0\n"
            "app::scene::tilted::normal = 1 0 0\n"
            "app::scene::tilted::up = 0 0 1\n"
            "app::scene::tilted::extent = 2 5\n"
            "index::scaling = 2 2 2\n"
            "index::translation = 10 0 0\n");
  const SceneDescription scene = f.load();
  ASSERT_EQ(scene.planes.size(), 2u);
  const SlicePlane& p = scene.planes[0];
  EXPECT_TRUE(p.point == (Vec3f{1, 2, 0.5f}));
  EXPECT_TRUE(p.normal == (Vec3f{0, 0, 1}));
  EXPECT_TRUE(p.up == (Vec3f{0, 1, 0}));
  EXPECT_EQ(p.extent_x, 4.0f);
  EXPECT_EQ(p.extent_y, 3.0f);
  EXPECT_EQ(scene.warnings.size(), 1u) << "pickable: known to IndeX, ignored here";
  // Placed like the volume: scene = object * scaling + translation.
  const RenderSettings r = render_settings(scene, scene.volumes.front());
  ASSERT_EQ(r.plane_count, 2);
  EXPECT_TRUE(r.planes[0].point == (Vec3f{12, 4, 1}));
  EXPECT_TRUE(r.planes[0].normal == (Vec3f{0, 0, 1}) && r.planes[0].up == (Vec3f{0, 1, 0}));
  EXPECT_EQ(r.planes[0].extent_x, 8.0f);
  EXPECT_EQ(r.planes[0].extent_y, 6.0f);
  EXPECT_TRUE(r.planes[1].normal == (Vec3f{1, 0, 0}));

  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  const std::string plane = "app::scene::root::children = p\napp::scene::p::type = plane\n"
                            "app::scene::p::point = 0 0 0\n";
  EXPECT_CONTAINS_ALL(error(plane + "app::scene::p::normal = 0 0 0\napp::scene::p::up = 0 1 0\n"
                                    "app::scene::p::extent = 1 1\n"),
                      ":5: app::scene::p::normal = '0 0 0'", "must not be zero");
  EXPECT_CONTAINS_ALL(error(plane + "app::scene::p::normal = 0 0 1\napp::scene::p::up = 0 0 3\n"
                                    "app::scene::p::extent = 1 1\n"),
                      ":6: app::scene::p::up = '0 0 3'", "along its normal");
  EXPECT_CONTAINS_ALL(error(plane + "app::scene::p::normal = 0 0 1\napp::scene::p::up = 0 1 0\n"
                                    "app::scene::p::extent = 1 -1\n"),
                      ":7: app::scene::p::extent = '1 -1'", "two positive sizes");
  EXPECT_CONTAINS_ALL(error(plane + "app::scene::p::normal = 0 0 1\napp::scene::p::up = 0 1 0\n"),
                      "plane node 'p' needs 'extent'");
}

TEST(Scene, ScenesOfOlderIndexViewersLoadWithTheirSpellingsAndNodeTypes) {
  // IndeX's 2017 viewer: a plane called quad with its corner in `position`, a volume's bounds in
  // `box`, its procedural jet colormap, a clip_region node, and node types libindex does not build.
  Fixture f("app::scene::root::children = jet clip g shapes vol q\n" // 2
            "app::scene::jet::type = colormap\n"                     // 3
            "app::scene::jet::map_type = procedural\n"               // 4
            "app::scene::jet::map_name = jet\n"                      // 5
            "app::scene::jet::map_size = 4\n"                        // 6
            "app::scene::clip::type = clip_region\n"                 // 7
            "app::scene::clip::bbox = 1 0.5 -10 3 10 10\n"           // 8
            "app::scene::g::type = static_scene_group\n"             // 9
            "app::scene::g::children = inner\n"                      // 10
            "app::scene::inner::type = clip_region\n"                // 11: stays inside g
            "app::scene::inner::bbox = 0 0 0 1 1 1\n"                // 12
            "app::scene::shapes::type = static_scene_group\n"        // 13
            "app::scene::shapes::children = ball light look text\n"  // 14
            "app::scene::ball::type = sphere\n"                      // 15
            "app::scene::light::type = directional_light\n"          // 16
            "app::scene::look::type = volume_rendering_properties\n" // 17
            "app::scene::text::type = label_3d\n"                    // 18
            "app::scene::vol::type = sparse_volume\n"                // 19
            "app::scene::vol::importer = raw\n"                      // 20
            "app::scene::vol::input_directory = data\n"              // 21
            "app::scene::vol::input_file_base_name = vol\n"          // 22
            "app::scene::vol::input_file_extension = .raw\n"         // 23
            "app::scene::vol::voxel_format = uint16\n"               // 24
            "app::scene::vol::box = 0 0 0 4 3 2\n"                   // 25
            "app::scene::vol::zyx_to_xyz = true\n"                   // z fastest in the file
            "app::scene::q::type = quad\n"                           // 26
            "app::scene::q::position = 1 2 0.5\n"                    // 27
            "app::scene::q::normal = 0 0 1\n"                        // 28
            "app::scene::q::up = 0 1 0\n"                            // 29
            "app::scene::q::extent = 4 3\n");                        // 30
  const SceneDescription s = f.load();
  for (const auto& w : s.warnings) SCOPED_TRACE(w);
  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  EXPECT_TRUE(v.bbox == (Box3i{{0, 0, 0}, {4, 3, 2}}));
  EXPECT_NE(v.source->describe().find(" zyx"), std::string::npos) << v.source->describe();
  // x from 1 to 3; y rounded out from 0.5 to 0, and only the volume's 3; z all of it.
  EXPECT_TRUE(v.clip_region == (Box3i{{1, 0, 0}, {3, 3, 2}})) << "the group's clip region stays inside it";
  ASSERT_EQ(v.colormap.entries.size(), 4u);
  const Vec4f jet[4] = {{0, 0, 1, 1}, {0, 1, 1, 1}, {1, 1, 0, 1}, {1, 0, 0, 1}}; // at t = 1/8, 3/8, 5/8, 7/8
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(v.colormap.entries[size_t(i)] == jet[i]) << i;
  ASSERT_EQ(s.planes.size(), 1u);
  EXPECT_TRUE(s.planes[0].point == (Vec3f{1, 2, 0.5f}));
  EXPECT_EQ(s.planes[0].extent_x, 4.0f);
  ASSERT_EQ(s.warnings.size(), 4u) << "one for each node type libindex does not build";
  for (int line : {15, 16, 17, 18}) {
    bool found = false;
    for (const auto& w : s.warnings)
      found = found || (w.find(f.at(line) + ":") == 0 && w.find("ignored") != std::string::npos);
    EXPECT_TRUE(found) << line;
  }

  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = c\napp::scene::c::type = colormap\n"
                            "app::scene::c::map_type = procedural\napp::scene::c::map_name = hot\n"),
                      "scene.prj:5", "'hot'", "jet");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = c vol\napp::scene::c::type = clip_region\n"
                            "app::scene::c::bbox = 10 10 10 20 20 20\n" +
                            kRawVolume),
                      "scene.prj:4", "leaves nothing of volume 'vol'");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = c\napp::scene::c::type = clip_region\n"
                            "app::scene::c::bbox = 1 1 1 0 2 2\n"),
                      "scene.prj:4", "empty");
}

TEST(Scene, ABboxWithSizeStretchesTheVolumeOverItAsIndexDoes) {
  // 4x3x2 voxels over the box x 10..18, y 0..3, z 0..4: voxels 2 x 1 x 2 apart, voxel 0 at x = 10.
  const std::string stretched = "app::scene::root::children = clip vol\n"
                                "app::scene::clip::type = clip_region\n"
                                "app::scene::clip::bbox = 12 0 0 14 3 4\n" +
                                kRawVolume + "app::scene::vol::size = 4 3 2\n";
  Fixture f(stretched + "app::scene::vol::bbox = 10 0 0 18 3 4\n");
  const SceneDescription s = f.load();
  for (const auto& w : s.warnings) ADD_FAILURE() << w;
  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  EXPECT_TRUE(v.bbox == (Box3i{{0, 0, 0}, {4, 3, 2}}));
  EXPECT_TRUE(v.spacing == (Vec3f{2, 1, 2}));
  EXPECT_TRUE(v.clip_region == (Box3i{{1, 0, 0}, {2, 3, 2}})) << "x 12..14 is voxel 1 alone";
  const RenderSettings r = render_settings(s, v);
  EXPECT_TRUE(r.scaling == (Vec3f{2, 1, 2}));
  EXPECT_TRUE(r.translation == (Vec3f{10, 0, 0}));
  // The same placement as the unstretched volume under index::scaling and index::translation.
  const SceneDescription scaled =
      Fixture("app::scene::root::children = vol\nindex::scaling = 2 1 2\nindex::translation = 10 0 0\n" + kRawVolume)
          .load();
  EXPECT_TRUE(same_placement(r, render_settings(scaled, scaled.volumes.at(0))));
  // A fractional box, as IndeX allows.
  const VolumeDesc q = Fixture(kRawVolume + "app::scene::root::children = vol\napp::scene::vol::size = 4 3 2\n"
                                            "app::scene::vol::bbox = 0 0 0 1 0.75 0.5\n")
                           .load()
                           .volumes[0];
  EXPECT_TRUE(q.spacing == (Vec3f{0.25f, 0.25f, 0.25f}));
  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  EXPECT_CONTAINS_ALL(error(stretched + "app::scene::vol::bbox = 10 0 0 10 3 4\n"), "the bbox is empty");
  EXPECT_CONTAINS_ALL(error(stretched + "app::scene::vol::bbox = 0 0 0 3e38 3e38 3e38\n"), "finite");
  EXPECT_CONTAINS_ALL(error(stretched + "app::scene::vol::bbox = 0 0 0 1e-30 1 1\n"), "1e-20");
  EXPECT_CONTAINS_ALL(error(stretched + "app::scene::vol::bbox = -3e38 0 0 3e38 1 1\n"), "finite");
}

TEST(Scene, ANaNColourOutsideTheUnitRangeIsAnError) {
  auto error = [](const std::string& body) { return error_of([&] { Fixture(body).load(); }); };
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = c\napp::scene::c::type = colormap\n"
                            "app::scene::c::nan_color = 1 0 0 2\n"),
                      "scene.prj:4", "nan_color values must be in [0, 1]");
  EXPECT_CONTAINS_ALL(error("app::scene::root::children = c\napp::scene::c::type = colormap\n"
                            "app::scene::c::nan_color = 1 0 0\n"),
                      "scene.prj:4");
}

TEST(Scene, DataColormapPresetAndRawOptions) {
  Fixture f("app::scene::root::children = c vol\n"
            "app::scene::c::type = colormap\n"
            "app::scene::c::map_type = data\n"
            "app::scene::c::size = 3\n"
            "app::scene::c::domain_boundary_mode = clamp_to_transparent\n"
            "app::scene::c::nan_color = 1 0.5 0 0.25\n"
            "app::scene::c::data << (END)\n"
            "0 0 0 0\n"
            "0.5 0.25 0 0.5\n"
            "1 1 1 1\n"
            "(END)\n" +
            kRawVolume +
            "app::scene::vol::importer = nv::index::plugin::base_importer.Sparse_volume_importer_raw\n"
            "app::scene::vol::convert_zyx_to_xyz = true\n"
            "app::scene::vol::endian = big\n"
            "app::scene::vol::name = The volume\n"
            "app::scene::vol::unit = kg/m^3\n"
            "app::scene::vol::bbox = 10 20 30 14 23 32\n"
            "app::scene::vol::clip_region = 11 20 30 20 22 40\n");
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  ASSERT_EQ(v.colormap.entries.size(), 3u);
  EXPECT_FLOAT_EQ(v.colormap.entries[1].y, 0.25f);
  EXPECT_EQ(v.colormap.mode, BoundaryMode::clamp_to_transparent);
  EXPECT_EQ(v.colormap.nan_color, (Vec4f{1, 0.5f, 0, 0.25f}));
  EXPECT_EQ(v.importer, "raw");
  EXPECT_EQ(v.name, "The volume");
  EXPECT_EQ(v.unit, "kg/m^3");
  EXPECT_NE(v.source->describe().find("zyx"), std::string::npos);
  EXPECT_NE(v.source->describe().find("big-endian"), std::string::npos);
  EXPECT_EQ(v.bbox, (Box3i{{10, 20, 30}, {14, 23, 32}}));
  EXPECT_EQ(v.clip_region, (Box3i{{1, 0, 0}, {4, 2, 2}})) << "bbox coordinates, clipped, relative to the source";
  EXPECT_FLOAT_EQ(render_settings(s, v).translation.y, 20.0f);

  Fixture p("app::scene::root::children = c\napp::scene::c::type = colormap\napp::scene::c::preset = viridis\n");
  EXPECT_TRUE(p.load().warnings.empty());
  EXPECT_CONTAINS_ALL(
      error_of([] {
        Fixture("app::scene::root::children = c\napp::scene::c::type = colormap\napp::scene::c::preset = nope\n")
            .load();
      }),
      ":4: app::scene::c::preset = 'nope'", "unknown colormap preset");
}

TEST(Scene, TimeSeriesOpensEachStepOnDemand) {
  Fixture f("app::scene::root::children = ts\n"
            "app::scene::ts::type = sparse_volume\n"
            "app::scene::ts::input_file = steps/step_%03d.raw\n"
            "app::scene::ts::voxel_format = uint8\n"
            "app::scene::ts::bbox = 0 0 0 2 2 1\n"
            "app::scene::ts::time_steps = 3 5\n");
  std::filesystem::create_directory(f.dir.file("steps"));
  for (int step = 3; step <= 4; ++step) {
    const uint8_t v[4] = {uint8_t(step), 1, 2, 3};
    test::write_bytes(f.dir.file("steps/step_00" + std::to_string(step) + ".raw"), v, 4);
  }
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  EXPECT_EQ(v.time_first, 3);
  EXPECT_EQ(v.time_last, 5);
  EXPECT_EQ(v.importer, "raw") << "told from the .raw extension";
  EXPECT_EQ(v.source->read(v.source->box()).data<uint8_t>()[0], 3);
  EXPECT_EQ(v.open_step(4)->read(v.source->box()).data<uint8_t>()[0], 4);
  EXPECT_CONTAINS_ALL(error_of([&] { v.open_step(5); }), f.at(4) + ": app::scene::ts::input_file", "step_005.raw");
  EXPECT_CONTAINS_ALL(error_of([&] { v.open_step(9); }), "time step 9 is outside time_steps 3..5");

  Fixture g("app::scene::root::children = ts\napp::scene::ts::type = sparse_volume\n"
            "app::scene::ts::input_file = data/vol.raw\napp::scene::ts::time_steps = 0 1\n");
  EXPECT_CONTAINS_ALL(error_of([&] { g.load(); }), g.at(4), "step number");
}

// IndeX's importers number a series' files themselves: base name, then offset + step x stride in
// `length` digits, then the extension. The steps are as many as there are files in a row, or
// nb_time_steps.
TEST(Scene, IndexNumberedTimeStepFilesFollowTheBaseName) {
  const std::string volume = "app::scene::root::children = ts\n"
                             "app::scene::ts::type = sparse_volume\n"
                             "app::scene::ts::importer = raw\n"
                             "app::scene::ts::input_directory = steps\n"
                             "app::scene::ts::input_file_base_name = density_\n"
                             "app::scene::ts::input_file_extension = .raw\n"
                             "app::scene::ts::voxel_format = uint8\n"
                             "app::scene::ts::bbox = 0 0 0 2 2 1\n"
                             "app::scene::ts::input_time_step_enum_length = 4\n"
                             "app::scene::ts::input_time_step_enum_stride = 5\n"
                             "app::scene::ts::input_time_step_enum_offset = 10\n";
  Fixture f(volume);
  std::filesystem::create_directory(f.dir.file("steps"));
  for (int number : {10, 15, 20, 30}) { // 25 is missing: the series ends at 20
    const uint8_t v[4] = {uint8_t(number), 1, 2, 3};
    test::write_bytes(f.dir.file("steps/density_00" + std::to_string(number) + ".raw"), v, 4);
  }
  const SceneDescription s = f.load();
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
  ASSERT_EQ(s.volumes.size(), 1u);
  const VolumeDesc& v = s.volumes[0];
  EXPECT_EQ(v.time_first, 0);
  EXPECT_EQ(v.time_last, 2);
  EXPECT_EQ(v.source->read(v.source->box()).data<uint8_t>()[0], 10);
  EXPECT_EQ(v.open_step(1)->read(v.source->box()).data<uint8_t>()[0], 15);
  EXPECT_EQ(v.open_step(2)->read(v.source->box()).data<uint8_t>()[0], 20);

  Fixture counted(volume + "app::scene::ts::nb_time_steps = 5\n");
  std::filesystem::create_directory(counted.dir.file("steps"));
  for (int number : {10, 15, 20, 25, 30}) {
    const uint8_t v[4] = {uint8_t(number), 1, 2, 3};
    test::write_bytes(counted.dir.file("steps/density_00" + std::to_string(number) + ".raw"), v, 4);
  }
  const SceneDescription c = counted.load();
  EXPECT_EQ(c.volumes.at(0).time_last, 4);
  EXPECT_EQ(c.volumes[0].open_step(4)->read(c.volumes[0].source->box()).data<uint8_t>()[0], 30);

  Fixture none(volume); // no first file: the error names the file it looked for
  EXPECT_CONTAINS_ALL(error_of([&] { none.load(); }), "no such file", "density_0010.raw");
  Fixture bad(volume + "app::scene::ts::input_time_step_enum_stride = 0\n");
  EXPECT_CONTAINS_ALL(error_of([&] { bad.load(); }), "input_time_step_enum_stride", "at least 1");
}

// Found with fuzz_project_file (each was undefined behaviour or a 2 GB allocation before): a
// colormap size whose x 4 overflows int, a clip region far from a bbox far out, and a step
// directive of a billion characters or more digits than an int holds.
TEST(Scene, HostileNumbersAreErrorsNotOverflows) {
  {
    Fixture f("app::scene::root::children = c\napp::scene::c::type = colormap\napp::scene::c::map_type = data\n"
              "app::scene::c::size = 1000000000\napp::scene::c::data = 0 0 0 0\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(6) + ": app::scene::c::data",
                        "expected size x 4 = 4000000000 numbers", "got 4");
  }
  {
    Fixture f("app::scene::root::children = s\napp::scene::s::type = sparse_volume\n"
              "app::scene::s::generator = sphere\napp::scene::s::size = 4\n"
              "app::scene::s::bbox = -2147483000 0 0 -2147482996 4 4\n"
              "app::scene::s::clip_region = 2147483000 0 0 2147483001 1 1\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(7) + ": app::scene::s::clip_region", "does not overlap");
    // Far out but overlapping: relative to the source, as before.
    Fixture g("app::scene::root::children = s\napp::scene::s::type = sparse_volume\n"
              "app::scene::s::generator = sphere\napp::scene::s::size = 4\n"
              "app::scene::s::bbox = -2147483000 0 0 -2147482996 4 4\n"
              "app::scene::s::clip_region = -2147483648 1 1 -2147482998 2147483647 3\n");
    EXPECT_EQ(g.load().volumes.at(0).clip_region, (Box3i{{0, 1, 1}, {2, 4, 3}}));
  }
  const std::string series = "app::scene::root::children = ts\napp::scene::ts::type = sparse_volume\n"
                             "app::scene::ts::voxel_format = uint8\napp::scene::ts::bbox = 0 0 0 2 2 1\n"
                             "app::scene::ts::time_steps = 0 1\n";
  for (const char* directive : {"%0999999999d", "%99999999999d", "%065d"}) {
    Fixture f(series + "app::scene::ts::input_file = step_" + directive + ".raw\n");
    EXPECT_CONTAINS_ALL(error_of([&] { f.load(); }), f.at(7) + ": app::scene::ts::input_file",
                        "is wider than 64 characters");
  }
  Fixture widest(series + "app::scene::ts::input_file = step_%064d.raw\n");
  EXPECT_CONTAINS_ALL(error_of([&] { widest.load(); }), "no such file", "step_" + std::string(64, '0') + ".raw");
}

TEST(Scene, RelativePathsTryTheProjectDirectoryThenTheWorkingDirectory) {
  Fixture f("app::scene::root::children = vol\n" + kRawVolume);
  const auto cwd = std::filesystem::current_path();
  // From elsewhere, the project's own directory is found.
  std::filesystem::current_path("/");
  EXPECT_EQ(f.load().volumes.size(), 1u);
  // A name that exists only relative to the working directory (IndeX's rule) is found too.
  TempDir other;
  std::filesystem::create_directory(other.file("elsewhere"));
  std::vector<uint16_t> v(24, 7);
  test::write_bytes(other.file("elsewhere/w.raw"), v.data(), v.size() * 2);
  std::filesystem::current_path(other.path());
  Fixture g("app::scene::root::children = w\napp::scene::w::type = sparse_volume\n"
            "app::scene::w::input_file = elsewhere/w.raw\napp::scene::w::voxel_format = uint16\n"
            "app::scene::w::bbox = 0 0 0 4 3 2\n");
  const auto s = g.load();
  std::filesystem::current_path(cwd);
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_EQ(s.volumes[0].source->read({{0, 0, 0}, {1, 1, 1}}).data<uint16_t>()[0], 7);
}

TEST(Scene, NodesFromJsonRpcUseTheSameBuilders) {
  // create_scene_element: an id, a type and string arguments named like the .prj attributes.
  Origin rpc;
  rpc.label = "JSON-RPC create_scene_element";
  SceneNode node;
  node.id = "sim";
  node.type = "sparse_volume";
  node.origin = rpc;
  node.attributes["importer"] = Value{"sim.importer", "synthetic", rpc};
  node.attributes["generator"] = Value{"sim.generator", "sphere", rpc};
  node.attributes["size"] = Value{"sim.size", "16", rpc};
  SceneNode cmap{"c", "colormap", rpc, {{"preset", Value{"c.preset", "plasma", rpc}}}, {}};
  SceneAttributes state;
  std::vector<std::string> warnings;
  apply_attribute_node(cmap, {}, state, warnings);
  const VolumeDesc v = build_volume(node, state, warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(v.source->box().size(), (Vec3i{16, 16, 16}));
  EXPECT_EQ(v.colormap_id, "c");
  node.attributes["size"].text = "0";
  EXPECT_CONTAINS_ALL(error_of([&] { build_volume(node, state, warnings); }),
                      "JSON-RPC create_scene_element: sim.size = '0'", "at least 1");
}

TEST(Scene, DefaultProjectIsBuiltIn) {
  const SceneDescription s = load_scene(default_project());
  EXPECT_TRUE(s.warnings.empty());
  ASSERT_EQ(s.volumes.size(), 1u);
  EXPECT_EQ(s.volumes[0].source->box().size(), (Vec3i{256, 256, 256}));
  EXPECT_NE(s.volumes[0].source->describe().find("supernova"), std::string::npos);
  ASSERT_TRUE(s.camera);
}

/// The scene of `keys` with the raw volume as the root's only child.
SceneDescription load_with_volume(const std::string& keys) {
  return Fixture(keys + "app::scene::root::children = vol\n" + kRawVolume).load();
}

/// The camera that the scene-placement tests turn: at (1, 2, 3), looking along -y, z up.
const std::string kCameraAlongMinusY =
    "index::camera::from = 1 2 3\nindex::camera::dir = 0 -1 0\nindex::camera::up = 0 0 1\n";

} // namespace

// index::global_transform (NVIDIA's public brain scene gives one), which IndeX takes instead of
// index::scaling and index::translation: its scaling and translation place the scene, and its
// rotation turns the file's camera into scene space.
TEST(Scene, AGlobalTransformPlacesTheSceneAndTurnsTheCamera) {
  const auto load = [](const std::string& matrix) {
    return load_with_volume("index::scaling = 3 3 3\nindex::global_transform = " + matrix + "\n" + kCameraAlongMinusY);
  };
  const SceneDescription identity = load("1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1");
  EXPECT_TRUE(identity.warnings.empty()) << identity.warnings.front();
  EXPECT_EQ(identity.scaling, (Vec3f{1, 1, 1})) << "the matrix, not index::scaling";
  EXPECT_EQ(identity.camera->from, (Vec3f{1, 2, 3}));
  const SceneDescription row = load("2 0 0 0 0 2 0 0 0 0 4 0 10 0 -5 1"); // translation in the last row
  EXPECT_EQ(row.scaling, (Vec3f{2, 2, 4}));
  EXPECT_EQ(row.translation, (Vec3f{10, 0, -5}));
  EXPECT_EQ(row.camera->dir, (Vec3f{0, -1, 0}));
  EXPECT_EQ(load("2 0 0 10 0 2 0 0 0 0 4 -5 0 0 0 1").translation, (Vec3f{10, 0, -5})) << "or in the last column";

  // Scale by (2, 2, 4), turn x to y about z, move by (10, 0, -5): object point (1, 0, 0) lands at
  // world (10, 2, -5). Scene space keeps the scaling and is world space turned back.
  const SceneDescription turned = load("0 2 0 0 -2 0 0 0 0 0 4 0 10 0 -5 1");
  EXPECT_TRUE(turned.warnings.empty()) << turned.warnings.front();
  EXPECT_EQ(turned.scaling, (Vec3f{2, 2, 4}));
  EXPECT_EQ(turned.translation, (Vec3f{0, -10, -5}));
  const Vec3f object_point_in_scene = Vec3f{1, 0, 0} * turned.scaling + turned.translation;
  Camera at_point;
  at_point.from = object_point_in_scene;
  EXPECT_EQ(camera_in_world_space(turned, at_point).from, (Vec3f{10, 2, -5}));
  EXPECT_EQ(turned.camera->from, (Vec3f{2, -1, 3}));
  EXPECT_EQ(turned.camera->dir, (Vec3f{-1, 0, 0}));
  EXPECT_EQ(turned.camera->up, (Vec3f{0, 0, 1}));
  EXPECT_EQ(camera_in_world_space(turned, *turned.camera).from, (Vec3f{1, 2, 3})) << "and back";
  // The same matrix written for column vectors (translation in the last column), and a turn of 30
  // degrees as a file gives it, to 7 digits.
  EXPECT_EQ(load("0 -2 0 10 2 0 0 0 0 0 4 -5 0 0 0 1").camera->from, (Vec3f{2, -1, 3}));
  const SceneDescription thirty = load("0.8660254 0.5 0 0 -0.5 0.8660254 0 0 0 0 1 0 0 0 0 1");
  EXPECT_TRUE(thirty.warnings.empty()) << thirty.warnings.front();
  EXPECT_NEAR(thirty.camera->dir.x, -0.5f, 1e-6f);
  EXPECT_NEAR(thirty.camera->dir.y, -0.8660254f, 1e-6f);

  for (const auto& [matrix, why] : {std::pair{"1 0.5 0 0 0 1 0 0 0 0 1 0 0 0 0 1", "shears"},
                                    std::pair{"-1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1", "flips"},
                                    std::pair{"1 0 0 0 0 0 0 0 0 0 1 0 0 0 0 1", "flattens"},
                                    std::pair{"1 0 0 1 0 1 0 0 0 0 1 0 5 0 0 1", "projects"}}) {
    const SceneDescription refused = load(matrix);
    ASSERT_EQ(refused.warnings.size(), 1u) << matrix;
    EXPECT_CONTAINS_ALL(refused.warnings[0], "index::global_transform", "not used", why);
    EXPECT_EQ(refused.scaling, (Vec3f{3, 3, 3})) << "index::scaling stays";
    EXPECT_EQ(refused.camera->from, (Vec3f{1, 2, 3})) << "the camera stays";
  }
  EXPECT_CONTAINS_ALL(error_of([&] { load("1 0 0 0 0 1 0 0 0 0 1 0"); }), "index::global_transform",
                      "expected 16 numbers");
}

// The scene root's own region_of_interest and global_transform (NVIDIA's public brain scene gives
// them beside the index:: keys): used when the index:: key is not given; with both, the index:: key
// wins, and a root key that says otherwise gets one warning.
TEST(Scene, TheRootsRegionAndTransformStandInForTheIndexKeys) {
  const SceneDescription root_only =
      load_with_volume("app::scene::root::region_of_interest = 1 2 3 4 5 6\n"
                       "app::scene::root::global_transform = 2 0 0 0 0 2 0 0 0 0 2 0 7 8 9 1\n");
  EXPECT_TRUE(root_only.warnings.empty()) << root_only.warnings.front();
  ASSERT_TRUE(root_only.region_of_interest);
  EXPECT_EQ(root_only.region_of_interest->lo, (Vec3f{1, 2, 3}));
  EXPECT_EQ(root_only.region_of_interest->hi, (Vec3f{4, 5, 6}));
  EXPECT_EQ(root_only.scaling, (Vec3f{2, 2, 2}));
  EXPECT_EQ(root_only.translation, (Vec3f{7, 8, 9}));

  const std::string identity = "1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1";
  const SceneDescription brain = load_with_volume( // as the brain scene writes them
      "index::region_of_interest = 0 0 0 5709 6570 1498\nindex::global_transform = " + identity +
      "\napp::scene::root::region_of_interest = 0 0 0 5710 6571 1499\napp::scene::root::global_transform = " +
      identity + "\n");
  EXPECT_EQ(brain.region_of_interest->hi, (Vec3f{5709, 6570, 1498}));
  EXPECT_EQ(brain.scaling, (Vec3f{1, 1, 1}));
  ASSERT_EQ(brain.warnings.size(), 1u) << "the equal transforms say nothing";
  EXPECT_CONTAINS_ALL(brain.warnings[0], "app::scene::root::region_of_interest", "not used",
                      "index::region_of_interest = 0 0 0 5709 6570 1498");
}

// IndeX's viewer without index::global_transform: index::scaling, the turns index::rotation_<i>
// ("axis angle", radians; the last applied first), then index::translation. A quarter turn about z
// is the matrix the test above turns the scene by; two turns compose as its viewer multiplies them.
TEST(Scene, IndeXsRotationKeysTurnTheSceneAsAGlobalTransformDoes) {
  const auto load = [](const std::string& keys) { return load_with_volume(keys + kCameraAlongMinusY); };
  const auto expect_same_placement = [](const SceneDescription& a, const SceneDescription& b) {
    EXPECT_TRUE(a.warnings.empty()) << a.warnings.front();
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(a.rotation_from_world[size_t(r)][c], b.rotation_from_world[size_t(r)][c], 1e-6f);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(a.scaling[c], b.scaling[c], 1e-6f);
      EXPECT_NEAR(a.translation[c], b.translation[c], 1e-5f);
      EXPECT_NEAR(a.camera->from[c], b.camera->from[c], 1e-5f);
      EXPECT_NEAR(a.camera->dir[c], b.camera->dir[c], 1e-6f);
    }
  };
  const SceneDescription quarter = load("index::scaling = 2 2 4\nindex::translation = 10 0 -5\n"
                                        "index::nb_rotations = 1\nindex::rotation_0 = 2 1.5707963\n");
  expect_same_placement(quarter, load("index::global_transform = 0 2 0 0 -2 0 0 0 0 0 4 0 10 0 -5 1\n"));
  EXPECT_NEAR(quarter.translation.y, -10.0f, 1e-5f);
  EXPECT_NEAR(quarter.camera->from.x, 2.0f, 1e-5f) << "the file's camera turned into scene space";
  // rotation_1 (x to y about z) first, then rotation_0 (y to z about x): x ends on z.
  expect_same_placement(load("index::nb_rotations = 2\nindex::rotation_0 = 0 1.5707963\n"
                             "index::rotation_1 = 2 1.5707963\n"),
                        load("index::global_transform = 0 0 1 0 -1 0 0 0 0 -1 0 0 0 0 0 1\n"));
  EXPECT_TRUE(load("index::nb_rotations = 0\n").warnings.empty());
  EXPECT_CONTAINS_ALL(error_of([&] { load("index::nb_rotations = 2\nindex::rotation_0 = 0 1\n"); }),
                      "index::nb_rotations", "index::rotation_1 is not given");
  EXPECT_CONTAINS_ALL(error_of([&] { load("index::nb_rotations = 1\nindex::rotation_0 = 3 1\n"); }),
                      "index::rotation_0", "axis 0, 1 or 2");
}

// Older IndeX projects: the canvas as index::window_resolution or index::camera::window_resolution,
// and the camera's index::camera::to (the point looked at), which IndeX's viewer still reads.
TEST(Scene, OlderIndeXKeysForTheCanvasAndTheCameraAreRead) {
  const auto load = load_with_volume;
  const SceneDescription window = load("index::window_resolution = 640 360\n");
  EXPECT_TRUE(window.warnings.empty()) << window.warnings.front();
  EXPECT_EQ(window.canvas_width, 640);
  EXPECT_EQ(window.canvas_height, 360);
  const SceneDescription camera_window = load("index::camera::window_resolution = 320 200\n");
  EXPECT_TRUE(camera_window.warnings.empty()) << camera_window.warnings.front();
  EXPECT_EQ(camera_window.canvas_width, 320);
  EXPECT_FALSE(camera_window.camera) << "the canvas's key makes no camera: the default one frames the volume";
  EXPECT_EQ(load("index::canvas_resolution = 100 100\nindex::window_resolution = 640 360\n").canvas_width, 100)
      << "index::canvas_resolution wins";
  const SceneDescription looking = load("index::camera::from = 1 2 3\nindex::camera::dir = 0 0 -1\n"
                                        "index::camera::to = 1 6 6\n");
  EXPECT_TRUE(looking.warnings.empty()) << looking.warnings.front();
  EXPECT_NEAR(looking.camera->dir.y, 0.8f, 1e-6f) << "towards 'to', over 'dir'";
  EXPECT_NEAR(looking.camera->dir.z, 0.6f, 1e-6f);
  EXPECT_CONTAINS_ALL(error_of([&] { load("index::camera::from = 1 2 3\nindex::camera::to = 1 2 3\n"); }),
                      "index::camera::to", "must differ");
}

// A camera aspect more than 1 % from the canvas's (a file's camera under another canvas given on the
// command line) would stretch the picture, and is not used.
TEST(Scene, ACameraAspectOtherThanTheCanvasIsNotUsed) {
  const auto load = [](const std::string& canvas, const std::string& aspect = "1") {
    return load_with_volume("index::canvas_resolution = " + canvas +
                            "\nindex::camera::from = 1 2 3\nindex::camera::aspect = " + aspect + "\n");
  };
  const SceneDescription square = load("300 300");
  EXPECT_TRUE(square.warnings.empty()) << square.warnings.front();
  EXPECT_EQ(square.camera->aspect, 1.0f);
  // NVIDIA's Parihaka scenes: 16:9 on 1400 x 786 (0.2 % apart), drawn as written, as IndeX does.
  const SceneDescription parihaka = load("1400 786", "1.7777769565582275");
  EXPECT_TRUE(parihaka.warnings.empty()) << parihaka.warnings.front();
  EXPECT_EQ(parihaka.camera->aspect, 1.7777769565582275f);
  const SceneDescription wide = load("400 200");
  EXPECT_EQ(wide.camera->aspect, 2.0f);
  ASSERT_EQ(wide.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(wide.warnings[0], "index::camera::aspect", "not used", "400 x 200", "stretched");
}

// IndeX's viewer moves the camera to a predefined view at start-up when
// app::examiner::predefined_view::startup_update says so: its own top view (down -z, y up, aperture
// 0.033, focal 0.03, aspect 1) with the region of interest's bounding sphere in view, or the
// project's view `view_index`. Turned off (NVIDIA's public scenes) the file's camera stays, and
// nothing is warned about; nor for initial_rotation_center::type = roi_center (camera.orbit's).
TEST(Scene, APredefinedViewAtStartUpReplacesTheFilesCamera) {
  const auto load = [](const std::string& keys) {
    return load_with_volume(keys + "index::canvas_resolution = 200 100\nindex::region_of_interest = 0 0 0 10 10 10\n"
                                   "index::camera::from = 1 2 3\n");
  };
  const SceneDescription off = load("app::examiner::predefined_view::enable = no\n"
                                    "app::examiner::predefined_view::startup_update = false\n"
                                    "app::examiner::initial_rotation_center::type = roi_center\n");
  EXPECT_TRUE(off.warnings.empty()) << off.warnings.front();
  EXPECT_EQ(off.camera->from, (Vec3f{1, 2, 3}));

  // The sphere around the box (radius 5 sqrt 3) fills the view's height: tan(fov / 2) = 0.033 / 2 / 0.03.
  const float distance = 5.0f * std::sqrt(3.0f) / (0.033f / 2 / 0.03f);
  const SceneDescription top = load("app::examiner::predefined_view::startup_update = yes\n");
  EXPECT_TRUE(top.warnings.empty()) << top.warnings.front();
  EXPECT_NEAR(top.camera->from.x, 5.0f, 1e-5f);
  EXPECT_NEAR(top.camera->from.y, 5.0f, 1e-5f);
  EXPECT_NEAR(top.camera->from.z, 5.0f + distance, 1e-4f);
  EXPECT_EQ(top.camera->dir, (Vec3f{0, 0, -1}));
  EXPECT_EQ(top.camera->up, (Vec3f{0, 1, 0}));
  EXPECT_FLOAT_EQ(top.camera->aperture, 0.033f);
  EXPECT_FLOAT_EQ(top.camera->aspect, 2.0f) << "the canvas's shape";

  const SceneDescription side = load("app::examiner::predefined_view::startup_update = yes\n"
                                     "app::examiner::predefined_view::enable = yes\n"
                                     "app::examiner::predefined_view::view_count = 2\n"
                                     "app::examiner::predefined_view::view_index = 1\n"
                                     "app::examiner::predefined_view::1::dir = 1 0 0\n"
                                     "app::examiner::predefined_view::1::up = 0 0 1\n"
                                     "app::examiner::predefined_view::1::orthographic = yes\n"
                                     "app::examiner::predefined_view::1::view_all = yes\n");
  EXPECT_TRUE(side.warnings.empty()) << side.warnings.front();
  EXPECT_NEAR(side.camera->from.x, 5.0f - 5.0f * std::sqrt(3.0f), 1e-4f);
  EXPECT_NEAR(side.camera->aperture, 10.0f * std::sqrt(3.0f), 1e-4f) << "orthographic: as wide as the sphere";
  EXPECT_TRUE(side.camera->orthographic);
  const SceneDescription undefined = load("app::examiner::predefined_view::startup_update = yes\n"
                                          "app::examiner::predefined_view::enable = yes\n");
  ASSERT_EQ(undefined.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(undefined.warnings[0], "predefined view 0 is not defined", "the file's camera stays");
  EXPECT_EQ(undefined.camera->from, (Vec3f{1, 2, 3}));
}

// IndeX's scene-wide filter and canvas background (NVIDIA's public brain and Cholla scenes), used
// where libindex's own keys and a volume's rendering properties say nothing.
TEST(Scene, IndeXsVolumeFilterAndCanvasBackground) {
  const auto load = [](const std::string& keys, const std::string& props = "") {
    return Fixture(keys + "app::scene::root::children = " + (props.empty() ? "" : "props ") + "vol\n" + props +
                   kRawVolume)
        .load();
  };
  const SceneDescription brain = load("index::volume_filter = nearest\napp::canvas::background_color = 0 0 0 1\n");
  EXPECT_TRUE(brain.warnings.empty()) << brain.warnings.front();
  EXPECT_TRUE(brain.volumes.at(0).nearest_filter);
  ASSERT_TRUE(brain.view.background);
  EXPECT_EQ(*brain.view.background, (Vec4f{0, 0, 0, 1}));
  EXPECT_FALSE(load("index::volume_filter = trilinear_post_hw\n").volumes.at(0).nearest_filter);
  const std::string trilinear = "app::scene::props::type = sparse_volume_rendering_properties\n"
                                "app::scene::props::filter_mode = trilinear\n";
  EXPECT_FALSE(load("index::volume_filter = nearest\n", trilinear).volumes.at(0).nearest_filter)
      << "the volume's own properties win";
  EXPECT_EQ(*load("app::canvas::background_color = 0.2 0.4 0.6\n").view.background, (Vec4f{0.2f, 0.4f, 0.6f, 1}));
  EXPECT_EQ(
      *load("app::libindex::view::background = 1 1 1 0\napp::canvas::background_color = 0 0 0 1\n").view.background,
      (Vec4f{1, 1, 1, 0}))
      << "libindex's own key wins";
  const SceneDescription bad = load("app::canvas::background_color = 0 0 255\n");
  EXPECT_FALSE(bad.view.background);
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_CONTAINS_ALL(bad.warnings[0], "app::canvas::background_color", "each in [0, 1]");
}

// IndeX reads no file names: a scene's size, bbox and voxel_format win over an Open SciVis style
// name that says otherwise (NVIDIA's public microscopy scene names its 3170 x 4113 x 840 volume
// "..._4113x3170x840_uint8"), with a warning naming the key.
TEST(Scene, TheScenesBboxAndFormatWinOverTheFileName) {
  Fixture f("app::scene::root::children = vol\n"
            "app::scene::vol::type = sparse_volume\n"
            "app::scene::vol::importer = raw\n"
            "app::scene::vol::input_directory = data\n"
            "app::scene::vol::input_file_base_name = vol_3x4x2_uint8\n" // 24 bytes as 3x4x2 uint8
            "app::scene::vol::input_file_extension = .raw\n"
            "app::scene::vol::voxel_format = uint16\n" // line 8 (after kHead)
            "app::scene::vol::bbox = 0 0 0 4 3 1\n");  // 9: 24 bytes as 4x3x1 uint16
  std::filesystem::copy_file(f.dir.file("data/vol.raw"), f.dir.file("data/vol_3x4x2_uint8.raw"));
  std::filesystem::resize_file(f.dir.file("data/vol_3x4x2_uint8.raw"), 24);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_CONTAINS_ALL(s.warnings[0], f.at(9), "bbox = '0 0 0 4 3 1'", "the file name says 3x4x2");
  EXPECT_CONTAINS_ALL(s.warnings[1], f.at(8), "voxel_format = 'uint16'", "the file name says uint8");
  EXPECT_EQ(s.volumes.at(0).source->box(), (Box3i{{0, 0, 0}, {4, 3, 1}}));
  EXPECT_EQ(s.volumes[0].source->dtype(), DType::uint16);
  EXPECT_EQ(s.volumes[0].source->read({{3, 2, 0}, {4, 3, 1}}).data<uint16_t>()[0], 11000);
}

} // namespace libindex::io

namespace libindex::io {
namespace {

TEST(Scene, LookupTableWithoutColormapFilesFallsBackToABuiltInWithAWarning) {
  // Real IndeX scenes name `map_index` alone and rely on the viewer's built-in tables.
  Fixture f("app::scene::root::children = cmap vol\n"     // 2
            "app::scene::cmap::type = colormap\n"         // 3
            "app::scene::cmap::map_type = lookup_table\n" // 4
            "app::scene::cmap::map_index = 2\n" +         // 5
            kRawVolume);
  const SceneDescription s = f.load();
  ASSERT_EQ(s.volumes.size(), 1u);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_EQ(s.warnings[0].find(f.at(5) + ": app::scene::cmap::map_index = '2': no app::colormap::file_2 given"), 0u)
      << s.warnings[0];
  const Colormap expected = colormap_preset(colormap_preset_names()[2]);
  ASSERT_EQ(s.volumes[0].colormap.entries.size(), expected.entries.size());
  EXPECT_EQ(s.volumes[0].colormap.entries[200].x, expected.entries[200].x);
  // With colormap files present, a missing index is still an error naming the key.
  Fixture g("app::colormap::file_0 = a.cmap\napp::scene::root::children = cmap vol\n"
            "app::scene::cmap::type = colormap\napp::scene::cmap::map_type = lookup_table\n"
            "app::scene::cmap::map_index = 2\n" +
            kRawVolume);
  EXPECT_NE(test::error_of([&] { g.load(); }).find("no colormap file app::colormap::file_2"), std::string::npos);
}

} // namespace
} // namespace libindex::io
