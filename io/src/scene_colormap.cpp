// SPDX-License-Identifier: Apache-2.0
// Colormap nodes: inline data, a lookup table from IndeX's .cmap file list, IndeX's procedural jet,
// or a named preset.
#include "libindex/error.h"
#include "libindex/io/cmap_reader.h"
#include "scene_internal.h"

namespace libindex::io::detail {
namespace {

Colormap from_data(const SceneNode& node) {
  const Value& size_value = required_attribute(node, "size");
  const int size = as_int(size_value);
  if (size < 2) fail(size_value, "a colormap needs at least 2 entries");
  const Value& data = required_attribute(node, "data");
  const auto numbers = as_floats(data);
  if (numbers.size() != size_t(size) * 4)
    fail(data, "expected size x 4 = " + std::to_string(size_t(size) * 4) + " numbers (size = " + std::to_string(size) +
                   " at " + size_value.origin.to_string() + "), got " + std::to_string(numbers.size()));
  Colormap map;
  map.entries.resize(size_t(size));
  for (size_t i = 0; i < numbers.size(); ++i) {
    const float c = numbers[i];
    if (!(c >= 0.0f && c <= 1.0f))
      fail(data, "entry " + std::to_string(i / 4) + " has component " + std::to_string(c) + " outside [0,1]");
  }
  for (size_t i = 0; i < size_t(size); ++i)
    map.entries[i] = {numbers[4 * i], numbers[4 * i + 1], numbers[4 * i + 2], numbers[4 * i + 3]};
  return map;
}

Colormap from_lookup_table(const SceneNode& node, const SceneResources& resources, const Value* type_value,
                           std::vector<std::string>& warnings) {
  const Value* index_value = find_attribute(node, "map_index");
  if (!index_value && resources.startup_colormap_index) index_value = &*resources.startup_colormap_index;
  const int index = index_value ? as_int(*index_value) : 0;
  if (resources.colormap_files.empty()) {
    // IndeX's viewer ships built-in tables that scenes refer to by index alone; we do not have
    // those, so a scene without app::colormap::file_<n> still renders, with a preset in their place.
    const std::vector<std::string> presets = colormap_preset_names();
    const std::string preset = presets[size_t(std::max(0, index)) % presets.size()];
    const Value& where = index_value ? *index_value : (type_value ? *type_value : Value{});
    warnings.push_back(where.where() + ": no app::colormap::file_" + std::to_string(index) +
                       " given; using the built-in '" + preset + "' colormap instead");
    return colormap_preset(preset);
  }
  const auto it = resources.colormap_files.find(index);
  if (it == resources.colormap_files.end()) {
    const std::string problem = "no colormap file app::colormap::file_" + std::to_string(index) + " (" +
                                std::to_string(resources.colormap_files.size()) + " colormap files given)";
    if (index_value) fail(*index_value, problem);
    if (type_value) fail(*type_value, problem);
    throw Error(node.origin.to_string() + ": colormap node '" + node.id + "': " + problem);
  }
  if (index_value && resources.colormap_file_count && index >= as_int(*resources.colormap_file_count))
    fail(*index_value, "map_index " + std::to_string(index) +
                           " is not below app::colormap::file_count = " + resources.colormap_file_count->text);
  const Value& file = it->second;
  const std::string path = resolve_input_path(file, file.text);
  Colormap map;
  try {
    map = read_cmap(path);
  } catch (const Error& e) {
    fail(file, e.what());
  }
  // The file's own domain and boundary mode (IndeX's viewer reads both with the file), then the
  // node's (colormap_from_node) override them.
  if (const auto d = resources.colormap_file_domains.find(index); d != resources.colormap_file_domains.end()) {
    const auto range = as_floats(d->second, 2);
    if (!(range[1] != range[0])) fail(d->second, "the domain must not be empty");
    map.domain_min = range[0], map.domain_max = range[1];
  }
  const auto file_mode = resources.colormap_file_modes.find(index);
  const Value* mode = file_mode != resources.colormap_file_modes.end() ? &file_mode->second
                      : resources.colormap_boundary_mode               ? &*resources.colormap_boundary_mode
                                                                       : nullptr;
  if (mode) {
    try {
      map.mode = parse_boundary_mode(mode->text);
    } catch (const Error& e) {
      fail(*mode, e.what());
    }
  }
  return map;
}

// IndeX's `map_type = procedural`: `map_name` (jet, the only one IndeX makes) in `map_size` entries.
Colormap from_procedure(const SceneNode& node) {
  if (const Value* name = find_attribute(node, "map_name"); name && name->text != "jet")
    fail(*name, "unknown procedural colormap '" + name->text + "' (IndeX's procedural colormaps: jet)");
  const Value* size_value = find_attribute(node, "map_size");
  const int size = size_value ? as_int(*size_value) : 128; // IndeX's default
  if (size < 2 || size > 65536) fail(*size_value, "map_size must be 2 to 65536, got " + std::to_string(size));
  return colormap_jet(size);
}

} // namespace

Colormap colormap_from_node(const SceneNode& node, const SceneResources& resources,
                            std::vector<std::string>& warnings) {
  const Value* type = find_attribute(node, "map_type");
  const Value* preset = find_attribute(node, "preset");
  Colormap map;
  if (preset) {
    if (type) fail(*type, "a colormap node takes either map_type or preset (libindex), not both");
    try {
      map = colormap_preset(preset->text);
    } catch (const Error& e) {
      fail(*preset, e.what());
    }
  } else if (type ? type->text == "data" : find_attribute(node, "data") != nullptr) {
    map = from_data(node);
  } else if (type ? type->text == "lookup_table"
                  : (find_attribute(node, "map_index") || !resources.colormap_files.empty())) {
    map = from_lookup_table(node, resources, type, warnings);
  } else if (type && type->text == "procedural") {
    map = from_procedure(node);
  } else if (type) {
    fail(*type, "unknown map_type (data, lookup_table or procedural)");
  }
  // Otherwise: an empty colormap node means IndeX's default colormap; core's default ramp stands in.

  if (const Value* v = find_attribute(node, "domain")) {
    const auto d = as_floats(*v, 2);
    if (!(d[1] != d[0])) fail(*v, "the domain must not be empty");
    map.domain_min = d[0];
    map.domain_max = d[1];
  }
  if (const Value* v = find_attribute(node, "domain_boundary_mode")) {
    try {
      map.mode = parse_boundary_mode(v->text);
    } catch (const Error& e) {
      fail(*v, e.what());
    }
  }
  // libindex's own key (IndeX has none): the straight RGBA of NaN values, as ParaView's NanColor.
  if (const Value* v = find_attribute(node, "nan_color")) {
    const auto c = as_floats(*v, 4);
    for (float x : c)
      if (!(x >= 0 && x <= 1)) fail(*v, "nan_color values must be in [0, 1]");
    map.nan_color = Vec4f{c[0], c[1], c[2], c[3]};
  }
  return map;
}

} // namespace libindex::io::detail
