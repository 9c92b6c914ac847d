// SPDX-License-Identifier: Apache-2.0
// load_scene: walk IndeX's scene graph, read the global keys, warn once about each unused key.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "libindex/error.h"
#include "libindex/io/scene.h"
#include "scene_internal.h"
#include "scene_transform.h"

namespace libindex::io {
namespace {

Value type_value(const SceneNode& node) { return Value{"app::scene::" + node.id + "::type", node.type, node.origin}; }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool known_elsewhere(const std::string& key, const SceneOptions& options) {
  for (const auto& k : options.known_keys) {
    if (!k.empty() && k.back() == '*' ? starts_with(key, k.substr(0, k.size() - 1)) : key == k) return true;
  }
  return false;
}

std::string supported_types_text() {
  std::string s;
  for (const auto& t : detail::supported_node_types()) s += (s.empty() ? "" : ", ") + t;
  return s;
}

/// A slice plane from its corner, normal, up (made orthogonal to the normal) and extent; a part that
/// cannot be used is an error naming the value it came from.
SlicePlane checked_plane(Vec3f point, Vec3f normal, const Value& normal_from, Vec3f up, const Value& up_from,
                         float width, float height, const Value& extent_from) {
  SlicePlane p;
  p.point = point;
  if (!plane_normal(normal, p.normal)) fail(normal_from, "the plane's normal must not be zero");
  if (!plane_up(up, p.normal, p.up)) fail(up_from, "the plane's up must not be zero or along its normal");
  if (!(width > 0 && height > 0)) fail(extent_from, "the plane's extent must be two positive sizes (width height)");
  p.extent_x = width, p.extent_y = height;
  return p;
}

/// A `plane` node: its lower left corner `point`, `normal`, `up` and `extent` (width along
/// up x normal, height along up).
SlicePlane build_plane(const SceneNode& node) {
  const Value& point = detail::required_attribute(node, "point");
  const Value& normal = detail::required_attribute(node, "normal");
  const Value& up = detail::required_attribute(node, "up");
  const Value& extent = detail::required_attribute(node, "extent");
  const std::vector<float> e = as_floats(extent, 2);
  return checked_plane(as_vec3f(point), as_vec3f(normal), normal, as_vec3f(up), up, e[0], e[1], extent);
}

class GraphWalker {
 public:
  GraphWalker(const std::map<std::string, SceneNode>& nodes, SceneDescription& scene) : nodes_(nodes), scene_(scene) {}

  /// The colormap node in scope at the plane just added (none: the volumes' own).
  void take_plane_colormap(const SceneAttributes& state) {
    scene_.plane_colormaps.emplace_back();
    if (!state.colormap_id.empty())
      scene_.plane_colormaps.back() = PlaneColormap{state.colormap, state.colormap_id, state.colormap_domain_given};
  }

  /// The surface program in scope at the plane just added, with the buffers and mapping in scope
  /// there; planes that run the same node with the same buffers and mapping share one.
  void take_plane_program(const SceneAttributes& state) {
    scene_.plane_programs.emplace_back();
    if (!state.surface_program) return;
    const auto runs_it = [&](const SurfaceProgramDesc& t) {
      return t.program.id == state.surface_program->id && t.program.buffers == state.program_buffers &&
             std::equal(
                 t.program.slots.begin(), t.program.slots.end(), state.program_slots.begin(), state.program_slots.end(),
                 [](const auto& a, const auto& b) { return a.first == b.first && a.second.text == b.second.text; });
    };
    auto& taken = scene_.surface_programs;
    auto it = std::find_if(taken.begin(), taken.end(), runs_it);
    if (it == taken.end()) {
      ProgramDesc p = *state.surface_program;
      p.buffers = state.program_buffers, p.slots = state.program_slots;
      it = taken.insert(taken.end(), {std::move(p), {}});
    }
    scene_.plane_programs.back() = size_t(it - taken.begin());
  }

  /// `placed`: the transformation of the transformed_scene_groups around these children; `enabled`:
  /// false inside a disabled group (IndeX's `enabled = false` hides a node and everything under it).
  void walk(const Value& children_value, const std::vector<std::string>& children, SceneAttributes state,
            const detail::Affine& placed = {}, bool enabled = true) {
    for (const std::string& id : children) {
      const auto it = nodes_.find(id);
      if (it == nodes_.end() || it->second.type.empty())
        fail(children_value, "node '" + id + "' is not defined (no app::scene::" + id + "::type)");
      const SceneNode& node = it->second;
      if (std::find(stack_.begin(), stack_.end(), id) != stack_.end()) {
        std::string cycle;
        for (const auto& s : stack_) cycle += s + " -> ";
        fail(children_value, "the scene graph has a cycle: " + cycle + id);
      }
      reached_.insert(id);
      scene_.nodes[id] = node;
      const bool on = enabled && detail::node_enabled(node);
      if (node.type == "static_scene_group" || node.type == "transformed_scene_group") {
        detail::check_node_attributes(node, scene_.warnings);
        const auto c = node.attributes.find("children");
        const Value group_children = c != node.attributes.end() ? c->second : type_value(node);
        const detail::Affine inside =
            node.type == "transformed_scene_group" ? placed.after(detail::group_transform(node)) : placed;
        stack_.push_back(id);
        walk(group_children, node.children, state, inside, on); // a copy: the group's attributes stay inside it
        stack_.pop_back();
      } else if (is_attribute_node_type(node.type)) {
        if (on)
          apply_attribute_node(node, scene_.resources, state, scene_.warnings);
        else
          detail::check_node_attributes(node, scene_.warnings); // a disabled attribute changes nothing
      } else if (node.type == "plane") {
        detail::check_node_attributes(node, scene_.warnings);
        if (!on) {
          build_plane(node); // still checked: enabling it later must not fail
        } else if (scene_.planes.size() < size_t(kMaxSlicePlanes)) {
          scene_.planes.push_back(placed.is_identity() ? build_plane(node)
                                                       : detail::transform_plane(build_plane(node), placed));
          take_plane_colormap(state);
          take_plane_program(state);
        } else
          scene_.warnings.push_back(type_value(node).where() + ": ignored (libindex shows at most " +
                                    std::to_string(kMaxSlicePlanes) + " planes)");
      } else if (node.type == "sparse_volume") {
        for (const auto& v : scene_.volumes)
          if (v.id == id)
            fail(children_value, "volume '" + id + "' appears twice in the scene graph (each volume is one node)");
        if (!placed.is_identity()) // IndeX refuses volumes there; they keep their bbox placement
          scene_.warnings.push_back(type_value(node).where() +
                                    ": a volume inside a transformed_scene_group is not transformed (IndeX allows "
                                    "only shapes there; place volumes with bbox and index::scaling)");
        scene_.volumes.push_back(build_volume(node, state, scene_.warnings));
        scene_.volumes.back().enabled = on;
      } else if (detail::is_unsupported_node_type(node.type)) {
        scene_.warnings.push_back(type_value(node).where() + ": ignored (IndeX node type not supported by libindex)");
      } else {
        fail(type_value(node), "unknown node type (supported: " + supported_types_text() + ")");
      }
    }
  }

  const std::set<std::string>& reached() const { return reached_; }

 private:
  const std::map<std::string, SceneNode>& nodes_;
  SceneDescription& scene_;
  std::vector<std::string> stack_;
  std::set<std::string> reached_;
};

void read_camera(const ProjectFile& project, SceneDescription& scene) {
  const std::string p = "index::camera::";
  const auto keys = project.entries_with_prefix(p);
  if (std::all_of(keys.begin(), keys.end(), [&](const auto& k) { return k.key == p + "window_resolution"; }))
    return; // no camera key (that one is the canvas's)
  Camera c;
  c.aspect = scene.canvas_aspect();
  c.from = project.get_vec3f(p + "from", c.from);
  if (const auto v = project.find(p + "dir")) {
    c.dir = as_vec3f(*v);
    if (!(length(c.dir) > 0)) fail(*v, "the view direction must not be zero");
  }
  if (const auto v = project.find(p + "to")) { // older IndeX projects: the point looked at (it wins over dir)
    c.dir = normalize(as_vec3f(*v) - c.from);
    if (!(length(c.dir) > 0)) fail(*v, "the point looked at must differ from index::camera::from");
  }
  if (const auto v = project.find(p + "up")) {
    c.up = as_vec3f(*v);
    if (!(length(cross(c.dir, c.up)) > 1e-6f * length(c.dir) * length(c.up)))
      fail(*v, "up must not be zero or parallel to dir");
  }
  auto positive = [&](const std::string& key, float& out) {
    if (const auto v = project.find(p + key)) {
      out = as_float(*v);
      if (!(out > 0)) fail(*v, "must be positive");
    }
  };
  positive("aperture", c.aperture);
  positive("aspect", c.aspect);
  positive("focal", c.focal);
  // A camera of another aspect than the canvas's stretches the picture. Within 1 % that is how
  // the file was written (NVIDIA's Parihaka scenes: 16:9 on a 1400 x 786 canvas, 0.2 % apart) and
  // IndeX draws it so; beyond that the canvas is not the file's (another -index::canvas_resolution
  // on the command line, say), and its own aspect is taken.
  const float canvas = scene.canvas_aspect();
  if (const auto v = project.find(p + "aspect"); v && std::fabs(c.aspect - canvas) > 0.01f * canvas) {
    scene.warnings.push_back(v->where() + ": not used (the canvas is " + std::to_string(scene.canvas_width) + " x " +
                             std::to_string(scene.canvas_height) +
                             "; libindex takes its aspect, so that the picture is not stretched)");
    c.aspect = canvas;
  }
  if (const auto v = project.find(p + "clip_min")) {
    c.clip_min = as_float(*v);
    if (c.clip_min < 0) fail(*v, "must not be negative");
  }
  if (const auto v = project.find(p + "clip_max")) {
    c.clip_max = as_float(*v);
    if (!(c.clip_max > c.clip_min)) fail(*v, "must be larger than clip_min");
  }
  c.orthographic = project.get_bool(p + "orthographic", false);
  scene.camera = c;
}

/// Places the scene as p_world = (p diag(scaling)) R + translation (row vectors, R's rows given):
/// scene space keeps the scaling, is world space turned back by R, and its translation is the
/// world's turned back too (p_world = (p diag(s) + t R^T) R).
void place_scene(Vec3f scaling, const Vec3f (&rotation)[3], Vec3f translation, SceneDescription& scene) {
  scene.scaling = scaling;
  for (int r = 0; r < 3; ++r) {
    scene.rotation_from_world[size_t(r)] = rotation[r];
    scene.translation[r] = dot(rotation[r], translation);
  }
}

/// index::global_transform, which IndeX's viewer takes instead of index::translation and
/// index::scaling when a project gives it: 4 x 4 numbers, row by row, for row vectors (p M, the
/// translation in the last row, as IndeX's matrices and transformed_scene_group's `transform` are
/// written); a matrix with its translation in the last column instead is read transposed. libindex
/// takes a matrix that scales along the axes, then rotates, then translates: rows of its upper 3 x 3
/// at right angles, in a right-handed order. The rotation stays in world space (the camera turns
/// instead of the scene), the rest places the scene as index::scaling and index::translation do.
/// A matrix that shears, flips or projects is not used, and says so.
void read_global_transform(const Value& v, SceneDescription& scene) {
  const std::vector<float> m = as_floats(v, 16);
  const bool in_last_row = m[3] == 0 && m[7] == 0 && m[11] == 0;
  const bool in_last_column = m[12] == 0 && m[13] == 0 && m[14] == 0;
  const bool transposed = !in_last_row && in_last_column;
  const auto at = [&](int row, int column) {
    return transposed ? m[size_t(4 * column + row)] : m[size_t(4 * row + column)];
  };
  const auto refuse = [&](const std::string& why) {
    scene.warnings.push_back(v.where() +
                             ": not used (libindex takes a matrix that scales along the axes, rotates and "
                             "translates; this one " +
                             why + ")");
  };
  if (!(at(3, 3) == 1 && (in_last_row || in_last_column))) return refuse("projects");
  Vec3f rows[3];
  for (int r = 0; r < 3; ++r) rows[r] = {at(r, 0), at(r, 1), at(r, 2)};
  // Rows at right angles: A = diag(s) R with R a rotation, p_world = (p diag(s)) R + t.
  constexpr float kRightAngle = 1e-5f; // |cos| between rows: float matrices written to 7 digits
  for (int a = 0; a < 3; ++a) {
    if (!(length(rows[a]) > 0)) return refuse("flattens an axis");
    const Vec3f& b = rows[(a + 1) % 3];
    if (!(std::fabs(dot(rows[a], b)) <= kRightAngle * length(rows[a]) * length(b))) return refuse("shears");
  }
  if (!(dot(cross(rows[0], rows[1]), rows[2]) > 0)) return refuse("flips");
  Vec3f scaling, rotation[3];
  for (int r = 0; r < 3; ++r) scaling[r] = length(rows[r]), rotation[r] = rows[r] / scaling[r];
  place_scene(scaling, rotation, {at(3, 0), at(3, 1), at(3, 2)}, scene);
}

/// index::<name>, or the scene root's app::scene::root::<name> when the project gives only that
/// (NVIDIA's public brain scene gives both). With both, index::<name> is used, and a root key that
/// says otherwise gets a warning.
std::optional<Value> scene_wide_key(const ProjectFile& project, const std::string& name, SceneDescription& scene) {
  const auto index_key = project.find("index::" + name), root_key = project.find("app::scene::root::" + name);
  if (!index_key) return root_key;
  if (root_key && as_words(*root_key) != as_words(*index_key))
    scene.warnings.push_back(root_key->where() + ": not used (" + index_key->where() + " gives index::" + name + " = " +
                             index_key->text + ", which wins)");
  return index_key;
}

/// IndeX's viewer without index::global_transform: index::scaling, then the turns of
/// index::rotation_0 .. index::rotation_<nb_rotations - 1> ("axis angle": axis 0, 1 or 2 for x, y or
/// z, the angle in radians, counter-clockwise looking down the axis; the last is applied first, as
/// its viewer multiplies them), then index::translation.
void read_rotations(const ProjectFile& project, SceneDescription& scene) {
  const auto count = project.find("index::nb_rotations");
  if (!count) return;
  const int n = as_int(*count);
  if (n < 0 || n > 64) fail(*count, "expected 0 to 64 rotations");
  Vec3f rotation[3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}; // rows, for row vectors as IndeX's matrices
  for (int i = 0; i < n; ++i) {
    const std::string key = "index::rotation_" + std::to_string(i);
    const auto v = project.find(key);
    if (!v) fail(*count, "says " + std::to_string(n) + " rotations, but " + key + " is not given");
    const std::vector<float> axis_angle = as_floats(*v, 2);
    const int axis = int(axis_angle[0]);
    if (axis < 0 || axis > 2 || float(axis) != axis_angle[0]) fail(*v, "expected 'axis angle' with axis 0, 1 or 2");
    const float c = std::cos(axis_angle[1]), s = std::sin(axis_angle[1]);
    const int j = (axis + 1) % 3, k = (axis + 2) % 3; // p' = p R: (j, k) turns to (j c - k s, j s + k c)
    Vec3f turn[3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    turn[axis][axis] = 1, turn[j][j] = c, turn[j][k] = s, turn[k][j] = -s, turn[k][k] = c;
    Vec3f product[3]; // turn * rotation: this turn applies before those read so far
    for (int r = 0; r < 3; ++r)
      product[r] = rotation[0] * turn[r].x + rotation[1] * turn[r].y + rotation[2] * turn[r].z;
    for (int r = 0; r < 3; ++r) rotation[r] = product[r];
  }
  place_scene(scene.scaling, rotation, scene.translation, scene);
}

/// IndeX viewer keys for what libindex's own view keys also say, used when those are not given:
/// app::canvas::background_color (r g b [a] in [0, 1]; NVIDIA's public scenes give `0 0 0 1`).
void read_index_view_keys(const ProjectFile& project, SceneDescription& scene) {
  const auto v = project.find("app::canvas::background_color");
  if (!v || scene.view.background) return;
  std::vector<float> c;
  try {
    c = as_floats(*v);
  } catch (const Error&) {}
  if (c.size() == 3) c.push_back(1.0f);
  if (c.size() != 4 || !std::all_of(c.begin(), c.end(), [](float x) { return x >= 0 && x <= 1; })) {
    scene.warnings.push_back(v->where() + ": ignored (expected r g b [a], each in [0, 1])");
    return;
  }
  scene.view.background = Vec4f{c[0], c[1], c[2], c[3]};
}

void read_view_keys(const ProjectFile& project, ViewKeys& view) {
  const std::string p = "app::libindex::view::";
  if (const auto v = project.find(p + "sampling_distance")) {
    view.sampling_distance = as_float(*v);
    if (!(*view.sampling_distance > 0)) fail(*v, "must be positive");
  }
  if (const auto v = project.find(p + "mode")) {
    if (v->text != "dvr" && v->text != "mip") fail(*v, "expected dvr or mip");
    view.mode = v->text == "mip" ? RenderMode::maximum_intensity : RenderMode::direct_volume;
  }
  auto flag = [&](const char* key, std::optional<bool>& out) {
    if (const auto v = project.find(p + key)) out = as_bool(*v);
  };
  flag("shading", view.shading);
  flag("jitter", view.jitter);
  flag("early_termination", view.early_termination);
  flag("empty_space_skipping", view.empty_space_skipping);
  flag("hardware_filtering", view.hardware_filtering);
  if (const auto v = project.find(p + "background")) {
    const auto c = as_floats(*v, 4);
    for (float x : c)
      if (!(x >= 0 && x <= 1)) fail(*v, "each of r g b a must be in [0, 1]");
    view.background = Vec4f{c[0], c[1], c[2], c[3]};
  }
  if (const auto v = project.find(p + "time_step")) view.time_step = as_int(*v);
  if (const auto count = project.find(p + "planes")) {
    const int n = as_int(*count);
    if (n < 0 || n > kMaxSlicePlanes) fail(*count, "expected 0 to " + std::to_string(kMaxSlicePlanes) + " planes");
    view.planes.emplace();
    for (int i = 0; i < n; ++i) {
      const std::string key = p + "plane_" + std::to_string(i);
      const auto v = project.find(key);
      if (!v) fail(*count, "no " + key + " for plane " + std::to_string(i));
      const std::vector<float> f = as_floats(*v, 11);
      const SlicePlane s =
          checked_plane({f[0], f[1], f[2]}, {f[3], f[4], f[5]}, *v, {f[6], f[7], f[8]}, *v, f[9], f[10], *v);
      view.planes->push_back(s);
    }
  }
}

std::vector<std::string> unique_in_order(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : in)
    if (seen.insert(s).second) out.push_back(s);
  return out;
}

} // namespace

SceneDescription load_scene(const ProjectFile& project, const SceneOptions& options) {
  SceneDescription scene;
  scene.name = project.get_string("app::scene::info::name");
  scene.description = project.get_string("app::scene::info::description");
  scene.credits = project.get_string("app::scene::info::credits");
  scene.requirements = project.get_string("app::scene::info::requirements");

  // Older IndeX projects name the canvas index::window_resolution (or index::camera::...); its
  // viewer reads them as index::canvas_resolution.
  auto canvas = project.find("index::canvas_resolution");
  if (!canvas) canvas = project.find("index::window_resolution");
  if (!canvas) canvas = project.find("index::camera::window_resolution");
  if (const auto& v = canvas) {
    const auto r = as_ints(*v, 2);
    if (r[0] <= 0 || r[1] <= 0) fail(*v, "the canvas size must be positive");
    scene.canvas_width = r[0];
    scene.canvas_height = r[1];
  }
  read_camera(project, scene);
  read_view_keys(project, scene.view);
  read_index_view_keys(project, scene); // after libindex's own keys, which win
  if (const auto v = scene_wide_key(project, "region_of_interest", scene)) scene.region_of_interest = as_box3f(*v);
  if (const auto v = project.find("index::scaling")) {
    scene.scaling = as_vec3f(*v);
    if (!(scene.scaling.x > 0 && scene.scaling.y > 0 && scene.scaling.z > 0)) fail(*v, "scaling must be positive");
  }
  scene.translation = project.get_vec3f("index::translation", scene.translation);
  if (const auto v = scene_wide_key(project, "global_transform", scene))
    read_global_transform(*v, scene);
  else
    read_rotations(project, scene);
  if (scene.camera) scene.camera = camera_in_scene_space(scene, *scene.camera);

  scene.resources = scene_resources(project);
  const auto nodes = scene_nodes(project);
  if (const auto t = project.find("app::scene::root::type"); t && t->text != "static_scene_group")
    fail(*t, "the root node is a static_scene_group");
  SceneAttributes root_state;
  // IndeX's scene-wide filter (NVIDIA's public brain scene: nearest), until a volume's rendering
  // properties say otherwise.
  if (const auto v = project.find("index::volume_filter")) root_state.nearest_filter = v->text.rfind("nearest", 0) == 0;
  GraphWalker walker(nodes, scene);
  if (const auto root = project.find("app::scene::root::children")) {
    scene.root_children = as_words(*root);
    walker.walk(*root, scene.root_children, root_state);
  }

  const auto runs_on_a_plane = [&](const std::string& id) {
    return std::any_of(scene.surface_programs.begin(), scene.surface_programs.end(),
                       [&](const SurfaceProgramDesc& p) { return p.program.id == id; });
  };
  for (const auto& [id, node] : scene.nodes)
    if (detail::is_surface_program(node) && detail::node_enabled(node) && !runs_on_a_plane(id))
      scene.warnings.push_back(type_value(node).where() +
                               ": ignored (no plane after it in its group; libindex runs surface programs on planes)");
  detail::resolve_program_slots(scene, nodes);
  detail::drop_disabled_volumes(scene);
  std::set<std::string> mapped_nodes; // a colormap only a program's slot names is used, not stray
  for (const VolumeDesc& v : scene.volumes)
    for (const ProgramSlotDesc& slot : v.program_slots) mapped_nodes.insert(slot.node);

  // Every key not used above gets one warning: the scene still renders without it.
  std::set<std::string> warned_nodes;
  for (const Value& v : project.entries()) {
    const std::string& k = v.key;
    if (detail::is_supported_global_key(k) || known_elsewhere(k, options) || detail::asks_for_what_libindex_does(v))
      continue;
    if (starts_with(k, "app::scene::")) {
      const std::string rest = k.substr(12);
      const auto sep = rest.find("::");
      const std::string id = sep == std::string::npos ? "" : rest.substr(0, sep);
      if (!id.empty() && id != "root" && id != "info") {
        if (walker.reached().count(id) || mapped_nodes.count(id) || !warned_nodes.insert(id).second) continue;
        const SceneNode& node = nodes.at(id);
        scene.warnings.push_back((node.type.empty() ? v.where() + ": ignored (node '" + id + "' has no type and is"
                                                    : type_value(node).where() + ": ignored (node '" + id + "' is") +
                                 " not in the scene graph under app::scene::root::children)");
        continue;
      }
    }
    scene.warnings.push_back(detail::unused_key_warning(v));
  }
  // Overlapping volumes are mixed per sample, in groups led by their first volume; the others are
  // blended one after the other (nearest first): exact when their boxes do not overlap; where they
  // do, the picture is not what mixing per sample would give, so say so.
  const std::vector<size_t> leads = mix_leads(scene);
  for (size_t j = 1; j < scene.volumes.size(); ++j)
    for (size_t i = 0; i < j; ++i) {
      if (leads[i] == leads[j] || !overlap(scene, i, j)) continue;
      // A volume a program draws is drawn as that program says, not on its own.
      if (scene.volumes[i].drawn_by_program || scene.volumes[j].drawn_by_program) continue;
      if (!scene.volumes[i].enabled || !scene.volumes[j].enabled) continue; // kept for a plane's program only
      const bool program = scene.volumes[i].program || scene.volumes[j].program;
      const std::string why = program ? "' and one of the two has a sample program"
                                      : "' but joins no mix with it (a mix takes " + std::to_string(kMostMixedVolumes) +
                                            " volumes that overlap its first)";
      scene.warnings.push_back(type_value(nodes.at(scene.volumes[j].id)).where() + ": overlaps volume '" +
                               scene.volumes[i].id + why + ": the two are blended one after the other, " +
                               "not mixed per sample");
      break;
    }
  detail::apply_predefined_view(project, scene);
  scene.warnings = unique_in_order(scene.warnings);
  return scene;
}

RenderSettings render_settings(const SceneDescription& scene, const VolumeDesc& volume) {
  RenderSettings r;
  r.sampling_distance = volume.sampling_distance;
  r.sampling_distance_reference = volume.sampling_distance_reference;
  r.shading = volume.shading;
  if (const auto roi = scene_region_of_interest(scene)) r.region_of_interest = *roi;
  r.scaling = scene.scaling * volume.spacing;
  r.translation = scene.translation + to_float(volume.bbox.lo) * r.scaling + volume.bbox_corner * scene.scaling;
  // Planes live in the scene's object space, like volumes: placed by its scaling and translation.
  // Under a non-uniform scaling the rectangle stays one (its sides scaled along up and right).
  for (const SlicePlane& p : scene.planes) {
    if (r.plane_count == kMaxSlicePlanes) break;
    const Vec3f right = cross(p.up, p.normal) * scene.scaling, up = p.up * scene.scaling;
    SlicePlane& q = r.planes[r.plane_count++];
    q.point = p.point * scene.scaling + scene.translation;
    q.up = normalize(up);
    q.normal = normalize(cross(right, up));
    q.extent_x = p.extent_x * length(right), q.extent_y = p.extent_y * length(up);
  }
  return r;
}

namespace {

/// `box` through x -> x * scale + offset on each axis (a negative scale flips it; a zero one, which
/// render_settings refuses, leaves it).
Box3f place_box(const Box3f& box, Vec3f scale, Vec3f offset) {
  Box3f out = box;
  for (int a = 0; a < 3; ++a) {
    if (scale[a] == 0) continue;
    const float lo = box.lo[a] * scale[a] + offset[a], hi = box.hi[a] * scale[a] + offset[a];
    out.lo[a] = std::min(lo, hi), out.hi[a] = std::max(lo, hi);
  }
  return out;
}

} // namespace

std::optional<Box3f> scene_region_of_interest(const SceneDescription& scene) {
  if (!scene.region_of_interest) return std::nullopt;
  return place_box(*scene.region_of_interest, scene.scaling, scene.translation);
}

Box3f object_region_of_interest(const SceneDescription& scene, const Box3f& scene_space) {
  const Vec3f& s = scene.scaling;
  const Vec3f inverse{s.x != 0 ? 1 / s.x : 0, s.y != 0 ? 1 / s.y : 0, s.z != 0 ? 1 / s.z : 0};
  return place_box(scene_space, inverse, -scene.translation * inverse);
}

Camera camera_in_scene_space(const SceneDescription& scene, Camera world) {
  const auto& R = scene.rotation_from_world;
  const auto turn = [&](Vec3f p) { return Vec3f{dot(R[0], p), dot(R[1], p), dot(R[2], p)}; };
  world.from = turn(world.from), world.dir = turn(world.dir), world.up = turn(world.up);
  return world;
}

Camera camera_in_world_space(const SceneDescription& scene, Camera in_scene) {
  const auto& R = scene.rotation_from_world;
  const auto turn_back = [&](Vec3f p) { return R[0] * p.x + R[1] * p.y + R[2] * p.z; }; // R^T p
  in_scene.from = turn_back(in_scene.from), in_scene.dir = turn_back(in_scene.dir),
  in_scene.up = turn_back(in_scene.up);
  return in_scene;
}

bool share_grid(const SceneDescription& scene, size_t a, size_t b) {
  const VolumeDesc &va = scene.volumes.at(a), &vb = scene.volumes.at(b);
  const RenderSettings ra = render_settings(scene, va), rb = render_settings(scene, vb);
  return va.source->box() == vb.source->box() && same_placement(ra, rb);
}

bool overlap(const SceneDescription& scene, size_t a, size_t b) {
  const VolumeDesc &va = scene.volumes.at(a), &vb = scene.volumes.at(b);
  const Box3f both = intersect(to_scene_box(va.source->box(), render_settings(scene, va)),
                               to_scene_box(vb.source->box(), render_settings(scene, vb)));
  return both.lo.x < both.hi.x && both.lo.y < both.hi.y && both.lo.z < both.hi.z;
}

bool mix_per_sample(const SceneDescription& scene, size_t a, size_t b) {
  const VolumeDesc &va = scene.volumes.at(a), &vb = scene.volumes.at(b);
  return va.enabled && vb.enabled && !va.program && !vb.program && !va.drawn_by_program && !vb.drawn_by_program &&
         (share_grid(scene, a, b) || overlap(scene, a, b));
}

std::vector<size_t> mix_leads(const SceneDescription& scene) {
  const size_t n = scene.volumes.size();
  std::vector<size_t> lead(n);
  std::vector<int> group_size(n, 0);
  for (size_t i = 0; i < n; ++i) {
    lead[i] = i;
    for (size_t l = 0; l < i; ++l)
      if (lead[l] == l && group_size[l] < kMostMixedVolumes && mix_per_sample(scene, l, i)) {
        lead[i] = l;
        break;
      }
    ++group_size[lead[i]];
  }
  return lead;
}

Box3i partition_box(const SceneDescription& scene, size_t volume) {
  const std::vector<size_t> leads = mix_leads(scene);
  const VolumeDesc& v = scene.volumes.at(volume);
  Box3i box = v.source->box();
  if (leads.at(volume) != volume) return box;
  const RenderSettings own = render_settings(scene, v);
  for (size_t j = volume + 1; j < scene.volumes.size(); ++j) {
    if (leads[j] != volume) continue;
    const VolumeDesc& member = scene.volumes[j];
    const Box3i b = voxel_box_on_grid(member.source->box(), render_settings(scene, member), own);
    for (int a = 0; a < 3; ++a) box.lo[a] = std::min(box.lo[a], b.lo[a]), box.hi[a] = std::max(box.hi[a], b.hi[a]);
  }
  return box;
}

std::string write_project(const std::vector<Value>& entries, const std::string& comment) {
  std::string out = "#! index_app_project 0\n";
  for (size_t start = 0; start < comment.size();) {
    const size_t end = std::min(comment.find('\n', start), comment.size());
    out += "# " + comment.substr(start, end - start) + "\n";
    start = end + 1;
  }
  for (const Value& v : entries) {
    const bool padded =
        !v.text.empty() && (std::isspace((unsigned char)v.text.front()) || std::isspace((unsigned char)v.text.back()));
    if (v.text.find('\n') == std::string::npos && !padded) {
      out += v.key + " = " + v.text + "\n";
    } else {
      // A block keeps the value verbatim (several lines, or spaces at its ends).
      const std::string& text = v.text;
      require(text.find("\n(END)") == std::string::npos && text.rfind("(END)", 0) != 0,
              v.key + ": a value holding a line '(END)' cannot be written");
      out += v.key + " << (END)\n" + text + "\n(END)\n";
    }
  }
  return out;
}

ProjectFile default_project() {
  ProjectFile p;
  p.add_text(default_project_text(), "default.prj");
  return p;
}

} // namespace libindex::io
