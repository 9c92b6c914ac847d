// SPDX-License-Identifier: Apache-2.0
#include "frame_json.h"

namespace libindex::viewer {
using nlohmann::json;

json to_json(Vec3f v) { return json::array({v.x, v.y, v.z}); }
static Vec3f vec3(const json& j) { return {j.at(0).get<float>(), j.at(1).get<float>(), j.at(2).get<float>()}; }

json camera_to_json(const Camera& c) {
  return {{"from", to_json(c.from)},
          {"dir", to_json(c.dir)},
          {"up", to_json(c.up)},
          {"aperture", c.aperture},
          {"aspect", c.aspect},
          {"focal", c.focal},
          {"clip_min", c.clip_min},
          {"clip_max", std::isinf(c.clip_max) ? json(nullptr) : json(c.clip_max)},
          {"orthographic", c.orthographic}};
}

static Camera camera_from_json(const json& j) {
  Camera c;
  c.from = vec3(j.at("from")), c.dir = vec3(j.at("dir")), c.up = vec3(j.at("up"));
  c.aperture = j.at("aperture"), c.aspect = j.at("aspect"), c.focal = j.at("focal");
  c.clip_min = j.at("clip_min");
  if (!j.at("clip_max").is_null()) c.clip_max = j.at("clip_max");
  c.orthographic = j.at("orthographic");
  return c;
}

json colormap_to_json(const Colormap& m) {
  json entries = json::array();
  for (const Vec4f& e : m.entries) entries.push_back({e.x, e.y, e.z, e.w});
  return {{"entries", entries}, {"domain", {m.domain_min, m.domain_max}}, {"boundary_mode", to_string(m.mode)}};
}

static Colormap colormap_from_json(const json& j) {
  Colormap m;
  m.entries.clear();
  for (const json& e : j.at("entries")) m.entries.push_back({e.at(0), e.at(1), e.at(2), e.at(3)});
  m.domain_min = j.at("domain").at(0), m.domain_max = j.at("domain").at(1);
  m.mode = parse_boundary_mode(j.at("boundary_mode"));
  return m;
}

json settings_to_json(const RenderSettings& s) {
  const Box3f& r = s.region_of_interest;
  return {{"sampling_distance", s.sampling_distance},
          {"sampling_distance_reference", s.sampling_distance_reference},
          {"mode", s.mode == RenderMode::maximum_intensity ? "mip" : "dvr"},
          {"shading", s.shading.enabled},
          {"light_intensity", s.shading.intensity},
          {"jitter", s.jitter},
          {"early_termination", s.early_termination},
          {"skipping", s.empty_space_skipping},
          {"hardware_filtering", s.hardware_filtering},
          {"roi", {to_json(r.lo), to_json(r.hi)}},
          {"scaling", to_json(s.scaling)},
          {"translation", to_json(s.translation)}};
}

static RenderSettings settings_from_json(const json& j) {
  RenderSettings s;
  s.sampling_distance = j.at("sampling_distance");
  s.sampling_distance_reference = j.at("sampling_distance_reference");
  s.mode = j.at("mode") == "mip" ? RenderMode::maximum_intensity : RenderMode::direct_volume;
  s.shading.enabled = j.at("shading");
  s.shading.intensity = j.at("light_intensity");
  s.jitter = j.at("jitter");
  s.early_termination = j.at("early_termination");
  s.empty_space_skipping = j.at("skipping");
  s.hardware_filtering = j.at("hardware_filtering");
  s.region_of_interest = {vec3(j.at("roi").at(0)), vec3(j.at("roi").at(1))};
  s.scaling = vec3(j.at("scaling"));
  s.translation = vec3(j.at("translation"));
  return s;
}

json frame_to_json(const FrameParams& f) {
  return {{"camera", camera_to_json(f.camera)},
          {"colormap", colormap_to_json(f.colormap)},
          {"settings", settings_to_json(f.settings)},
          {"width", f.width},
          {"height", f.height}};
}

FrameParams frame_from_json(const json& j) {
  FrameParams f;
  f.camera = camera_from_json(j.at("camera"));
  f.colormap = colormap_from_json(j.at("colormap"));
  f.settings = settings_from_json(j.at("settings"));
  f.width = j.at("width"), f.height = j.at("height");
  return f;
}

} // namespace libindex::viewer
