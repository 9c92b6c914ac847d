// SPDX-License-Identifier: Apache-2.0
// The JSON-RPC methods that run the frame loop (snapshot, scene.load, session.stats, cluster.*,
// IndeX perflab) on a real one-rank session over MPI_COMM_SELF: no mpirun, nothing mocked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libindex/rpc_methods.h"
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

TEST_F(SessionMethods, SnapshotErrors) {
  EXPECT_EQ(code(call(rpc, "snapshot", {{"width", 0}})), -32602);
  EXPECT_EQ(message(call(rpc, "snapshot", {{"width", 10000}, {"height", 10000}})),
            "invalid params: 10000x10000 is 100000000 pixels, over the limit of 16777216");
  const json outside = call(rpc, "snapshot", {{"path", "/tmp/../etc/x.png"}});
  EXPECT_EQ(code(outside), -32602);
  EXPECT_NE(message(outside).find("is outside the data roots"), std::string::npos) << outside;
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
}
