// SPDX-License-Identifier: Apache-2.0
// Sample programs in a scene: `rendering_kernel_program` nodes (IndeX's keys: target, enabled,
// source_file or source_string), libindex's `rendering_kernel_program_parameters` buffers and
// `rendering_kernel_program_scene_element_mapping` slots, all attributes the volumes (volume
// programs) and planes (surface programs) after them in their group inherit.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "file_io.h"
#include "libindex/xac_abi.h"
#include "libindex/error.h"
#include "scene_internal.h"

namespace libindex::io::detail {
namespace {

constexpr uint64_t kMaxProgramBytes = 1 << 20;

template <class T>
void append(std::vector<unsigned char>& bytes, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  bytes.insert(bytes.end(), b, b + sizeof(T));
}

/// `buffer_<slot> = 0.5 2i 7u ...`: 4-byte values in order, float32 unless suffixed i (int32) or u
/// (uint32), laid out as a C struct of those members would be.
std::vector<unsigned char> parse_buffer(const Value& v) {
  std::vector<unsigned char> bytes;
  size_t pos = 0;
  const std::string& t = v.text;
  while (true) {
    pos = t.find_first_not_of(" \t\r\n", pos);
    if (pos == std::string::npos) break;
    const size_t end = t.find_first_of(" \t\r\n", pos);
    const std::string word = t.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end;
    const char suffix = word.back();
    const std::string number = suffix == 'i' || suffix == 'u' ? word.substr(0, word.size() - 1) : word;
    char* stop = nullptr;
    errno = 0;
    if (suffix == 'i' || suffix == 'u') {
      const long long n = std::strtoll(number.c_str(), &stop, 10);
      const bool fits = suffix == 'i' ? n >= INT32_MIN && n <= INT32_MAX : n >= 0 && n <= UINT32_MAX;
      if (number.empty() || *stop || errno || !fits)
        fail(v, "'" + word + "' is not a " + (suffix == 'i' ? "32-bit integer" : "32-bit unsigned integer"));
      suffix == 'i' ? append(bytes, int32_t(n)) : append(bytes, uint32_t(n));
    } else {
      const float f = std::strtof(number.c_str(), &stop);
      if (number.empty() || *stop) fail(v, "'" + word + "' is not a number (floats as 0.5, integers as 2i or 2u)");
      append(bytes, f);
    }
    if (pos == std::string::npos) break;
  }
  if (bytes.size() > LIBINDEX_XAC_BUFFER_BYTES)
    fail(v, "a parameter buffer holds at most " + std::to_string(LIBINDEX_XAC_BUFFER_BYTES / 4) + " values");
  return bytes;
}

} // namespace

void apply_program(const SceneNode& node, SceneAttributes& state) {
  if (!node_enabled(node)) return;
  bool surface = false;
  if (const Value* t = find_attribute(node, "target"); t && t->text != "volume_sample_program") {
    if (t->text != "surface_sample_program")
      fail(*t, "unknown target (volume_sample_program or surface_sample_program)");
    surface = true;
  }
  const Value* file = find_attribute(node, "source_file");
  if (file && file->text.empty()) file = nullptr; // cleared (a live edit gives the source inline)
  const Value* inline_text = find_attribute(node, "source_string");
  if (!inline_text) inline_text = find_attribute(node, "program");
  if (!file && !inline_text)
    throw Error(node.origin.to_string() + ": rendering_kernel_program node '" + node.id +
                "' needs 'source_file' or 'source_string'");
  ProgramDesc p;
  p.id = node.id;
  if (file) {
    p.file = resolve_input_path(*file, file->text);
    const std::string what = "the sample program of node '" + node.id + "'";
    if (regular_file_size(p.file, what) > kMaxProgramBytes)
      fail(*file, "a sample program's source is at most 1 MiB (this is a data file?)");
    p.text = read_text_file(p.file, what);
    p.first_line = 1;
  } else {
    p.text = inline_text->text;
    p.file = inline_text->origin.file.empty() ? inline_text->origin.label : inline_text->origin.file;
    // A `key << (END)` block starts on the line after its key.
    p.first_line = std::max(1, inline_text->origin.line + (p.text.find('\n') != std::string::npos ? 1 : 0));
  }
  (surface ? state.surface_program : state.program) = std::move(p);
}

bool is_surface_program(const SceneNode& node) {
  const Value* t = find_attribute(node, "target");
  return node.type == "rendering_kernel_program" && t && t->text == "surface_sample_program";
}

void apply_program_parameters(const SceneNode& node, SceneAttributes& state) {
  if (!node_enabled(node)) return;
  std::map<int, std::vector<unsigned char>> buffers;
  for (const auto& [name, value] : node.attributes) {
    if (name.rfind("buffer_", 0) != 0) continue;
    const std::string slot = name.substr(7);
    if (slot.size() != 1 || slot[0] < '0' || slot[0] >= '0' + LIBINDEX_XAC_MAX_BUFFERS)
      fail(value, "expected buffer_<slot> with a slot from 0 to " + std::to_string(LIBINDEX_XAC_MAX_BUFFERS - 1));
    buffers[slot[0] - '0'] = parse_buffer(value);
  }
  state.program_buffers = std::move(buffers);
}

void apply_program_mapping(const SceneNode& node, SceneAttributes& state) {
  if (!node_enabled(node)) return;
  std::map<int, Value> slots;
  for (const auto& [name, value] : node.attributes) {
    if (!is_numbered_attribute(node.type, name)) continue;
    const std::string number = name.rfind("slot_", 0) == 0 ? name.substr(5) : name; // `slot_2` or IndeX's `2`
    const bool digits = !number.empty() && number.size() <= 2 &&
                        std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(number) >= LIBINDEX_XAC_MAX_SLOTS)
      fail(value, "expected <n> or slot_<n> with n from 0 to " + std::to_string(LIBINDEX_XAC_MAX_SLOTS - 1));
    if (as_words(value).size() != 1) fail(value, "expected the id of one sparse_volume or colormap node");
    slots[std::stoi(number)] = value;
  }
  state.program_slots = std::move(slots);
}

namespace {

/// The scene element `value` (an `<n>` or `slot_<n>` line) names: a volume of the scene or a
/// colormap node. None, with the reason in `why`, for a node that is missing (NVIDIA's public
/// scenes have `0 = 0`), outside the scene graph or of another type.
std::optional<ProgramSlotDesc> resolve_slot(int slot, const Value& value, const SceneDescription& scene,
                                            const std::map<std::string, SceneNode>& nodes, std::string& why) {
  ProgramSlotDesc d;
  d.slot = slot;
  d.node = as_words(value).front();
  const auto& volumes = scene.volumes;
  const auto volume = std::find_if(volumes.begin(), volumes.end(), [&](const VolumeDesc& v) { return v.id == d.node; });
  const auto node = nodes.find(d.node);
  if (volume != volumes.end()) {
    d.volume = size_t(volume - volumes.begin());
  } else if (node == nodes.end()) {
    why = "no node '" + d.node + "' in this scene";
  } else if (node->second.type == "colormap") {
    SceneAttributes colormap;
    std::vector<std::string> ignored; // the node's own warnings come from the scene graph, if it is in it
    apply_attribute_node(node->second, scene.resources, colormap, ignored);
    d.colormap = colormap.colormap;
  } else if (node->second.type == "sparse_volume") {
    why = "the volume '" + d.node + "' is not in the scene graph under app::scene::root::children";
  } else {
    why = "'" + d.node + "' is a " + node->second.type + " node; a slot maps a sparse_volume or a colormap";
  }
  if (!why.empty()) return std::nullopt;
  return d;
}

} // namespace

void resolve_program_slots(SceneDescription& scene, const std::map<std::string, SceneNode>& nodes) {
  // Every mapping in the graph names what is there, also one that no volume takes (yet); what it
  // cannot name is said once here, and the slot stays unmapped.
  for (const auto& [id, node] : scene.nodes) {
    if (node.type != "rendering_kernel_program_scene_element_mapping") continue;
    SceneAttributes mapping;
    apply_program_mapping(node, mapping);
    for (const auto& [slot, value] : mapping.program_slots)
      if (std::string why; !resolve_slot(slot, value, scene, nodes, why))
        scene.warnings.push_back(value.where() + ": ignored (" + why + "; slot " + std::to_string(slot) +
                                 " stays unmapped)");
  }
  for (SurfaceProgramDesc& p : scene.surface_programs) {
    p.slots.clear();
    for (const auto& [slot, value] : p.program.slots) {
      std::string why;
      if (std::optional<ProgramSlotDesc> d = resolve_slot(slot, value, scene, nodes, why)) {
        if (d->volume) scene.volumes[*d->volume].read_by_planes = true;
        p.slots.push_back(std::move(*d));
      }
    }
  }
  std::vector<VolumeDesc>& volumes = scene.volumes;
  for (size_t i = 0; i < volumes.size(); ++i) {
    if (!volumes[i].program) continue;
    const bool draws = volumes[i].enabled; // a disabled volume's program maps nothing into view
    for (const auto& [slot, value] : volumes[i].program->slots) {
      std::string why;
      std::optional<ProgramSlotDesc> d = resolve_slot(slot, value, scene, nodes, why);
      if (!d) continue;
      // A volume with a program of its own draws itself; one without is drawn by the first program
      // that maps it (drawing it on its own as well would show it twice), and so is a disabled one:
      // IndeX's way to give a program data it does not show.
      if (d->volume && *d->volume != i && draws) {
        VolumeDesc& mapped = volumes[*d->volume];
        if ((!mapped.program || !mapped.enabled) && !mapped.drawn_by_program) mapped.drawn_by_program = i;
      }
      volumes[i].program_slots.push_back(std::move(*d));
    }
  }
}

void drop_disabled_volumes(SceneDescription& scene) {
  std::vector<VolumeDesc>& volumes = scene.volumes;
  std::vector<size_t> index(volumes.size(), SIZE_MAX);
  std::vector<VolumeDesc> kept;
  for (size_t i = 0; i < volumes.size(); ++i)
    if (volumes[i].enabled || volumes[i].drawn_by_program || volumes[i].read_by_planes)
      index[i] = kept.size(), kept.push_back(std::move(volumes[i]));
  // Slots that map a dropped volume go (only a dropped volume's program maps one; none lies under
  // the planes); the others take the kept volumes' new indices.
  const auto renumber = [&](std::vector<ProgramSlotDesc>& slots) {
    std::vector<ProgramSlotDesc> left;
    for (ProgramSlotDesc& s : slots) {
      if (s.volume && index[*s.volume] == SIZE_MAX) continue;
      if (s.volume) s.volume = index[*s.volume];
      left.push_back(std::move(s));
    }
    slots = std::move(left);
  };
  for (VolumeDesc& v : kept) {
    if (v.drawn_by_program) v.drawn_by_program = index[*v.drawn_by_program]; // an enabled volume: kept
    renumber(v.program_slots);
  }
  for (SurfaceProgramDesc& p : scene.surface_programs) renumber(p.slots);
  volumes = std::move(kept);
}

bool node_enabled(const SceneNode& node) {
  const Value* e = find_attribute(node, "enabled");
  return !e || as_bool(*e);
}

} // namespace libindex::io::detail
