// SPDX-License-Identifier: Apache-2.0
// Scene-graph nodes from `app::scene::<id>::<attribute>` keys, and the attribute nodes
// (rendering properties, headlight, colormap) applied to the state volumes inherit.
#include <algorithm>
#include <cmath>
#include <span>

#include "libindex/error.h"
#include "libindex/io/scene.h"
#include "scene_internal.h"

namespace libindex::io {

namespace detail {

const Value* find_attribute(const SceneNode& node, const std::string& name) {
  const auto it = node.attributes.find(name);
  return it == node.attributes.end() ? nullptr : &it->second;
}

const Value& required_attribute(const SceneNode& node, const std::string& name) {
  if (const Value* v = find_attribute(node, name)) return *v;
  throw Error(node.origin.to_string() + ": " + node.type + " node '" + node.id + "' needs '" + name + "'");
}

} // namespace detail

std::map<std::string, SceneNode> scene_nodes(const ProjectFile& project) {
  const std::string prefix = "app::scene::";
  std::map<std::string, SceneNode> nodes;
  for (const Value& v : project.entries_with_prefix(prefix)) {
    const std::string rest = v.key.substr(prefix.size());
    const auto sep = rest.find("::");
    if (sep == std::string::npos) continue; // not a node attribute; load_scene warns about it
    const std::string id = rest.substr(0, sep), attribute = rest.substr(sep + 2);
    if (id == "root" || id == "info") continue; // the graph's entry point and the scene's description
    SceneNode& node = nodes[id];
    node.id = id;
    if (attribute == "type") {
      node.type = v.text;
      node.origin = v.origin;
    } else {
      node.attributes[attribute] = v;
    }
  }
  for (auto& [id, node] : nodes) detail::apply_index_spellings(node);
  // Groups keep their children as a list; other node types keep `children` as an attribute so that it
  // is reported as one they do not use.
  for (auto& [id, node] : nodes) {
    if (node.type != "static_scene_group" && node.type != "transformed_scene_group") continue;
    if (const auto it = node.attributes.find("children"); it != node.attributes.end()) {
      node.children = as_words(it->second);
    }
  }
  return nodes;
}

SceneResources scene_resources(const ProjectFile& project) {
  SceneResources r;
  const std::string prefix = "app::colormap::file_";
  for (const Value& v : project.entries_with_prefix(prefix)) {
    std::string index = v.key.substr(prefix.size()), attribute;
    if (index == "count") continue;
    if (const size_t colons = index.find("::"); colons != std::string::npos)
      attribute = index.substr(colons + 2), index.resize(colons);
    Value as_index = v;
    as_index.text = index;
    int n = 0;
    try {
      n = as_int(as_index);
    } catch (const Error&) {
      fail(v, "expected app::colormap::file_<n> with an integer n");
    }
    if (attribute.empty())
      r.colormap_files[n] = v;
    else if (attribute == "domain")
      r.colormap_file_domains[n] = v;
    else if (attribute == "domain_boundary_mode")
      r.colormap_file_modes[n] = v;
    // Other attributes are warned about as unknown keys (is_supported_global_key).
  }
  r.colormap_file_count = project.find("app::colormap::file_count");
  r.startup_colormap_index = project.find("app::colormap::startup_colormap_index");
  r.colormap_boundary_mode = project.find("app::colormap::boundary_mode");
  return r;
}

bool is_attribute_node_type(const std::string& type) {
  return type == "colormap" || type == "sparse_volume_rendering_properties" || type == "directional_headlight" ||
         type == "rendering_kernel_program" || type == "rendering_kernel_program_parameters" ||
         type == "rendering_kernel_program_scene_element_mapping" || type == "clip_region";
}

namespace {

void apply_rendering_properties(const SceneNode& node, SceneAttributes& state, std::vector<std::string>& warnings) {
  if (const Value* v = detail::find_attribute(node, "sampling_distance")) {
    const float d = as_float(*v);
    if (!(d > 0)) fail(*v, "sampling_distance must be positive");
    state.sampling_distance = d;
  }
  if (const Value* v = detail::find_attribute(node, "sampling_distance_reference")) {
    const float d = as_float(*v);
    if (!(d > 0)) fail(*v, "sampling_distance_reference must be positive");
    state.sampling_distance_reference = d;
  }
  if (const Value* v = detail::find_attribute(node, "filter_mode")) {
    if (v->text == "nearest")
      state.nearest_filter = true;
    else if (v->text == "trilinear")
      state.nearest_filter = false;
    else if (v->text.rfind("tricubic", 0) == 0) {
      // IndeX's cubic filters: the picture is close with trilinear, so render rather than refuse.
      state.nearest_filter = false;
      warnings.push_back(v->where() + ": not supported by libindex, using trilinear");
    } else {
      fail(*v, "unknown filter_mode (nearest or trilinear)");
    }
  }
}

void apply_headlight(const SceneNode& node, SceneAttributes& state, std::vector<std::string>& warnings) {
  if (const Value* v = detail::find_attribute(node, "direction")) {
    const Vec3f d = as_vec3f(*v);
    if (!(length(d) > 0)) fail(*v, "direction must not be zero");
    state.light_direction = normalize(d);
  }
  if (const Value* v = detail::find_attribute(node, "intensity")) {
    // IndeX gives the light's intensity as a colour; shading has one intensity: take the mean.
    const auto c = as_floats(*v);
    if (c.size() != 1 && c.size() != 3 && c.size() != 4) fail(*v, "expected 1 number, or r g b [a]");
    float sum = 0;
    bool negative = false;
    for (float x : std::span(c).first(std::min<size_t>(c.size(), 3))) { // a colour's alpha says nothing here
      negative = negative || x < 0;
      sum += std::max(x, 0.0f);
    }
    // IndeX takes a negative component (public scenes have `intensity = 1 -1 0`): render, and say so.
    if (negative) warnings.push_back(v->where() + ": a negative intensity counts as 0");
    state.shading.intensity = sum / float(std::min<size_t>(c.size(), 3));
  }
  state.shading.enabled = true;
}

// IndeX's clip_region attribute: the volumes after it render only inside `bbox` (scene bbox
// coordinates); nested ones intersect.
void apply_clip_region(const SceneNode& node, SceneAttributes& state) {
  const Value& v = detail::required_attribute(node, "bbox");
  const auto b = as_floats(v, 6);
  const Box3f box{{b[0], b[1], b[2]}, {b[3], b[4], b[5]}};
  if (!(box.lo.x < box.hi.x && box.lo.y < box.hi.y && box.lo.z < box.hi.z))
    fail(v, "the clip box is empty (expected min x y z, then max x y z, each max above its min)");
  state.clip_box = state.clip_box ? intersect(*state.clip_box, box) : box;
  state.clip_value = v;
}

} // namespace

void apply_attribute_node(const SceneNode& node, const SceneResources& resources, SceneAttributes& state,
                          std::vector<std::string>& warnings) {
  detail::check_node_attributes(node, warnings);
  if (node.type == "colormap") {
    state.colormap = detail::colormap_from_node(node, resources, warnings);
    state.colormap_id = node.id;
    state.colormap_domain_given = detail::find_attribute(node, "domain") != nullptr;
    const Value* preset = detail::find_attribute(node, "preset");
    state.colormap_preset = preset ? preset->text : std::string();
  } else if (node.type == "sparse_volume_rendering_properties") {
    apply_rendering_properties(node, state, warnings);
  } else if (node.type == "directional_headlight") {
    apply_headlight(node, state, warnings);
  } else if (node.type == "rendering_kernel_program") {
    detail::apply_program(node, state);
  } else if (node.type == "rendering_kernel_program_parameters") {
    detail::apply_program_parameters(node, state);
  } else if (node.type == "rendering_kernel_program_scene_element_mapping") {
    detail::apply_program_mapping(node, state);
  } else if (node.type == "clip_region") {
    apply_clip_region(node, state);
  } else {
    throw Error(node.origin.to_string() + ": app::scene::" + node.id + "::type = '" + node.type +
                "': not an attribute node (colormap, sparse_volume_rendering_properties, directional_headlight)");
  }
}

} // namespace libindex::io
