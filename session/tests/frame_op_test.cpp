// SPDX-License-Identifier: Apache-2.0
// The op every rank follows: every field survives encode/decode, and a message of another format
// version, a foreign message or a truncated one is refused with a clear error.
#include <gtest/gtest.h>

#include <cstring>

#include "libindex/error.h"
#include "libindex/frame_op.h"

using namespace libindex;

namespace {

Colormap constant_colormap_for_test() {
  Colormap m;
  m.entries = {{1, 0, 0, 0.25f}};
  return m;
}

/// An op whose every field differs from its default.
Op full_op() {
  Op op;
  op.kind = Op::Kind::rebalance;
  op.scene_version = 7;
  SceneSpec spec;
  spec.use_default = false;
  spec.layers = {SceneLayer::from_file("/data/a.prj"),
                 SceneLayer::from_text("#! index_app_project 0\nk = v\n", "--synthetic")};
  spec.overrides = {{"index::canvas_resolution", "800 600"}, {"app::scene::x::y", "z"}};
  spec.edits = {{"",
                 "",
                 "JSON-RPC create_scene_element blob2",
                 {{"app::scene::blob2::type", "sparse_volume"}, {"k", "v"}},
                 {"/data", "/scratch"}}};
  op.scene = spec;
  op.part = {{3, 0, 5}, {40, 31, 64}};
  op.time_step = 12;
  op.next_step = 13;
  op.backend = kernels::BackendKind::cpu;
  Camera& c = op.frame.camera;
  c.from = {1.5f, -2.25f, 3}, c.dir = {0.1f, 0.2f, -0.9f}, c.up = {0, 0, 1};
  c.aperture = 0.05f, c.aspect = 1.25f, c.focal = 0.07f, c.clip_min = 0.5f, c.clip_max = 900.0f;
  c.orthographic = true;
  Colormap& m = op.frame.colormap;
  m.entries = {{0.1f, 0.2f, 0.3f, 0.4f}, {0.5f, 0.6f, 0.7f, 0.8f}, {0.9f, 1, 0, 0.25f}};
  m.domain_min = -200, m.domain_max = 800, m.mode = BoundaryMode::clamp_to_transparent;
  RenderSettings& s = op.frame.settings;
  s.sampling_distance = 0.25f, s.sampling_distance_reference = 2;
  s.mode = RenderMode::maximum_intensity;
  s.shading = {true, 0.1f, 0.6f, 0.4f, 16, 1.5f};
  s.jitter = true, s.early_termination = false, s.empty_space_skipping = false, s.hardware_filtering = false;
  s.region_of_interest = {{1, 2, 3}, {40, 50, 60}};
  s.scaling = {2, 3, 4}, s.translation = {-1, -2, -3};
  s.plane_count = 2;
  s.planes[0] = {{1, 2, 3}, {0, 0, 1}, {0, 1, 0}, 40, 30};
  s.planes[1] = {{-5, 6, 7}, {1, 0, 0}, {0, 0, 1}, 12.5f, 8};
  op.frame.width = 640, op.frame.height = 480;
  op.frame.mip_output_values = true;
  op.other_grids = false; // not the default: the round trip must carry it
  op.background = {0.1f, 0.2f, 0.3f, 1};
  Colormap other = colormap_preset("magma", 0.5f);
  other.domain_min = -3, other.domain_max = 7, other.mode = BoundaryMode::clamp_to_transparent;
  other.nan_color = Vec4f{1, 0.5f, 0, 0.25f};
  op.other_colormaps = {{2, other}, {5, constant_colormap_for_test()}};
  return op;
}

void expect_same(const Op& a, const Op& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.scene_version, b.scene_version);
  ASSERT_EQ(a.scene.has_value(), b.scene.has_value());
  if (a.scene) {
    EXPECT_TRUE(*a.scene == *b.scene);
  }
  EXPECT_EQ(a.time_step, b.time_step);
  EXPECT_EQ(a.next_step, b.next_step);
  EXPECT_EQ(a.backend, b.backend);
  EXPECT_EQ(a.part, b.part);
  EXPECT_EQ(a.other_grids, b.other_grids);
  const Camera &c = a.frame.camera, &d = b.frame.camera;
  EXPECT_TRUE(c.from == d.from && c.dir == d.dir && c.up == d.up);
  EXPECT_EQ(c.aperture, d.aperture);
  EXPECT_EQ(c.aspect, d.aspect);
  EXPECT_EQ(c.focal, d.focal);
  EXPECT_EQ(c.clip_min, d.clip_min);
  EXPECT_EQ(c.clip_max, d.clip_max);
  EXPECT_EQ(c.orthographic, d.orthographic);
  const Colormap &m = a.frame.colormap, &n = b.frame.colormap;
  ASSERT_EQ(m.entries.size(), n.entries.size());
  for (size_t i = 0; i < m.entries.size(); ++i) EXPECT_TRUE(m.entries[i] == n.entries[i]) << i;
  EXPECT_EQ(m.domain_min, n.domain_min);
  EXPECT_EQ(m.domain_max, n.domain_max);
  EXPECT_EQ(m.mode, n.mode);
  EXPECT_EQ(m.nan_color, n.nan_color);
  const RenderSettings &s = a.frame.settings, &t = b.frame.settings;
  EXPECT_EQ(s.sampling_distance, t.sampling_distance);
  EXPECT_EQ(s.sampling_distance_reference, t.sampling_distance_reference);
  EXPECT_EQ(s.mode, t.mode);
  EXPECT_EQ(s.shading.enabled, t.shading.enabled);
  EXPECT_EQ(s.shading.ambient, t.shading.ambient);
  EXPECT_EQ(s.shading.diffuse, t.shading.diffuse);
  EXPECT_EQ(s.shading.specular, t.shading.specular);
  EXPECT_EQ(s.shading.shininess, t.shading.shininess);
  EXPECT_EQ(s.shading.intensity, t.shading.intensity);
  EXPECT_EQ(s.jitter, t.jitter);
  EXPECT_EQ(s.early_termination, t.early_termination);
  EXPECT_EQ(s.empty_space_skipping, t.empty_space_skipping);
  EXPECT_EQ(s.hardware_filtering, t.hardware_filtering);
  EXPECT_TRUE(s.region_of_interest.lo == t.region_of_interest.lo && s.region_of_interest.hi == t.region_of_interest.hi);
  EXPECT_TRUE(s.scaling == t.scaling && s.translation == t.translation);
  ASSERT_EQ(s.plane_count, t.plane_count);
  for (int i = 0; i < s.plane_count; ++i) {
    const SlicePlane &p = s.planes[i], &q = t.planes[i];
    EXPECT_TRUE(p.point == q.point && p.normal == q.normal && p.up == q.up) << i;
    EXPECT_EQ(p.extent_x, q.extent_x);
    EXPECT_EQ(p.extent_y, q.extent_y);
  }
  EXPECT_EQ(a.frame.width, b.frame.width);
  EXPECT_EQ(a.frame.height, b.frame.height);
  EXPECT_EQ(a.frame.mip_output_values, b.frame.mip_output_values);
  EXPECT_TRUE(a.background == b.background);
  EXPECT_EQ(a.value_range[0], b.value_range[0]);
  EXPECT_EQ(a.value_range[1], b.value_range[1]);
  ASSERT_EQ(a.other_colormaps.size(), b.other_colormaps.size());
  for (size_t i = 0; i < a.other_colormaps.size(); ++i) {
    const auto& [ia, ma] = a.other_colormaps[i];
    const auto& [ib, mb] = b.other_colormaps[i];
    EXPECT_EQ(ia, ib);
    EXPECT_EQ(ma.entries, mb.entries);
    EXPECT_EQ(ma.domain_min, mb.domain_min);
    EXPECT_EQ(ma.domain_max, mb.domain_max);
    EXPECT_EQ(ma.mode, mb.mode);
    EXPECT_EQ(ma.nan_color, mb.nan_color);
  }
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    decode(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST(FrameOp, EveryFieldRoundTrips) {
  const Op op = full_op();
  expect_same(op, decode(encode(op)));
}

TEST(FrameOp, DefaultsRoundTripAndAFrameWithoutSceneIsSmall) {
  Op op; // a frame op of the loop: no scene spec, the default 2-entry colormap
  const std::vector<uint8_t> bytes = encode(op);
  expect_same(op, decode(bytes));
  EXPECT_FALSE(decode(bytes).scene.has_value());
  // A camera change costs a few hundred bytes, well inside one broadcast block (4096).
  EXPECT_LT(bytes.size(), 300u);
  EXPECT_EQ(decode(bytes).frame.camera.clip_max, std::numeric_limits<float>::infinity());
}

TEST(FrameOp, AStatisticsOverOpCarriesItsRange) {
  Op op = full_op();
  op.kind = Op::Kind::statistics_over;
  op.value_range[0] = -2.5, op.value_range[1] = 1e300; // doubles: a float would lose 1e300
  expect_same(op, decode(encode(op)));
  EXPECT_EQ(encode(op).size(), encode(full_op()).size() + 2 * sizeof(double));
}

TEST(FrameOp, EveryKindRoundTrips) {
  for (Op::Kind k : {Op::Kind::frame, Op::Kind::rebalance, Op::Kind::rank_info, Op::Kind::quit, Op::Kind::statistics,
                     Op::Kind::statistics_over}) {
    Op op;
    op.kind = k;
    EXPECT_EQ(decode(encode(op)).kind, k) << to_string(k);
  }
}

TEST(FrameOp, RefusesAnotherFormatVersion) {
  std::vector<uint8_t> bytes = encode(full_op());
  const uint32_t other = Op::kFormatVersion + 6;
  std::memcpy(bytes.data() + 4, &other, sizeof other);
  EXPECT_EQ(error_of(bytes), "frame op: format version " + std::to_string(other) + ", this rank speaks " +
                                 std::to_string(Op::kFormatVersion) + ": every rank must run the same libindex");
}

TEST(FrameOp, RefusesForeignTruncatedAndOverlongMessages) {
  const std::vector<uint8_t> bytes = encode(full_op());
  std::vector<uint8_t> foreign = bytes;
  foreign[0] = 'X';
  EXPECT_EQ(error_of(foreign), "frame op: not an op message (bad magic)");
  for (size_t n : {size_t(0), size_t(3), size_t(9), bytes.size() / 2, bytes.size() - 1}) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(n));
    EXPECT_EQ(error_of(cut), "frame op: truncated message (" + std::to_string(n) + " bytes)") << n;
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(error_of(longer), "frame op: " + std::to_string(longer.size()) + " bytes, more than the op holds");
  std::vector<uint8_t> bad_kind = bytes;
  bad_kind[8] = 9;
  EXPECT_EQ(error_of(bad_kind), "frame op: unknown kind 9");
}

TEST(FrameOp, ACorruptCountCannotAllocateWithoutBound) {
  Op op;
  op.scene = SceneSpec{};
  std::vector<uint8_t> bytes = encode(op);
  // The layer count follows magic (4), version (4), kind (1), scene version (4), has-scene (1),
  // use_default (1): make it 2^60.
  const uint64_t huge = uint64_t(1) << 60;
  std::memcpy(bytes.data() + 15, &huge, sizeof huge);
  EXPECT_EQ(error_of(bytes), "frame op: truncated message (" + std::to_string(bytes.size()) + " bytes)");
}

TEST(FrameOp, AColormapTheRanksHaveStaysHome) {
  Op op;
  op.frame.colormap = colormap_preset("viridis", 1.0f); // 256 entries: 4 KiB
  ASSERT_EQ(op.frame.colormap.entries.size(), 256u);
  const size_t with = encode(op).size();
  op.has_colormap = false;
  const std::vector<uint8_t> bytes = encode(op);
  EXPECT_EQ(with - bytes.size(), 256 * 16 + 8 + 12 + 1); // entries, their count, domain, mode, no NaN colour
  const Op back = decode(bytes);
  EXPECT_FALSE(back.has_colormap);
  EXPECT_TRUE(back.frame.colormap.entries.empty());
  EXPECT_TRUE(decode(encode(full_op())).has_colormap);
}
