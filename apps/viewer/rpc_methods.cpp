// SPDX-License-Identifier: Apache-2.0
// The JSON-RPC methods of the viewer: ours (camera, colormap, roi, render, scene, snapshot, stats,
// cluster) and IndeX's (perflab, scene management), so IndeX notebook clients work unchanged.
// Handlers run on the head between frames; they change state and mark the next frame dirty.
#include <array>
#include <optional>

#include "frame_json.h"
#include "libindex/default_view.h"
#include "libindex/error.h"
#include "libindex/io/cmap_reader.h"
#include "libindex/io/image_writer.h"
#include "libindex/streaming/rpc_params.h"
#include "viewer_app.h"

namespace libindex::viewer {
using nlohmann::json;
using streaming::MethodInfo;
using streaming::param;
using streaming::param_or;
using streaming::RpcError;

namespace {

constexpr const char* kIndexScene =
    "nv::index::app::scene_management_center::scene_management_center_command_receiver.";

Vec3f vec3_param(const json& p, const char* name) {
  const auto v = param<std::array<float, 3>>(p, name);
  return {v[0], v[1], v[2]};
}

void bad(const std::string& message) { throw RpcError(streaming::invalid_params, "invalid params: " + message); }

json p(const char* type, const char* description, bool required = false) {
  return {{"type", type}, {"description", description}, {"required", required}};
}

std::string base64(const std::vector<uint8_t>& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size())
    out += {t[in[i] >> 2], t[(in[i] & 3) << 4], '=', '='};
  else if (i + 2 == in.size())
    out += {t[in[i] >> 2], t[((in[i] & 3) << 4) | (in[i + 1] >> 4)], t[(in[i + 1] & 15) << 2], '='};
  return out;
}

/// Applies a piecewise-linear opacity curve [[x, alpha], ...] (x in [0,1]) to a table's alphas.
void apply_opacity_points(Colormap& m, const std::vector<std::array<float, 2>>& points) {
  if (points.empty()) return;
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const float x = m.entries.size() > 1 ? float(i) / float(m.entries.size() - 1) : 0.0f;
    float a = points.front()[1];
    for (size_t k = 0; k + 1 < points.size(); ++k)
      if (x >= points[k][0] && x <= points[k + 1][0]) {
        const float span = points[k + 1][0] - points[k][0];
        a = span > 0 ? lerpf(points[k][1], points[k + 1][1], (x - points[k][0]) / span) : points[k + 1][1];
      }
    if (x > points.back()[0]) a = points.back()[1];
    m.entries[i].w = clampf(a, 0, 1);
  }
}

json roi_json(const Head& h) {
  const Box3f r = intersect(h.frame.settings.region_of_interest, h.view.volume_box);
  const Box3f& v = h.view.volume_box;
  return {{"min", to_json(r.lo)}, {"max", to_json(r.hi)}, {"volume_min", to_json(v.lo)}, {"volume_max", to_json(v.hi)}};
}

json render_json(const Head& h) {
  const RenderSettings& s = h.frame.settings;
  return {{"sampling_distance", s.sampling_distance},
          {"shading", s.shading.enabled},
          {"jitter", s.jitter},
          {"mode", s.mode == RenderMode::maximum_intensity ? "mip" : "dvr"},
          {"skipping", s.empty_space_skipping},
          {"early_termination", s.early_termination},
          {"backend", h.backend},
          {"width", h.frame.width},
          {"height", h.frame.height}};
}

json colormap_json(const Head& h) {
  json j = colormap_to_json(h.frame.colormap);
  j["preset"] = h.preset.empty() ? json(nullptr) : json(h.preset);
  return j;
}

json graph_node(const io::SceneDescription& s, const std::string& id) {
  json node{{"id", id}, {"children", json::array()}};
  const auto it = s.nodes.find(id);
  if (it == s.nodes.end()) return node;
  node["type"] = it->second.type;
  for (const std::string& c : it->second.children) node["children"].push_back(graph_node(s, c));
  return node;
}

/// Project text for one new scene element, its args mirroring .prj attributes.
std::string element_text(Head& h, const std::string& id, const std::string& class_name, const json& args) {
  std::string text = "#! index_app_project 0\n";
  std::string type;
  if (class_name == "IColormap")
    type = "colormap";
  else if (class_name == "ISparse_volume_scene_element")
    type = "sparse_volume";
  else if (class_name == "ISparse_volume_rendering_properties")
    type = "sparse_volume_rendering_properties";
  else if (class_name == "IDirectional_headlight")
    type = "directional_headlight";
  else if (class_name == "IStatic_scene_group")
    type = "static_scene_group";
  else
    bad("'class_name' " + class_name +
        " is not supported (IColormap, ISparse_volume_scene_element, "
        "ISparse_volume_rendering_properties, IDirectional_headlight, IStatic_scene_group)");
  text += "app::scene::" + id + "::type = " + type + "\n";
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (!it.value().is_string()) bad("'args." + it.key() + "' must be a string");
    std::string key = it.key(), value = it.value().get<std::string>();
    if (key == "type") continue;
    // File references must lie inside the data roots (file:// URLs too).
    if (key == "input_file" || key == "file_name" || key == "input_directory") value = h.resolve_data_path(value);
    if (type == "colormap" && key == "file_name") {
      // IndeX: data_source = file, file_type = cmap, file_name = path -> an explicit table.
      const Colormap m = io::read_cmap(value);
      std::string data;
      for (const Vec4f& e : m.entries)
        data += std::to_string(e.x) + " " + std::to_string(e.y) + " " + std::to_string(e.z) + " " +
                std::to_string(e.w) + "\n";
      text += "app::scene::" + id + "::map_type = data\napp::scene::" + id +
              "::size = " + std::to_string(m.entries.size()) + "\napp::scene::" + id + "::data << (END)\n" + data +
              "(END)\n";
      continue;
    }
    // A colormap read from a file became a data table above: its lookup-table keys no longer apply.
    if (key == "data_source" || key == "file_type") continue;
    if (type == "colormap" && args.contains("file_name") && (key == "map_type" || key == "map_index")) continue;
    if (value.find('\n') != std::string::npos)
      text += "app::scene::" + id + "::" + key + " << (END)\n" + value + "\n(END)\n";
    else
      text += "app::scene::" + id + "::" + key + " = " + value + "\n";
  }
  return text;
}

std::string children_key(const std::string& parent) {
  return parent == "scene_root" || parent == "root" ? "app::scene::root::children"
                                                    : "app::scene::" + parent + "::children";
}

std::vector<std::string> children_of(const Head& h, const std::string& parent) {
  if (parent == "scene_root" || parent == "root") return h.view.scene.root_children;
  const auto it = h.view.scene.nodes.find(parent);
  if (it == h.view.scene.nodes.end()) bad("no scene element '" + parent + "'");
  if (it->second.type != "static_scene_group") bad("'" + parent + "' is a " + it->second.type + ", not a group");
  return it->second.children;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

/// Applies a scene edit as a new layer, validated before anything changes; keeps the user's view.
void edit_scene(Head& h, const std::string& text, const std::string& name) {
  SceneSpec next = h.spec;
  next.edits.push_back({"", text, name});
  const Camera camera = h.frame.camera;
  const bool had_volume = h.view.volume != nullptr;
  try {
    h.load_scene(std::move(next));
  } catch (const Error& e) {
    throw RpcError(streaming::server_error, e.what());
  }
  if (had_volume) h.frame.camera = camera;
}

} // namespace

void register_viewer_methods(Head& h, streaming::RpcDispatcher& rpc) {
  const json camera_result = {{"type", "object"},
                              {"description", "the camera: from, dir, up, aperture, aspect, focal, orthographic"}};
  auto camera_changed = [&h] {
    h.dirty = true;
    return camera_to_json(h.frame.camera);
  };
  rpc.add({"camera.get", "The current camera.", json::object(), camera_result, {}},
          [&h](const json&) { return camera_to_json(h.frame.camera); });
  rpc.add({"camera.set",
           "Sets any of the camera's fields.",
           {{"from", p("number[3]", "eye position")},
            {"dir", p("number[3]", "view direction")},
            {"up", p("number[3]", "up vector")},
            {"aperture", p("number", "image-plane width, > 0")},
            {"focal", p("number", "focal distance, > 0")},
            {"orthographic", p("boolean", "orthographic projection")}},
           camera_result,
           {"-32602 when a field has the wrong type or is out of range"}},
          [&h, camera_changed](const json& q) {
            Camera c = h.frame.camera;
            if (q.contains("from")) c.from = vec3_param(q, "from");
            if (q.contains("dir")) c.dir = vec3_param(q, "dir");
            if (q.contains("up")) c.up = vec3_param(q, "up");
            c.aperture = param_or<float>(q, "aperture", c.aperture);
            c.focal = param_or<float>(q, "focal", c.focal);
            c.orthographic = param_or<bool>(q, "orthographic", c.orthographic);
            if (!(c.aperture > 0)) bad("'aperture' must be > 0");
            if (!(c.focal > 0)) bad("'focal' must be > 0");
            if (length(c.dir) == 0 || length(cross(c.dir, c.up)) == 0)
              bad("'dir' and 'up' must be non-zero and not parallel");
            h.frame.camera = c;
            return camera_changed();
          });
  rpc.add({"camera.orbit",
           "Rotates the camera around the region-of-interest centre.",
           {{"azimuth", p("number", "degrees around the up vector")},
            {"elevation", p("number", "degrees around the right vector")}},
           camera_result,
           {}},
          [&h, camera_changed](const json& q) {
            const Vec3f centre = view_centre(h.view.volume_box, h.frame.settings);
            h.frame.camera = orbit_camera(h.frame.camera, centre, param_or<float>(q, "azimuth", 0),
                                          param_or<float>(q, "elevation", 0));
            return camera_changed();
          });
  rpc.add({"camera.pan",
           "Moves the camera sideways by fractions of the view.",
           {{"dx", p("number", "fraction of the view width")}, {"dy", p("number", "fraction of the view height")}},
           camera_result,
           {}},
          [&h, camera_changed](const json& q) {
            Camera& c = h.frame.camera;
            const CameraFrame f = camera_frame(c);
            const Vec3f centre = view_centre(h.view.volume_box, h.frame.settings);
            const float distance = c.orthographic ? 1.0f : std::max(1e-6f, length(centre - c.from)) / c.focal;
            const float width = c.aperture * distance, height = width / c.aspect;
            c.from = c.from - f.right * (param_or<float>(q, "dx", 0) * width) +
                     f.up * (param_or<float>(q, "dy", 0) * height);
            return camera_changed();
          });
  rpc.add({"camera.zoom",
           "Moves the camera toward the centre (factor > 1) or away (< 1).",
           {{"factor", p("number", "> 0", true)}},
           camera_result,
           {"-32602 when factor <= 0"}},
          [&h, camera_changed](const json& q) {
            const float k = param<float>(q, "factor");
            if (!(k > 0)) bad("'factor' must be > 0");
            Camera& c = h.frame.camera;
            if (c.orthographic)
              c.aperture /= k;
            else {
              const Vec3f centre = view_centre(h.view.volume_box, h.frame.settings);
              c.from = centre + (c.from - centre) * (1.0f / k);
            }
            return camera_changed();
          });
  rpc.add({"camera.reset", "Back to the scene's camera.", json::object(), camera_result, {}},
          [&h, camera_changed](const json&) {
            h.frame.camera = h.home_camera;
            return camera_changed();
          });

  rpc.add({"colormap.get",
           "The colormap: entries (straight RGBA), domain, boundary mode, preset.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&h](const json&) { return colormap_json(h); });
  rpc.add({"colormap.presets", "Names colormap.set accepts as 'preset'.", json::object(), {{"type", "string[]"}}, {}},
          [](const json&) { return json(colormap_preset_names()); });
  rpc.add({"colormap.set",
           "Sets the colormap from a preset or a table, its domain, boundary mode and opacity curve.",
           {{"preset", p("string", "viridis, magma, inferno, plasma, cool-warm, grayscale, supernova")},
            {"entries", p("number[][4]", "straight RGBA entries in [0,1]")},
            {"domain", p("number[2]", "value range mapped onto the table")},
            {"boundary_mode", p("string", "clamp_to_edge or clamp_to_transparent")},
            {"opacity_points", p("number[][2]", "piecewise-linear opacity curve [[x, alpha], ...], x in [0,1]")}},
           {{"type", "object"}},
           {"-32602 for an unknown preset or malformed table"}},
          [&h](const json& q) {
            Colormap m = h.frame.colormap;
            std::string preset = h.preset;
            if (q.contains("preset")) {
              preset = param<std::string>(q, "preset");
              try {
                m.entries = colormap_preset(preset).entries;
              } catch (const Error& e) {
                bad(std::string("'preset': ") + e.what());
              }
            }
            if (q.contains("entries")) {
              const auto e = param<std::vector<std::array<float, 4>>>(q, "entries");
              if (e.empty()) bad("'entries' must not be empty");
              m.entries.clear();
              for (const auto& x : e) m.entries.push_back({x[0], x[1], x[2], x[3]});
              preset.clear();
            }
            if (q.contains("domain")) {
              const auto d = param<std::array<float, 2>>(q, "domain");
              if (!(d[0] != d[1])) bad("'domain' min and max must differ");
              m.domain_min = d[0], m.domain_max = d[1];
            }
            if (q.contains("boundary_mode")) {
              try {
                m.mode = parse_boundary_mode(param<std::string>(q, "boundary_mode"));
              } catch (const Error& e) {
                bad(std::string("'boundary_mode': ") + e.what());
              }
            }
            if (q.contains("opacity_points"))
              apply_opacity_points(m, param<std::vector<std::array<float, 2>>>(q, "opacity_points"));
            h.frame.colormap = m;
            h.preset = preset;
            h.dirty = true;
            return colormap_json(h);
          });

  rpc.add({"roi.get",
           "The region of interest and the volume's box (scene space).",
           json::object(),
           {{"type", "object"}},
           {}},
          [&h](const json&) { return roi_json(h); });
  rpc.add({"roi.set",
           "Sets the region of interest (scene space).",
           {{"min", p("number[3]", "lower corner", true)}, {"max", p("number[3]", "upper corner", true)}},
           {{"type", "object"}},
           {"-32602 when min > max on an axis"}},
          [&h](const json& q) {
            const Box3f r{vec3_param(q, "min"), vec3_param(q, "max")};
            for (int a = 0; a < 3; ++a)
              if (r.lo[a] > r.hi[a]) bad("'min' must not exceed 'max'");
            h.frame.settings.region_of_interest = r;
            h.dirty = true;
            return roi_json(h);
          });

  rpc.add({"render.get", "Rendering settings.", json::object(), {{"type", "object"}}, {}},
          [&h](const json&) { return render_json(h); });
  rpc.add({"render.set",
           "Changes rendering settings (any subset).",
           {{"sampling_distance", p("number", "> 0")},
            {"shading", p("boolean", "headlight gradient shading")},
            {"jitter", p("boolean", "per-pixel lattice jitter")},
            {"mode", p("string", "dvr or mip")},
            {"skipping", p("boolean", "empty-space skipping")},
            {"early_termination", p("boolean", "stop opaque rays")},
            {"backend", p("string", "auto, cpu or cuda")},
            {"width", p("integer", "canvas width")},
            {"height", p("integer", "canvas height")}},
           {{"type", "object"}},
           {"-32602 for out-of-range values", "-32000 when the backend is unavailable"}},
          [&h](const json& q) {
            RenderSettings s = h.frame.settings;
            s.sampling_distance = param_or<float>(q, "sampling_distance", s.sampling_distance);
            if (!(s.sampling_distance > 0)) bad("'sampling_distance' must be > 0");
            s.shading.enabled = param_or<bool>(q, "shading", s.shading.enabled);
            s.jitter = param_or<bool>(q, "jitter", s.jitter);
            s.empty_space_skipping = param_or<bool>(q, "skipping", s.empty_space_skipping);
            s.early_termination = param_or<bool>(q, "early_termination", s.early_termination);
            const std::string mode =
                param_or<std::string>(q, "mode", s.mode == RenderMode::maximum_intensity ? "mip" : "dvr");
            if (mode != "mip" && mode != "dvr") bad("'mode' must be dvr or mip");
            s.mode = mode == "mip" ? RenderMode::maximum_intensity : RenderMode::direct_volume;
            const int w = param_or<int>(q, "width", h.frame.width), ht = param_or<int>(q, "height", h.frame.height);
            if (w < 1 || ht < 1 || w > 16384 || ht > 16384) bad("'width' and 'height' must be in 1..16384");
            if (q.contains("backend")) {
              const std::string b = param<std::string>(q, "backend");
              if (b != "auto" && b != "cpu" && b != "cuda") bad("'backend' must be auto, cpu or cuda");
              std::string reason;
              if (b == "cuda" && !kernels::cuda_device_available(&reason))
                throw RpcError(streaming::server_error, "backend cuda unavailable: " + reason);
              h.backend = b;
            }
            h.frame.settings = s;
            h.frame.width = w, h.frame.height = ht;
            h.frame.camera.aspect = float(w) / float(ht);
            h.dirty = true;
            return render_json(h);
          });
  rpc.add({"view.interaction",
           "Tells the server the user is dragging (reduced resolution) or has stopped.",
           {{"active", p("boolean", "true while input is going on", true)}},
           {{"type", "object"}},
           {}},
          [&h](const json& q) {
            const bool active = param<bool>(q, "active");
            if (!active && h.interactive) h.refine = true;
            h.interactive = active;
            return json{{"active", active}};
          });

  rpc.add({"time.get",
           "The time series: first and last step, the shown step, playing and its rate.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&h](const json&) { return h.time_json(); });
  rpc.add({"time.set",
           "Shows one time step.",
           {{"step", p("integer", "between first and last", true)}},
           {{"type", "object"}},
           {"-32602 when the step is outside the series"}},
          [&h](const json& q) {
            const int step = param<int>(q, "step");
            const auto [first, last] = h.time_range();
            if (step < first || step > last)
              bad("'step' " + std::to_string(step) + " is outside " + std::to_string(first) + ".." +
                  std::to_string(last));
            h.time_step = step;
            h.dirty = true;
            return h.time_json();
          });
  rpc.add(
      {"time.play",
       "Plays or pauses the time series; each rank reads its leaf of the next step ahead.",
       {{"playing", p("boolean", "play (true) or pause (false)", true)}, {"fps", p("number", "steps per second, > 0")}},
       {{"type", "object"}},
       {"-32602 when fps <= 0"}},
      [&h](const json& q) {
        const float fps = param_or<float>(q, "fps", h.play_fps);
        if (!(fps > 0)) bad("'fps' must be > 0");
        h.play_fps = fps;
        const auto [first, last] = h.time_range();
        h.playing = param<bool>(q, "playing") && last > first;
        h.dirty = true;
        return h.time_json();
      });
  rpc.add(
      {"scene.info", "Name, description, credits and volumes of the scene.", json::object(), {{"type", "object"}}, {}},
      [&h](const json&) { return h.scene_info(); });
  rpc.add({"scene.load",
           "Loads a .prj scene file from inside the data roots (replaces the scene).",
           {{"path", p("string", "path or file:// URL inside a --data-root", true)}},
           {{"type", "object"}},
           {"-32602 for a path outside the data roots", "-32000 with the reader's message when loading fails"}},
          [&h](const json& q) {
            std::string path;
            try {
              path = h.resolve_data_path(param<std::string>(q, "path"));
            } catch (const Error& e) {
              bad(std::string("'path': ") + e.what());
            }
            SceneSpec next;
            next.use_default = false;
            next.layers.push_back({path, "", ""});
            next.overrides = h.spec.overrides;
            try {
              h.load_scene(std::move(next));
            } catch (const Error& e) {
              throw RpcError(streaming::server_error, e.what());
            }
            return h.scene_info();
          });
  rpc.add({"snapshot",
           "Renders a still (PNG) at any resolution; returned as base64 or written under a data root.",
           {{"width", p("integer", "default: the canvas width")},
            {"height", p("integer", "default: the canvas height")},
            {"path", p("string", "write the PNG here (inside a data root) instead of returning it")}},
           {{"type", "object"}},
           {"-32602 for sizes out of range or a path outside the data roots"}},
          [&h](const json& q) {
            FrameParams f = h.frame;
            f.width = param_or<int>(q, "width", f.width);
            f.height = param_or<int>(q, "height", f.height);
            if (f.width < 1 || f.height < 1 || f.width > 16384 || f.height > 16384)
              bad("'width' and 'height' must be in 1..16384");
            f.camera.aspect = float(f.width) / float(f.height);
            std::string path;
            if (q.contains("path")) {
              try {
                path = h.resolve_data_path(param<std::string>(q, "path"));
              } catch (const Error& e) {
                bad(std::string("'path': ") + e.what());
              }
            }
            const Image image = h.render(f);
            json result{{"width", f.width}, {"height", f.height}};
            if (!path.empty()) {
              io::write_png(path, image);
              result["path"] = path;
            } else {
              result["png_base64"] = base64(io::encode_png(image));
            }
            return result;
          });
  rpc.add({"session.stats",
           "Frame statistics: fps, render/composite/encode ms, samples, ranks, backend, clients.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&h](const json&) { return h.stats_json(); });
  rpc.add({"cluster.status",
           "Every rank: host, k-d leaf, stored box (leaf + ghosts), resident bytes, backend.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&h](const json&) {
            json ranks = json::array();
            auto box = [](const Box3i& b) { return json::array({b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}); };
            for (const RankInfo& r : h.rank_info())
              ranks.push_back({{"rank", r.rank},
                               {"host", r.host},
                               {"leaf", box(r.leaf)},
                               {"stored", box(r.stored)},
                               {"resident_bytes", r.resident_bytes},
                               {"backend", r.backend}});
            return json{{"ranks", ranks}};
          });

  rpc.add({"cluster.rebalance",
           "Re-partitions the volume by visible work (voxels the current colormap shows) instead of voxel count; "
           "moves leaves only when the busiest rank gains over 10 %. The image does not change.",
           json::object(),
           {{"type", "object"}, {"description", "{changed: bool, leaves: [[6 ints], ...]}"}},
           {}},
          [&h](const json&) {
            const bool changed = h.rebalance();
            json leaves = json::array();
            for (const RankInfo& r : h.rank_info())
              leaves.push_back({r.leaf.lo.x, r.leaf.lo.y, r.leaf.lo.z, r.leaf.hi.x, r.leaf.hi.y, r.leaf.hi.z});
            return json{{"changed", changed}, {"leaves", leaves}};
          });

  // ---- NVIDIA IndeX's methods -------------------------------------------------------------------
  rpc.add({"nv::index::app::perflab.get_performance_value",
           "IndeX: performance values of the last frames.",
           {{"query_performance_key_list", p("boolean", "true: list the keys")},
            {"query_performance_value", p("string[]", "keys: nb_subcubes_rendered, frames_per_second, ...")}},
           {{"type", "object"}},
           {}},
          [&h](const json& q) {
            const json stats = h.stats_json();
            const json values{{"nb_subcubes_rendered", stats["contributing_leaves"]},
                              {"frames_per_second", stats["fps"]},
                              {"time_total_rendering", stats["render_ms"]},
                              {"time_total_compositing", stats["composite_ms"]},
                              {"nb_horizontal_spans", stats["ranks"]}};
            if (param_or<bool>(q, "query_performance_key_list", false)) {
              json keys = json::array();
              for (auto it = values.begin(); it != values.end(); ++it) keys.push_back(it.key());
              return json{{"performance_key_list", keys}};
            }
            json out = json::object();
            for (const std::string& key : param_or<std::vector<std::string>>(q, "query_performance_value", {})) {
              if (!values.contains(key)) bad("'query_performance_value': unknown key '" + key + "'");
              out[key] = values[key];
            }
            return json{{"performance_value", out}};
          });
  rpc.add({std::string(kIndexScene) + "get_scene_graph",
           "IndeX: the scene graph as a tree rooted at scene_root.",
           {{"scene_graph_representation_type", p("string", "tree")}},
           {{"type", "object"}},
           {}},
          [&h](const json& q) {
            const std::string kind = param_or<std::string>(q, "scene_graph_representation_type", "tree");
            if (kind != "tree") bad("'scene_graph_representation_type' must be tree");
            return json{{"tree", h.scene_graph()}};
          });
  rpc.add({std::string(kIndexScene) + "set_scene_element",
           "IndeX: changes an element; args.remove.id removes a child.",
           {{"id", p("string", "the element (scene_root or a group)", true)},
            {"args", p("object", "{\"remove.id\": child}", true)}},
           {{"type", "object"}},
           {"-32602 for an unknown element or child"}},
          [&h](const json& q) {
            const std::string id = param<std::string>(q, "id");
            const json args = param<json>(q, "args");
            if (!args.is_object()) bad("'args' must be an object");
            if (!args.contains("remove.id")) bad("'args' supports only remove.id");
            const std::string child = args["remove.id"].is_string() ? args["remove.id"].get<std::string>() : "";
            std::vector<std::string> children = children_of(h, id);
            const auto it = std::find(children.begin(), children.end(), child);
            if (it == children.end()) bad("'args.remove.id': '" + child + "' is not a child of '" + id + "'");
            children.erase(it);
            edit_scene(h, "#! index_app_project 0\n" + children_key(id) + " = " + join(children) + "\n",
                       "JSON-RPC set_scene_element");
            return json{{"id", id}, {"removed", child}};
          });
  rpc.add({std::string(kIndexScene) + "create_scene_element",
           "IndeX: adds an element (IColormap, ISparse_volume_scene_element, ...) whose string args mirror .prj "
           "attributes.",
           {{"parent_group_id", p("string", "scene_root or a group id", true)},
            {"new_scene_element_id", p("string", "id of the new element", true)},
            {"class_name", p("string", "IColormap, ISparse_volume_scene_element, ...", true)},
            {"args", p("object", "string values, as in a .prj file", true)}},
           {{"type", "object"}},
           {"-32602 for bad args", "-32000 with the reader's message when the element cannot load"}},
          [&h](const json& q) {
            const std::string parent = param<std::string>(q, "parent_group_id");
            const std::string id = param<std::string>(q, "new_scene_element_id");
            const std::string class_name = param<std::string>(q, "class_name");
            const json args = param<json>(q, "args");
            if (!args.is_object()) bad("'args' must be an object of strings");
            if (id.empty() || id.find_first_of(" :\t\n") != std::string::npos)
              bad("'new_scene_element_id' must be a word");
            if (h.view.scene.nodes.count(id)) bad("'new_scene_element_id': '" + id + "' exists already");
            std::vector<std::string> children = children_of(h, parent);
            std::string text;
            try {
              text = element_text(h, id, class_name, args);
            } catch (const Error& e) {
              bad(e.what());
            }
            children.push_back(id);
            text += children_key(parent) + " = " + join(children) + "\n";
            edit_scene(h, text, "JSON-RPC create_scene_element " + id);
            return json{{"id", id}};
          });
}

json Head::scene_info() const {
  const io::SceneDescription& s = view.scene;
  json volumes = json::array();
  for (const io::VolumeDesc& v : s.volumes) {
    const Box3i b = v.source->box();
    volumes.push_back({{"id", v.id},
                       {"name", v.name},
                       {"box", {b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}},
                       {"dtype", to_string(v.source->dtype())},
                       {"source", v.source->describe()}});
  }
  return {
      {"name", s.name},     {"description", s.description}, {"credits", s.credits}, {"requirements", s.requirements},
      {"volumes", volumes}, {"warnings", s.warnings},       {"time", time_json()}};
}

json Head::scene_graph() const {
  json root{{"id", "scene_root"}, {"children", json::array()}};
  for (const std::string& c : view.scene.root_children) root["children"].push_back(graph_node(view.scene, c));
  return root;
}

} // namespace libindex::viewer
