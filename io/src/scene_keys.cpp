// SPDX-License-Identifier: Apache-2.0
// Which keys and attributes libindex reads, and which IndeX ones it knows but ignores (with a warning).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scene_internal.h"

namespace libindex::io::detail {
namespace {

struct NodeKeys {
  std::set<std::string> supported;
  std::set<std::string> unsupported; ///< IndeX attributes libindex ignores
};

const std::map<std::string, NodeKeys>& node_keys() {
  // `description_file` (another .prj merged into the node) is IndeX's on every node type, and so is
  // `enabled` (false: the node, and a group's whole subtree, is left out).
  static const std::map<std::string, NodeKeys> table = {
      {"static_scene_group", {{"enabled", "children"}, {"transform", "transformation", "visible", "description_file"}}},
      {"transformed_scene_group",
       {{"enabled", "children", "scale", "rotate", "translate", "transform"}, {"visible", "description_file"}}},
      {"sparse_volume",
       {{"enabled",
         "importer",
         "generator",
         "size",
         "voxel_format",
         "bbox",
         "input_directory",
         "input_file_base_name",
         "input_file_extension",
         "input_file",
         "convert_zyx_to_xyz",
         "clip_region",
         "name",
         "endian",
         "time_steps",
         "grid",
         "unit",
         "input_time_step_enum_length",
         "input_time_step_enum_stride",
         "input_time_step_enum_offset",
         "nb_time_steps"},
        {"cache", "use_cache", "cache_directory", "cache_file", "pickable", "visible", "subset_data_type",
         "importer_configuration", "rendering_kernel_program", "compute_technique", "nb_threads", "verbose",
         "description_file", "allow_reloading", "output_cache_directory"}}},
      {"colormap",
       {{"enabled", "map_type", "map_index", "size", "domain", "domain_boundary_mode", "data", "preset", "map_name",
         "map_size", "nan_color"},
        {"file_name", "color_space", "description_file"}}},
      {"sparse_volume_rendering_properties",
       {{"enabled", "sampling_distance", "sampling_distance_reference", "filter_mode"},
        {"reference_step_size", "lod_rendering_enabled", "lod_pixel_threshold", "preintegrated_volume_rendering",
         "sampling_mode", "sampling_segment_length", "voxel_offsets", "debug_visualization_option", "debug_vis_option",
         "description_file"}}},
      {"directional_headlight", {{"enabled", "direction", "intensity"}, {"color", "description_file"}}},
      {"plane",
       {{"enabled", "point", "normal", "up", "extent"},
        {"pickable", "visible", "name", "material", "roam", "description_file"}}},
      {"clip_region", {{"enabled", "bbox"}, {"description_file"}}},
      {"rendering_kernel_program",
       {{"enabled", "target", "source_file", "source_string", "program"}, {"name", "description_file"}}},
      {"rendering_kernel_program_parameters", {{"enabled"}, {"name", "description_file"}}}, // and buffer_<slot>
      {"rendering_kernel_program_scene_element_mapping",
       {{"enabled"}, {"name", "description_file"}}}, // and <slot> (or slot_<slot>)
  };
  return table;
}

// IndeX node types libindex does not render: skipped with one warning so the rest still renders.
// IndeX's viewer's element types (its scene importer, 2017 and later) that libindex does not build:
// a scene from the wild that has them still renders what libindex can.
const std::set<std::string>& unsupported_types() {
  static const std::set<std::string> types = {
      // shapes and 2D/3D annotations
      "sphere", "ellipsoid", "cylinder", "cone", "point_set", "line_set", "circle", "ellipse", "polygon", "label_3d",
      "label_2d", "icon_3d", "icon_2d", "line_path_3d", "line_path_2d", "raster_benchmark_points",
      "raster_benchmark_lines", "triangle_mesh", "shape", "label", "icon", "layered_graphics",
      // other kinds of data
      "volume", "regular_volume", "heightfield", "horizon", "regular_heightfield", "pipe_set", "reservoir_grid",
      "irregular_volume", "particle_volume", "corner_point_grid",
      // attributes
      "phong_gl", "directional_light", "point_light", "time_step_assignment", "heightfield_geometry",
      "horizon_geometry", "texturing_technique", "compute_technique", "sparse_volume_compute_technique", "path_style",
      "depth_offset", "intersection_highlighting", "volume_texture", "wireframe_rendering_style",
      "heightfield_wireframe_style", "shading_model", "texture_filter_mode", "volume_rendering_properties",
      "label_font", "label_layout", "font", "texture", "reservoir_colormap", "transformation", "volume_sample_program",
      "surface_sample_program"};
  return types;
}

const std::set<std::string>& supported_globals() {
  static const std::set<std::string> keys = {"app::variable_expansion",
                                             "app::scene::root::children",
                                             "app::scene::root::type",
                                             "app::scene::root::region_of_interest",
                                             "app::scene::root::global_transform",
                                             "app::scene::info::name",
                                             "app::scene::info::description",
                                             "app::scene::info::credits",
                                             "app::scene::info::requirements",
                                             "app::colormap::file_count",
                                             "app::colormap::startup_colormap_index",
                                             "app::colormap::boundary_mode",
                                             "app::libindex::view::sampling_distance",
                                             "app::libindex::view::mode",
                                             "app::libindex::view::shading",
                                             "app::libindex::view::jitter",
                                             "app::libindex::view::early_termination",
                                             "app::libindex::view::empty_space_skipping",
                                             "app::libindex::view::hardware_filtering",
                                             "app::libindex::view::background",
                                             "app::libindex::view::time_step",
                                             "app::libindex::view::planes",
                                             "app::libindex::view::plane_0",
                                             "app::libindex::view::plane_1",
                                             "app::libindex::view::plane_2",
                                             "app::libindex::view::plane_3",
                                             "index::region_of_interest",
                                             "index::scaling",
                                             "index::translation",
                                             "index::global_transform",
                                             "index::nb_rotations",
                                             "index::volume_filter",
                                             "app::canvas::background_color",
                                             "index::canvas_resolution",
                                             "index::window_resolution",
                                             "index::camera::window_resolution",
                                             "index::camera::to",
                                             "index::camera::from",
                                             "index::camera::dir",
                                             "index::camera::up",
                                             "index::camera::aperture",
                                             "index::camera::aspect",
                                             "index::camera::focal",
                                             "index::camera::clip_min",
                                             "index::camera::clip_max",
                                             "index::camera::orthographic"};
  return keys;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

} // namespace

} // namespace libindex::io::detail

namespace libindex::io {
bool is_known_attribute(const std::string& node_type, const std::string& key) {
  const auto& table = detail::node_keys();
  const auto it = table.find(node_type);
  return it != table.end() && (it->second.supported.count(key) || it->second.unsupported.count(key) ||
                               detail::is_numbered_attribute(node_type, key));
}
} // namespace libindex::io

namespace libindex::io::detail {

bool is_numbered_attribute(const std::string& node_type, const std::string& name) {
  // Any suffix: apply_program_parameters and apply_program_mapping refuse a bad number.
  if (node_type == "rendering_kernel_program_parameters") return name.rfind("buffer_", 0) == 0;
  if (node_type == "rendering_kernel_program_scene_element_mapping") // IndeX's `1 = id`, or `slot_1 = id`
    return name.rfind("slot_", 0) == 0 || (!name.empty() && name[0] >= '0' && name[0] <= '9');
  return false;
}

const std::vector<std::string>& supported_node_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const auto& [name, keys] : node_keys()) t.push_back(name);
    return t;
  }();
  return types;
}

void apply_index_spellings(SceneNode& node) {
  // Older IndeX viewers name a plane `quad` or `rectangle` and its corner `position`, a sparse
  // volume's bounds `box`, its voxel type `format`, its OpenVDB grid `input_file_field` and its file
  // order `zyx_to_xyz`.
  if (node.type == "quad" || node.type == "rectangle") node.type = "plane";
  struct Spelling {
    const char *type, *theirs, *ours;
  };
  static constexpr Spelling spellings[] = {{"plane", "position", "point"},
                                           {"sparse_volume", "box", "bbox"},
                                           {"sparse_volume", "format", "voxel_format"},
                                           {"sparse_volume", "input_file_field", "grid"},
                                           {"sparse_volume", "zyx_to_xyz", "convert_zyx_to_xyz"}};
  for (const Spelling& s : spellings) {
    if (node.type != s.type) continue;
    const auto it = node.attributes.find(s.theirs);
    if (it == node.attributes.end() || node.attributes.count(s.ours)) continue; // both given: ours wins
    node.attributes.emplace(s.ours, it->second); // the Value keeps the file's spelling for messages
    node.attributes.erase(it);
  }
}

namespace {

/// Levenshtein distance between a and b, or `limit + 1` once it is sure to exceed `limit`.
size_t edit_distance(const std::string& a, const std::string& b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0], best = row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up, best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

/// "; did you mean 'x'?" for the one name of `known` closest to a misspelt `name`, else "": two
/// edits at most, one where the name's last part (after its last "::") is shorter than 8 letters,
/// none on a tie (index::camera::at is as near to ...::to as to ...::up: no guess).
template <class Names>
std::string did_you_mean(const std::string& name, const Names& known) {
  const size_t colons = name.rfind("::");
  const size_t last_part = colons == std::string::npos ? name.size() : name.size() - colons - 2;
  const size_t limit = last_part < 8 ? 1 : 2;
  std::string best;
  size_t best_distance = limit + 1;
  bool tie = false;
  for (const std::string& k : known) {
    const size_t d = edit_distance(name, k, limit);
    if (d < best_distance)
      best = k, best_distance = d, tie = false;
    else if (d == best_distance && d <= limit)
      tie = true;
  }
  return best.empty() || tie ? std::string() : "; did you mean '" + best + "'?";
}

} // namespace

bool is_unsupported_node_type(const std::string& type) { return unsupported_types().count(type) != 0; }

void check_node_attributes(const SceneNode& node, std::vector<std::string>& warnings) {
  const auto it = node_keys().find(node.type);
  if (it == node_keys().end()) return;
  for (const auto& [name, value] : node.attributes) {
    if (it->second.supported.count(name)) continue;
    if (is_numbered_attribute(node.type, name)) continue;
    const bool known = it->second.unsupported.count(name) != 0;
    warnings.push_back(value.where() + ": ignored (" +
                       (known ? "IndeX " + node.type + " attribute not supported by libindex"
                              : "unknown " + node.type + " attribute" + did_you_mean(name, it->second.supported)) +
                       ")");
  }
}

bool is_supported_global_key(const std::string& key) {
  if (supported_globals().count(key)) return true;
  // The colormap file table: file_0, file_1, ...; the scene's turns: rotation_0, rotation_1, ...;
  // IndeX's predefined views (read at start-up with startup_update).
  if (starts_with(key, "app::colormap::file_")) { // file_<n>, and the two keys IndeX's viewer reads under it
    const size_t colons = key.find("::", std::string("app::colormap::file_").size());
    if (colons == std::string::npos) return true;
    const std::string attribute = key.substr(colons + 2);
    return attribute == "domain" || attribute == "domain_boundary_mode";
  }
  return starts_with(key, "index::rotation_") || starts_with(key, "app::examiner::predefined_view::");
}

bool asks_for_what_libindex_does(const Value& value) {
  // camera.orbit turns about the centre of the region of interest (within the volumes).
  return value.key == "app::examiner::initial_rotation_center::type" && value.text == "roi_center";
}

std::string unused_key_warning(const Value& value) {
  const std::string& k = value.key;
  const bool indexish =
      starts_with(k, "index::") || starts_with(k, "app::") || starts_with(k, "dice::") || starts_with(k, "nvindex::");
  // A key one or two letters off one libindex reads is a typo, not a setting IndeX has and we lack.
  const std::string typo = did_you_mean(k, supported_globals());
  if (!typo.empty()) return value.where() + ": ignored (not a key libindex reads" + typo + ")";
  return value.where() + ": ignored (" + (indexish ? "IndeX setting not supported by libindex" : "unknown key") + ")";
}

} // namespace libindex::io::detail
