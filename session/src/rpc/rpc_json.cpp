// SPDX-License-Identifier: Apache-2.0
#include "rpc_json.h"

#include <fcntl.h>
#include <unistd.h>

#include "libindex/error.h"
#include "libindex/io/image_writer.h"
#include "libindex/rpc_methods.h"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace libindex::rpc {
using nlohmann::json;

json to_json(Vec3f v) { return json::array({v.x, v.y, v.z}); }

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

size_t volume_param(const ViewState& s, const json& q) {
  if (!q.contains("volume") || q["volume"].is_null()) return 0;
  const std::string id = streaming::param<std::string>(q, "volume");
  const auto& volumes = s.view.scene.volumes;
  std::string ids;
  for (size_t i = 0; i < volumes.size(); ++i) {
    if (volumes[i].id == id) return i;
    ids += (i ? ", " : "") + volumes[i].id;
  }
  bad("'volume': no volume '" + id + "' in this scene" +
      (ids.empty() ? std::string(" (it has none)") : " (its volumes: " + ids + ")"));
}

size_t shown_volume_param(const ViewState& s, const json& q) {
  const size_t index = volume_param(s, q);
  if (s.view.scene.volumes.empty()) throw streaming::RpcError(streaming::server_error, "the scene has no volume");
  return index;
}

json colormap_to_json(const Colormap& m) {
  json entries = json::array();
  for (const Vec4f& e : m.entries) entries.push_back({e.x, e.y, e.z, e.w});
  const json nan = m.nan_color ? json{m.nan_color->x, m.nan_color->y, m.nan_color->z, m.nan_color->w} : json(nullptr);
  return {{"entries", entries},
          {"domain", {m.domain_min, m.domain_max}},
          {"boundary_mode", to_string(m.mode)},
          {"nan_color", nan}};
}

Vec3f vec3_param(const json& p, const char* name) {
  const auto v = streaming::param<std::array<float, 3>>(p, name);
  for (float x : v)
    if (!std::isfinite(x)) bad(std::string("'") + name + "' must hold finite numbers");
  return {v[0], v[1], v[2]};
}

void bad(const std::string& message) {
  throw streaming::RpcError(streaming::invalid_params, "invalid params: " + message);
}

json param_doc(const char* type, const char* description, bool required) {
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

std::string session_changed(const json& methods) {
  return json{{"jsonrpc", "2.0"}, {"method", "session.changed"}, {"params", {{"methods", methods}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

void edit_scene(ViewState& s, std::vector<std::pair<std::string, std::string>> assignments, const std::string& name) {
  SceneSpec next = s.spec;
  SceneLayer layer;
  layer.name = name;
  layer.assignments = std::move(assignments);
  layer.roots = s.data_roots;
  next.edits.push_back(std::move(layer));
  try {
    change_scene_within_limits(s, [&] { s.edit_scene(std::move(next)); });
  } catch (const Error& e) { // the scene does not build with the edit (a limit is -32602 already)
    throw streaming::RpcError(streaming::server_error, e.what());
  }
}

void change_scene_within_limits(ViewState& s, const std::function<void()>& change) {
  ViewState before = s;
  change();
  try {
    s.check_samples_per_ray();
    s.check_memory();
  } catch (const Error& e) {
    s = std::move(before);
    bad(e.what());
  }
}

std::string children_key(const std::string& parent) {
  return parent == "scene_root" || parent == "root" ? "app::scene::root::children"
                                                    : "app::scene::" + parent + "::children";
}

std::vector<std::string> children_of(const ViewState& s, const std::string& parent) {
  if (parent == "scene_root" || parent == "root") return s.view.scene.root_children;
  const auto it = s.view.scene.nodes.find(parent);
  if (it == s.view.scene.nodes.end()) bad("no scene element '" + parent + "'");
  if (it->second.type != "static_scene_group" && it->second.type != "transformed_scene_group")
    bad("'" + parent + "' is a " + it->second.type + ", not a group");
  return it->second.children;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

/// Creates `path` and writes `bytes`: never over an existing file, never through a symbolic link
/// (O_EXCL | O_NOFOLLOW: also when one appeared after the path was checked). A write that fails (a
/// full disk) removes the file it created, so the same name can be tried again.
void write_new_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot create '" + path + "': " + std::strerror(errno));
  const auto fail = [&](int err) {
    ::unlink(path.c_str()); // ours: O_EXCL created it
    throw Error("cannot write '" + path + "': " + std::strerror(err));
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail(err);
    }
    done += size_t(n);
  }
  if (::close(fd) != 0) fail(errno);
}

std::string snapshot_path_param(const ViewState& s, const json& q) {
  if (!q.contains("path")) return "";
  try {
    return s.snapshot_path(streaming::param<std::string>(q, "path"));
  } catch (const Error& e) {
    bad(std::string("'path': ") + e.what());
  }
}

json png_reply(const Image& image, const std::string& path) {
  json result{{"width", image.width()}, {"height", image.height()}};
  const std::vector<uint8_t> png = io::encode_png(image);
  if (path.empty()) {
    result["png_base64"] = base64(png);
  } else {
    write_new_file(path, png);
    result["path"] = path;
  }
  return result;
}

} // namespace libindex::rpc
