// SPDX-License-Identifier: Apache-2.0
// NVIDIA IndeX's scene management: get_scene_graph, create_scene_element, set_scene_element. An
// edit becomes a new layer of the scene spec, validated (built) before anything changes.
#include "libindex/error.h"
#include <map>

#include "libindex/io/cmap_reader.h"
#include "libindex/io/scene.h"
#include "libindex/kernels/sample_program.h"
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

/// IndeX class names and the node types they make.
std::string node_type_of(const std::string& class_name) {
  static const std::map<std::string, std::string> types = {
      {"IColormap", "colormap"},
      {"ISparse_volume_scene_element", "sparse_volume"},
      {"ISparse_volume_rendering_properties", "sparse_volume_rendering_properties"},
      {"IDirectional_headlight", "directional_headlight"},
      {"IStatic_scene_group", "static_scene_group"},
      {"IVolume_sample_program", "rendering_kernel_program"},
      {"ISurface_sample_program", "rendering_kernel_program"}, // target surface_sample_program
      {"IRendering_kernel_program_parameters", "rendering_kernel_program_parameters"},
      {"IRendering_kernel_program_scene_element_mapping", "rendering_kernel_program_scene_element_mapping"},
      {"IClip_region", "clip_region"},
      {"IPlane", "plane"}};
  const auto it = types.find(class_name);
  if (it == types.end())
    bad("'class_name' " + class_name +
        " is not supported (IColormap, ISparse_volume_scene_element, ISparse_volume_rendering_properties, "
        "IDirectional_headlight, IStatic_scene_group, IVolume_sample_program, ISurface_sample_program, "
        "IRendering_kernel_program_parameters, IRendering_kernel_program_scene_element_mapping, IClip_region, "
        "IPlane)");
  return it->second;
}

/// A colormap table as the `data` attribute holds it: 4 numbers an entry, one entry a line.
std::string table_text(const Colormap& m) {
  std::string data;
  for (const Vec4f& e : m.entries)
    data +=
        std::to_string(e.x) + " " + std::to_string(e.y) + " " + std::to_string(e.z) + " " + std::to_string(e.w) + "\n";
  return data;
}

/// The attributes of one new scene element as key/value data: each key must be an attribute IndeX
/// defines for the element's type (exactly: no spaces, no other node's keys), each value one line
/// (a colormap's table excepted), file names inside the data roots. Nothing is ever parsed as
/// project text, so no value can add keys.
std::vector<std::pair<std::string, std::string>> element_assignments(const ViewState& s, const std::string& id,
                                                                     const std::string& type, const json& args) {
  const std::string prefix = "app::scene::" + id + "::";
  std::vector<std::pair<std::string, std::string>> out{{prefix + "type", type}};
  for (auto it = args.begin(); it != args.end(); ++it) {
    const std::string& key = it.key();
    if (!it.value().is_string()) bad("'args." + key + "' must be a string");
    std::string value = it.value().get<std::string>();
    if (key == "type") continue;
    // IndeX's way to say "a table from a .cmap file" (file_name): nothing to keep beyond the table.
    if (type == "colormap" && (key == "data_source" || key == "file_type")) continue;
    if (!io::is_known_attribute(type, key)) bad("'args." + key + "' is not an attribute of a " + type);
    if (value.find('\0') != std::string::npos) bad("'args." + key + "' holds a NUL character");
    const bool multi_line = (type == "colormap" && key == "data") ||
                            (type == "rendering_kernel_program" && (key == "source_string" || key == "program"));
    if (!multi_line && value.find_first_of("\r\n") != std::string::npos) bad("'args." + key + "' must be one line");
    // IndeX's set_mapping(slot, tag) takes an element that exists; a scene file's dangling name
    // only warns (public scenes have them), a client's is refused.
    if (type == "rendering_kernel_program_scene_element_mapping" && !s.view.scene.nodes.count(value))
      bad("'args." + key + "': no node '" + value + "' in this scene");
    if (key == "input_file_base_name" && (value.find('/') != std::string::npos || value == ".."))
      bad("'args.input_file_base_name' must be a file name, not a path");
    if (key == "input_file" || key == "file_name" || key == "input_directory" || key == "source_file") {
      try {
        value = s.resolve_data_path(value);
      } catch (const Error& e) {
        bad("'args." + key + "': " + e.what());
      }
    }
    if (type == "colormap" && key == "file_name") {
      // IndeX: data_source = file, file_type = cmap, file_name = path -> an explicit table. A file
      // that cannot be read is the element failing to load (-32000), as a volume's data file is.
      Colormap m;
      try {
        m = io::read_cmap(value);
      } catch (const Error& e) {
        throw streaming::RpcError(streaming::server_error, e.what());
      }
      out.push_back({prefix + "map_type", "data"});
      out.push_back({prefix + "size", std::to_string(m.entries.size())});
      out.push_back({prefix + "data", table_text(m)});
      continue;
    }
    // A colormap read from a file became a data table above: its lookup-table keys no longer apply.
    if (type == "colormap" && args.contains("file_name") && (key == "map_type" || key == "map_index")) continue;
    out.push_back({prefix + key, value});
  }
  return out;
}

/// A program a client creates: only with --allow-programs (it is native code), and one that compiles
/// (named as the scene edit will name it, so the ranks find the compile in the cache) for its target:
/// the one in `args`, else `target` (the node's own), else volume_sample_program.
void check_client_program(const ViewState& s, const json& args, const std::string& layer,
                          const std::string& target = "") {
  if (!s.limits.client_programs)
    throw streaming::RpcError(streaming::server_error,
                              "sample programs from clients are off: a program is native code that runs in the "
                              "server, so the viewer must be started with --allow-programs");
  for (const char* key : {"source_string", "program"})
    if (args.contains(key) && !args.contains("source_file")) {
      try {
        const bool surface =
            args.contains("target") ? args["target"] == "surface_sample_program" : target == "surface_sample_program";
        kernels::compile_sample_program({args[key].get<std::string>(), layer, 1,
                                         surface ? kernels::ProgramTarget::surface : kernels::ProgramTarget::volume});
      } catch (const Error& e) {
        bad(std::string("the program does not compile: ") + e.what());
      }
      return;
    }
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
           "IndeX: changes an element: args.remove.id removes a child of a group; other args set the element's "
           "attributes (string values, as in a .prj file; \"enabled\": \"false\" hides it).",
           {{"id", param_doc("string", "the element (a group or any other; scene_root: remove.id only)", true)},
            {"args", param_doc("object", "{\"remove.id\": child} or attributes", true)}},
           {{"type", "object"}},
           {"-32602 for an unknown element, child or attribute, or a change that leaves a volume over the "
            "samples-per-ray limit (a sampling_distance, a bbox) or larger than the ranks' memory (a size)",
            "-32000 with the reader's message when the scene does not load with the change"}},
          [&s](const json& q) {
            const std::string id = param<std::string>(q, "id");
            const json args = param<json>(q, "args");
            if (!args.is_object() || args.empty()) bad("'args' must be an object with remove.id or attributes");
            if (args.contains("remove.id")) {
              if (args.size() > 1) bad("'args.remove.id' goes alone");
              const std::string child = args["remove.id"].is_string() ? args["remove.id"].get<std::string>() : "";
              std::vector<std::string> children = children_of(s, id);
              const auto it = std::find(children.begin(), children.end(), child);
              if (it == children.end()) bad("'args.remove.id': '" + child + "' is not a child of '" + id + "'");
              children.erase(it);
              edit_scene(s, {{children_key(id), join(children)}}, "JSON-RPC set_scene_element");
              return json{{"id", id}, {"removed", child}};
            }
            const auto node = s.view.scene.nodes.find(id);
            if (node == s.view.scene.nodes.end()) bad("'id': no element '" + id + "' in the scene graph");
            const std::string& type = node->second.type;
            std::vector<std::pair<std::string, std::string>> assignments;
            try {
              assignments = element_assignments(s, id, type, args);
            } catch (const Error& e) {
              bad(e.what());
            }
            assignments.erase(assignments.begin()); // the type it has
            const std::string layer = "JSON-RPC set_scene_element " + id;
            const bool new_source =
                args.contains("source_string") || args.contains("program") || args.contains("source_file");
            if (type == "rendering_kernel_program" && new_source) {
              const auto target = node->second.attributes.find("target");
              check_client_program(s, args, layer, target == node->second.attributes.end() ? "" : target->second.text);
            }
            edit_scene(s, std::move(assignments), layer);
            json set = json::array();
            for (auto it = args.begin(); it != args.end(); ++it) set.push_back(it.key());
            return json{{"id", id}, {"set", set}};
          });
  rpc.add({std::string(kIndexScene) + "create_scene_element",
           "IndeX: adds an element (IColormap, ISparse_volume_scene_element, ...) whose string args mirror .prj "
           "attributes.",
           {{"parent_group_id", param_doc("string", "scene_root or a group id", true)},
            {"new_scene_element_id", param_doc("string", "id of the new element", true)},
            {"class_name", param_doc("string", "IColormap, ISparse_volume_scene_element, ...", true)},
            {"args", param_doc("object", "string values, as in a .prj file", true)}},
           {{"type", "object"}},
           {"-32602 for bad args, or an element that leaves a volume over the samples-per-ray limit or the "
            "scene larger than the ranks' memory",
            "-32000 with the reader's message when the element cannot load"}},
          [&s](const json& q) {
            const std::string parent = param<std::string>(q, "parent_group_id");
            const std::string id = param<std::string>(q, "new_scene_element_id");
            const std::string class_name = param<std::string>(q, "class_name");
            const json args = param<json>(q, "args");
            if (!args.is_object()) bad("'args' must be an object of strings");
            if (id.empty() || id.size() > 128 ||
                id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                    std::string::npos)
              bad("'new_scene_element_id' must be a word of letters, digits, '_', '-' and '.'");
            if (s.view.scene.nodes.count(id)) bad("'new_scene_element_id': '" + id + "' exists already");
            std::vector<std::string> children = children_of(s, parent);
            std::vector<std::pair<std::string, std::string>> assignments;
            const std::string type = node_type_of(class_name);
            const std::string layer = "JSON-RPC create_scene_element " + id;
            try {
              // A removed element's attributes stay in the scene's layers: the new one must not
              // inherit them (a volume hidden before its removal came back hidden).
              assignments = {SceneLayer::erase_element(id)};
              for (auto& a : element_assignments(s, id, type, args)) assignments.push_back(std::move(a));
            } catch (const Error& e) {
              bad(e.what());
            }
            const bool surface = class_name == "ISurface_sample_program";
            if (surface && !args.contains("target"))
              assignments.push_back({"app::scene::" + id + "::target", "surface_sample_program"});
            if (type == "rendering_kernel_program")
              check_client_program(s, args, layer, surface ? "surface_sample_program" : "");
            children.push_back(id);
            assignments.push_back({children_key(parent), join(children)});
            edit_scene(s, std::move(assignments), layer);
            return json{{"id", id}};
          });
}

} // namespace libindex::rpc
