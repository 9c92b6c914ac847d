// SPDX-License-Identifier: Apache-2.0
// Whether OpenVDB's reader can open a file without reading sizes the file does not hold.
//
// OpenVDB reads a string or a metadata value by allocating the size the file gives and then
// reading it; on a truncated file its reads fail silently, later sizes come from uninitialised
// variables, and opening a cut-off .vdb allocated and zero-filled gigabytes for minutes. The
// container around the grids is simple: a header, the file's metadata, then for each grid a
// descriptor (name, type, instance parent) with the byte positions of its start, its voxel data and
// its end, then the grid's metadata and transform. libindex walks that much first and refuses a
// file whose sizes or positions point outside it, and notes where each grid lies for the check of
// its topology (openvdb_tree_checks.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "openvdb_tree_checks.h"

namespace libindex::io::detail {

/// The start of an OpenVDB file's header.
struct VdbFileStart {
  bool vdb = false;         ///< the magic number is OpenVDB's; false: no VDB file, OpenVDB says so
  uint32_t version = 0;     ///< the file format version
  bool grid_offsets = true; ///< false: a stream (io::Stream), whose grids follow without positions
};

/// The start of the header of the OpenVDB file `in`: magic number, format version, the library's
/// version, whether grid positions follow (formats 212 and later). Leaves `in` at its start.
inline VdbFileStart openvdb_file_start(std::istream& in) {
  int64_t magic = 0;
  uint32_t version = 0, library[2] = {0, 0};
  char offsets = 1;
  in.clear();
  in.seekg(0);
  in.read(reinterpret_cast<char*>(&magic), sizeof magic);
  in.read(reinterpret_cast<char*>(&version), sizeof version);
  VdbFileStart start;
  if (in && magic == 0x56444220) { // OPENVDB_MAGIC, and a version: OpenVDB reads by it, cut off after it or not
    in.read(reinterpret_cast<char*>(library), sizeof library);
    if (version >= 212) in.read(&offsets, 1);
    start = {true, version, !in || offsets != 0}; // a header cut off here is the damage check's to say
  }
  in.clear();
  in.seekg(0);
  return start;
}

/// Why the OpenVDB file `in` (its `file_bytes`) is damaged around its grids; empty when it is not,
/// and also when it is no VDB file or one written without grid positions (a stream): OpenVDB's own
/// message says so there. `grids`, when given, receives where each grid lies.
inline std::string openvdb_file_damage(std::istream& in, uint64_t file_bytes,
                                       std::vector<VdbGridLayout>* grids = nullptr) {
  uint64_t at = 0;
  bool short_read = false;
  auto read = [&](void* to, uint64_t bytes) {
    if (bytes > file_bytes - at) {
      short_read = true;
      return false;
    }
    in.read(static_cast<char*>(to), std::streamsize(bytes));
    at += bytes;
    return bool(in);
  };
  auto skip_to = [&](uint64_t position) {
    in.seekg(std::streamoff(position));
    at = position;
  };
  auto u32 = [&] {
    uint32_t v = 0;
    read(&v, sizeof v);
    return v;
  };
  // OpenVDB's strings: a 32-bit length, then the characters; `limit` is where their section ends.
  auto string = [&](uint64_t limit, std::string* out = nullptr) {
    const uint32_t size = u32();
    if (short_read || size > limit - std::min(limit, at)) {
      short_read = true;
      return false;
    }
    std::string s(size, '\0');
    read(s.data(), size);
    if (out) *out = std::move(s);
    return !short_read;
  };
  // A metadata map: a count, then (name, type name, 32-bit size, value) for each entry. Values of
  // the fixed-size types are read by their type's size whatever the file says: the two must agree.
  static const std::map<std::string, uint32_t> fixed_sizes = {
      {"bool", 1},   {"half", 2},   {"int8", 1},   {"uint8", 1},  {"int16", 2},   {"uint16", 2}, {"int32", 4},
      {"uint32", 4}, {"int64", 8},  {"float", 4},  {"double", 8}, {"vec2i", 8},   {"vec2s", 8},  {"vec2d", 16},
      {"vec3i", 12}, {"vec3s", 12}, {"vec3d", 24}, {"vec3u8", 3}, {"vec3u16", 6}, {"vec4i", 16}, {"vec4s", 16},
      {"vec4d", 32}, {"mat3s", 36}, {"mat3d", 72}, {"mat4s", 64}, {"mat4d", 128}, {"quats", 16}, {"quatd", 32}};
  // For a grid's metadata, `half`: whether its values are saved as half floats. OpenVDB reads a tree
  // by its grid's metadata `is_saved_as_half_float` (a bool), which replaces whatever the type's
  // "_HalfFloat" suffix said as the metadata is read (fuzz_openvdb: a renamed entry made OpenVDB read
  // a half-float file's values as floats, and leak the node that failed). `grid_name`: its `name`
  // (a string), what OpenVDB's getName() says; untouched without one.
  auto metadata = [&](uint64_t limit, const std::string& where, bool* half = nullptr,
                      std::string* grid_name = nullptr) -> std::string {
    const uint32_t count = u32();
    if (short_read || count > (limit - std::min(limit, at)) / 12)
      return "the metadata of " + where + " runs past its end";
    for (uint32_t i = 0; i < count; ++i) {
      std::string name, type;
      if (!string(limit, &name) || !string(limit, &type)) return "the metadata of " + where + " runs past its end";
      const uint32_t size = u32();
      if (short_read || size > limit - std::min(limit, at))
        return "the metadata '" + name + "' of " + where + " runs past its end";
      const auto fixed = fixed_sizes.find(type);
      if (fixed != fixed_sizes.end() && fixed->second != size)
        return "the metadata '" + name + "' of " + where + " has type " + type + " but holds " + std::to_string(size) +
               " bytes, not " + std::to_string(fixed->second);
      const uint64_t end = at + size;
      if (half && name == "is_saved_as_half_float") {
        if (type != "bool") return "the metadata '" + name + "' of " + where + " has type " + type + ", not bool";
        char value = 0;
        read(&value, 1);
        *half = value != 0;
      }
      if (grid_name && name == "name" && type == "string") {
        grid_name->resize(size);
        read(grid_name->data(), size);
      }
      skip_to(end);
    }
    return {};
  };

  int64_t magic = 0;
  if (!read(&magic, sizeof magic) || magic != 0x56444220) return {}; // OPENVDB_MAGIC: else "not a VDB file"
  uint32_t version = u32();
  if (version > 224 || version < 211) return {}; // a layout this check does not know: OpenVDB decides
  u32(), u32();                                  // the library's major and minor version
  char has_offsets = 1;
  if (version >= 212) read(&has_offsets, 1);
  if (!has_offsets) return {};                          // a stream: no positions to check
  if (version >= 220 && version < 222) read(&magic, 1); // whether the file is compressed
  char uuid[36];
  if (!read(uuid, version >= 218 ? 36 : 16)) return "its header is cut off";
  if (std::string e = metadata(file_bytes, "the file"); !e.empty()) return e;
  int32_t grid_count = 0;
  if (!read(&grid_count, sizeof grid_count) || grid_count < 0) return "its count of grids is cut off or negative";
  for (int32_t g = 0; g < grid_count; ++g) {
    std::string name = "grid " + std::to_string(g + 1);
    VdbGridLayout layout;
    layout.version = version;
    std::string& unique = layout.unique_name;
    if (!string(file_bytes, &unique) || !string(file_bytes, &layout.type) ||
        (version >= 216 && !string(file_bytes, &layout.instance_of)))
      return "the descriptor of " + name + " runs past the end of the file";
    name = "grid '" + layout.name() + "'";
    int64_t grid_at = 0, block_at = 0, end_at = 0;
    if (!read(&grid_at, 8) || !read(&block_at, 8) || !read(&end_at, 8))
      return "the descriptor of " + name + " runs past the end of the file";
    if (end_at > int64_t(file_bytes))
      return name + " ends at byte " + std::to_string(end_at) + " of a file of " + std::to_string(file_bytes) +
             " bytes";
    if (grid_at < int64_t(at) || end_at < grid_at || (block_at != 0 && (block_at < grid_at || block_at > end_at)))
      return "the positions of " + name + " in the file (" + std::to_string(grid_at) + ", " + std::to_string(block_at) +
             ", " + std::to_string(end_at) + ") are out of order";
    skip_to(uint64_t(grid_at));
    const uint64_t limit = uint64_t(end_at);
    if (version >= 222) layout.compression = u32();
    // libindex chooses a grid by the name in its metadata, and OpenVDB reads the first grid whose
    // descriptor has that name: where the two names differ, it read another grid than the one checked
    // (fuzz_openvdb: a float grid without its name made OpenVDB read an unchecked, damaged bool grid).
    std::string named;
    if (std::string e = metadata(limit, name, &layout.half, &named); !e.empty()) return e;
    if (named != layout.name()) return name + " is named '" + named + "' in its metadata";
    std::string map;
    if (!string(limit, &map))
      return "the transform of " + name + " runs past its end"; // the map's type; its values are fixed
    if (const int64_t map_bytes = vdb_map_bytes(map); map_bytes >= 0 && uint64_t(map_bytes) <= limit - at)
      layout.topology_at = at + uint64_t(map_bytes);
    layout.buffers_at = uint64_t(block_at);
    layout.end_at = uint64_t(end_at);
    if (grids) grids->push_back(std::move(layout));
    skip_to(limit);
  }
  return {};
}

} // namespace libindex::io::detail
