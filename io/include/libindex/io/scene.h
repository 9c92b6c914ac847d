// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The scene a project file describes: IndeX's scene graph of typed nodes, turned into volumes
/// with their colormap, rendering properties and light, plus the global camera and canvas.
///
/// Nodes are generic (id, type, attributes with origins, children) so that the same builders serve
/// `.prj` files and IndeX's JSON-RPC `create_scene_element` (a node id, a type and string arguments
/// named like the `.prj` attributes).

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libindex/camera.h"
#include "libindex/colormap.h"
#include "libindex/frame.h"
#include "libindex/io/project_file.h"
#include "libindex/io/volume_source.h"

namespace libindex::io {

/// One scene-graph node. For `.prj` files: `app::scene::<id>::type = <type>`, the other
/// `app::scene::<id>::<attribute>` keys, and `children` for groups.
struct SceneNode {
  std::string id;
  std::string type; ///< static_scene_group, sparse_volume, colormap, sparse_volume_rendering_properties, ...
  Origin origin;    ///< where the type was set
  std::map<std::string, Value> attributes; ///< attribute name ("bbox") -> value (Value::key is the full key)
  std::vector<std::string> children;       ///< groups only
};

/// What the attribute nodes in effect at a point of the graph give the volumes after them. A group's
/// children start from the group's state; changes inside a group do not leak out of it.
/// A sample program (`rendering_kernel_program` with target volume_sample_program or
/// surface_sample_program): its source, where that is (for compiler messages), and the parameter
/// buffers of the `rendering_kernel_program_parameters` node in effect.
struct ProgramDesc {
  std::string id;     ///< the node
  std::string text;   ///< the program's source
  std::string file;   ///< the file holding it: the scene file for source_string, else source_file
  int first_line = 1; ///< the line of `file` where `text` starts
  std::map<int, std::vector<unsigned char>> buffers; ///< parameter buffers by slot
  /// The `rendering_kernel_program_scene_element_mapping` in effect: slot -> the `slot_<n>` value
  /// naming a sparse_volume or colormap node (load_scene resolves them into VolumeDesc::program_slots).
  std::map<int, Value> slots;
};

struct SceneAttributes {
  Colormap colormap;                  ///< core's default ramp until a colormap node is met
  std::string colormap_id;            ///< the colormap node in effect ("" for the default)
  bool colormap_domain_given = false; ///< its node sets `domain`; else the volume's data range is used
  std::string colormap_preset;        ///< the preset its node names ("" for a table or none)
  float sampling_distance = 0.5f;
  float sampling_distance_reference = 1.0f;
  bool nearest_filter = false;
  Shading shading;                            ///< enabled by a directional_headlight
  Vec3f light_direction{0, 0, -1};            ///< directional_headlight::direction, in camera space
  std::optional<ProgramDesc> program;         ///< the rendering_kernel_program in effect (enabled ones only)
  std::optional<ProgramDesc> surface_program; ///< the one with target surface_sample_program (planes)
  std::map<int, std::vector<unsigned char>> program_buffers; ///< the parameters node in effect
  std::map<int, Value> program_slots;                        ///< the scene-element mapping in effect
  /// The `clip_region` nodes in effect (IndeX's clip attribute), intersected; bbox coordinates.
  std::optional<Box3f> clip_box;
  std::optional<Value> clip_value; ///< the `bbox` that set clip_box last, for messages
};

/// Project-wide resources that node builders look up: IndeX's colormap file table.
struct SceneResources {
  std::map<int, Value> colormap_files;         ///< app::colormap::file_<n>
  std::map<int, Value> colormap_file_domains;  ///< app::colormap::file_<n>::domain (IndeX's viewer reads it)
  std::map<int, Value> colormap_file_modes;    ///< app::colormap::file_<n>::domain_boundary_mode
  std::optional<Value> colormap_file_count;    ///< app::colormap::file_count
  std::optional<Value> startup_colormap_index; ///< app::colormap::startup_colormap_index
  std::optional<Value> colormap_boundary_mode; ///< app::colormap::boundary_mode
};

/// A scene element mapped to a slot of a volume's sample program: another volume of the scene (its
/// voxels under the program volume's, through its own colormap) or a colormap node.
struct ProgramSlotDesc {
  int slot = 0;
  std::optional<size_t> volume; ///< index into SceneDescription::volumes; none: `colormap`
  Colormap colormap;            ///< the colormap node's (for a volume: unused, the volume's own serves)
  std::string node;             ///< the node's id
};

/// A volume ready to be partitioned and read. Opening reads headers and sizes only, never voxels.
struct VolumeDesc {
  std::string id, name;                 ///< node id, and `name` (defaults to the id)
  std::string unit;                     ///< `unit` of the values (libindex's key; "" when not given)
  std::string importer;                 ///< raw, synthetic, nrrd, openvdb or nanovdb
  std::shared_ptr<VolumeSource> source; ///< time step `time_first`
  /// IndeX's `bbox`: where the volume's voxels sit in voxel space; its size is source->box().size() and
  /// lo is usually 0 (a non-zero lo places the volume, like a translation in voxel units).
  Box3i bbox;
  Box3i clip_region;      ///< the part of source->box() to render (`clip_region`; default all of it)
  Vec3f spacing{1, 1, 1}; ///< voxel size: what the file states (NRRD spacings, VDB voxel size), x a bbox's stretch
  /// Where voxel 0 sits (x the file's spacing) when IndeX's bbox stretches `size` voxels over another
  /// box; then bbox is {0, size}. Zero otherwise.
  Vec3f bbox_corner{0, 0, 0};
  Colormap colormap;
  std::string colormap_id;
  bool domain_given = false;   ///< the colormap sets a domain; else the viewer uses the data range
  std::string colormap_preset; ///< the preset the colormap node names ("" for a table or none)
  float sampling_distance = 0.5f, sampling_distance_reference = 1.0f;
  bool nearest_filter = false;
  Shading shading;
  Vec3f light_direction{0, 0, -1};
  int time_first = 0, time_last = 0; ///< `time_steps = first last`; both 0 without a time series
  /// Opens time step `step` (time_first..time_last); throws Error naming the node and file otherwise.
  std::function<std::shared_ptr<VolumeSource>(int step)> open_step;
  Origin origin; ///< where the node's type was set
  /// Colours every sample instead of the colormap and shading (kernels/sample_program.h compiles it).
  std::optional<ProgramDesc> program;
  /// The scene elements mapped to the program's slots (ProgramDesc::slots resolved).
  std::vector<ProgramSlotDesc> program_slots;
  /// Set when this volume, disabled or without a program of its own, is mapped to a slot of another
  /// enabled volume's program: the index of that volume (the first such), which draws it. Such a
  /// volume is not drawn on its own, nor mixed.
  std::optional<size_t> drawn_by_program;
  /// Set when a slot of a plane's surface program maps this volume: a disabled one is kept for it
  /// (and drawn by nothing).
  bool read_by_planes = false;
  /// False for a volume that says `enabled = false` (or lies in a disabled group) and is kept only
  /// because an enabled volume's program maps it: such a volume is drawn by that program alone.
  bool enabled = true;
};

/// libindex's own keys `app::libindex::view::*`: what IndeX keeps in its application rather than in
/// its scene (render mode, jitter, the background...). session.save writes them so that a saved
/// file shows what the user saw; unset ones leave the scene's own settings.
struct ViewKeys {
  std::optional<float> sampling_distance;
  std::optional<RenderMode> mode; ///< `dvr` or `mip`
  std::optional<bool> shading, jitter, early_termination, empty_space_skipping, hardware_filtering;
  std::optional<Vec4f> background; ///< straight RGBA
  std::optional<int> time_step;
  /// `planes = N` and `plane_<i> = point normal up width height` (scene space, as shown): replace
  /// the scene's plane nodes.
  std::optional<std::vector<SlicePlane>> planes;
};

/// A surface sample program (`target = surface_sample_program`) as planes run it.
struct SurfaceProgramDesc {
  ProgramDesc program;                ///< with the buffers and mapping in scope at its planes
  std::vector<ProgramSlotDesc> slots; ///< program.slots resolved
};

/// A colormap node in scope at a plane node.
struct PlaneColormap {
  Colormap colormap;
  std::string id;            ///< the colormap node
  bool domain_given = false; ///< its node sets `domain`; else the volume's domain is used
};

/// Everything a project file says about the scene.
struct SceneDescription {
  std::string name, description, credits, requirements; ///< app::scene::info::*
  std::optional<Camera> camera;                         ///< set when any index::camera::* key is given
  int canvas_width = 1024, canvas_height = 1024;        ///< index::canvas_resolution
  float canvas_aspect() const { return float(canvas_width) / float(canvas_height); } ///< width / height
  std::optional<Box3f> region_of_interest; ///< index::region_of_interest (object space: see scene_region_of_interest)
  Vec3f scaling{1, 1, 1}, translation{0, 0, 0}; ///< index::scaling, index::translation
  /// The rotation of index::global_transform, as the rows of R in p_scene = R p_world: scene space
  /// (where libindex's camera, volumes and planes live) is IndeX's world space turned by it. The
  /// identity unless the matrix rotates. load_scene turns the file's camera into scene space.
  std::array<Vec3f, 3> rotation_from_world{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  std::vector<VolumeDesc> volumes; ///< in scene-graph order
  /// `plane` nodes (at most kMaxSlicePlanes; more are ignored with a warning), scene object space:
  /// render_settings places them with the scene's scaling and translation.
  std::vector<SlicePlane> planes;
  /// The colormap in scope at each plane node, by plane (as `planes`): the plane shows the volumes'
  /// values through it, as IndeX does. None (no colormap node in scope): each volume's own.
  std::vector<std::optional<PlaneColormap>> plane_colormaps;
  /// The surface sample programs the planes run: each program node, with the buffers and mapping
  /// in scope at a plane that runs it, once (in scene-graph order).
  std::vector<SurfaceProgramDesc> surface_programs;
  /// The surface program in scope at each plane node, by plane (as `planes`): an index into
  /// surface_programs; none: the plane shows its colormap.
  std::vector<std::optional<size_t>> plane_programs;
  std::map<std::string, SceneNode> nodes; ///< every node reachable from the root, by id
  std::vector<std::string> root_children; ///< app::scene::root::children
  SceneResources resources;               ///< for nodes added later (JSON-RPC)
  std::vector<std::string> warnings;      ///< "file:line: key = 'value': ignored (...)", one per key
  ViewKeys view;                          ///< app::libindex::view::*
};

/// Keys other modules read (e.g. the viewer's own settings), so load_scene does not warn about them.
struct SceneOptions {
  std::vector<std::string> known_keys; ///< exact keys, or prefixes ending in '*' ("app::viewer::*")
};

/// The nodes a project file defines (every `app::scene::<id>::...` key except root's and info's), by id.
std::map<std::string, SceneNode> scene_nodes(const ProjectFile& project);

/// A project file holding `entries` in order (`key = value`, or a `key << (END)` block for a value
/// of several lines), that ProjectFile reads back to the same values.
std::string write_project(const std::vector<Value>& entries, const std::string& comment = "");

/// The colormap file table of a project file.
SceneResources scene_resources(const ProjectFile& project);

/// True when `key` is an attribute of IndeX's `node_type` that libindex reads, or knows and ignores
/// (with a warning); the allow-list for scene elements made through the API.
bool is_known_attribute(const std::string& node_type, const std::string& key);

/// True for the node types that change SceneAttributes: colormap, sparse_volume_rendering_properties,
/// directional_headlight.
bool is_attribute_node_type(const std::string& type);

/// Applies an attribute node to `state`. Appends one warning per unsupported attribute. Throws Error
/// naming origin, key and value for bad values, missing colormap files and unknown node types.
void apply_attribute_node(const SceneNode& node, const SceneResources& resources, SceneAttributes& state,
                          std::vector<std::string>& warnings);

/// Builds a volume from a `sparse_volume` node and the attributes in effect; opens its source (headers
/// only). Relative paths are tried against the directory of the file that set them, then the working
/// directory. Throws Error naming origin, key and value.
VolumeDesc build_volume(const SceneNode& node, const SceneAttributes& state, std::vector<std::string>& warnings);

/// Builds the whole scene: walks the graph from app::scene::root::children, reads the global keys,
/// and warns once about every key it does not use.
SceneDescription load_scene(const ProjectFile& project, const SceneOptions& options = {});

/// The render settings of one volume in a scene: its sampling and shading, the scene's region of
/// interest, and scaling = index::scaling x the volume's spacing, translation = index::translation +
/// bbox.lo x scaling + bbox_corner x index::scaling.
RenderSettings render_settings(const SceneDescription& scene, const VolumeDesc& volume);

/// index::region_of_interest in scene space. IndeX gives it in the scene's object space, like the
/// volumes' bbox and the planes, which index::scaling and index::translation then place (its viewer
/// maps the region's centre through the scene transform). None when the project gives none.
std::optional<Box3f> scene_region_of_interest(const SceneDescription& scene);
/// The inverse: a scene-space region as index::region_of_interest says it.
Box3f object_region_of_interest(const SceneDescription& scene, const Box3f& scene_space);

/// A camera of IndeX's world space (index::camera::*) in scene space, and back: its eye and
/// vectors turned by the scene's rotation_from_world (lengths, and so the clip distances, stay).
Camera camera_in_scene_space(const SceneDescription& scene, Camera world);
Camera camera_in_world_space(const SceneDescription& scene, Camera in_scene);

/// Whether volumes a and b of the scene lie on one grid: the same voxel box, placed alike (scaling
/// and translation).
bool share_grid(const SceneDescription& scene, size_t a, size_t b);
/// Whether the scene boxes of volumes a and b overlap (share some volume, not just a face).
bool overlap(const SceneDescription& scene, size_t a, size_t b);
/// Whether volumes a and b may be mixed per sample: on one grid or overlapping, neither coloured by a
/// sample program (a program colours its own samples alone; such a volume is blended one after the
/// other with those it overlaps, nearest first), neither drawn by another volume's program, and
/// both enabled (a disabled one is kept only for a program's slot).
bool mix_per_sample(const SceneDescription& scene, size_t a, size_t b);
/// The most volumes one mix takes (kernels::kMaxMixedVolumes).
constexpr int kMostMixedVolumes = 4;
/// Per volume, the volume its samples mix into: the first earlier volume that leads a mix of fewer
/// than kMostMixedVolumes and may mix with it (mix_per_sample), else itself (it leads).
std::vector<size_t> mix_leads(const SceneDescription& scene);
/// The box of `volume`'s voxel space that its ranks partition: when it leads a mix, the hull of its
/// box and those of the volumes on other grids mixed into it (seen on its grid, rounded out to whole
/// voxels), so that every sample of the mix has an owner; else its own box.
Box3i partition_box(const SceneDescription& scene, size_t volume);

/// The text of scenes/default.prj, compiled into the library (synthetic supernova, colormap, camera).
std::string default_project_text();
/// default_project_text() parsed, named "default.prj" in messages.
ProjectFile default_project();

} // namespace libindex::io
