// SPDX-License-Identifier: Apache-2.0
// The JSON-RPC methods that act on the view state alone (camera, colormap, render/roi, time, IndeX
// scene edits), through the real dispatcher on a real scene; no ranks involved. Each area's errors
// too: a refused request leaves the state as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "libindex/default_view.h"
#include "libindex/rpc_methods.h"
#include "libindex/session_file.h"
#include "rpc_test_util.h"

using namespace libindex;
using namespace libindex::testing;
using nlohmann::json;

namespace {

constexpr const char* kIndexScene =
    "nv::index::app::scene_management_center::scene_management_center_command_receiver.";

class ViewMethods : public ::testing::Test {
 protected:
  void SetUp() override {
    state.load_scene(small_scene());
    state.dirty = false;
    rpc::add_camera_methods(rpc, state);
    rpc::add_colormap_methods(rpc, state);
    rpc::add_render_methods(rpc, state);
    rpc::add_time_methods(rpc, state);
    rpc::add_index_scene_methods(rpc, state);
    rpc::add_program_methods(rpc, state);
  }
  /// IndeX's create_scene_element, as its clients call it.
  json create_element(const std::string& parent, const std::string& id, const std::string& class_name,
                      const json& args) {
    return call(
        rpc, std::string(kIndexScene) + "create_scene_element",
        {{"parent_group_id", parent}, {"new_scene_element_id", id}, {"class_name", class_name}, {"args", args}});
  }
  ViewState state;
  streaming::RpcDispatcher rpc;
};

} // namespace

TEST_F(ViewMethods, CameraSetChangesOnlyTheFieldsGiven) {
  const Camera before = state.frame.camera;
  const json r = call(rpc, "camera.set", {{"from", {10, 20, 30}}, {"focal", 0.5}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_TRUE(state.frame.camera.from == (Vec3f{10, 20, 30}));
  EXPECT_EQ(state.frame.camera.focal, 0.5f);
  EXPECT_EQ(state.frame.camera.aperture, before.aperture);
  EXPECT_EQ(r["result"]["from"], json({10.0, 20.0, 30.0}));
  EXPECT_TRUE(state.dirty);
}

TEST_F(ViewMethods, CameraRefusesValuesTheRendererCannotUse) {
  const Camera before = state.frame.camera;
  const json cases[] = {{{"focal", 1e39}},
                        {{"from", {3.5e38, 0, 0}}},
                        {{"aperture", 1e-45}},
                        {{"aperture", 0}},
                        {{"focal", -1}},
                        {{"dir", {0, 0, 0}}},
                        {{"dir", {0, 1, 0}}, {"up", {0, 2, 0}}},
                        {{"from", {1, 2}}},
                        {{"orthographic", "yes"}}};
  for (const json& params : cases) {
    const json r = call(rpc, "camera.set", params);
    EXPECT_EQ(code(r), -32602) << params << " -> " << r;
  }
  EXPECT_EQ(message(call(rpc, "camera.set", {{"focal", 1e39}})), "invalid params: 'focal' must be a finite number");
  EXPECT_TRUE(state.frame.camera.from == before.from && state.frame.camera.focal == before.focal &&
              state.frame.camera.aperture == before.aperture);
  EXPECT_FALSE(state.dirty);
  // The camera still reads back as numbers, never null.
  EXPECT_TRUE(call(rpc, "camera.get")["result"]["focal"].is_number());
}

TEST_F(ViewMethods, ZoomOrbitAndReset) {
  const Vec3f centre = view_centre(state.view.volume_box, state.frame.settings);
  const float d0 = length(state.frame.camera.from - centre);
  ASSERT_EQ(code(call(rpc, "camera.zoom", {{"factor", 2}})), 0);
  EXPECT_NEAR(length(state.frame.camera.from - centre), d0 / 2, 1e-4f * d0);
  // Factor 0 is refused by its own check, before the zoom divides by it (set_camera's finiteness
  // check would refuse the result too, with another message).
  const Vec3f zoomed = state.frame.camera.from;
  EXPECT_EQ(message(call(rpc, "camera.zoom", {{"factor", 0}})), "invalid params: 'factor' must be > 0");
  EXPECT_EQ(message(call(rpc, "camera.zoom", {{"factor", -2}})), "invalid params: 'factor' must be > 0");
  EXPECT_TRUE(state.frame.camera.from == zoomed);
  EXPECT_EQ(code(call(rpc, "camera.zoom")), -32602); // factor is required
  ASSERT_EQ(code(call(rpc, "camera.orbit", {{"azimuth", 90}})), 0);
  EXPECT_NEAR(length(state.frame.camera.from - centre), d0 / 2, 1e-4f * d0); // orbits keep the distance
  EXPECT_EQ(code(call(rpc, "camera.orbit", {{"azimuth", "east"}})), -32602);
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 300}, {"height", 100}})), 0);
  ASSERT_EQ(code(call(rpc, "camera.reset")), 0);
  EXPECT_TRUE(state.frame.camera.from == state.home_camera.from);
  EXPECT_EQ(state.frame.camera.aspect, 3.0f); // the canvas's shape, not the scene's: no stretched picture
}

namespace {
/// Whether every corner of `box` projects inside the picture of the perspective camera `c`.
bool shows_whole_box(const Camera& c, const Box3f& box) {
  const CameraFrame f = camera_frame(c);
  for (int i = 0; i < 8; ++i) {
    const Vec3f corner{(i & 1) ? box.hi.x : box.lo.x, (i & 2) ? box.hi.y : box.lo.y, (i & 4) ? box.hi.z : box.lo.z};
    const Vec3f v = corner - c.from;
    const float depth = dot(v, f.dir);
    if (!(depth > 0)) return false;
    const float x = dot(v, f.right) / depth * c.focal, y = dot(v, f.up) / depth * c.focal;
    if (std::abs(x) > 0.5f * c.aperture || std::abs(y) > 0.5f * c.aperture / c.aspect) return false;
  }
  return true;
}
} // namespace

// The scene names no camera, so the view fits one to its volume; a client's canvas of another
// shape (a browser window) gets it fitted again while nobody has moved it, so the whole volume
// stays in the picture. A camera a client moved keeps its place and aperture (only its aspect).
TEST_F(ViewMethods, AFittedCameraIsFittedAgainToANewCanvasShape) {
  SceneSpec no_camera;
  no_camera.use_default = false;
  no_camera.layers.push_back(SceneLayer::from_text("#! index_app_project 0\n"
                                                   "app::scene::root::children = v\n"
                                                   "app::scene::v::type = sparse_volume\n"
                                                   "app::scene::v::importer = synthetic\n"
                                                   "app::scene::v::generator = sphere\n"
                                                   "app::scene::v::size = 16\n",
                                                   "no_camera.prj"));
  state.load_scene(no_camera);
  ASSERT_FALSE(state.view.scene.camera.has_value());
  const Box3f box = state.view.volume_box;
  ASSERT_TRUE(shows_whole_box(state.frame.camera, box));
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 300}, {"height", 100}})), 0);
  EXPECT_EQ(state.frame.camera.aspect, 3.0f);
  EXPECT_TRUE(shows_whole_box(state.frame.camera, box)) << "a wide canvas";
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 100}, {"height", 300}})), 0);
  EXPECT_TRUE(shows_whole_box(state.frame.camera, box)) << "a tall canvas";
  EXPECT_TRUE(state.frame.camera == state.home_camera);
  // Moved by a client: it stays where it was put.
  ASSERT_EQ(code(call(rpc, "camera.zoom", {{"factor", 1.5}})), 0);
  const Camera moved = state.frame.camera;
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 400}, {"height", 100}})), 0);
  EXPECT_TRUE(state.frame.camera.from == moved.from);
  EXPECT_EQ(state.frame.camera.aperture, moved.aperture);
  EXPECT_EQ(state.frame.camera.aspect, 4.0f);
  // Reset: the fit for the canvas as it is now.
  ASSERT_EQ(code(call(rpc, "camera.reset")), 0);
  EXPECT_EQ(state.frame.camera.aspect, 4.0f);
  EXPECT_TRUE(shows_whole_box(state.frame.camera, box)) << "reset on a 4:1 canvas";
}

// IndeX's notebooks start from an empty scene and add a volume: it is framed for the canvas the
// client has (a 3:1 browser window), not for the scene's.
TEST_F(ViewMethods, AVolumeAddedToAnEmptySceneIsFramedForTheClientsCanvas) {
  SceneSpec empty;
  empty.use_default = false;
  empty.layers.push_back(SceneLayer::from_text("#! index_app_project 0\napp::scene::root::children =\n", "empty.prj"));
  state.load_scene(empty);
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 300}, {"height", 100}})), 0);
  ASSERT_EQ(code(create_element("scene_root", "v", "ISparse_volume_scene_element",
                                {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "16"}})),
            0);
  ASSERT_FALSE(state.view.volume_box.empty());
  EXPECT_EQ(state.frame.camera.aspect, 3.0f);
  EXPECT_TRUE(shows_whole_box(state.frame.camera, state.view.volume_box));
}

// A method about a volume, in a scene without one: the request is fine, the state cannot serve it
// (-32000, as volume.info answers); naming a volume the scene lacks is a bad parameter (-32602).
TEST_F(ViewMethods, ProgramMethodsInASceneWithoutVolumes) {
  SceneSpec empty;
  empty.use_default = false;
  empty.layers.push_back(SceneLayer::from_text("#! index_app_project 0\napp::scene::root::children =\n", "empty.prj"));
  state.load_scene(empty);
  state.limits.client_programs = true;
  for (const char* method : {"program.get", "program.remove"}) {
    EXPECT_EQ(call(rpc, method), json::parse(R"({"error": {"code": -32000, "message": "the scene has no volume"},
                                                 "id": 1, "jsonrpc": "2.0"})"))
        << method;
    EXPECT_EQ(code(call(rpc, method, {{"volume", "v"}})), -32602) << method;
  }
  EXPECT_EQ(code(call(rpc, "program.set", {{"source", "x"}})), -32000);
}

TEST_F(ViewMethods, ColormapPresetTableDomainAndOpacityCurve) {
  json r = call(rpc, "colormap.set", {{"preset", "viridis"}, {"domain", {-200, 800}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["preset"], "viridis");
  EXPECT_EQ(state.frame.colormap.domain_min, -200.0f);
  EXPECT_EQ(state.frame.colormap.domain_max, 800.0f);
  r = call(rpc, "colormap.set", {{"entries", {{0, 0, 0, 0}, {1, 1, 1, 1}, {1, 0, 0, 1}}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_TRUE(r["result"]["preset"].is_null());
  ASSERT_EQ(state.frame.colormap.entries.size(), 3u);
  // A ramp curve sets entry i's alpha to i / (n - 1).
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"opacity_points", {{0, 0}, {1, 1}}}})), 0);
  EXPECT_EQ(state.frame.colormap.entries[0].w, 0.0f);
  EXPECT_EQ(state.frame.colormap.entries[1].w, 0.5f);
  EXPECT_EQ(state.frame.colormap.entries[2].w, 1.0f);
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"boundary_mode", "clamp_to_transparent"}})), 0);
  EXPECT_EQ(state.frame.colormap.mode, BoundaryMode::clamp_to_transparent);
  // A NaN colour (ParaView's NanColor) is kept until null removes it.
  EXPECT_TRUE(call(rpc, "colormap.get")["result"]["nan_color"].is_null());
  r = call(rpc, "colormap.set", {{"nan_color", {1, 1, 0, 0.5}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["nan_color"], json({1.0, 1.0, 0.0, 0.5}));
  ASSERT_TRUE(state.frame.colormap.nan_color.has_value());
  EXPECT_EQ(state.frame.colormap.nan_color->w, 0.5f);
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"nan_color", nullptr}})), 0);
  EXPECT_FALSE(state.frame.colormap.nan_color.has_value());
  // The server keeps the curve, so every client draws the one a notebook set; it stays over a new
  // preset and goes with a new table (which brings its own alphas).
  const json curve = {{0.0, 0.0}, {0.5, 0.25}, {1.0, 1.0}};
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"opacity_points", curve}})), 0);
  EXPECT_EQ(call(rpc, "colormap.get")["result"]["opacity_points"], curve);
  r = call(rpc, "colormap.set", {{"preset", "magma"}});
  EXPECT_EQ(r["result"]["opacity_points"], curve);
  EXPECT_EQ(r["result"]["preset"], "magma");
  EXPECT_EQ(state.frame.colormap.entries.back().w, 1.0f);
  EXPECT_EQ(state.frame.colormap.entries.front().w, 0.0f);
  r = call(rpc, "colormap.set", {{"entries", {{0, 0, 0, 0.5}, {1, 1, 1, 0.5}}}});
  EXPECT_TRUE(r["result"]["opacity_points"].is_null());
  EXPECT_EQ(state.frame.colormap.entries[1].w, 0.5f);
}

TEST_F(ViewMethods, ColormapOfAnotherVolume) {
  // Two volumes: a (magma) and b (viridis, domain 0.1..1). Requests naming b act on b alone.
  SceneSpec two;
  two.use_default = false;
  std::string text = "#! index_app_project 0\napp::scene::root::children = a_group b_group\n";
  for (const char* v : {"a", "b"}) {
    const std::string g = std::string("app::scene::") + v;
    text += g + "_group::type = static_scene_group\n" + g + "_group::children = " + v + "_cmap " + v + "\n";
    text += g + "_cmap::type = colormap\n" + g + "_cmap::preset = " + (v[0] == 'a' ? "magma" : "viridis") + "\n";
    text += g + "_cmap::domain = 0.1 1\n";
    text += g + "::type = sparse_volume\n" + g + "::importer = synthetic\n" + g + "::generator = sphere\n" + g +
            "::size = 8\n";
  }
  two.layers.push_back(SceneLayer::from_text(text, "two.prj"));
  state.load_scene(two);
  const Colormap first = state.frame.colormap;
  json r = call(rpc, "colormap.get", {{"volume", "b"}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["preset"], "viridis");
  EXPECT_EQ(r["result"]["domain"], json({0.1f, 1.0f}));
  EXPECT_TRUE(state.other_colormaps.empty()) << "reading adds no edit";
  r = call(rpc, "colormap.set", {{"volume", "b"}, {"preset", "inferno"}, {"domain", {0.25, 0.75}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["preset"], "inferno");
  ASSERT_EQ(state.other_colormaps.count(1), 1u);
  EXPECT_EQ(state.other_colormaps.at(1).colormap.entries, colormap_preset("inferno").entries);
  EXPECT_EQ(state.other_colormaps.at(1).colormap.domain_min, 0.25f);
  EXPECT_EQ(state.other_colormaps.at(1).colormap.domain_max, 0.75f);
  EXPECT_EQ(state.frame.colormap.entries, first.entries) << "the first volume's colormap is untouched";
  EXPECT_EQ(call(rpc, "colormap.get")["result"]["preset"], "magma");
  EXPECT_EQ(call(rpc, "colormap.get", {{"volume", "a"}})["result"]["preset"], "magma");
  EXPECT_TRUE(state.dirty);
  // An unknown volume names the ones there are; a refused edit of b leaves b as it was.
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"volume", "c"}, {"preset", "magma"}})),
            "invalid params: 'volume': no volume 'c' in this scene (its volumes: a, b)");
  EXPECT_EQ(code(call(rpc, "colormap.get", {{"volume", 3}})), -32602);
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"volume", "b"}, {"preset", "magma"}, {"domain", {1, 1}}})), -32602);
  EXPECT_EQ(call(rpc, "colormap.get", {{"volume", "b"}})["result"]["preset"], "inferno");
  // A saved session keeps b's colormap for b alone.
  SceneSpec saved;
  saved.use_default = false;
  saved.layers.push_back(SceneLayer::from_text(session_project(state), "saved.prj"));
  const SceneView view = build_scene(saved, false);
  EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front();
  ASSERT_EQ(view.scene.volumes.size(), 2u);
  EXPECT_EQ(view.scene.volumes[0].colormap.entries, first.entries);
  EXPECT_EQ(view.scene.volumes[1].colormap.entries, state.other_colormaps.at(1).colormap.entries);
  EXPECT_EQ(view.scene.volumes[1].colormap.domain_min, 0.25f);
  EXPECT_EQ(view.scene.volumes[1].colormap.domain_max, 0.75f);
  // A new scene starts from its own colormaps.
  state.load_scene(two);
  EXPECT_TRUE(state.other_colormaps.empty());
}

TEST_F(ViewMethods, ColormapErrors) {
  const Colormap before = state.frame.colormap;
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"preset", "nonesuch"}})), -32602);
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"entries", json::array()}})), -32602);
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"entries", {{0, 0, 0, 1.5}}}})),
            "invalid params: 'entries' values must be in [0, 1]");
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"domain", {1, 1}}})),
            "invalid params: 'domain' min and max must differ");
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"domain", {0, 1e39}}})), -32602);
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"boundary_mode", "wrap"}})), -32602);
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"nan_color", {1, 1, 2, 1}}})),
            "invalid params: 'nan_color' values must be in [0, 1]");
  EXPECT_EQ(code(call(rpc, "colormap.set", {{"nan_color", {1, 1, 0}}})), -32602);
  EXPECT_FALSE(state.frame.colormap.nan_color.has_value());
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"opacity_points", {{0.5, 0}, {0.2, 1}}}})),
            "invalid params: 'opacity_points' must be sorted by x");
  EXPECT_EQ(message(call(rpc, "colormap.set", {{"opacity_points", {{0, 0}, {1, 2}}}})),
            "invalid params: 'opacity_points' values must be in [0, 1]");
  EXPECT_EQ(state.frame.colormap.entries.size(), before.entries.size());
  EXPECT_EQ(state.frame.colormap.domain_max, before.domain_max);
}

TEST_F(ViewMethods, RenderSettingsAndTheirLimits) {
  json r = call(rpc, "render.set", {{"shading", true}, {"sampling_distance", 0.25}, {"width", 320}, {"height", 160}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_TRUE(state.frame.settings.shading.enabled);
  EXPECT_EQ(state.frame.width, 320);
  EXPECT_EQ(state.frame.camera.aspect, 2.0f);
  // 1e-6 across a 32^3 volume (diagonal 55.4) would be 5.5e7 samples per ray.
  r = call(rpc, "render.set", {{"sampling_distance", 1e-6}});
  EXPECT_EQ(code(r), -32602);
  EXPECT_NE(message(r).find("samples per ray, over the limit of 100000"), std::string::npos) << r;
  EXPECT_EQ(message(call(rpc, "render.set", {{"width", 16384}, {"height", 16384}})),
            "invalid params: 16384x16384 is 268435456 pixels, over the limit of 16777216");
  EXPECT_EQ(code(call(rpc, "render.set", {{"width", 0}})), -32602);
  EXPECT_EQ(code(call(rpc, "render.set", {{"mode", "xray"}})), -32602);
  EXPECT_EQ(code(call(rpc, "render.set", {{"backend", "opengl"}})), -32602);
  EXPECT_EQ(state.frame.settings.sampling_distance, 0.25f);
  EXPECT_EQ(state.frame.width, 320);
  state.limits.max_samples_per_ray = 1e9; // settable
  EXPECT_EQ(code(call(rpc, "render.set", {{"sampling_distance", 1e-6}})), 0);
}

TEST_F(ViewMethods, RegionOfInterestAndInteraction) {
  json r = call(rpc, "roi.set", {{"min", {1, 2, 3}}, {"max", {10, 20, 30}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["max"], json({10.0, 20.0, 30.0}));
  EXPECT_EQ(r["result"]["volume_max"], json({32.0, 32.0, 32.0}));
  EXPECT_EQ(message(call(rpc, "roi.set", {{"min", {5, 0, 0}}, {"max", {1, 1, 1}}})),
            "invalid params: 'min' must not exceed 'max'");
  // Reversed by less than a voxel, on the last axis: refused all the same; an empty box (min = max) is not.
  EXPECT_EQ(message(call(rpc, "roi.set", {{"min", {0, 0, 0.5}}, {"max", {1, 1, 0}}})),
            "invalid params: 'min' must not exceed 'max'");
  EXPECT_EQ(r["result"]["max"], call(rpc, "roi.get")["result"]["max"]); // the refused boxes changed nothing
  ASSERT_EQ(code(call(rpc, "roi.set", {{"min", {2, 2, 2}}, {"max", {2, 3, 4}}})), 0);
  EXPECT_EQ(call(rpc, "roi.get")["result"]["min"], json({2.0, 2.0, 2.0}));
  EXPECT_EQ(code(call(rpc, "roi.set", {{"min", {0, 0, 0}}})), -32602);
  // A region beyond the 32^3 volume on an axis is refused (roi.get once answered an inverted box
  // for it: min y 70, max y 64); one that reaches beyond it is clipped to it.
  EXPECT_EQ(message(call(rpc, "roi.set", {{"min", {0, 70, 0}}, {"max", {10, 80, 10}}})),
            "invalid params: the region lies outside the volume's box ([0.0,0.0,0.0] to [32.0,32.0,32.0])");
  r = call(rpc, "roi.set", {{"min", {-5, 20, 0}}, {"max", {10, 80, 10}}});
  EXPECT_EQ(r["result"]["min"], json({0.0, 20.0, 0.0})) << r;
  EXPECT_EQ(r["result"]["max"], json({10.0, 32.0, 10.0})) << r;
  ASSERT_EQ(code(call(rpc, "view.interaction", {{"active", true}})), 0);
  EXPECT_TRUE(state.interactive);
  ASSERT_EQ(code(call(rpc, "view.interaction", {{"active", false}})), 0);
  EXPECT_TRUE(state.refine);
  EXPECT_EQ(code(call(rpc, "view.interaction")), -32602);
}

TEST_F(ViewMethods, TimeOfASceneWithoutSeries) {
  const json r = call(rpc, "time.get");
  EXPECT_EQ(r["result"], json({{"first", 0}, {"last", 0}, {"step", 0}, {"playing", false}, {"fps", 2.0}}));
  EXPECT_EQ(message(call(rpc, "time.set", {{"step", 1}})), "invalid params: 'step' 1 is outside 0..0");
  EXPECT_EQ(code(call(rpc, "time.play", {{"playing", true}, {"fps", 0}})), -32602);
  EXPECT_EQ(code(call(rpc, "time.play", {{"playing", true}, {"fps", 1e-40}})), -32602);
  const json play = call(rpc, "time.play", {{"playing", true}, {"fps", 5}});
  EXPECT_EQ(play["result"]["playing"], false); // nothing to play
  EXPECT_EQ(play["result"]["fps"], 5.0);
}

TEST_F(ViewMethods, IndexSceneGraphEdits) {
  json r = call(rpc, std::string(kIndexScene) + "get_scene_graph");
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["tree"]["id"], "scene_root");
  EXPECT_EQ(code(call(rpc, std::string(kIndexScene) + "get_scene_graph", {{"scene_graph_representation_type", "x"}})),
            -32602);
  const int version = state.scene_version;
  r = call(rpc, std::string(kIndexScene) + "create_scene_element",
           {{"parent_group_id", "scene_root"},
            {"new_scene_element_id", "cmap2"},
            {"class_name", "IColormap"},
            {"args", {{"map_type", "lookup_table"}, {"domain", "0 1"}}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(state.scene_version, version + 1);
  EXPECT_EQ(state.view.scene.nodes.count("cmap2"), 1u);
  EXPECT_EQ(code(call(rpc, std::string(kIndexScene) + "create_scene_element",
                      {{"parent_group_id", "scene_root"},
                       {"new_scene_element_id", "x"},
                       {"class_name", "ITriangle_mesh"},
                       {"args", json::object()}})),
            -32602);
  EXPECT_EQ(code(call(rpc, std::string(kIndexScene) + "create_scene_element",
                      {{"parent_group_id", "scene_root"},
                       {"new_scene_element_id", "cmap2"},
                       {"class_name", "IColormap"},
                       {"args", json::object()}})),
            -32602); // exists already
  r = call(rpc, std::string(kIndexScene) + "set_scene_element",
           {{"id", "scene_root"}, {"args", {{"remove.id", "no"}}}});
  EXPECT_EQ(message(r), "invalid params: 'args.remove.id': 'no' is not a child of 'scene_root'");
  r = call(rpc, std::string(kIndexScene) + "set_scene_element",
           {{"id", "scene_root"}, {"args", {{"remove.id", "cmap2"}}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(state.scene_version, version + 2);
}

TEST_F(ViewMethods, IndexClientsCreateSampleProgramsAsIndexDoes) {
  // As an IndeX client builds one: a group holding the program, its parameters and then the volume.
  const std::string source =
      "class Volume_sample_program {\n"
      "  NV_IDX_VOLUME_SAMPLE_PROGRAM\n"
      "public:\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& i, Sample_output& o) {\n"
      "    o.set_color(make_float4(0.0f, 1.0f, 0.0f, 0.2f));\n"
      "    return NV_IDX_PROG_OK;\n"
      "  }\n"
      "};\n";
  ASSERT_EQ(code(create_element("scene_root", "g", "IStatic_scene_group", json::object())), 0);
  const json refused = create_element("g", "prog", "IVolume_sample_program", {{"source_string", source}});
  EXPECT_EQ(code(refused), -32000) << "clients' programs are off without --allow-programs";
  EXPECT_NE(message(refused).find("--allow-programs"), std::string::npos);
  state.limits.client_programs = true;
  std::string broken = source;
  broken.replace(broken.find("make_float4"), 11, "make_float9");
  const json bad_program = create_element("g", "prog", "IVolume_sample_program", {{"source_string", broken}});
  EXPECT_EQ(code(bad_program), -32602);
  EXPECT_NE(message(bad_program).find("create_scene_element prog:6:"), std::string::npos) << message(bad_program);
  EXPECT_EQ(state.view.scene.nodes.count("prog"), 0u) << "a refused program changes nothing";
  ASSERT_EQ(code(create_element("g", "prog", "IVolume_sample_program", {{"source_string", source}})), 0);
  ASSERT_EQ(code(create_element("g", "params", "IRendering_kernel_program_parameters", {{"buffer_1", "2 3i"}})), 0);
  // Its slot 2 reads the scene's first volume (IndeX: set_mapping(2, tag)); a node that is not
  // there is refused and changes nothing.
  const std::string first = state.view.scene.volumes.at(0).id;
  const json nowhere =
      create_element("g", "slots", "IRendering_kernel_program_scene_element_mapping", {{"slot_2", "nowhere"}});
  EXPECT_EQ(code(nowhere), -32602) << nowhere.dump();
  EXPECT_NE(message(nowhere).find("no node 'nowhere'"), std::string::npos) << message(nowhere);
  EXPECT_EQ(state.view.scene.nodes.count("slots"), 0u);
  ASSERT_EQ(code(create_element("g", "slots", "IRendering_kernel_program_scene_element_mapping", {{"slot_2", first}})),
            0);
  ASSERT_EQ(code(create_element("g", "v2", "ISparse_volume_scene_element",
                                {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}})),
            0);
  ASSERT_EQ(state.view.scene.volumes.size(), 2u);
  const auto& v2 = state.view.scene.volumes[1];
  ASSERT_TRUE(v2.program);
  EXPECT_EQ(v2.program->text, source);
  EXPECT_EQ(v2.program->buffers.at(1).size(), 8u);
  ASSERT_EQ(v2.program_slots.size(), 1u);
  EXPECT_EQ(v2.program_slots[0].slot, 2);
  EXPECT_EQ(v2.program_slots[0].volume, std::optional<size_t>(0));
  EXPECT_EQ(state.view.scene.volumes[0].drawn_by_program, std::optional<size_t>(1))
      << "without a program of its own, a mapped volume is drawn by the program that maps it";
  ASSERT_EQ(state.view.programs.size(), 2u);
  EXPECT_TRUE(state.view.programs[1]) << "it compiled";
  EXPECT_FALSE(state.view.programs[0]) << "the first volume, outside the group, has none";
  EXPECT_EQ(call(rpc, "program.get", {{"volume", "v2"}})["result"]["program"], "prog");
}

TEST_F(ViewMethods, IndexClientsSetAttributesAndHideElements) {
  ASSERT_EQ(code(create_element("scene_root", "v2", "ISparse_volume_scene_element",
                                {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}})),
            0);
  ASSERT_EQ(state.view.scene.volumes.size(), 2u);
  const auto set = [&](const std::string& id, const json& args) {
    return call(rpc, std::string(kIndexScene) + "set_scene_element", {{"id", id}, {"args", args}});
  };
  json r = set("v2", {{"enabled", "false"}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["set"], json({"enabled"}));
  EXPECT_EQ(state.view.scene.volumes.size(), 1u) << "a disabled volume is not drawn";
  EXPECT_EQ(state.view.scene.nodes.count("v2"), 1u) << "it stays in the graph, to be enabled again";
  EXPECT_EQ(rpc::scene_info(state)["hidden_volumes"], json::parse(R"([{"id": "v2", "name": "v2"}])"));
  ASSERT_EQ(code(set("v2", {{"enabled", "true"}, {"size", "16"}})), 0);
  ASSERT_EQ(state.view.scene.volumes.size(), 2u);
  EXPECT_EQ(state.view.scene.volumes[1].source->box().size().x, 16);
  const json info = rpc::scene_info(state);
  EXPECT_EQ(info["hidden_volumes"], json::array());
  EXPECT_EQ(info["volumes"][1]["enabled"], true);
  EXPECT_EQ(info["volumes"][1]["drawn_by"], nullptr);
  // Refused, and nothing changes: an unknown element or attribute, a value the reader rejects,
  // remove.id with attributes.
  const int version = state.scene_version;
  EXPECT_EQ(message(set("nowhere", {{"enabled", "false"}})),
            "invalid params: 'id': no element 'nowhere' in the scene graph");
  EXPECT_EQ(message(set("v2", {{"colour", "red"}})),
            "invalid params: 'args.colour' is not an attribute of a sparse_volume");
  const json bad_value = set("v2", {{"enabled", "perhaps"}});
  EXPECT_EQ(code(bad_value), -32000) << bad_value;
  EXPECT_NE(message(bad_value).find("perhaps"), std::string::npos) << message(bad_value);
  EXPECT_EQ(code(set("scene_root", {{"remove.id", "v2"}, {"enabled", "false"}})), -32602);
  EXPECT_EQ(code(set("v2", json::object())), -32602);
  EXPECT_EQ(state.scene_version, version);
  EXPECT_EQ(state.view.scene.volumes.size(), 2u);
}

// render.set refuses a sampling distance that makes rays of hours; so do IndeX's scene edits, which
// reach the same setting (and the volume's box) through the scene: the edit is undone whole.
TEST_F(ViewMethods, SceneEditsStayWithinTheSamplesPerRayLimit) {
  const auto set = [&](const std::string& id, const json& args) {
    return call(rpc, std::string(kIndexScene) + "set_scene_element", {{"id", id}, {"args", args}});
  };
  const int version = state.scene_version;
  const float dt = state.frame.settings.sampling_distance;
  json r = set("sn_props", {{"sampling_distance", "1e-6"}});
  EXPECT_EQ(code(r), -32602) << r;
  // The 32^3 volume's diagonal is 55.4: 5.54e7 samples.
  EXPECT_EQ(message(r), "invalid params: volume 'supernova' (55.4 across): 'sampling_distance' 1e-06 gives 5.54e+07 "
                        "samples per ray, over the limit of 100000");
  EXPECT_EQ(code(set("sn_props", {{"sampling_distance", "1e-30"}})), -32602);
  r = set("supernova", {{"bbox", "0 0 0 6400000 6400000 6400000"}}); // at the same distance
  EXPECT_EQ(code(r), -32602) << r;
  EXPECT_NE(message(r).find("1.11e+07 across"), std::string::npos) << r;
  r = create_element(
      "scene_root", "far", "ISparse_volume_scene_element",
      {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}, {"bbox", "0 0 0 8e6 8e6 8e6"}});
  EXPECT_EQ(code(r), -32602) << r;
  EXPECT_NE(message(r).find("volume 'far'"), std::string::npos) << r;
  EXPECT_EQ(state.scene_version, version);
  EXPECT_EQ(state.frame.settings.sampling_distance, dt);
  EXPECT_EQ(state.view.scene.volumes.size(), 1u);
  EXPECT_EQ(state.view.volume_box.hi.x, 32.0f);
  EXPECT_FALSE(state.dirty);
  // Within the limit, the same edit is taken.
  ASSERT_EQ(code(set("sn_props", {{"sampling_distance", "0.25"}})), 0);
  EXPECT_EQ(state.frame.settings.sampling_distance, 0.25f);
  EXPECT_EQ(state.scene_version, version + 1);
}

// A volume the ranks cannot hold between them is refused up front: otherwise every frame fails on
// allocation, or overcommit grants it and the OOM killer ends the job.
TEST_F(ViewMethods, SceneEditsStayWithinTheRanksMemory) {
  const auto set = [&](const std::string& id, const json& args) {
    return call(rpc, std::string(kIndexScene) + "set_scene_element", {{"id", id}, {"args", args}});
  };
  state.limits.memory_per_rank = 512 << 10;
  state.ranks = 2;
  const int version = state.scene_version;
  // 128^3 bytes are 2 MiB: 1 MiB on each of 2 ranks.
  json r = set("supernova", {{"size", "128"}});
  EXPECT_EQ(code(r), -32602) << r;
  EXPECT_EQ(message(r),
            "invalid params: the scene needs at least 1 MiB on each of its 2 ranks, and a rank has "
            "512 KiB (its share of its node's memory, or LIBINDEX_MEMORY_PER_RANK); the largest is volume 'supernova' "
            "(128x128x128 uint8, 2 MiB): use more ranks, or a smaller volume");
  EXPECT_EQ(state.scene_version, version);
  EXPECT_EQ(state.view.scene.volumes[0].source->box().size().x, 32);
  // Every volume counts: a second one of 101^3 bytes (503 KiB a rank) would fit alone, not beside
  // the first's 16 KiB.
  r = create_element("scene_root", "v2", "ISparse_volume_scene_element",
                     {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "101"}});
  EXPECT_EQ(code(r), -32602) << r;
  EXPECT_NE(message(r).find("needs at least 519 KiB on each of its 2 ranks"), std::string::npos) << r;
  EXPECT_NE(message(r).find("the largest is volume 'v2' (101x101x101 uint8, "), std::string::npos) << r;
  EXPECT_EQ(state.view.scene.volumes.size(), 1u);
  // With 16 ranks (attached jobs count) each holds 512 KiB of it: taken.
  state.ranks = 16;
  ASSERT_EQ(code(set("supernova", {{"size", "128"}})), 0);
  EXPECT_EQ(state.view.scene.volumes[0].source->box().size().x, 128);
  // Unknown memory (0): nothing is checked.
  state.limits.memory_per_rank = 0, state.ranks = 1;
  EXPECT_EQ(code(set("supernova", {{"size", "160"}})), 0);
}

// An element created again after its removal starts afresh: its old attributes stayed in the
// scene's layers, so a volume hidden before it was removed came back hidden.
TEST_F(ViewMethods, AnElementCreatedAgainDoesNotInheritTheRemovedOnesAttributes) {
  const json args = {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}};
  const auto set = [&](const std::string& id, const json& a) {
    return call(rpc, std::string(kIndexScene) + "set_scene_element", {{"id", id}, {"args", a}});
  };
  ASSERT_EQ(code(create_element("scene_root", "v2", "ISparse_volume_scene_element", args)), 0);
  ASSERT_EQ(code(set("v2", {{"enabled", "false"}, {"size", "12"}})), 0);
  ASSERT_EQ(state.view.scene.volumes.size(), 1u);
  ASSERT_EQ(code(set("scene_root", {{"remove.id", "v2"}})), 0);
  EXPECT_EQ(state.view.scene.nodes.count("v2"), 0u);
  const json r = create_element("scene_root", "v2", "ISparse_volume_scene_element", args);
  ASSERT_EQ(code(r), 0) << r;
  ASSERT_EQ(state.view.scene.volumes.size(), 2u) << "the new v2 is shown";
  EXPECT_EQ(state.view.scene.volumes[1].id, "v2");
  EXPECT_EQ(state.view.scene.volumes[1].source->box().size().x, 8) << "its own size, not the removed one's 12";
  // The scene's own elements keep theirs.
  EXPECT_EQ(state.view.scene.volumes[0].id, "supernova");
  EXPECT_EQ(state.view.scene.volumes[0].source->box().size().x, 32);
}

// A scene edit keeps what clients made of the view where the edit leaves the scene's own value be:
// the canvas, the camera, the render settings, the planes, each volume's colormap by id (also
// across hiding and showing it). What the edit changes in the scene takes effect.
TEST_F(ViewMethods, SceneEditsKeepWhatClientsMadeOfTheView) {
  ASSERT_EQ(code(call(rpc, "render.set", {{"width", 200}, {"height", 150}, {"mode", "mip"}, {"jitter", true}})), 0);
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"preset", "magma"}, {"domain", {0.2, 0.7}}})), 0);
  ASSERT_EQ(code(call(rpc, "camera.set", {{"from", {1, 2, 3}}})), 0);
  ASSERT_EQ(
      code(call(rpc, "plane.set",
                {{"index", 0}, {"point", {1, 2, 3}}, {"normal", {0, 0, 1}}, {"up", {0, 1, 0}}, {"extent", {10, 5}}})),
      0);
  ASSERT_EQ(code(create_element("scene_root", "v2", "ISparse_volume_scene_element",
                                {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}})),
            0);
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"volume", "v2"}, {"preset", "viridis"}})), 0);
  const FrameParams client = state.frame;
  const Colormap v2_colormap = state.other_colormaps.at(1).colormap;
  const auto set = [&](const std::string& id, const json& args) {
    return code(call(rpc, std::string(kIndexScene) + "set_scene_element", {{"id", id}, {"args", args}}));
  };
  const auto kept = [&](const char* after) {
    EXPECT_EQ(state.frame.width, 200) << after;
    EXPECT_EQ(state.frame.height, 150) << after;
    EXPECT_TRUE(state.frame.camera == client.camera) << after;
    EXPECT_EQ(state.frame.settings.mode, RenderMode::maximum_intensity) << after;
    EXPECT_TRUE(state.frame.settings.jitter) << after;
    EXPECT_EQ(state.frame.settings.plane_count, 1) << after;
    EXPECT_TRUE(state.frame.colormap == client.colormap) << after;
    EXPECT_EQ(state.preset, "magma") << after;
  };
  ASSERT_EQ(set("v2", {{"enabled", "false"}}), 0);
  kept("hiding v2");
  EXPECT_TRUE(state.other_colormaps.empty());
  ASSERT_EQ(set("v2", {{"enabled", "true"}}), 0);
  kept("showing v2 again");
  ASSERT_EQ(state.other_colormaps.count(1), 1u) << "v2's colormap is back";
  EXPECT_TRUE(state.other_colormaps.at(1).colormap == v2_colormap);
  EXPECT_EQ(state.other_colormaps.at(1).preset, "viridis");
  // What an edit changes takes effect: the sampling distance of the properties node, the colormap node.
  const float before = state.frame.settings.sampling_distance;
  ASSERT_EQ(set("sn_props", {{"sampling_distance", "0.25"}}), 0);
  EXPECT_EQ(state.frame.settings.sampling_distance, 0.25f);
  EXPECT_NE(before, 0.25f);
  EXPECT_EQ(state.frame.width, 200);
  ASSERT_EQ(set("sn_colormap", {{"preset", "grayscale"}}), 0);
  EXPECT_EQ(state.preset, "grayscale") << "the scene's new colormap for the volume replaces the client's";
  EXPECT_EQ(state.frame.settings.mode, RenderMode::maximum_intensity);
}

TEST_F(ViewMethods, IndexClientsClipVolumesAndAddPlanes) {
  // IndeX's IClip_region clips the volumes after it in its group; IPlane adds a slice plane.
  ASSERT_EQ(code(create_element("scene_root", "g", "IStatic_scene_group", json::object())), 0);
  ASSERT_EQ(code(create_element("g", "clip", "IClip_region", {{"bbox", "2 0 0 6 8 8"}})), 0);
  ASSERT_EQ(code(create_element("g", "v2", "ISparse_volume_scene_element",
                                {{"importer", "synthetic"}, {"generator", "sphere"}, {"size", "8"}})),
            0);
  ASSERT_EQ(state.view.scene.volumes.size(), 2u);
  EXPECT_TRUE(state.view.scene.volumes[1].clip_region == (Box3i{{2, 0, 0}, {6, 8, 8}}));
  EXPECT_TRUE(state.view.scene.volumes[0].clip_region == state.view.scene.volumes[0].source->box())
      << "the first volume, outside the group, is not clipped";
  const int planes = int(state.view.scene.planes.size());
  ASSERT_EQ(code(create_element("scene_root", "p", "IPlane",
                                {{"point", "0 0 4"}, {"normal", "0 0 1"}, {"up", "0 1 0"}, {"extent", "8 8"}})),
            0);
  EXPECT_EQ(int(state.view.scene.planes.size()), planes + 1);
  const json bad = create_element("scene_root", "bad", "IClip_region", {{"bbox", "1 1 1 0 2 2"}});
  EXPECT_EQ(code(bad), -32000) << bad.dump(); // the scene built with it fails to load
  EXPECT_NE(message(bad).find("empty"), std::string::npos) << message(bad);
  EXPECT_EQ(state.view.scene.nodes.count("bad"), 0u) << "a refused element changes nothing";
}

TEST_F(ViewMethods, IndexClientsGiveTheirPlanesASurfaceProgramAndReplaceItsSource) {
  const auto surface = [](const std::string& colour) {
    return "class Surface_sample_program {\n"
           "  NV_IDX_SURFACE_SAMPLE_PROGRAM\n"
           "public:\n"
           "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
           "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& i, Sample_output& o) {\n"
           "    o.set_color(" +
           colour +
           ");\n"
           "    return NV_IDX_PROG_OK;\n"
           "  }\n"
           "};\n";
  };
  state.limits.client_programs = true;
  ASSERT_EQ(code(create_element("scene_root", "g", "IStatic_scene_group", json::object())), 0);
  ASSERT_EQ(code(create_element("g", "grid", "ISurface_sample_program",
                                {{"source_string", surface("make_float4(1.0f, 0.0f, 0.0f, 0.5f)")}})),
            0);
  ASSERT_EQ(code(create_element("g", "p", "IPlane",
                                {{"point", "0 0 4"}, {"normal", "0 0 1"}, {"up", "0 1 0"}, {"extent", "8 8"}})),
            0);
  ASSERT_EQ(state.view.scene.surface_programs.size(), 1u);
  const auto grid_text = [&] { return state.view.scene.surface_programs.at(0).program.text; };
  EXPECT_EQ(state.view.scene.surface_programs[0].program.id, "grid");
  EXPECT_EQ(state.view.scene.plane_programs, (std::vector<std::optional<size_t>>{0}));
  EXPECT_TRUE(state.view.surface_programs.at(0)) << "it compiled as a surface program";
  // A new source for it compiles as a surface program too (the node's target), or is refused.
  const auto set = [&](const std::string& source) {
    return call(rpc, std::string(kIndexScene) + "set_scene_element",
                {{"id", "grid"}, {"args", {{"source_string", source}}}});
  };
  ASSERT_EQ(code(set(surface("make_float4(0.0f, 1.0f, 0.0f, 0.5f)"))), 0);
  EXPECT_NE(grid_text().find("0.0f, 1.0f, 0.0f"), std::string::npos);
  const json broken = set(surface("make_float9(0.0f)"));
  EXPECT_EQ(code(broken), -32602) << broken.dump();
  EXPECT_NE(grid_text().find("0.0f, 1.0f, 0.0f"), std::string::npos) << "unchanged";
  // A plane in another group with a program of its own runs that one (the program in scope at it).
  ASSERT_EQ(code(create_element("scene_root", "h", "IStatic_scene_group", json::object())), 0);
  ASSERT_EQ(code(create_element("h", "tint", "ISurface_sample_program",
                                {{"source_string", surface("make_float4(0.0f, 0.0f, 1.0f, 0.5f)")}})),
            0);
  ASSERT_EQ(code(create_element("h", "q", "IPlane",
                                {{"point", "4 0 0"}, {"normal", "1 0 0"}, {"up", "0 0 1"}, {"extent", "8 8"}})),
            0);
  ASSERT_EQ(state.view.scene.surface_programs.size(), 2u);
  EXPECT_EQ(state.view.scene.surface_programs[1].program.id, "tint");
  EXPECT_EQ(state.view.scene.plane_programs, (std::vector<std::optional<size_t>>{0, 1}));
  EXPECT_TRUE(state.view.surface_programs.at(1)) << "it compiled as a surface program";
}

TEST_F(ViewMethods, PlanesAreSetListedAndRemovedAndBadOnesRefused) {
  ASSERT_EQ(state.frame.settings.plane_count, 0);
  json r = call(rpc, "plane.set",
                {{"index", 0}, {"point", {1, 2, 3}}, {"normal", {0, 0, 2}}, {"up", {0, 1, 1}}, {"extent", {10, 5}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_TRUE(state.dirty);
  ASSERT_EQ(state.frame.settings.plane_count, 1);
  const SlicePlane& p = state.frame.settings.planes[0];
  EXPECT_TRUE(p.point == (Vec3f{1, 2, 3}) && p.normal == (Vec3f{0, 0, 1}) && p.up == (Vec3f{0, 1, 0}));
  EXPECT_EQ(p.extent_x, 10.0f);
  EXPECT_EQ(r["result"]["planes"][0]["extent"], json({10.0, 5.0}));
  EXPECT_EQ(r["result"]["max"], kMaxSlicePlanes);
  r = call(rpc, "plane.set",
           {{"index", 1}, {"point", {0, 0, 0}}, {"normal", {1, 0, 0}}, {"up", {0, 0, 1}}, {"extent", {4, 4}}});
  ASSERT_EQ(code(r), 0) << r;
  ASSERT_EQ(state.frame.settings.plane_count, 2);
  // render.set keeps the planes.
  ASSERT_EQ(code(call(rpc, "render.set", {{"shading", true}})), 0);
  EXPECT_EQ(state.frame.settings.plane_count, 2);

  const json good = {{"point", {0, 0, 0}}, {"normal", {0, 0, 1}}, {"up", {0, 1, 0}}, {"extent", {1, 1}}};
  const auto with = [&](const char* key, const json& value) {
    json q = good;
    q["index"] = 0;
    q[key] = value;
    return q;
  };
  for (const json& q :
       {with("index", 3), with("index", -1), with("normal", {0, 0, 0}), with("up", {0, 0, 5}), with("extent", {1, 0}),
        with("extent", {1}), with("extent", "big"), with("point", {1, 2}), with("normal", {1e39, 0, 0})}) {
    const json e = call(rpc, "plane.set", q);
    EXPECT_EQ(code(e), -32602) << q << " -> " << e;
  }
  EXPECT_TRUE(state.frame.settings.planes[0].point == (Vec3f{1, 2, 3})) << "a refused request changes nothing";

  r = call(rpc, "plane.remove", {{"index", 0}});
  ASSERT_EQ(code(r), 0) << r;
  ASSERT_EQ(state.frame.settings.plane_count, 1);
  EXPECT_TRUE(state.frame.settings.planes[0].normal == (Vec3f{1, 0, 0})) << "the later plane moved down";
  EXPECT_EQ(code(call(rpc, "plane.remove", {{"index", 1}})), -32602);
  EXPECT_EQ(call(rpc, "plane.list", json::object())["result"]["planes"].size(), 1u);
  for (int i = 1; i < kMaxSlicePlanes; ++i) ASSERT_EQ(code(call(rpc, "plane.set", with("index", i))), 0);
  EXPECT_EQ(code(call(rpc, "plane.set", with("index", kMaxSlicePlanes))), -32602) << "at most 4 planes";
}

TEST_F(ViewMethods, ProgramSetReplacesTheProgramAndRefusesOnesThatDoNotCompile) {
  EXPECT_EQ(call(rpc, "program.get")["result"]["program"], nullptr) << "the built-in scene has none";
  // Off unless the viewer allows clients' programs (they are native code).
  const json refused = call(rpc, "program.set", {{"source", "class Volume_sample_program {};"}});
  EXPECT_EQ(code(refused), -32000);
  EXPECT_NE(message(refused).find("--allow-programs"), std::string::npos) << message(refused);
  EXPECT_EQ(call(rpc, "program.get")["result"]["settable"], false) << "a page can tell before trying";
  state.limits.client_programs = true;
  EXPECT_EQ(call(rpc, "program.get")["result"]["settable"], true);
  const std::string source =
      "class Volume_sample_program {\n"
      "  NV_IDX_VOLUME_SAMPLE_PROGRAM\n"
      "public:\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
      "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& i, Sample_output& o) {\n"
      "    o.set_color(make_float4(1.0f, 0.0f, 0.0f, 0.1f));\n"
      "    return NV_IDX_PROG_OK;\n"
      "  }\n"
      "};\n";
  json r = call(rpc, "program.set", {{"source", source}, {"buffers", {{"2", "0.5 -2i"}}}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["program"], "libindex_program_supernova");
  EXPECT_EQ(r["result"]["compiled"], true);
  EXPECT_EQ(r["result"]["source"], source);
  EXPECT_EQ(r["result"]["buffers"]["2"], "1056964608u 4294967294u") << "0.5f and -2, word for word";
  ASSERT_TRUE(state.frame.program) << "the shown frame renders with it";
  ASSERT_EQ(state.view.programs.size(), 1u);
  const std::vector<unsigned char>& slot2 = *state.frame.program->buffers[2];
  float half;
  std::memcpy(&half, slot2.data(), 4);
  EXPECT_EQ(half, 0.5f);
  EXPECT_TRUE(r["result"]["gpu"].is_string());

  // Refused, and nothing changes: a program that does not compile, a bad buffer, a bad slot.
  std::string broken = source;
  broken.replace(broken.find("make_float4"), 11, "make_float5");
  r = call(rpc, "program.set", {{"source", broken}});
  EXPECT_EQ(code(r), -32602);
  EXPECT_NE(message(r).find("JSON-RPC program.set:6:"), std::string::npos) << message(r);
  EXPECT_NE(message(r).find("make_float5"), std::string::npos) << message(r);
  EXPECT_EQ(code(call(rpc, "program.set", {{"source", source}, {"buffers", {{"0", "1 two"}}}})), -32602);
  EXPECT_EQ(code(call(rpc, "program.set", {{"source", source}, {"buffers", {{"9", "1"}}}})), -32602);
  EXPECT_EQ(code(call(rpc, "program.set", {{"volume", "nope"}, {"source", source}})), -32602);
  EXPECT_EQ(call(rpc, "program.get")["result"]["source"], source);

  // A second edit replaces the source in the same node; a saved session keeps program and buffers.
  std::string blue = source;
  blue.replace(blue.find("1.0f, 0.0f, 0.0f"), 16, "0.0f, 0.0f, 1.0f");
  ASSERT_EQ(code(call(rpc, "program.set", {{"source", blue}})), 0);
  EXPECT_EQ(call(rpc, "program.get")["result"]["source"], blue);
  SceneSpec saved;
  saved.use_default = false;
  saved.layers.push_back(SceneLayer::from_text(session_project(state), "saved.prj"));
  const SceneView view = build_scene(saved, false);
  ASSERT_EQ(view.scene.volumes.size(), 1u);
  ASSERT_TRUE(view.scene.volumes[0].program);
  EXPECT_EQ(view.scene.volumes[0].program->text, blue);
  EXPECT_EQ(view.scene.volumes[0].program->buffers.at(2).size(), 8u);
  EXPECT_TRUE(view.frame.program);
}
