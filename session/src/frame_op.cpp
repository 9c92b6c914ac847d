// SPDX-License-Identifier: Apache-2.0
#include "libindex/frame_op.h"

#include "wire.h"

namespace libindex {

namespace {

constexpr char kMagic[4] = {'L', 'X', 'O', 'P'};

// Each field is written by name, never as a whole struct: padding bytes never travel, and a field
// added to a struct without being added here is caught by the round-trip test of every field.

void put(wire::Writer& w, Vec3f v) { w.put(v.x), w.put(v.y), w.put(v.z); }
Vec3f get_vec3(wire::Reader& r) {
  const float x = r.get<float>(), y = r.get<float>(), z = r.get<float>();
  return {x, y, z};
}

void put(wire::Writer& w, const Camera& c) {
  put(w, c.from), put(w, c.dir), put(w, c.up);
  w.put(c.aperture), w.put(c.aspect), w.put(c.focal), w.put(c.clip_min), w.put(c.clip_max);
  w.put(uint8_t(c.orthographic));
}
Camera get_camera(wire::Reader& r) {
  Camera c;
  c.from = get_vec3(r), c.dir = get_vec3(r), c.up = get_vec3(r);
  c.aperture = r.get<float>(), c.aspect = r.get<float>(), c.focal = r.get<float>();
  c.clip_min = r.get<float>(), c.clip_max = r.get<float>();
  c.orthographic = r.get<uint8_t>() != 0;
  return c;
}

void put(wire::Writer& w, const Colormap& m) {
  w.put(uint64_t(m.entries.size()));
  for (const Vec4f& e : m.entries) w.put(e.x), w.put(e.y), w.put(e.z), w.put(e.w);
  w.put(m.domain_min), w.put(m.domain_max), w.put(int32_t(m.mode));
  w.put(uint8_t(m.nan_color.has_value()));
  if (m.nan_color) w.put(m.nan_color->x), w.put(m.nan_color->y), w.put(m.nan_color->z), w.put(m.nan_color->w);
}
Colormap get_colormap(wire::Reader& r) {
  Colormap m;
  m.entries.resize(r.get_count(4 * sizeof(float)));
  for (Vec4f& e : m.entries) e.x = r.get<float>(), e.y = r.get<float>(), e.z = r.get<float>(), e.w = r.get<float>();
  m.domain_min = r.get<float>(), m.domain_max = r.get<float>();
  m.mode = BoundaryMode(r.get<int32_t>());
  if (r.get<uint8_t>()) {
    Vec4f& n = m.nan_color.emplace();
    n.x = r.get<float>(), n.y = r.get<float>(), n.z = r.get<float>(), n.w = r.get<float>();
  }
  return m;
}

void put(wire::Writer& w, const RenderSettings& s) {
  w.put(s.sampling_distance), w.put(s.sampling_distance_reference), w.put(int32_t(s.mode));
  const Shading& h = s.shading;
  w.put(uint8_t(h.enabled)), w.put(h.ambient), w.put(h.diffuse), w.put(h.specular), w.put(h.shininess);
  w.put(h.intensity);
  w.put(uint8_t(s.jitter)), w.put(uint8_t(s.early_termination)), w.put(uint8_t(s.empty_space_skipping));
  w.put(uint8_t(s.hardware_filtering));
  put(w, s.region_of_interest.lo), put(w, s.region_of_interest.hi), put(w, s.scaling), put(w, s.translation);
  w.put(int32_t(s.plane_count));
  for (int i = 0; i < s.plane_count; ++i) {
    const SlicePlane& p = s.planes[i];
    put(w, p.point), put(w, p.normal), put(w, p.up), w.put(p.extent_x), w.put(p.extent_y);
  }
}
RenderSettings get_settings(wire::Reader& r) {
  RenderSettings s;
  s.sampling_distance = r.get<float>(), s.sampling_distance_reference = r.get<float>();
  s.mode = RenderMode(r.get<int32_t>());
  Shading& h = s.shading;
  h.enabled = r.get<uint8_t>() != 0;
  h.ambient = r.get<float>(), h.diffuse = r.get<float>(), h.specular = r.get<float>();
  h.shininess = r.get<float>(), h.intensity = r.get<float>();
  s.jitter = r.get<uint8_t>() != 0, s.early_termination = r.get<uint8_t>() != 0;
  s.empty_space_skipping = r.get<uint8_t>() != 0, s.hardware_filtering = r.get<uint8_t>() != 0;
  s.region_of_interest.lo = get_vec3(r), s.region_of_interest.hi = get_vec3(r);
  s.scaling = get_vec3(r), s.translation = get_vec3(r);
  s.plane_count = r.get<int32_t>();
  if (s.plane_count < 0 || s.plane_count > kMaxSlicePlanes)
    throw Error("frame op: " + std::to_string(s.plane_count) + " slice planes (at most " +
                std::to_string(kMaxSlicePlanes) + ")");
  for (int i = 0; i < s.plane_count; ++i) {
    SlicePlane& p = s.planes[i];
    p.point = get_vec3(r), p.normal = get_vec3(r), p.up = get_vec3(r);
    p.extent_x = r.get<float>(), p.extent_y = r.get<float>();
  }
  return s;
}

void put(wire::Writer& w, const std::vector<SceneLayer>& layers) {
  w.put(uint64_t(layers.size()));
  for (const SceneLayer& l : layers) {
    w.put(l.file), w.put(l.text), w.put(l.name);
    w.put(uint64_t(l.assignments.size()));
    for (const auto& [key, value] : l.assignments) w.put(key), w.put(value);
    w.put(uint64_t(l.roots.size()));
    for (const std::string& root : l.roots) w.put(root);
    w.put(uint8_t(l.generated));
  }
}
std::vector<SceneLayer> get_layers(wire::Reader& r) {
  std::vector<SceneLayer> layers(r.get_count(5 * sizeof(uint64_t)));
  for (SceneLayer& l : layers) {
    l.file = r.get_string();
    l.text = r.get_string();
    l.name = r.get_string();
    l.assignments.resize(r.get_count(2 * sizeof(uint64_t)));
    for (auto& [key, value] : l.assignments) {
      key = r.get_string();
      value = r.get_string();
    }
    l.roots.resize(r.get_count(sizeof(uint64_t)));
    for (std::string& root : l.roots) root = r.get_string();
    l.generated = r.get<uint8_t>() != 0;
  }
  return layers;
}

void put(wire::Writer& w, const SceneSpec& s) {
  w.put(uint8_t(s.use_default));
  put(w, s.layers);
  w.put(uint64_t(s.overrides.size()));
  for (const auto& [key, value] : s.overrides) w.put(key), w.put(value);
  put(w, s.edits);
}
SceneSpec get_spec(wire::Reader& r) {
  SceneSpec s;
  s.use_default = r.get<uint8_t>() != 0;
  s.layers = get_layers(r);
  s.overrides.resize(r.get_count(2 * sizeof(uint64_t)));
  for (auto& [key, value] : s.overrides) {
    key = r.get_string();
    value = r.get_string();
  }
  s.edits = get_layers(r);
  return s;
}

} // namespace

std::vector<uint8_t> encode(const Op& op) {
  wire::Writer w;
  for (char c : kMagic) w.put(c);
  w.put(Op::kFormatVersion);
  w.put(uint8_t(op.kind));
  w.put(int32_t(op.scene_version));
  w.put(uint8_t(op.scene.has_value()));
  if (op.scene) put(w, *op.scene);
  w.put(int32_t(op.time_step)), w.put(int32_t(op.next_step));
  w.put(int32_t(op.backend));
  for (int a = 0; a < 3; ++a) w.put(int32_t(op.part.lo[a]));
  for (int a = 0; a < 3; ++a) w.put(int32_t(op.part.hi[a]));
  w.put(uint8_t(op.other_grids));
  put(w, op.frame.camera);
  w.put(uint8_t(op.has_colormap)), w.put(uint8_t(op.fit_domain));
  if (op.has_colormap) put(w, op.frame.colormap);
  put(w, op.frame.settings);
  w.put(int32_t(op.frame.width)), w.put(int32_t(op.frame.height));
  w.put(uint8_t(op.frame.mip_output_values));
  w.put(op.background.x), w.put(op.background.y), w.put(op.background.z), w.put(op.background.w);
  w.put(uint64_t(op.other_colormaps.size()));
  for (const auto& [index, map] : op.other_colormaps) w.put(index), put(w, map);
  if (op.kind == Op::Kind::statistics_over) w.put(op.value_range[0]), w.put(op.value_range[1]);
  return w.take();
}

Op decode(std::span<const uint8_t> bytes) {
  wire::Reader r(bytes, "frame op");
  for (char c : kMagic)
    if (r.get<char>() != c) throw Error("frame op: not an op message (bad magic)");
  const uint32_t version = r.get<uint32_t>();
  if (version != Op::kFormatVersion)
    throw Error("frame op: format version " + std::to_string(version) + ", this rank speaks " +
                std::to_string(Op::kFormatVersion) + ": every rank must run the same libindex");
  Op op;
  const uint8_t kind = r.get<uint8_t>();
  if (kind < uint8_t(Op::Kind::frame) || kind > uint8_t(Op::Kind::statistics_over))
    throw Error("frame op: unknown kind " + std::to_string(kind));
  op.kind = Op::Kind(kind);
  op.scene_version = r.get<int32_t>();
  if (r.get<uint8_t>()) op.scene = get_spec(r);
  op.time_step = r.get<int32_t>(), op.next_step = r.get<int32_t>();
  op.backend = kernels::BackendKind(r.get<int32_t>());
  for (int a = 0; a < 3; ++a) op.part.lo[a] = r.get<int32_t>();
  for (int a = 0; a < 3; ++a) op.part.hi[a] = r.get<int32_t>();
  op.other_grids = r.get<uint8_t>() != 0;
  op.frame.camera = get_camera(r);
  op.has_colormap = r.get<uint8_t>() != 0;
  op.fit_domain = r.get<uint8_t>() != 0;
  if (op.has_colormap)
    op.frame.colormap = get_colormap(r);
  else
    op.frame.colormap.entries.clear();
  op.frame.settings = get_settings(r);
  op.frame.width = r.get<int32_t>(), op.frame.height = r.get<int32_t>();
  op.frame.mip_output_values = r.get<uint8_t>() != 0;
  op.background.x = r.get<float>(), op.background.y = r.get<float>();
  op.background.z = r.get<float>(), op.background.w = r.get<float>();
  op.other_colormaps.resize(r.get_count(sizeof(uint32_t) + sizeof(uint64_t)));
  for (auto& [index, map] : op.other_colormaps) index = r.get<uint32_t>(), map = get_colormap(r);
  if (op.kind == Op::Kind::statistics_over) op.value_range[0] = r.get<double>(), op.value_range[1] = r.get<double>();
  if (!r.at_end()) throw Error("frame op: " + std::to_string(bytes.size()) + " bytes, more than the op holds");
  return op;
}

std::string to_string(Op::Kind kind) {
  switch (kind) {
  case Op::Kind::frame:
    return "frame";
  case Op::Kind::rebalance:
    return "rebalance";
  case Op::Kind::rank_info:
    return "rank_info";
  case Op::Kind::quit:
    return "quit";
  case Op::Kind::statistics:
    return "statistics";
  case Op::Kind::statistics_over:
    return "statistics_over";
  }
  return "unknown";
}

} // namespace libindex
