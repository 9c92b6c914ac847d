// SPDX-License-Identifier: Apache-2.0
// scene.info, scene.load, snapshot.
#include "libindex/error.h"
#include "libindex/io/image_writer.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

json scene_info(const ViewState& s) {
  const io::SceneDescription& d = s.view.scene;
  json volumes = json::array();
  for (const io::VolumeDesc& v : d.volumes) {
    const Box3i b = v.source->box();
    volumes.push_back({{"id", v.id},
                       {"name", v.name},
                       {"box", {b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}},
                       {"dtype", to_string(v.source->dtype())},
                       {"source", v.source->describe()}});
  }
  return {
      {"name", d.name},     {"description", d.description}, {"credits", d.credits}, {"requirements", d.requirements},
      {"volumes", volumes}, {"warnings", d.warnings},       {"time", time_json(s)}};
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
  rpc.add(
      {"scene.info", "Name, description, credits and volumes of the scene.", json::object(), {{"type", "object"}}, {}},
      [&s](const json&) { return scene_info(s); });
  rpc.add({"scene.load",
           "Loads a .prj scene file from inside the data roots (replaces the scene).",
           {{"path", param_doc("string", "path or file:// URL inside a --data-root", true)}},
           {{"type", "object"}},
           {"-32602 for a path outside the data roots", "-32000 with the reader's message when loading fails"}},
          [&s](const json& q) {
            SceneSpec next;
            next.use_default = false;
            next.layers.push_back({data_path_param(s, q, "path"), "", ""});
            next.overrides = s.spec.overrides;
            try {
              s.load_scene(std::move(next));
            } catch (const Error& e) {
              throw streaming::RpcError(streaming::server_error, e.what());
            }
            return scene_info(s);
          });
  rpc.add(
      {"snapshot",
       "Renders a still (PNG) at any resolution; returned as base64 or written under a data root.",
       {{"width", param_doc("integer", "default: the canvas width")},
        {"height", param_doc("integer", "default: the canvas height")},
        {"path", param_doc("string", "write the PNG here (inside a data root) instead of returning it")}},
       {{"type", "object"}},
       {"-32602 for sizes out of range or a path outside the data roots", "-32000 when the frame fails on some rank"}},
      [&head, &s](const json& q) {
        FrameParams f = s.frame;
        f.width = param_or<int>(q, "width", f.width);
        f.height = param_or<int>(q, "height", f.height);
        try {
          s.check_size(f.width, f.height);
        } catch (const Error& e) {
          bad(e.what());
        }
        f.camera.aspect = float(f.width) / float(f.height);
        const std::string path = q.contains("path") ? data_path_param(s, q, "path") : std::string();
        Image image;
        try {
          image = head.render(f);
        } catch (const Error& e) {
          throw streaming::RpcError(streaming::server_error, std::string("snapshot failed: ") + e.what());
        }
        json result{{"width", f.width}, {"height", f.height}};
        if (!path.empty()) {
          io::write_png(path, image);
          result["path"] = path;
        } else {
          result["png_base64"] = base64(io::encode_png(image));
        }
        return result;
      });
}

} // namespace libindex::rpc
