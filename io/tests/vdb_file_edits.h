// SPDX-License-Identifier: Apache-2.0
// Edits of a .vdb file's bytes that OpenVDB's writer never makes, for tests and fuzz seeds of
// damaged files. Header-only, so that the fuzz seed writer shares it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace libindex::io::test {

/// The little-endian uint32 at `at` of `bytes`.
inline uint32_t u32_at(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}

/// Where the descriptor of the first tree grid in `bytes` (a file written by io::File) keeps its grid's,
/// voxel data's and end's positions (an int64 each): after its name, type and instance parent.
inline size_t descriptor_positions_at(const std::string& bytes) {
  const size_t type_at = bytes.find("Tree_");
  const size_t parent_at = type_at + u32_at(bytes, type_at - 4);
  return parent_at + 4 + u32_at(bytes, parent_at);
}

/// `bytes`, a file of one grid written by io::File, with the packed size of every leaf in its
/// delayed-load table (`__delayedload` metadata) replaced by `size`, stored plain (OpenVDB's writer
/// packs them with Blosc); the grid's block and end positions move by the entry's change in length.
/// Empty when the file has no table.
inline std::string with_delayed_load_sizes(const std::string& bytes, int64_t size) {
  const size_t name_at = bytes.find("__delayedload");
  if (name_at == std::string::npos) return {};
  // The entry: its size, then a leaf count, the masks (a length: 0 for plain, a byte a leaf) and the
  // sizes (a length: 0 for plain, 2^32 - 1 for none).
  const size_t entry_at = name_at + 13, masks_at = entry_at + 8;
  const uint32_t old_size = u32_at(bytes, entry_at), leaves = u32_at(bytes, entry_at + 4);
  const size_t masks_end = masks_at + 4 + (u32_at(bytes, masks_at) != 0 ? u32_at(bytes, masks_at) : leaves);
  std::string entry(4, '\0');
  entry += bytes.substr(entry_at + 4, masks_end - (entry_at + 4));
  entry.append(4, '\0');
  for (uint32_t i = 0; i < leaves; ++i) entry.append(reinterpret_cast<const char*>(&size), 8);
  const uint32_t new_size = uint32_t(entry.size() - 4);
  std::memcpy(entry.data(), &new_size, 4);
  std::string out = bytes.substr(0, entry_at) + entry + bytes.substr(entry_at + 4 + old_size);
  const size_t positions_at = descriptor_positions_at(bytes);
  for (size_t p = positions_at + 8; p <= positions_at + 16; p += 8) {
    int64_t v = 0;
    std::memcpy(&v, out.data() + p, 8);
    v += int64_t(new_size) - int64_t(old_size);
    std::memcpy(out.data() + p, &v, 8);
  }
  return out;
}

} // namespace libindex::io::test
