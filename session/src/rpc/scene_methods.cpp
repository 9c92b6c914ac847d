// SPDX-License-Identifier: Apache-2.0
// scene.info, scene.load, snapshot.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "libindex/error.h"
#include "libindex/rpc_methods.h"
#include "libindex/scene_spec.h"
#include "libindex/session_file.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

namespace {

json statistics_json(const ValueStatistics& st) {
  json j{{"count", st.count}, {"non_finite", st.non_finite}, {"histogram", st.histogram}};
  j["min"] = st.empty() ? json(nullptr) : json(st.min); // JSON has no infinities
  j["max"] = st.empty() ? json(nullptr) : json(st.max);
  return j;
}

/// One volume of the scene; the shown one (index 0) with its values, once a frame has shown it.
json volume_json(const ViewState& s, size_t index) {
  const io::VolumeDesc& v = s.view.scene.volumes[index];
  const Box3i b = v.source->box();
  const Vec3i n = b.size();
  json j{{"id", v.id},
         {"name", v.name},
         {"unit", v.unit.empty() ? json(nullptr) : json(v.unit)},
         {"box", {b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}},
         {"size", {n.x, n.y, n.z}},
         {"spacing", {v.spacing.x, v.spacing.y, v.spacing.z}},
         {"dtype", to_string(v.source->dtype())},
         {"source", v.source->describe()},
         {"shown", index == 0},
         {"program", v.program ? json(v.program->id) : json(nullptr)},
         {"enabled", v.enabled},
         {"drawn_by", v.drawn_by_program ? json(s.view.scene.volumes.at(*v.drawn_by_program).id) : json(nullptr)}};
  // Normalized values (integers: unsigned to [0,1], signed to [-1,1]), as colormap domains are.
  if (index == 0) {
    j["time_step"] = s.time_step;
    j["statistics"] = s.statistics ? statistics_json(*s.statistics) : json(nullptr);
  } else {
    j["statistics"] = index < s.other_statistics.size() ? statistics_json(s.other_statistics[index]) : json(nullptr);
  }
  return j;
}

} // namespace

json scene_info(const ViewState& s) {
  const io::SceneDescription& d = s.view.scene;
  json volumes = json::array();
  for (size_t i = 0; i < d.volumes.size(); ++i) volumes.push_back(volume_json(s, i));
  // The volume nodes of the graph left out (enabled = false on them or on a group above): a client
  // lists them to enable them again.
  json hidden = json::array();
  for (const auto& [id, node] : d.nodes) {
    if (node.type != "sparse_volume") continue;
    // (id captured by name: Clang before 16 cannot capture a structured binding.)
    const auto in_scene = [&id = id](const io::VolumeDesc& v) { return v.id == id; };
    if (std::any_of(d.volumes.begin(), d.volumes.end(), in_scene)) continue;
    const auto name = node.attributes.find("name");
    hidden.push_back({{"id", id}, {"name", name != node.attributes.end() ? name->second.text : id}});
  }
  return {
      {"name", d.name},     {"description", d.description}, {"credits", d.credits},   {"requirements", d.requirements},
      {"volumes", volumes}, {"hidden_volumes", hidden},     {"warnings", d.warnings}, {"time", time_json(s)}};
}

namespace {

std::string data_path_param(const ViewState& s, const json& q, const char* name) {
  try {
    return s.resolve_data_path(param<std::string>(q, name));
  } catch (const Error& e) {
    bad(std::string("'") + name + "': " + e.what());
  }
}
} // namespace

void add_scene_methods(streaming::RpcDispatcher& rpc, Head& head) {
  ViewState& s = head.state();
  rpc.add({"scene.info",
           "Name, description, credits and volumes of the scene: each with its name, unit of its values (null when "
           "the scene gives none), box, size, spacing, dtype (the voxel type), source (the file or generator), sample "
           "program (its node, or null), whether it is enabled, shown (true for the first volume), the volume whose "
           "program draws it (drawn_by, or null) and value statistics (min, max, count, non_finite, 256-bin "
           "histogram over [min, max], of normalized values; null until a frame has drawn it); hidden_volumes: the "
           "volume nodes left out with enabled = false (id, name).",
           json::object(),
           {{"type", "object"}},
           {}},
          [&s](const json&) { return scene_info(s); });
  rpc.add(
      {"volume.info",
       "A volume (the first unless 'volume' names another): id, name, unit, box, size, spacing, dtype, source, time "
       "step and value statistics (as scene.info).",
       {{"volume", param_doc("string", "id of the scene's volume; default: the first")}},
       {{"type", "object"}},
       {"-32000 when the scene has no volume", "-32602 for an unknown volume"}},
      [&s](const json& q) { return volume_json(s, shown_volume_param(s, q)); });
  // Loads a .prj from inside the data roots; `keep_overrides`: the command line's -key value still
  // apply (a scene file), or not (a saved session, which holds them already).
  auto load = [&s](const json& q, bool keep_overrides) {
    SceneSpec next;
    next.use_default = false;
    const std::string path = data_path_param(s, q, "path");
    if (keep_overrides) next.overrides = s.spec.overrides;
    try {
      // A volume file opens as a one-volume scene, as `viewer FILE` does.
      SceneLayer layer = is_volume_file(path) ? SceneLayer::for_volume_file(volume_file_project(path), path)
                                              : SceneLayer::from_file(path);
      layer.roots = s.data_roots; // and every file the scene names must lie inside them too
      next.layers.push_back(std::move(layer));
      change_scene_within_limits(s, [&] { s.load_scene(std::move(next)); });
    } catch (const Error& e) {
      throw streaming::RpcError(streaming::server_error, e.what());
    }
    return scene_info(s);
  };
  const json path_doc =
      param_doc("string", "path (relative: to the first --data-root) or file:// URL inside a --data-root", true);
  rpc.add({"scene.load",
           "Loads a .prj scene file, or a volume file (.raw with an Open SciVis name, .nrrd, .nhdr, .vdb, .nvdb) as a "
           "one-volume scene, from inside the data roots (replaces the scene).",
           {{"path", path_doc}},
           {{"type", "object"}},
           {"-32602 for a path outside the data roots, or a scene over the samples-per-ray limit or larger than the "
            "ranks' memory",
            "-32000 with the reader's message when loading fails"}},
          [load](const json& q) { return load(q, true); });
  rpc.add(
      {"data.list",
       "The folders, scenes (.prj) and volume files scene.load opens in a folder inside the data roots.",
       {{"path", param_doc("string", "a folder (relative: to the first --data-root); default: the first data root")}},
       {{"type", "object"}},
       {"-32602 for a path outside the data roots or one that is not a folder"}},
      [&s](const json& q) {
        namespace fs = std::filesystem;
        std::string dir;
        try {
          dir = s.resolve_data_path(q.contains("path") ? param<std::string>(q, "path") : std::string("."));
        } catch (const Error& e) {
          bad(std::string("'path': ") + e.what());
        }
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) bad("'path': '" + dir + "' is not a folder");
        std::vector<json> folders, files;
        constexpr size_t kMaxEntries = 10000; // a listing, not a crawl
        for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end && folders.size() + files.size() < kMaxEntries; it.increment(ec)) {
          const std::string name = it->path().filename().string();
          if (name.empty() || name[0] == '.') continue;
          if (it->is_directory(ec)) {
            folders.push_back(name);
          } else if (it->path().extension() == ".prj" || is_volume_file(name)) {
            const auto bytes = it->file_size(ec);
            files.push_back({{"name", name},
                             {"kind", it->path().extension() == ".prj" ? "scene" : "volume"},
                             {"bytes", ec ? 0 : bytes}});
          }
        }
        std::sort(folders.begin(), folders.end());
        std::sort(files.begin(), files.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
        return json{{"path", dir}, {"folders", folders}, {"files", files}};
      });
  rpc.add({"session.load",
           "Loads a session saved by session.save (a .prj inside the data roots): its scene, camera, colormap and "
           "rendering settings; the command line's -key overrides do not apply over it.",
           {{"path", path_doc}},
           {{"type", "object"}},
           {"-32602 for a path outside the data roots, or a scene over the samples-per-ray limit or larger than the "
            "ranks' memory",
            "-32000 with the reader's message when loading fails"}},
          [load](const json& q) { return load(q, false); });
  rpc.add(
      {"session.save",
       "Writes the view as an IndeX project (.prj) that reproduces it in the viewer, index-render or "
       "session.load: the scene (relative file names made absolute), camera, canvas, the shown volume's "
       "colormap, region of interest and rendering settings. Returned as text, or written as a new file under "
       "--output-root.",
       {{"path", param_doc("string", "write it here (a new .prj file inside --output-root) instead of returning it")}},
       {{"type", "object"}},
       {"-32602 with no --output-root, a path outside it, not ending in .prj or an existing file"}},
      [&s](const json& q) {
        const std::string text = session_project(s);
        if (!q.contains("path")) return json{{"project", text}};
        std::string path;
        try {
          path = s.output_path(param<std::string>(q, "path"), ".prj", "project");
        } catch (const Error& e) {
          bad(std::string("'path': ") + e.what());
        }
        write_new_file(path, std::vector<uint8_t>(text.begin(), text.end()));
        return json{{"path", path}};
      });
  rpc.add({"snapshot",
           "Renders a still (PNG) at any resolution; returned as base64, or written as a new file under --output-root.",
           {{"width", param_doc("integer", "default: the canvas width")},
            {"height", param_doc("integer", "default: the canvas height")},
            {"path",
             param_doc("string", "write the PNG here (a new .png file inside --output-root) instead of returning it")},
            {"background", param_doc("number[4]", "straight RGBA in [0,1] under the image, e.g. [0,0,0,1] for opaque "
                                                  "black (default: the scene's background, transparent unless set)")}},
           {{"type", "object"}},
           {"-32602 for sizes out of range, a background not 4 numbers in [0,1], no --output-root, a path outside it "
            "or an existing file",
            "-32000 when the frame fails on some rank"},
           /*waits_for_frame=*/true},
          [&head, &s](const json& q) {
            FrameParams f;
            std::string path;
            {
              // Other clients are answered while this renders (waits_for_frame): the state's lock
              // for reading it, not for the frame.
              std::lock_guard lock(head.state_mutex());
              f = s.frame;
              f.width = param_or<int>(q, "width", f.width);
              f.height = param_or<int>(q, "height", f.height);
              try {
                s.check_size(f.width, f.height);
              } catch (const Error& e) {
                bad(e.what());
              }
              f.camera = s.camera_for(f.width, f.height);
              path = snapshot_path_param(s, q);
            }
            std::optional<Vec4f> background;
            if (q.contains("background")) {
              const auto b = param<std::array<float, 4>>(q, "background");
              for (float c : b)
                if (!(c >= 0 && c <= 1)) bad("'background' values must be in [0, 1]");
              background = Vec4f{b[0], b[1], b[2], b[3]};
            }
            Image image;
            try {
              image = head.render(f, background);
            } catch (const Error& e) {
              throw streaming::RpcError(streaming::server_error, std::string("snapshot failed: ") + e.what());
            }
            return png_reply(image, path);
          });
}

} // namespace libindex::rpc
