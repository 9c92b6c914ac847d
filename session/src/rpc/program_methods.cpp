// SPDX-License-Identifier: Apache-2.0
// program.*: a volume's sample program (IndeX XAC), read, replaced and turned off live. A new source is compiled
// on the head first, so a program that does not compile is refused and nothing changes; then it
// becomes a scene edit, which every rank applies (and compiles, or finds in the cache).
#include <algorithm>
#include <cstring>
#include <string>

#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;

namespace {

constexpr size_t kMaxSourceBytes = 1 << 20;

/// The group whose children list holds `id` ("root" for the scene's root), or "" when none does.
std::string parent_of(const io::SceneDescription& scene, const std::string& id) {
  if (std::count(scene.root_children.begin(), scene.root_children.end(), id)) return "root";
  for (const auto& [group, node] : scene.nodes)
    if (std::count(node.children.begin(), node.children.end(), id)) return group;
  return "";
}

/// A buffer's bytes as project text that gives them back exactly: 4-byte words as uint32 (`7u`).
std::string buffer_text(const std::vector<unsigned char>& bytes) {
  std::vector<unsigned char> padded = bytes;
  padded.resize((bytes.size() + 3) / 4 * 4, 0);
  std::string text;
  for (size_t i = 0; i < padded.size(); i += 4) {
    uint32_t word;
    std::memcpy(&word, padded.data() + i, 4);
    if (!text.empty()) text += ' ';
    text += std::to_string(word) + 'u';
  }
  return text;
}

json program_json(const ViewState& s, size_t volume) {
  const io::VolumeDesc& v = s.view.scene.volumes.at(volume);
  // settable: whether program.set is on (--allow-programs), so a page need not find out by trying.
  json out{{"volume", v.id}, {"program", nullptr}, {"compiled", false}, {"settable", s.limits.client_programs}};
  if (!v.program) return out;
  const io::ProgramDesc& p = *v.program;
  json buffers = json::object();
  for (const auto& [slot, bytes] : p.buffers) buffers[std::to_string(slot)] = buffer_text(bytes);
  out["program"] = p.id;
  out["source"] = p.text;
  out["file"] = p.file;
  out["first_line"] = p.first_line;
  out["buffers"] = buffers;
  out["compiled"] = volume < s.view.programs.size() && s.view.programs[volume] != nullptr;
  return out;
}

/// What NVRTC says of the program for the GPU: "compiles", its log, or why it cannot tell.
std::string gpu_check(const kernels::SampleProgramSource& source) {
  try {
    const std::string log = kernels::compile_sample_program_for_gpu(source);
    return log.empty() ? "compiles" : log;
  } catch (const Error& e) {
    return std::string("not checked: ") + e.what();
  }
}

} // namespace

void add_program_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({"program.get",
           "A volume's sample program (IndeX rendering_kernel_program): its node, source, file, parameter "
           "buffers (slot: 4-byte words as '7u') and whether it compiled (and is enabled); program null when it has "
           "none; settable: whether clients may set programs (the viewer's --allow-programs).",
           {{"volume", param_doc("string", "a volume id (default: the first)")}},
           {{"type", "object"}},
           {"-32602 for an unknown volume", "-32000 when the scene has no volume"}},
          [&s](const json& q) { return program_json(s, shown_volume_param(s, q)); });
  rpc.add({"program.remove",
           "Turns a volume's sample program off (its node stays, disabled): the colormap colours the volume "
           "again. Returns program.get's answer.",
           {{"volume", param_doc("string", "a volume id (default: the first)")}},
           {{"type", "object"}},
           {"-32602 for an unknown volume or one without a program", "-32000 when the scene has no volume"}},
          [&s](const json& q) {
            const size_t index = shown_volume_param(s, q);
            const auto& program = s.view.scene.volumes[index].program;
            if (!program) bad("volume '" + s.view.scene.volumes[index].id + "' has no sample program");
            edit_scene(s, {{"app::scene::" + program->id + "::enabled", "false"}}, "JSON-RPC program.remove");
            return program_json(s, index);
          });
  rpc.add({"program.set",
           "Replaces a volume's sample program (adds one when it has none) and, optionally, parameter buffers "
           "(slot: '0.5 2i 7u', float32 unless i or u). The source is compiled first: a program that does not "
           "compile is refused with the compiler's message, and nothing changes. `gpu` says what NVRTC makes of "
           "it. Off unless the viewer runs with --allow-programs (a program is native code).",
           {{"volume", param_doc("string", "a volume id (default: the first)")},
            {"source", param_doc("string", "the program (class Volume_sample_program ...)", true)},
            {"buffers", param_doc("object", "{\"0\": \"1.5 2i\"}: replaces those slots")}},
           {{"type", "object"}},
           {"-32602 for an unknown volume, a source that does not compile, or bad buffers",
            "-32000 when the viewer was not started with --allow-programs, or the scene has no volume"}},
          [&s](const json& q) {
            if (!s.limits.client_programs)
              throw streaming::RpcError(streaming::server_error,
                                        "program.set is off: a program is native code that runs in the server, so "
                                        "clients may set one only when the viewer is started with --allow-programs");
            const size_t index = shown_volume_param(s, q);
            const std::string source = param<std::string>(q, "source");
            if (source.size() > kMaxSourceBytes) bad("'source' is longer than 1 MiB");
            if (source.find('\0') != std::string::npos) bad("'source' holds a NUL character");
            const json buffers = q.contains("buffers") ? q["buffers"] : json::object();
            if (!buffers.is_object()) bad("'buffers' must be an object of slot: values");
            // Named as the scene edit will name it, so the ranks find this compile in the cache.
            const kernels::SampleProgramSource checked{source, "JSON-RPC program.set", 1};
            try {
              kernels::compile_sample_program(checked);
            } catch (const Error& e) {
              bad(std::string("the program does not compile: ") + e.what());
            }
            const io::SceneDescription& scene = s.view.scene;
            const io::VolumeDesc& volume = scene.volumes[index];
            const std::string group = parent_of(scene, volume.id);
            if (group.empty()) bad("volume '" + volume.id + "' is not in the scene graph");
            // The volume's own program node, or a new one right before it.
            std::vector<std::pair<std::string, std::string>> edits;
            std::vector<std::string> children = children_of(s, group);
            auto insert_before_volume = [&](const std::string& id) {
              children.insert(std::find(children.begin(), children.end(), volume.id), id);
            };
            std::string program = volume.program ? volume.program->id : "libindex_program_" + volume.id;
            if (!volume.program) {
              insert_before_volume(program);
              edits.push_back({"app::scene::" + program + "::type", "rendering_kernel_program"});
            }
            edits.push_back({"app::scene::" + program + "::source_string", source});
            edits.push_back({"app::scene::" + program + "::source_file", ""});
            edits.push_back({"app::scene::" + program + "::enabled", "true"});
            if (!buffers.empty()) {
              // The volume's buffers in a parameters node of its own (right before it), given slots replaced.
              const std::string params = "libindex_params_" + volume.id;
              if (!scene.nodes.count(params)) {
                insert_before_volume(params);
                edits.push_back({"app::scene::" + params + "::type", "rendering_kernel_program_parameters"});
              }
              if (volume.program)
                for (const auto& [slot, bytes] : volume.program->buffers)
                  edits.push_back({"app::scene::" + params + "::buffer_" + std::to_string(slot), buffer_text(bytes)});
              for (auto it = buffers.begin(); it != buffers.end(); ++it) {
                const std::string& slot = it.key();
                if (slot.size() != 1 || slot[0] < '0' || slot[0] >= '0' + LIBINDEX_XAC_MAX_BUFFERS)
                  bad("'buffers': slots are 0 to " + std::to_string(LIBINDEX_XAC_MAX_BUFFERS - 1) + ", not '" + slot +
                      "'");
                if (!it.value().is_string()) bad("'buffers." + slot + "' must be a string of values");
                const std::string values = it.value().get<std::string>();
                if (values.find_first_of("\r\n") != std::string::npos) bad("'buffers." + slot + "' must be one line");
                edits.push_back({"app::scene::" + params + "::buffer_" + slot, values});
              }
            }
            edits.push_back({children_key(group), join(children)});
            try {
              edit_scene(s, std::move(edits), "JSON-RPC program.set");
            } catch (const streaming::RpcError& e) {
              bad(e.what()); // a bad buffer value: the scene's message names it
            }
            json out = program_json(s, index);
            out["gpu"] = gpu_check(checked);
            return out;
          });
}

} // namespace libindex::rpc
