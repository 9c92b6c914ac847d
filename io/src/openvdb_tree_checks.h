// SPDX-License-Identifier: Apache-2.0
// Whether OpenVDB can read a grid's tree without losing its place in the file.
//
// OpenVDB reads a tree by trusting every count, mask and size in it. Its topology (the root's tiles
// and children, each internal node's two masks and values, each leaf's mask): an internal node
// whose values fail to unpack throws with its child mask read and its child pointers not yet set,
// and the tree's destructor frees those unset pointers. Its voxel buffers (each leaf's values,
// packed): Blosc 1.21 trusts the sizes in a chunk's own header, and reads past the chunk when they
// disagree with the size OpenVDB read. libindex walks the same bytes first, for a grid libindex
// reads (float, double, int32, int64, vec3s, vec3d; 5-4-3 trees): the topology must end exactly where
// the grid's descriptor says its buffers start, the buffers exactly where it ends, and every packed
// chunk must unpack to the node's values by its own header. An internal node's values are unpacked
// while OpenVDB reads the topology, after it made the node and before it keeps it: a chunk that
// unpacks to another size throws there and leaks the node with its children (270 KB for an upper
// node of int64 values, every read of the file), so those chunks are unpacked here as OpenVDB will
// (zlib's uncompress; Blosc's decompress where this build has Blosc) and must give exactly the
// node's values. A leaf's are not: the leaf is in the tree by then, and a read that fails on its
// values frees it. The layout follows OpenVDB's
// RootNode/InternalNode/LeafNode::readTopology and readBuffers and io::readCompressedValues (file
// versions 222 to 224, every OpenVDB since 3.0); anything else is left to OpenVDB.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include <zlib.h>
#if LIBINDEX_OPENVDB_UNPACK_BLOSC
#include <blosc.h>
#endif

namespace libindex::io::detail {

/// Where one grid of a .vdb file lies, as its descriptor and header say.
struct VdbGridLayout {
  std::string unique_name;  ///< as in the file: the name, and "\x1e<n>" where names repeat
  std::string type;         ///< e.g. "Tree_float_5_4_3", "_HalfFloat" appended when saved as half
  bool half = false;        ///< values saved as half floats, as the grid's metadata says (see there)
  std::string instance_of;  ///< the unique name of the grid whose tree this one shares, or empty
  uint32_t version = 0;     ///< the file's format version
  uint32_t compression = 0; ///< io::COMPRESS_ZIP 0x1, COMPRESS_ACTIVE_MASK 0x2, COMPRESS_BLOSC 0x4
  uint64_t topology_at = 0; ///< just past the transform; 0 when its map type is unknown here
  uint64_t buffers_at = 0;  ///< the descriptor's block position
  uint64_t end_at = 0;      ///< the descriptor's end position

  /// The grid's name: the unique name without its "\x1e<n>" suffix (OpenVDB's gridName()).
  std::string name() const { return unique_name.substr(0, unique_name.find('\x1e')); }
};

/// Bytes of a transform's map after its type name (OpenVDB's MapBase::read of each map type), or
/// -1 for a type this check does not know.
inline int64_t vdb_map_bytes(const std::string& type) {
  static const std::map<std::string, int64_t> bytes = {{"AffineMap", 128},
                                                       {"UnitaryMap", 128},
                                                       {"ScaleMap", 120},
                                                       {"UniformScaleMap", 120},
                                                       {"TranslationMap", 24},
                                                       {"ScaleTranslateMap", 144},
                                                       {"UniformScaleTranslateMap", 144}};
  const auto it = bytes.find(type);
  return it == bytes.end() ? -1 : it->second;
}

/// Why the tree of `grid` in `in` is damaged; empty when it is whole, and when this check does not
/// know the grid's layout (its value type, tree configuration, map or file version). Reads the
/// topology and, of the buffers, each leaf's few bytes of sizes and flags, seeking past its values.
inline std::string openvdb_tree_damage(std::istream& in, const VdbGridLayout& grid) {
  if (grid.version < 222 || grid.version > 224 || grid.topology_at == 0 || !grid.instance_of.empty()) return {};
  // OpenVDB's io::File writes a grid's voxel data after its topology and puts that position in the
  // descriptor (0 only for an instance, which has neither). Voxel data said to start before the
  // topology is damage, not a layout to leave unchecked (fuzz_openvdb: OpenVDB then read a topology
  // whose values failed to unpack, and leaked an upper node of 270 KB). openvdb_file_damage has
  // refused an end before the voxel data.
  if (grid.buffers_at < grid.topology_at)
    return "its voxel data starts at byte " + std::to_string(grid.buffers_at) + ", before its topology (byte " +
           std::to_string(grid.topology_at) + ")";
  const std::string half_suffix = "_HalfFloat";
  std::string type = grid.type;
  if (type.size() > half_suffix.size() && type.ends_with(half_suffix)) type.resize(type.size() - half_suffix.size());
  // Bytes of a value, and of a value saved as half (OpenVDB's RealToHalf; integers stay whole).
  static const std::map<std::string, std::pair<uint32_t, uint32_t>> sizes = {
      {"Tree_float_5_4_3", {4, 2}}, {"Tree_double_5_4_3", {8, 2}}, {"Tree_int32_5_4_3", {4, 0}},
      {"Tree_int64_5_4_3", {8, 0}}, {"Tree_vec3s_5_4_3", {12, 6}}, {"Tree_vec3d_5_4_3", {24, 6}}};
  const auto size = sizes.find(type);
  if (size == sizes.end()) return {};
  const bool half_values = grid.half && size->second.second != 0; // OpenVDB's HalfReader<true>
  const uint64_t value_bytes = size->second.first, stored_bytes = half_values ? size->second.second : value_bytes;
  const bool zip = grid.compression & 0x1, active_mask = grid.compression & 0x2, blosc = grid.compression & 0x4;

  uint64_t end = grid.buffers_at; // the end of the section being walked
  uint64_t at = grid.topology_at;
  const char* section = "topology";
  in.clear();
  in.seekg(std::streamoff(at));
  std::string damage;
  auto fail = [&](std::string why) {
    if (damage.empty()) damage = std::move(why);
    return false;
  };
  auto read = [&](void* to, uint64_t bytes) {
    if (!damage.empty()) return false;
    if (bytes > end - at) return fail(std::string("its ") + section + " runs past its end");
    in.read(static_cast<char*>(to), std::streamsize(bytes));
    at += bytes;
    return bool(in) || fail(std::string("its ") + section + " cannot be read");
  };
  auto skip = [&](uint64_t bytes) {
    if (!damage.empty()) return false;
    if (bytes > end - at) return fail(std::string("its ") + section + " runs past its end");
    // Small skips (most packed leaves) read on through the stream's buffer: a seek each is a system
    // call each, 6.5 us a leaf, seconds for a file of 10^5 leaves.
    if (bytes <= 65536)
      in.ignore(std::streamsize(bytes));
    else
      in.seekg(std::streamoff(bytes), std::ios::cur);
    at += bytes;
    return bool(in) || fail(std::string("its ") + section + " cannot be read");
  };
  // A packed chunk of `packed` bytes at `at`, unpacked as OpenVDB's unzipFromStream or
  // bloscFromStream will: whether it gives `bytes` bytes.
  std::vector<uint8_t> chunk_bytes, unpacked_bytes;
  auto unpacks_to = [&](uint64_t packed, uint64_t bytes) {
    // No packer makes more than this of `bytes` (zlib's bound; Blosc adds a 16-byte header).
    if (packed > uint64_t(compressBound(uLong(bytes))) + 16)
      return fail("a node's " + std::to_string(bytes) + " bytes of values are packed into " + std::to_string(packed));
    chunk_bytes.resize(packed);
    if (!read(chunk_bytes.data(), packed)) return false;
    unpacked_bytes.resize(std::max<uint64_t>(bytes, 1));
    uint64_t got = 0;
    if (blosc) {
#if LIBINDEX_OPENVDB_UNPACK_BLOSC
      got = uint64_t(std::max(0, blosc_decompress_ctx(chunk_bytes.data(), unpacked_bytes.data(), bytes, 1)));
#else
      got = bytes; // its header agreed; without Blosc here, its contents are OpenVDB's to judge
#endif
    } else {
      uLongf out = uLongf(bytes); // OpenVDB ignores zlib's status and compares the size only
      (void)uncompress(unpacked_bytes.data(), &out, chunk_bytes.data(), uLong(packed));
      got = out;
    }
    return got == bytes || fail("a node's packed values unpack to " + std::to_string(got) + " bytes where " +
                                std::to_string(bytes) + " belong");
  };
  // io::readCompressedValues of a node's `count` values, `active` of them active; `unpack`: an
  // internal node's, which must unpack (see above).
  auto values = [&](uint64_t count, uint64_t active, bool unpack) {
    uint8_t flag = 6; // NO_MASK_AND_ALL_VALS
    if (!read(&flag, 1)) return false;
    if (flag > 6) return fail("a node's value flag is " + std::to_string(flag) + " (0 to 6 exist)");
    if (flag == 2 || flag == 4 || flag == 5) skip(value_bytes); // one inactive value
    if (flag == 5) skip(value_bytes);                           // and a second
    if (flag == 3 || flag == 4 || flag == 5) skip(count / 8);   // the mask that selects between them
    const uint64_t stored = active_mask && flag != 6 ? active : count;
    if (half_values && stored == 0) return damage.empty(); // HalfReader<true> reads nothing then
    const uint64_t bytes = stored * stored_bytes;
    if (!zip && !blosc) return skip(bytes);
    int64_t packed = 0;
    if (!read(&packed, sizeof packed)) return false;
    if (packed <= 0) {
      const uint64_t plain = uint64_t(0) - uint64_t(packed); // -packed, INT64_MIN too (fuzz_openvdb)
      if (plain != bytes)
        return fail("a node holds " + std::to_string(plain) + " bytes of values where " + std::to_string(bytes) +
                    " belong");
      return skip(bytes);
    }
    if (blosc) { // a Blosc chunk says what it unpacks to, and its own size
      if (packed < 16) return fail("a node's packed values are too short");
      uint8_t header[16];
      if (!read(header, 16)) return false;
      uint32_t unpacked = 0, chunk = 0;
      std::memcpy(&unpacked, header + 4, 4);
      std::memcpy(&chunk, header + 12, 4);
      if (unpacked != bytes || chunk != uint64_t(packed))
        return fail("a node's packed values unpack to " + std::to_string(unpacked) + " bytes where " +
                    std::to_string(bytes) + " belong");
      if (!unpack) return skip(uint64_t(packed) - 16);
      in.seekg(-16, std::ios::cur), at -= 16; // the whole chunk, its header too
    }
    return unpack ? unpacks_to(uint64_t(packed), bytes) : skip(uint64_t(packed));
  };
  auto ones = [](const auto& mask) {
    uint64_t n = 0;
    for (uint8_t byte : mask) n += uint64_t(std::popcount(byte));
    return n;
  };
  std::vector<uint16_t> leaf_active; // each leaf's active voxels, in the order its buffers follow
  // A node of 2^(3 log2) entries: its child and value masks, its values, then its children.
  auto node = [&](auto& self, int log2) -> bool {
    const uint64_t entries = uint64_t(1) << (3 * log2);
    if (log2 == 3) { // a leaf: its value mask only
      uint8_t mask[64];
      if (!read(mask, sizeof mask)) return false;
      leaf_active.push_back(uint16_t(ones(mask)));
      return true;
    }
    std::vector<uint8_t> children(entries / 8), active(entries / 8);
    if (!read(children.data(), children.size()) || !read(active.data(), active.size())) return false;
    if (!values(entries, ones(active), true)) return false;
    const uint64_t count = ones(children);
    for (uint64_t i = 0; i < count; ++i)
      if (!self(self, log2 == 5 ? 4 : 3)) return false;
    return true;
  };

  int32_t buffer_count = 0;
  read(&buffer_count, sizeof buffer_count);
  skip(value_bytes); // the background
  uint32_t tiles = 0, children = 0;
  read(&tiles, sizeof tiles);
  read(&children, sizeof children);
  if (!damage.empty()) return damage;
  if (uint64_t(tiles) * (12 + value_bytes + 1) > end - at)
    return "its root holds more tiles than its topology has bytes";
  skip(uint64_t(tiles) * (12 + value_bytes + 1));
  // The children of the root, in the order OpenVDB keeps them (sorted by origin, each a multiple of
  // 4096): it reads their voxel data in that order, so any other order loses its place.
  int32_t last[3] = {0, 0, 0};
  for (uint32_t c = 0; c < children && damage.empty(); ++c) {
    int32_t origin[3];
    if (!read(origin, sizeof origin)) break;
    for (int32_t o : origin)
      if (o % 4096 != 0) return "a child of its root lies at " + std::to_string(o) + ", not on a multiple of 4096";
    if (c > 0 && !std::lexicographical_compare(last, last + 3, origin, origin + 3))
      return "the children of its root are out of order";
    std::memcpy(last, origin, sizeof last);
    node(node, 5);
  }
  if (!damage.empty()) return damage;
  if (at != end)
    return "its topology ends at byte " + std::to_string(at) + ", not where its voxel data starts (" +
           std::to_string(end) + ")";

  // The buffers: each leaf's value mask again (OpenVDB keeps the topology's), then its values.
  section = "voxel data";
  end = grid.end_at;
  for (const uint16_t active : leaf_active)
    if (!skip(64) || !values(512, active, false)) return damage;
  if (at != end)
    return "its voxel data ends at byte " + std::to_string(at) + ", not where the grid ends (" + std::to_string(end) +
           ")";
  return {};
}

} // namespace libindex::io::detail
