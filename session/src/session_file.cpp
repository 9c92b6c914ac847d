// SPDX-License-Identifier: Apache-2.0
#include "libindex/session_file.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "libindex/scene_spec.h"

namespace libindex {
namespace fs = std::filesystem;

namespace {

/// Shortest text that reads back as the same float.
std::string number(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", double(v));
  return text;
}
std::string numbers(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    if (!out.empty()) out += ' ';
    out += number(v);
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Keys whose value names a file or folder, resolved against their own file's folder first.
bool names_a_file(const std::string& key) {
  return ends_with(key, "::input_file") || ends_with(key, "::input_directory") || ends_with(key, "::file_name") ||
         (key.rfind("app::colormap::file_", 0) == 0 && key != "app::colormap::file_count");
}

/// `text` as an absolute path, the way the scene reader resolves it: beside the file that named it
/// first (also for a time-step pattern, which names no file itself), else the working directory.
std::string absolute_path(const std::string& text, const io::Origin& origin) {
  if (text.empty() || text.rfind("file://", 0) == 0 || fs::path(text).is_absolute()) return text;
  const std::string dir = origin.directory();
  std::error_code ec;
  if (!dir.empty() && (fs::exists(fs::path(dir) / text, ec) || text.find('%') != std::string::npos))
    return fs::absolute(fs::path(dir) / text, ec).lexically_normal().string();
  return fs::absolute(text, ec).lexically_normal().string();
}

/// The entries of a project by key: set() replaces or appends, erase_prefix() drops a node's keys.
class Entries {
 public:
  explicit Entries(const std::vector<io::Value>& values) {
    for (const io::Value& v : values) set(v.key, v.text, v.origin);
  }
  void set(const std::string& key, const std::string& text, const io::Origin& origin = {}) {
    values_[key] = io::Value{key, text, origin};
  }
  void erase(const std::string& key) { values_.erase(key); }
  const io::Value* find(const std::string& key) const {
    const auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::vector<io::Value> values() const {
    std::vector<io::Value> out;
    for (const auto& [key, v] : values_) out.push_back(v);
    return out;
  }
  std::map<std::string, io::Value>& map() { return values_; }

 private:
  std::map<std::string, io::Value> values_;
};

/// Replaces colormap node `id`'s table, domain, boundary mode and NaN colour with `m`.
void write_colormap_node(Entries& e, const std::string& id, const Colormap& m) {
  const std::string p = "app::scene::" + id + "::";
  for (const char* key : {"preset", "map_type", "map_index", "data", "size", "domain", "domain_boundary_mode",
                          "file_name", "color_space", "nan_color"})
    e.erase(p + key);
  e.set(p + "type", "colormap");
  std::string data;
  for (const Vec4f& c : m.entries) {
    if (!data.empty()) data += ' ';
    data += numbers({c.x, c.y, c.z, c.w});
  }
  e.set(p + "map_type", "data");
  e.set(p + "size", std::to_string(m.entries.size()));
  e.set(p + "data", data);
  e.set(p + "domain", numbers({m.domain_min, m.domain_max}));
  e.set(p + "domain_boundary_mode",
        m.mode == BoundaryMode::clamp_to_transparent ? "clamp_to_transparent" : "clamp_to_edge");
  if (m.nan_color) e.set(p + "nan_color", numbers({m.nan_color->x, m.nan_color->y, m.nan_color->z, m.nan_color->w}));
}

/// Splits a `children` value into its ids.
std::vector<std::string> ids_of(const std::string& text) {
  std::vector<std::string> ids;
  std::istringstream in(text);
  for (std::string id; in >> id;) ids.push_back(id);
  return ids;
}

void write_colormap(Entries& e, const ViewState& s) {
  const io::SceneDescription& scene = s.view.scene;
  if (scene.volumes.empty()) return;
  std::string id = scene.volumes.front().colormap_id;
  if (id.empty()) {
    // The shown volume used the default colormap: a node of our own, first under the root, applies
    // to it (attribute nodes reach the siblings after them).
    id = "libindex_saved_colormap";
    const io::Value* root = e.find("app::scene::root::children");
    e.set("app::scene::root::children", id + (root && !root->text.empty() ? " " + root->text : ""));
  }
  write_colormap_node(e, id, s.frame.colormap);
}

/// The colormaps clients set for the other volumes: each volume moves into a group of its own with
/// a colormap node before it, in the place it had (attributes stay inside their group, so the
/// volumes around it keep theirs).
void write_other_colormaps(Entries& e, const ViewState& s) {
  for (const auto& [index, edited] : s.other_colormaps) {
    if (index >= s.view.scene.volumes.size()) continue;
    const std::string volume = s.view.scene.volumes[index].id;
    const std::string group = "libindex_saved_" + volume, colormap = group + "_colormap";
    for (auto& [key, value] : e.map()) {
      if (!ends_with(key, "::children") || key.rfind("app::scene::" + group + "::", 0) == 0) continue;
      std::vector<std::string> ids = ids_of(value.text);
      if (std::find(ids.begin(), ids.end(), volume) == ids.end()) continue;
      std::string text;
      for (const std::string& id : ids) text += (text.empty() ? "" : " ") + (id == volume ? group : id);
      value.text = text;
    }
    e.set("app::scene::" + group + "::type", "static_scene_group");
    e.set("app::scene::" + group + "::children", colormap + " " + volume);
    write_colormap_node(e, colormap, edited.colormap);
  }
}

void write_view(Entries& e, const ViewState& s) {
  const FrameParams& f = s.frame;
  const Camera c = io::camera_in_world_space(s.view.scene, f.camera); // index::global_transform may turn it
  const std::string cam = "index::camera::";
  for (auto it = e.map().begin(); it != e.map().end();)
    it = it->first.rfind(cam, 0) == 0 ? e.map().erase(it) : std::next(it);
  e.set(cam + "from", numbers({c.from.x, c.from.y, c.from.z}));
  e.set(cam + "dir", numbers({c.dir.x, c.dir.y, c.dir.z}));
  e.set(cam + "up", numbers({c.up.x, c.up.y, c.up.z}));
  e.set(cam + "aperture", number(c.aperture));
  e.set(cam + "aspect", number(c.aspect));
  e.set(cam + "focal", number(c.focal));
  e.set(cam + "clip_min", number(c.clip_min));
  if (c.clip_max < 3.0e38f) e.set(cam + "clip_max", number(c.clip_max));
  e.set(cam + "orthographic", c.orthographic ? "true" : "false");
  e.set("index::canvas_resolution", std::to_string(f.width) + " " + std::to_string(f.height));
  const Box3f& shown = f.settings.region_of_interest;
  if (shown.lo.x > -3.0e38f || shown.hi.x < 3.0e38f || shown.lo.y > -3.0e38f || shown.hi.y < 3.0e38f ||
      shown.lo.z > -3.0e38f || shown.hi.z < 3.0e38f) {
    const Box3f roi = io::object_region_of_interest(s.view.scene, shown); // IndeX's space for it
    e.set("index::region_of_interest", numbers({roi.lo.x, roi.lo.y, roi.lo.z, roi.hi.x, roi.hi.y, roi.hi.z}));
  }
  const RenderSettings& r = f.settings;
  const std::string v = "app::libindex::view::";
  auto flag = [](bool b) { return b ? "true" : "false"; };
  e.set(v + "sampling_distance", number(r.sampling_distance));
  e.set(v + "mode", r.mode == RenderMode::maximum_intensity ? "mip" : "dvr");
  e.set(v + "shading", flag(r.shading.enabled));
  e.set(v + "jitter", flag(r.jitter));
  e.set(v + "early_termination", flag(r.early_termination));
  e.set(v + "empty_space_skipping", flag(r.empty_space_skipping));
  e.set(v + "hardware_filtering", flag(r.hardware_filtering));
  const Vec4f& b = s.view.background;
  e.set(v + "background", numbers({b.x, b.y, b.z, b.w}));
  e.set(v + "time_step", std::to_string(s.time_step));
  e.set(v + "planes", std::to_string(r.plane_count));
  for (int i = 0; i < r.plane_count; ++i) {
    const SlicePlane& p = r.planes[i];
    e.set(v + "plane_" + std::to_string(i), numbers({p.point.x, p.point.y, p.point.z, p.normal.x, p.normal.y,
                                                     p.normal.z, p.up.x, p.up.y, p.up.z, p.extent_x, p.extent_y}));
  }
}

} // namespace

std::string session_project(const ViewState& s) {
  Entries e(merged_project(s.spec).entries());
  for (auto& [key, value] : e.map())
    if (names_a_file(key)) value.text = absolute_path(value.text, value.origin);
  write_colormap(e, s);
  write_other_colormaps(e, s);
  write_view(e, s);
  return io::write_project(e.values(), "Saved by libindex session.save: the scene, its camera, colormap and "
                                       "rendering settings as they were shown.");
}

} // namespace libindex
