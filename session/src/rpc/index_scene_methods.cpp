// SPDX-License-Identifier: Apache-2.0
// NVIDIA IndeX's scene management: get_scene_graph, create_scene_element, set_scene_element. An
// edit becomes a new layer of the scene spec, validated (built) before anything changes.
#include "libindex/error.h"
#include "libindex/io/cmap_reader.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

namespace {

constexpr const char* kIndexScene =
    "nv::index::app::scene_management_center::scene_management_center_command_receiver.";

json graph_node(const io::SceneDescription& s, const std::string& id) {
  json node{{"id", id}, {"children", json::array()}};
  const auto it = s.nodes.find(id);
  if (it == s.nodes.end()) return node;
  node["type"] = it->second.type;
  for (const std::string& c : it->second.children) node["children"].push_back(graph_node(s, c));
  return node;
}

json scene_graph(const ViewState& s) {
  json root{{"id", "scene_root"}, {"children", json::array()}};
  for (const std::string& c : s.view.scene.root_children) root["children"].push_back(graph_node(s.view.scene, c));
  return root;
}

/// Project text for one new scene element, its args mirroring .prj attributes.
std::string element_text(const ViewState& s, const std::string& id, const std::string& class_name, const json& args) {
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
    if (key == "input_file" || key == "file_name" || key == "input_directory") value = s.resolve_data_path(value);
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

std::vector<std::string> children_of(const ViewState& s, const std::string& parent) {
  if (parent == "scene_root" || parent == "root") return s.view.scene.root_children;
  const auto it = s.view.scene.nodes.find(parent);
  if (it == s.view.scene.nodes.end()) bad("no scene element '" + parent + "'");
  if (it->second.type != "static_scene_group") bad("'" + parent + "' is a " + it->second.type + ", not a group");
  return it->second.children;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

/// Applies a scene edit as a new layer, validated before anything changes; keeps the user's view.
void edit_scene(ViewState& s, const std::string& text, const std::string& name) {
  SceneSpec next = s.spec;
  next.edits.push_back({"", text, name});
  const Camera camera = s.frame.camera;
  const bool had_volume = s.view.volume != nullptr;
  try {
    s.load_scene(std::move(next));
  } catch (const Error& e) {
    throw streaming::RpcError(streaming::server_error, e.what());
  }
  if (had_volume) s.frame.camera = camera;
}

} // namespace

void add_index_scene_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({std::string(kIndexScene) + "get_scene_graph",
           "IndeX: the scene graph as a tree rooted at scene_root.",
           {{"scene_graph_representation_type", param_doc("string", "tree")}},
           {{"type", "object"}},
           {"-32602 for a representation other than tree"}},
          [&s](const json& q) {
            const std::string kind = param_or<std::string>(q, "scene_graph_representation_type", "tree");
            if (kind != "tree") bad("'scene_graph_representation_type' must be tree");
            return json{{"tree", scene_graph(s)}};
          });
  rpc.add({std::string(kIndexScene) + "set_scene_element",
           "IndeX: changes an element; args.remove.id removes a child.",
           {{"id", param_doc("string", "the element (scene_root or a group)", true)},
            {"args", param_doc("object", "{\"remove.id\": child}", true)}},
           {{"type", "object"}},
           {"-32602 for an unknown element or child"}},
          [&s](const json& q) {
            const std::string id = param<std::string>(q, "id");
            const json args = param<json>(q, "args");
            if (!args.is_object()) bad("'args' must be an object");
            if (!args.contains("remove.id")) bad("'args' supports only remove.id");
            const std::string child = args["remove.id"].is_string() ? args["remove.id"].get<std::string>() : "";
            std::vector<std::string> children = children_of(s, id);
            const auto it = std::find(children.begin(), children.end(), child);
            if (it == children.end()) bad("'args.remove.id': '" + child + "' is not a child of '" + id + "'");
            children.erase(it);
            edit_scene(s, "#! index_app_project 0\n" + children_key(id) + " = " + join(children) + "\n",
                       "JSON-RPC set_scene_element");
            return json{{"id", id}, {"removed", child}};
          });
  rpc.add({std::string(kIndexScene) + "create_scene_element",
           "IndeX: adds an element (IColormap, ISparse_volume_scene_element, ...) whose string args mirror .prj "
           "attributes.",
           {{"parent_group_id", param_doc("string", "scene_root or a group id", true)},
            {"new_scene_element_id", param_doc("string", "id of the new element", true)},
            {"class_name", param_doc("string", "IColormap, ISparse_volume_scene_element, ...", true)},
            {"args", param_doc("object", "string values, as in a .prj file", true)}},
           {{"type", "object"}},
           {"-32602 for bad args", "-32000 with the reader's message when the element cannot load"}},
          [&s](const json& q) {
            const std::string parent = param<std::string>(q, "parent_group_id");
            const std::string id = param<std::string>(q, "new_scene_element_id");
            const std::string class_name = param<std::string>(q, "class_name");
            const json args = param<json>(q, "args");
            if (!args.is_object()) bad("'args' must be an object of strings");
            if (id.empty() || id.find_first_of(" :\t\n") != std::string::npos)
              bad("'new_scene_element_id' must be a word");
            if (s.view.scene.nodes.count(id)) bad("'new_scene_element_id': '" + id + "' exists already");
            std::vector<std::string> children = children_of(s, parent);
            std::string text;
            try {
              text = element_text(s, id, class_name, args);
            } catch (const Error& e) {
              bad(e.what());
            }
            children.push_back(id);
            text += children_key(parent) + " = " + join(children) + "\n";
            edit_scene(s, text, "JSON-RPC create_scene_element " + id);
            return json{{"id", id}};
          });
}

} // namespace libindex::rpc
