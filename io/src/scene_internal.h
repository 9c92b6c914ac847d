// SPDX-License-Identifier: Apache-2.0
#pragma once
// Pieces shared by the scene builders: attribute tables, path resolution, time-step file names.

#include <string>
#include <vector>

#include "libindex/io/scene.h"

namespace libindex::io::detail {

/// Appends one warning for each attribute of `node` that its type does not use: "ignored (not
/// supported by libindex)" for attributes IndeX knows, "ignored (unknown attribute)" otherwise.
void check_node_attributes(const SceneNode& node, std::vector<std::string>& warnings);

/// Renames what other IndeX versions spell differently (a plane's `position`, a volume's `box`,
/// `quad` for plane, ...) to the names libindex reads, so that one code path reads both.
void apply_index_spellings(SceneNode& node);

/// True for node types IndeX has and libindex does not render (the node is skipped with a warning).
bool is_unsupported_node_type(const std::string& type);

/// The node types libindex builds.
const std::vector<std::string>& supported_node_types();

/// True for the global keys load_scene reads.
bool is_supported_global_key(const std::string& key);

/// True for IndeX viewer keys whose value asks for what libindex does anyway, which need no
/// warning: the camera turning about the region of interest's centre
/// (`app::examiner::initial_rotation_center::type = roi_center`).
bool asks_for_what_libindex_does(const Value& value);

/// IndeX's start-up view: with app::examiner::predefined_view::startup_update true, the file's
/// camera is replaced by the predefined view (the project's view_index with `enable`, else IndeX's
/// top view), fitted to the region of interest (or the volumes) when it says view_all. Needs the
/// volumes and the scene's placement.
void apply_predefined_view(const ProjectFile& project, SceneDescription& scene);

/// The warning for a global key nothing read.
std::string unused_key_warning(const Value& value);

/// An existing file for `path` as written in `value`: absolute as is; relative, first against the
/// directory of the file that set `value`, then against the working directory. Throws Error naming
/// `value` and the places tried when neither exists.
std::string resolve_input_path(const Value& value, const std::string& path);
/// The same, trying `directory` (instead of the directory of value's file) first.
std::string resolve_input_path(const Value& value, const std::string& path, const std::string& directory);

/// `pattern` with its printf-style step directive (%d, %4d, %04d, %i) replaced by `step`; `%%` is a
/// literal '%'. Throws Error naming `value` when there is no directive or an unsupported one.
std::string format_step(const Value& value, const std::string& pattern, int step);

/// The colormap a colormap node describes (data, lookup_table or preset).
/// The colormap of a colormap node; warnings for what it had to substitute go to `warnings`.
Colormap colormap_from_node(const SceneNode& node, const SceneResources& resources, std::vector<std::string>& warnings);

/// A required attribute of `node`; Error naming the node's origin and the missing key otherwise.
const Value& required_attribute(const SceneNode& node, const std::string& name);
/// An optional attribute of `node` (nullptr when absent).
const Value* find_attribute(const SceneNode& node, const std::string& name);

/// A `rendering_kernel_program` node: the volume sample program the volumes after it use, or the
/// surface sample program (target surface_sample_program) the planes after it use.
void apply_program(const SceneNode& node, SceneAttributes& state);
/// A `rendering_kernel_program` node whose target is surface_sample_program.
bool is_surface_program(const SceneNode& node);
/// A `rendering_kernel_program_parameters` node: `buffer_<slot> = values` (float32; 2i int32, 2u uint32).
void apply_program_parameters(const SceneNode& node, SceneAttributes& state);
/// A `rendering_kernel_program_scene_element_mapping` node: `slot_<n> = <node id>`.
void apply_program_mapping(const SceneNode& node, SceneAttributes& state);
/// Resolves every program's slots (ProgramDesc::slots) against the scene's volumes and `nodes`'
/// colormaps into VolumeDesc::program_slots (and the planes' programs' into
/// SurfaceProgramDesc::slots), and marks the volumes a program draws. Throws Error
/// naming the slot's key for a node that is missing, outside the scene graph or of another type.
void resolve_program_slots(SceneDescription& scene, const std::map<std::string, SceneNode>& nodes);
/// Drops the disabled volumes (`enabled = false` on them or a group above) that no enabled volume's
/// program maps, nor a plane's surface program, and renumbers the volume indices in program_slots and drawn_by_program.
void drop_disabled_volumes(SceneDescription& scene);
/// False when the node says `enabled = false`.
bool node_enabled(const SceneNode& node);
/// `slot_<n>` of a mapping node and `buffer_<n>` of a parameters node: attributes with a number.
bool is_numbered_attribute(const std::string& node_type, const std::string& name);

} // namespace libindex::io::detail
