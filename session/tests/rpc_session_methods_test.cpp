// SPDX-License-Identifier: Apache-2.0
// The JSON-RPC methods that run the frame loop (snapshot, scene.load, session.stats, cluster.*,
// IndeX perflab) on a real one-rank session over MPI_COMM_SELF: no mpirun, nothing mocked.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "libindex/io/movie_writer.h"
#include "libindex/png/png.h"
#include "libindex/rpc_methods.h"
#include "libindex/session.h"
#include "rpc_test_util.h"

using namespace libindex;
using namespace libindex::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> unbase64(const std::string& text) {
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = std::strchr(table, c);
    if (c == '=' || !p) break;
    bits = bits << 6 | uint32_t(p - table);
    if ((count += 6) >= 8) out.push_back(uint8_t(bits >> (count -= 8)));
  }
  return out;
}

uint32_t big_endian(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/// A file session.save wrote, loaded the way index-render loads a .prj.
SceneView load_saved(const std::string& text) {
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_text(text, "saved.prj"));
  SceneView view = build_scene(spec, false);
  EXPECT_TRUE(view.scene.warnings.empty()) << view.scene.warnings.front(); // every key it wrote is read
  return view;
}

/// The largest difference of a channel (0-255) between `view` rendered alone, over the background
/// (0.2, 0.3, 0.4), and a snapshot shown before.
int largest_difference(const SceneView& view, const png::Decoded& shown) {
  SessionOptions options;
  options.backend = kernels::BackendKind::cpu, options.log = false;
  Session alone(MPI_COMM_SELF, options);
  alone.set_volume(view.volume);
  const std::vector<uint8_t> rgba = to_rgba8_straight(alone.render_frame(view.frame, {0.2f, 0.3f, 0.4f, 1.0f}));
  if (rgba.size() != shown.rgba8.size()) return 256;
  int worst = 0;
  for (size_t i = 0; i < rgba.size(); ++i) worst = std::max(worst, std::abs(int(rgba[i]) - int(shown.rgba8[i])));
  return worst;
}

class SessionMethods : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("libindex_rpc_" + std::to_string(::getpid()));
    fs::create_directories(root);
    SessionOptions options;
    options.log = false;
    options.backend = kernels::BackendKind::cpu;
    head = std::make_unique<Head>(MPI_COMM_SELF, options, small_scene(), std::vector<std::string>{root.string()});
    rpc::add_all_methods(rpc, *head, [] { return json{{"clients", 0}}; });
  }
  void TearDown() override {
    head.reset();
    fs::remove_all(root);
  }
  fs::path root;
  std::unique_ptr<Head> head;
  streaming::RpcDispatcher rpc;
};

} // namespace

TEST_F(SessionMethods, SnapshotRendersAPngOfTheAskedSize) {
  const json r = call(rpc, "snapshot", {{"width", 40}, {"height", 30}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["width"], 40);
  const std::vector<uint8_t> png = unbase64(r["result"]["png_base64"]);
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(std::string(png.begin() + 1, png.begin() + 4), "PNG");
  EXPECT_EQ(big_endian(png.data() + 16), 40u); // IHDR width and height
  EXPECT_EQ(big_endian(png.data() + 20), 30u);
  EXPECT_EQ(head->ops_sent(), 1); // one frame op
  EXPECT_GT(head->last_stats().samples, 0);
}

TEST_F(SessionMethods, InteractiveFramesAreReducedAndTheNextFullFrameIsNot) {
  // While the user drags, the loop renders 1/divisor of the 64x48 canvas on both axes (rounded
  // down), says so, and asks for a full frame afterwards; once the drag ends the frame is whole.
  ASSERT_EQ(code(call(rpc, "view.interaction", {{"active", true}})), 0);
  bool reduced = false;
  Image frame = head->render_view(4, &reduced);
  EXPECT_EQ(frame.width(), 16);
  EXPECT_EQ(frame.height(), 12);
  EXPECT_TRUE(reduced);
  EXPECT_TRUE(head->state().refine);
  frame = head->render_view(5, &reduced);
  EXPECT_EQ(frame.width(), 12);
  EXPECT_EQ(frame.height(), 9);
  EXPECT_TRUE(reduced);
  frame = head->render_view(1, &reduced); // divisor 1: nothing to reduce
  EXPECT_EQ(frame.width(), 64);
  EXPECT_EQ(frame.height(), 48);
  EXPECT_FALSE(reduced);
  EXPECT_FALSE(head->state().refine);
  ASSERT_EQ(code(call(rpc, "view.interaction", {{"active", false}})), 0);
  frame = head->render_view(4, &reduced);
  EXPECT_EQ(frame.width(), 64);
  EXPECT_EQ(frame.height(), 48);
  EXPECT_FALSE(reduced);
  EXPECT_FALSE(head->state().refine);
  EXPECT_EQ(head->state().frame.width, 64); // the state keeps the whole canvas throughout
  EXPECT_EQ(head->ops_sent(), 4);
}

TEST_F(SessionMethods, SnapshotBackgroundIsWhatTheCallerAsks) {
  // The scene has a transparent background: a snapshot is transparent where no volume is, and
  // opaque black when asked for (what the page shows).
  for (const bool black : {false, true}) {
    json params{{"width", 40}, {"height", 30}};
    if (black) params["background"] = {0, 0, 0, 1};
    const json r = call(rpc, "snapshot", params);
    ASSERT_EQ(code(r), 0) << r;
    const png::Decoded image = png::decode(unbase64(r["result"]["png_base64"]));
    ASSERT_EQ(image.width, 40);
    const uint8_t* corner = image.rgba8.data(); // no volume there
    EXPECT_EQ(corner[3], black ? 255 : 0);
    EXPECT_EQ(corner[0] + corner[1] + corner[2], 0);
    int opaque = 0;
    for (size_t i = 3; i < image.rgba8.size(); i += 4) opaque += image.rgba8[i] == 255;
    if (black) {
      EXPECT_EQ(opaque, 40 * 30); // every pixel
    }
  }
  EXPECT_EQ(code(call(rpc, "snapshot", {{"background", {0, 0, 0}}})), -32602);
  EXPECT_EQ(message(call(rpc, "snapshot", {{"background", {0, 0, 2, 1}}})),
            "invalid params: 'background' values must be in [0, 1]");
}

// A float volume of -200..800 whose scene sets no colormap domain is shown over its data range (not
// the default [0, 1], which would saturate it); scene.info and volume.info report the values.
TEST_F(SessionMethods, ASceneWithoutADomainShowsItsDataRange) {
  {
    std::vector<float> ramp(16 * 16 * 16);
    for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = -200.0f + 1000.0f * float(i % 16) / 15.0f;
    std::ofstream(root / "ramp_16x16x16_float32.raw", std::ios::binary)
        .write(reinterpret_cast<const char*>(ramp.data()), std::streamsize(ramp.size() * sizeof(float)));
  }
  const std::string scene = "#! index_app_project 0\n"
                            "app::scene::root::children = cmap v\n"
                            "app::scene::cmap::type = colormap\n"
                            "app::scene::cmap::preset = magma\n"
                            "app::scene::v::type = sparse_volume\n"
                            "app::scene::v::input_file = ramp_16x16x16_float32.raw\n"
                            "app::scene::v::unit = K\n";
  std::ofstream(root / "no_domain.prj") << scene;
  std::ofstream(root / "domain.prj") << scene << "app::scene::cmap::domain = 0 1\n";
  ASSERT_EQ(code(call(rpc, "scene.load", {{"path", (root / "no_domain.prj").string()}})), 0);
  EXPECT_EQ(call(rpc, "volume.info")["result"]["statistics"], json(nullptr)); // no frame has read it yet
  ASSERT_EQ(code(call(rpc, "snapshot", {{"width", 16}, {"height", 16}})), 0);
  json cmap = call(rpc, "colormap.get")["result"];
  EXPECT_EQ(cmap["domain"], json({-200.0, 800.0}));
  EXPECT_EQ(cmap["preset"], "magma"); // the scene's preset, not "(custom)"
  const json info = call(rpc, "scene.info")["result"]["volumes"][0];
  EXPECT_EQ(info["size"], json({16, 16, 16}));
  EXPECT_EQ(info["dtype"], "float32");
  EXPECT_EQ(info["unit"], "K");
  EXPECT_EQ(info["spacing"], json({1.0, 1.0, 1.0}));
  const json st = info["statistics"];
  EXPECT_EQ(st["min"], -200.0);
  EXPECT_EQ(st["max"], 800.0);
  EXPECT_EQ(st["count"], 4096);
  EXPECT_EQ(st["histogram"][0], 256);   // x = 0
  EXPECT_EQ(st["histogram"][255], 256); // x = 15, the maximum, in the last bin
  EXPECT_EQ(call(rpc, "volume.info")["result"]["statistics"], st);

  // The volume file itself opens too (a one-volume scene, the data range as its domain), and
  // data.list shows it and the scenes beside it.
  const json listing = call(rpc, "data.list");
  ASSERT_EQ(code(listing), 0) << listing;
  EXPECT_EQ(listing["result"]["files"][0],
            json({{"name", "domain.prj"}, {"kind", "scene"}, {"bytes", fs::file_size(root / "domain.prj")}}));
  EXPECT_EQ(listing["result"]["files"][2]["name"], "ramp_16x16x16_float32.raw");
  EXPECT_EQ(listing["result"]["files"][2]["kind"], "volume");
  EXPECT_EQ(listing["result"]["files"].size(), 3u);
  EXPECT_EQ(code(call(rpc, "data.list", {{"path", "/etc"}})), -32602);
  EXPECT_EQ(code(call(rpc, "data.list", {{"path", "domain.prj"}})), -32602); // not a folder
  ASSERT_EQ(code(call(rpc, "scene.load", {{"path", "ramp_16x16x16_float32.raw"}})), 0);
  ASSERT_EQ(code(call(rpc, "snapshot", {{"width", 16}, {"height", 16}})), 0);
  EXPECT_EQ(call(rpc, "colormap.get")["result"]["domain"], json({-200.0, 800.0}));
  EXPECT_EQ(call(rpc, "volume.info")["result"]["size"], json({16, 16, 16}));

  // A scene that sets a domain keeps it; a client's domain set before the first frame wins.
  ASSERT_EQ(code(call(rpc, "scene.load", {{"path", (root / "domain.prj").string()}})), 0);
  ASSERT_EQ(code(call(rpc, "snapshot", {{"width", 16}, {"height", 16}})), 0);
  EXPECT_EQ(call(rpc, "colormap.get")["result"]["domain"], json({0.0, 1.0}));
  ASSERT_EQ(code(call(rpc, "scene.load", {{"path", (root / "no_domain.prj").string()}})), 0);
  ASSERT_EQ(code(call(rpc, "colormap.set", {{"domain", {0, 500}}})), 0);
  ASSERT_EQ(code(call(rpc, "snapshot", {{"width", 16}, {"height", 16}})), 0);
  EXPECT_EQ(call(rpc, "colormap.get")["result"]["domain"], json({0.0, 500.0}));
}

// session.save writes what is shown; that file, loaded the way index-render loads a .prj (or by
// session.load), gives the same picture.
TEST_F(SessionMethods, ASavedSessionRendersTheImageThatWasShown) {
  ASSERT_EQ(code(call(rpc, "camera.set", {{"from", {40, -30, 70}}, {"dir", {-0.4, 0.5, -0.75}}, {"up", {0, 0, 1}}})),
            0);
  ASSERT_EQ(code(call(rpc, "colormap.set",
                      {{"preset", "magma"},
                       {"domain", {0.1, 0.9}},
                       {"opacity_points", {{0, 0}, {0.3, 0.05}, {1, 0.8}}},
                       {"nan_color", {0, 1, 0, 0.25}}})),
            0);
  ASSERT_EQ(
      code(call(rpc, "render.set", {{"shading", true}, {"sampling_distance", 0.3}, {"width", 48}, {"height", 40}})), 0);
  // A slice plane through the middle of the volume comes back too.
  const json roi = call(rpc, "roi.get")["result"];
  const json lo = roi["volume_min"], hi = roi["volume_max"];
  const double mid_z = 0.5 * (lo[2].get<double>() + hi[2].get<double>());
  ASSERT_EQ(
      code(call(rpc, "plane.set",
                {{"index", 0},
                 {"point", {lo[0], lo[1], mid_z}},
                 {"normal", {0.1, 0, 1}},
                 {"up", {0, 1, 0}},
                 {"extent", {hi[0].get<double>() - lo[0].get<double>(), hi[1].get<double>() - lo[1].get<double>()}}})),
      0);
  const json shot = call(rpc, "snapshot", {{"background", {0.2, 0.3, 0.4, 1}}});
  ASSERT_EQ(code(shot), 0) << shot;
  const png::Decoded shown = png::decode(unbase64(shot["result"]["png_base64"]));
  const json saved = call(rpc, "session.save");
  ASSERT_EQ(code(saved), 0) << saved;
  const std::string text = saved["result"]["project"];
  EXPECT_NE(text.find("app::libindex::view::shading = true"), std::string::npos);
  EXPECT_NE(text.find("app::libindex::view::planes = 1"), std::string::npos);
  EXPECT_NE(text.find("app::libindex::view::plane_0 = "), std::string::npos);

  const SceneView view = load_saved(text);
  EXPECT_EQ(view.frame.width, 48);
  EXPECT_EQ(view.frame.settings.plane_count, 1);
  EXPECT_EQ(view.frame.colormap.nan_color, (Vec4f{0, 1, 0, 0.25f}));
  EXPECT_LE(largest_difference(view, shown), 1) << "the saved session renders another picture";

  // Written as a file only inside the output root, never over one.
  EXPECT_NE(message(call(rpc, "session.save", {{"path", "a.prj"}})).find("this viewer writes no files"),
            std::string::npos);
}

// A scene that index::global_transform turns: libindex's camera lives in the turned scene space,
// and session.save writes it back in IndeX's world space, where the file's camera was.
TEST_F(SessionMethods, ASavedTurnedSceneKeepsItsCameraInWorldSpace) {
  SceneSpec turned = small_scene();
  turned.overrides.push_back({"index::global_transform", "0 1 0 0 -1 0 0 0 0 0 1 0 40 0 0 1"}); // x to y about z
  SessionOptions options;
  options.log = false, options.backend = kernels::BackendKind::cpu;
  head = std::make_unique<Head>(MPI_COMM_SELF, options, turned, std::vector<std::string>{root.string()});
  streaming::RpcDispatcher turned_rpc;
  rpc::add_all_methods(turned_rpc, *head, [] { return json{{"clients", 0}}; });
  ASSERT_EQ(
      code(call(turned_rpc, "camera.set", {{"from", {40, -30, 70}}, {"dir", {-0.4, 0.5, -0.75}}, {"up", {0, 0, 1}}})),
      0);
  ASSERT_EQ(code(call(turned_rpc, "render.set", {{"width", 48}, {"height", 40}})), 0); // the camera's aspect too
  const json shot = call(turned_rpc, "snapshot", {{"background", {0.2, 0.3, 0.4, 1}}});
  ASSERT_EQ(code(shot), 0) << shot;
  const json saved = call(turned_rpc, "session.save");
  ASSERT_EQ(code(saved), 0) << saved;
  const std::string text = saved["result"]["project"];
  // World = scene turned by the matrix (x to y about z): (40, -30, 70) -> (30, 40, 70).
  EXPECT_NE(text.find("index::camera::from = 30 40 70"), std::string::npos) << text;
  EXPECT_NE(text.find("index::camera::up = 0 0 1"), std::string::npos) << text;
  const SceneView view = load_saved(text);
  EXPECT_EQ(view.frame.camera.from, (Vec3f{40, -30, 70}));
  EXPECT_NEAR(view.frame.camera.dir.x, -0.4f, 1e-6f);
  EXPECT_NEAR(view.frame.camera.dir.y, 0.5f, 1e-6f);
  EXPECT_LE(largest_difference(view, png::decode(unbase64(shot["result"]["png_base64"]))), 1);
}

TEST_F(SessionMethods, MovieRecordWritesAnOrbitUnderTheOutputRoot) {
  EXPECT_NE(message(call(rpc, "movie.record", {{"path", "a.mp4"}})).find("this viewer writes no files"),
            std::string::npos);
  head->state().output_root = root.string();
  EXPECT_EQ(message(call(rpc, "movie.record", {{"path", "a.mp4"}, {"frames", 1}})),
            "invalid params: 'frames' must be 2..3600");
  EXPECT_EQ(message(call(rpc, "movie.record", {{"path", "a.png"}})), "invalid params: 'path': 'a.png' must end in "
                                                                     ".mp4, .mkv, .mov or .avi");
  if (!io::movie_support()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const long long ops = head->ops_sent();
  const json r = call(rpc, "movie.record", {{"path", "orbit.mp4"}, {"frames", 4}, {"fps", 8}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["frames"], 4);
  EXPECT_EQ(head->ops_sent() - ops, 4); // one frame op a view
  EXPECT_GT(fs::file_size(root / "orbit.mp4"), 100u);
  EXPECT_NE(message(call(rpc, "movie.record", {{"path", "orbit.mp4"}})).find("exists already"), std::string::npos);
}

TEST_F(SessionMethods, SnapshotErrors) {
  EXPECT_EQ(code(call(rpc, "snapshot", {{"width", 0}})), -32602);
  EXPECT_EQ(message(call(rpc, "snapshot", {{"width", 10000}, {"height", 10000}})),
            "invalid params: 10000x10000 is 100000000 pixels, over the limit of 16777216");
  const json outside = call(rpc, "snapshot", {{"path", "/tmp/../etc/x.png"}});
  EXPECT_EQ(code(outside), -32602);
  EXPECT_NE(message(outside).find("this viewer writes no files"), std::string::npos) << outside;
  EXPECT_EQ(head->ops_sent(), 0); // nothing was rendered for a refused request
}

TEST_F(SessionMethods, SceneLoadInsideAndOutsideTheRoots) {
  EXPECT_EQ(code(call(rpc, "scene.load", {{"path", "/etc/passwd"}})), -32602);
  const json missing = call(rpc, "scene.load", {{"path", (root / "none.prj").string()}});
  EXPECT_EQ(code(missing), -32000) << missing;
  std::ofstream(root / "tiny.prj") << "#! index_app_project 0\n"
                                      "app::scene::root::children = v\n"
                                      "app::scene::v::type = sparse_volume\n"
                                      "app::scene::v::generator = sphere\n"
                                      "app::scene::v::size = 16\n"
                                      "app::scene::v::bbox = 0 0 0 16 16 16\n";
  const json r = call(rpc, "scene.load", {{"path", (root / "tiny.prj").string()}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["volumes"][0]["box"], json({0, 0, 0, 16, 16, 16}));
}

TEST_F(SessionMethods, ClusterStatusStatsAndRebalance) {
  json r = call(rpc, "cluster.status");
  ASSERT_EQ(code(r), 0) << r;
  ASSERT_EQ(r["result"]["ranks"].size(), 1u);
  EXPECT_EQ(r["result"]["ranks"][0]["leaf"], json({0, 0, 0, 32, 32, 32}));
  ASSERT_EQ(code(call(rpc, "snapshot")), 0);
  r = call(rpc, "session.stats");
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["ranks"], 1);
  EXPECT_EQ(r["result"]["clients"], 0); // from the serving side
  EXPECT_EQ(r["result"]["ops"], 2);     // rank info, then the snapshot's frame
  r = call(rpc, "cluster.rebalance");
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["changed"], false); // one rank: nothing to move
  EXPECT_EQ(r["result"]["leaves"], json::array({json({0, 0, 0, 32, 32, 32})}));
}

TEST_F(SessionMethods, IndexPerformanceValues) {
  json r = call(rpc, "nv::index::app::perflab.get_performance_value", {{"query_performance_key_list", true}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["performance_key_list"].size(), 5u);
  r = call(rpc, "nv::index::app::perflab.get_performance_value",
           {{"query_performance_value", {"nb_horizontal_spans"}}});
  EXPECT_EQ(r["result"]["performance_value"]["nb_horizontal_spans"], 1);
  EXPECT_EQ(message(call(rpc, "nv::index::app::perflab.get_performance_value", {{"query_performance_value", {"x"}}})),
            "invalid params: 'query_performance_value': unknown key 'x'");

  // IndeX's notebook adds a volume and polls until nb_subcubes_rendered and frames_per_second say
  // it rendered. Between the scene change and the new scene's first frame the values are 0: the
  // replaced scene's would say the new volume rendered before any frame of it did (found with
  // NVIDIA's dataset notebook: it reported loaded, and showed an empty canvas).
  const auto values = [&] {
    const json v = call(rpc, "nv::index::app::perflab.get_performance_value",
                        {{"query_performance_value", {"nb_subcubes_rendered", "frames_per_second"}}});
    return v["result"]["performance_value"];
  };
  ASSERT_EQ(code(call(rpc, "snapshot")), 0);
  EXPECT_EQ(values()["nb_subcubes_rendered"], 1);
  EXPECT_GT(values()["frames_per_second"].get<double>(), 0.0);
  std::ofstream(root / "next.prj") << "#! index_app_project 0\n"
                                      "app::scene::root::children = v\n"
                                      "app::scene::v::type = sparse_volume\n"
                                      "app::scene::v::generator = sphere\n"
                                      "app::scene::v::size = 16\n"
                                      "app::scene::v::bbox = 0 0 0 16 16 16\n";
  ASSERT_EQ(code(call(rpc, "scene.load", {{"path", (root / "next.prj").string()}})), 0);
  EXPECT_EQ(values()["nb_subcubes_rendered"], 0);
  EXPECT_EQ(values()["frames_per_second"], 0);
  ASSERT_EQ(code(call(rpc, "snapshot")), 0);
  EXPECT_EQ(values()["nb_subcubes_rendered"], 1);
  EXPECT_GT(values()["frames_per_second"].get<double>(), 0.0);
}

TEST_F(SessionMethods, SceneLoadResolvesRelativePathsAgainstTheRootAndItsFilesObeyTheRoots) {
  const fs::path outside = fs::temp_directory_path() / ("libindex_outside_" + std::to_string(::getpid()) + ".raw");
  std::ofstream(outside, std::ios::binary) << std::string(8, char(9));
  std::ofstream(root / "evil.prj") << "#! index_app_project 0\n"
                                      "app::scene::root::children = v\n"
                                      "app::scene::v::type = sparse_volume\n"
                                      "app::scene::v::importer = raw\n"
                                      "app::scene::v::voxel_format = uint8\n"
                                      "app::scene::v::bbox = 0 0 0 2 2 2\n"
                                      "app::scene::v::input_file = "
                                   << outside.string() << "\n";
  const json r = call(rpc, "scene.load", {{"path", "evil.prj"}}); // relative: against the data root
  EXPECT_EQ(code(r), -32000) << r;
  EXPECT_NE(message(r).find("is outside the data roots"), std::string::npos) << r;
  EXPECT_EQ(head->state().view.volume_box.hi.x, 32.0f); // the scene is unchanged
  fs::remove(outside);
}

TEST_F(SessionMethods, SceneEditsAreDataNoValueAddsAKey) {
  const std::string create =
      "nv::index::app::scene_management_center::scene_management_center_command_receiver.create_scene_element";
  auto element = [&](const std::string& id, const json& args) {
    return call(
        rpc, create,
        {{"parent_group_id", "scene_root"}, {"new_scene_element_id", id}, {"class_name", "IColormap"}, {"args", args}});
  };
  const int version = head->state().scene_version;
  // A newline would have injected app::colormap::file_0 into pasted project text.
  json r = element("c1", {{"domain", "0 1\napp::colormap::file_0 = /etc/passwd"}});
  EXPECT_EQ(message(r), "invalid params: 'args.domain' must be one line");
  r = element("c2", {{"domain ", "0 1"}}); // a key with a trailing space
  EXPECT_EQ(message(r), "invalid params: 'args.domain ' is not an attribute of a colormap");
  r = element("c3", {{"file_name", "/etc/passwd"}});
  EXPECT_EQ(code(r), -32602);
  EXPECT_NE(message(r).find("is outside the data roots"), std::string::npos) << r;
  r = element("bad\nid", {{"domain", "0 1"}});
  EXPECT_EQ(code(r), -32602);
  r = call(rpc, create,
           {{"parent_group_id", "scene_root"},
            {"new_scene_element_id", "v2"},
            {"class_name", "ISparse_volume_scene_element"},
            {"args", {{"input_directory", root.string()}, {"input_file_base_name", "../x"}}}});
  EXPECT_EQ(message(r), "invalid params: 'args.input_file_base_name' must be a file name, not a path");
  EXPECT_EQ(head->state().scene_version, version); // nothing was applied
  // A multi-line table is data too: it becomes the colormap's entries, nothing else.
  r = element("c4", {{"map_type", "data"}, {"size", "2"}, {"data", "1 0 0 0\n0 0 1 1"}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(head->state().scene_version, version + 1);
  // The old c4's attributes erased (an element created again starts afresh), type, 3 args, root's children.
  EXPECT_EQ(head->state().spec.edits.back().assignments.size(), 6u);
}

TEST_F(SessionMethods, SnapshotsWriteOnlyNewPngFilesInsideTheOutputRoot) {
  json r = call(rpc, "snapshot", {{"path", "a.png"}});
  EXPECT_EQ(message(r), "invalid params: 'path': this viewer writes no files (start it with --output-root DIR); "
                        "leave 'path' out to get the PNG back");
  const fs::path out = root / "out";
  fs::create_directories(out);
  head->state().output_root = out.string();
  r = call(rpc, "snapshot", {{"path", "a.png"}, {"width", 8}, {"height", 8}});
  ASSERT_EQ(code(r), 0) << r;
  EXPECT_EQ(r["result"]["path"], (out / "a.png").string());
  EXPECT_GT(fs::file_size(out / "a.png"), 8u);
  const auto ops = head->ops_sent();
  r = call(rpc, "snapshot", {{"path", "a.png"}});
  EXPECT_EQ(message(r), "invalid params: 'path': 'a.png' exists already: this viewer never overwrites a file");
  std::ofstream(out / "scene.prj") << "#! index_app_project 0\n";
  EXPECT_EQ(message(call(rpc, "snapshot", {{"path", "scene.prj"}})),
            "invalid params: 'path': 'scene.prj': the path must end in .png");
  fs::create_symlink(root / "elsewhere.png", out / "link.png"); // dangling, to outside the output root
  r = call(rpc, "snapshot", {{"path", "link.png"}});
  EXPECT_NE(message(r).find("is outside the output root"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(root / "elsewhere.png"));
  EXPECT_EQ(code(call(rpc, "snapshot", {{"path", "../b.png"}})), -32602);
  EXPECT_EQ(head->ops_sent(), ops); // nothing rendered for refused requests
}

// A snapshot or saved view that cannot be written whole (a full disk; here a file size limit) leaves
// no part of a file behind: the same name can be tried again once there is room.
TEST_F(SessionMethods, AFailedWriteLeavesNoFileAndTheNameFree) {
  const fs::path out = root / "out";
  fs::create_directories(out);
  head->state().output_root = out.string();
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead
  rlimit small = before;
  small.rlim_cur = 100; // bytes: less than any PNG of 64 x 64 or saved view
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const json png = call(rpc, "snapshot", {{"path", "full.png"}, {"width", 64}, {"height", 64}});
  const json prj = call(rpc, "session.save", {{"path", "full.prj"}});
  const json movie = io::movie_support()
                         ? call(rpc, "movie.record", {{"path", "full.mp4"}, {"frames", 4}, {"fps", 8}})
                         : json{{"error", {{"code", -32000}, {"message", "(no movie writer in this build)"}}}};
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(code(png), -32000) << png;
  EXPECT_NE(message(png).find("cannot write"), std::string::npos) << png;
  EXPECT_EQ(code(prj), -32000) << prj;
  EXPECT_FALSE(fs::exists(out / "full.png"));
  EXPECT_FALSE(fs::exists(out / "full.prj"));
  EXPECT_EQ(code(movie), -32000) << movie;
  EXPECT_FALSE(fs::exists(out / "full.mp4"));
  const json again = call(rpc, "snapshot", {{"path", "full.png"}, {"width", 64}, {"height", 64}});
  ASSERT_EQ(code(again), 0) << again;
  EXPECT_GT(fs::file_size(out / "full.png"), 100u);
}
