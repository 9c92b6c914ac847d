// SPDX-License-Identifier: Apache-2.0
// Whether NanoVDB can read a file, and walk a grid read from it, without leaving what it holds.
//
// NanoVDB's reader trusts the sizes in a file's segment headers: a grid name without its closing
// zero is read past its end, and a damaged size is allocated (a terabyte, say) before the file is
// found shorter; nanovdb_file_damage checks them first. NanoVDB also trusts the byte offsets a grid
// holds: the root's tiles, and every internal node's table, point at their children by signed
// offsets that accessors follow unchecked. A damaged file (a flipped byte, a truncated or
// hand-edited copy) sends them outside the buffer, and the rank that reads it crashes, which ends an
// MPI session. NanoVDB's own GridValidator computes a full checksum by walking the same unchecked
// offsets first, and does not check the leaves' offsets, so nanovdb_grid_damage checks the structure
// before any accessor runs: every node reachable from the root lies whole inside the grid's buffer,
// 32-byte aligned, and the tree reaches no more nodes than the buffer can hold.
#pragma once

#include <algorithm>
#include <cstdint>
#include <istream>
#include <string>
#include <type_traits>
#include <vector>

#include <nanovdb/NanoVDB.h>
#include <nanovdb/util/IO.h>

#include "libindex/error.h"

namespace libindex::io::detail {

/// Why NanoVDB's reader would read or allocate more than the file `in` (`path`, its `file_bytes`)
/// holds; empty when it would not. A file that does not start with NanoVDB's magic number is left
/// to NanoVDB (its message says so); one of another NanoVDB version is refused (Error) here.
inline std::string nanovdb_file_damage(std::istream& in, uint64_t file_bytes, const std::string& path) {
  using nanovdb::io::Codec;
  uint64_t at = 0;
  auto read = [&](void* to, uint64_t bytes) {
    if (bytes > file_bytes - at) return false;
    in.read(static_cast<char*>(to), std::streamsize(bytes));
    at += bytes;
    return bool(in);
  };
  for (int segment = 1; file_bytes - at >= sizeof(nanovdb::io::Header); ++segment) {
    const std::string where = "segment " + std::to_string(segment);
    nanovdb::io::Header header;
    if (!read(&header, sizeof(header))) return where + " cannot be read";
    if (header.magic != NANOVDB_MAGIC_NUMBER) return segment == 1 ? "" : where + " lacks NanoVDB's magic number";
    if (header.version.getMajor() != NANOVDB_MAJOR_VERSION_NUMBER) // NanoVDB's own message leaks its text
      throw Error("nanovdb: '" + path + "' holds NanoVDB " + std::to_string(header.version.getMajor()) + "." +
                  std::to_string(header.version.getMinor()) + " data, and this build reads NanoVDB " +
                  std::to_string(NANOVDB_MAJOR_VERSION_NUMBER) +
                  ": write it again with that version's nanovdb_convert");
    if (header.codec != Codec::NONE && header.codec != Codec::ZIP && header.codec != Codec::BLOSC)
      return where + " names an unknown codec (" + std::to_string(int(header.codec)) + ")";
    if (uint64_t(header.gridCount) * sizeof(nanovdb::io::MetaData) > file_bytes - at)
      return "the table of " + std::to_string(header.gridCount) + " grids of " + where +
             " runs past the end of the file";
    std::vector<nanovdb::io::MetaData> grids(header.gridCount);
    std::vector<std::string> names;
    for (nanovdb::io::MetaData& m : grids) {
      if (!read(&m, sizeof(m))) return "the table of grids of " + where + " runs past the end of the file";
      if (m.nameSize > file_bytes - at) // before allocating it
        return "a grid name in " + where + " runs past the end of the file";
      std::string name(m.nameSize, '\0');
      if (m.nameSize == 0 || !read(name.data(), m.nameSize) || name.back() != '\0')
        return "a grid name in " + where + " has no end";
      if (m.gridSize < sizeof(nanovdb::GridData) || m.gridSize % NANOVDB_DATA_ALIGNMENT != 0)
        return where + " gives a grid an impossible size (" + std::to_string(m.gridSize) + " bytes)";
      names.push_back(name.substr(0, name.size() - 1));
      if (m.gridType >= nanovdb::GridType::End || m.gridClass >= nanovdb::GridClass::End) // NanoVDB names them by index
        return "grid '" + names.back() + "' has an unknown type or class (" + std::to_string(int(m.gridType)) + ", " +
               std::to_string(int(m.gridClass)) + ")";
    }
    for (size_t g = 0; g < grids.size(); ++g) {
      const nanovdb::io::MetaData& m = grids[g];
      const std::string grid = "grid '" + names[g] + "' (" + std::to_string(m.gridSize) + " bytes)";
      if (m.fileSize > file_bytes - at) return grid + " runs past the end of the file";
      const uint64_t end = at + m.fileSize;
      if (header.codec == Codec::NONE && m.fileSize != m.gridSize)
        return grid + " takes " + std::to_string(m.fileSize) + " bytes in the file";
      // A compressed grid is a series of (size, bytes) chunks of at most MAX_SIZE bytes unpacked
      // (ZIP: one), none of which can unpack to more than its codec's largest ratio allows.
      const uint64_t ratio = header.codec == Codec::ZIP ? 1032 : 256; // zlib's and LZ4's limits
      for (uint64_t left = header.codec == Codec::NONE ? 0 : m.gridSize; left > 0;) {
        uint64_t packed = 0;
        if (!read(&packed, sizeof(packed)) || packed > end - at)
          return grid + " has a compressed part that runs past its end";
        const uint64_t unpacked =
            header.codec == Codec::ZIP ? left : std::min<uint64_t>(left, nanovdb::io::Internal::MAX_SIZE);
        if (unpacked / ratio > packed + 64)
          return grid + " cannot unpack from its " + std::to_string(packed) + " bytes";
        in.seekg(std::streamoff(packed), std::ios::cur);
        at += packed;
        left -= unpacked;
      }
      in.seekg(std::streamoff(end - at), std::ios::cur);
      at = end;
    }
  }
  return {};
}

/// Why the grid at the start of `buffer` (its `buffer_bytes`) cannot be walked safely; empty when
/// it can. Reads only bytes inside the buffer, and visits at most one node per 32 bytes of it.
template <class Build>
std::string nanovdb_grid_damage(const uint8_t* buffer, uint64_t buffer_bytes) {
  using Grid = nanovdb::NanoGrid<Build>;
  using Tree = typename Grid::TreeType;
  using Root = typename Tree::RootType;
  using Upper = typename Root::ChildNodeType;
  using Lower = typename Upper::ChildNodeType;
  using Leaf = typename Lower::ChildNodeType;
  using Tile = typename Root::DataType::Tile;
  constexpr uint64_t align = NANOVDB_DATA_ALIGNMENT;

  if (buffer_bytes < sizeof(Grid) + sizeof(Tree)) return "it is shorter than a grid's header";
  const auto& grid = *reinterpret_cast<const Grid*>(buffer);
  const uint64_t size = grid.gridSize();
  if (size > buffer_bytes || size < sizeof(Grid) + sizeof(Tree))
    return "its header gives it " + std::to_string(size) + " bytes, and the file holds " + std::to_string(buffer_bytes);
  // Offsets from the grid's start, checked before any pointer is formed from them.
  auto fits = [&](int64_t at, uint64_t bytes) {
    return at >= 0 && uint64_t(at) % align == 0 && bytes <= size && uint64_t(at) <= size - bytes;
  };
  const int64_t tree_at = int64_t(sizeof(Grid));
  const auto& tree_data = *reinterpret_cast<const typename Tree::DataType*>(buffer + tree_at);
  const uint64_t root_offset = tree_data.mNodeOffset[3];
  if (root_offset > size || !fits(tree_at + int64_t(root_offset), sizeof(Root))) return "its root node lies outside it";
  const int64_t root_at = tree_at + int64_t(root_offset);
  const auto& root = *reinterpret_cast<const Root*>(buffer + root_at);
  const uint64_t tiles = root.tileCount();
  if (tiles > size / sizeof(Tile) || !fits(root_at, sizeof(Root) + tiles * sizeof(Tile)))
    return "its root's table of " + std::to_string(tiles) + " tiles runs past its end";

  // A valid tree reaches each node once; a damaged one could reach the same nodes again and again
  // (a walk of billions): no more than one node per 32 bytes, the least a node takes.
  uint64_t nodes_left = size / align;
  std::string damage;
  // The child at `offset` from the node at `parent_at`, if it fits: its position in the grid, or -1.
  auto child_at = [&](int64_t parent_at, int64_t offset, uint64_t bytes, const char* what) -> int64_t {
    if (!damage.empty()) return -1;
    if (nodes_left-- == 0) {
      damage = "its tree reaches more nodes than it can hold";
      return -1;
    }
    const bool in_range = offset > -parent_at && offset < int64_t(size) - parent_at;
    if (!in_range || !fits(parent_at + offset, bytes)) {
      damage = std::string(what) + " lies outside it";
      return -1;
    }
    return parent_at + offset;
  };
  auto leaf_fits = [&](int64_t at) {
    if constexpr (std::is_same_v<Build, nanovdb::FpN>) { // a leaf's codes follow it: their width is its own
      const auto& leaf = *reinterpret_cast<const Leaf*>(buffer + at);
      if ((leaf.data()->mFlags >> 5) > 4) // codes of 1, 2, 4, 8 or 16 bits; a wider one overflows a shift
        damage = "a leaf node's values have a width of 2^" + std::to_string(leaf.data()->mFlags >> 5) + " bits";
      else if (!fits(at, leaf.data()->memUsage()))
        damage = "a leaf node's values run past its end";
    }
  };
  for (uint64_t t = 0; t < tiles && damage.empty(); ++t) {
    const Tile& tile = *(reinterpret_cast<const Tile*>(buffer + root_at + int64_t(sizeof(Root))) + t);
    if (!tile.isChild()) continue;
    const int64_t upper_at = child_at(root_at, tile.child, sizeof(Upper), "an upper node");
    if (upper_at < 0) break;
    const auto& upper = *reinterpret_cast<const Upper*>(buffer + upper_at);
    for (auto u = upper.data()->mChildMask.beginOn(); u && damage.empty(); ++u) {
      const int64_t lower_at = child_at(upper_at, upper.data()->mTable[*u].child, sizeof(Lower), "a lower node");
      if (lower_at < 0) break;
      const auto& lower = *reinterpret_cast<const Lower*>(buffer + lower_at);
      for (auto l = lower.data()->mChildMask.beginOn(); l && damage.empty(); ++l) {
        const int64_t leaf_at = child_at(lower_at, lower.data()->mTable[*l].child, sizeof(Leaf), "a leaf node");
        if (leaf_at >= 0) leaf_fits(leaf_at);
      }
    }
  }
  return damage;
}

} // namespace libindex::io::detail
