// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of fuzz_openvdb: small grids OpenVDB's own writer makes, so that the fuzzer
// starts from every part of a real file the reader walks (header, grid descriptors, metadata,
// transform, topology, leaf buffers): each compression OpenVDB writes, half floats, each value type
// libindex renders, a level set, root and internal tiles, a grid written as an instance of another,
// a grid without the bounding-box metadata; and the inputs of the fixed findings, damaged again
// from these (regression-*). Usage: fuzz_openvdb_seeds <folder>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>

#include <openvdb/io/Stream.h>
#include <openvdb/openvdb.h>

#include "fuzz_util.h"
#include "vdb_file_edits.h"

namespace {

/// Active voxels in [-3,13) x [4,9) x [6,9), values of every sign, some inactive ones: a few leaves
/// under one internal node of each level, and (with `tiles`) a tile in the root and one in an
/// internal node too.
template <class Grid>
typename Grid::Ptr slab(const std::string& name, bool tiles = false) {
  using Value = typename Grid::ValueType;
  const auto value = [](double v) {
    if constexpr (std::is_arithmetic_v<Value>)
      return Value(v);
    else
      return Value(typename Value::value_type(v), typename Value::value_type(-v), 0);
  };
  auto grid = Grid::create(value(0));
  grid->setName(name);
  auto acc = grid->getAccessor();
  for (int z = 6; z < 9; ++z)
    for (int y = 4; y < 9; ++y)
      for (int x = -3; x < 13; ++x) {
        const openvdb::Coord ijk(x, y, z);
        if ((x + y + z) % 5 == 0)
          acc.setValueOff(ijk, value(7)); // an inactive value that is not the background
        else
          acc.setValue(ijk, value(x - 10 * y + z));
      }
  if (tiles) {
    grid->fill(openvdb::CoordBBox(openvdb::Coord(4096, 0, 0), openvdb::Coord(8191, 4095, 4095)), value(3), true);
    grid->fill(openvdb::CoordBBox(openvdb::Coord(128, 0, 0), openvdb::Coord(255, 127, 127)), value(4), true);
  }
  return grid;
}

void write(const std::string& path, const openvdb::GridPtrVec& grids, uint32_t compression) {
  openvdb::io::File file(path);
  file.setCompression(compression);
  file.write(grids);
}

/// `bytes` with `value` written over it at `at`.
template <class T>
std::string patched(std::string bytes, size_t at, T value) {
  std::memcpy(&bytes[at], &value, sizeof value);
  return bytes;
}

/// The inputs of fuzz_openvdb's fixed findings (docs/security.md), made again from the seeds in `dir`
/// (mostly `float_zip`, a grid written with ZIP): each is damaged as the finding's input was, so that
/// the replay keeps them fixed without a damaged file in the repository.
void write_regressions(const std::string& dir) {
  const std::string bytes = libindex::fuzz::read_file(dir + "/float_zip.vdb");
  const auto put = [&](const std::string& name, const std::string& data) {
    libindex::fuzz::write_file(dir + "/regression-" + name + ".vdb", data);
  };
  put("header-without-grids", bytes.substr(0, 58)); // magic, versions, offsets flag, UUID
  // Map, buffer count, background, counts, the root's child origin, the upper node's two masks, its
  // value flag: then the packed size of its values and their zlib stream.
  const size_t packed_at = bytes.find("UniformScaleMap") + 15 + 120 + 4 + 4 + 4 + 4 + 12 + 8192 + 1;
  int64_t packed = 0;
  std::memcpy(&packed, bytes.data() + packed_at, sizeof packed);
  std::string short_values = bytes;
  std::fill_n(short_values.begin() + std::ptrdiff_t(packed_at + 8 + size_t(packed) / 2), 8, char(0xff));
  put("upper-node-values-unpack-short-leak", short_values);
  // The same, with the descriptor's voxel data position moved to the grid's start, before the
  // topology: the tree check took that for a layout it does not know, and OpenVDB leaked the node.
  const size_t positions_at = libindex::io::test::descriptor_positions_at(bytes);
  int64_t grid_at = 0;
  std::memcpy(&grid_at, bytes.data() + positions_at, sizeof grid_at);
  put("voxel-data-before-the-topology-leak", patched(short_values, positions_at + 8, grid_at));
  put("node-values-packed-into-1-tib", patched(bytes, packed_at, int64_t(1) << 40));
  put("newer-format", patched(bytes, 8, uint32_t(openvdb::OPENVDB_FILE_VERSION + 1)));
  put("newer-format-cut-after-its-version",
      patched(bytes, 8, uint32_t(openvdb::OPENVDB_FILE_VERSION + 1)).substr(0, 12));
  put("node-values-of-minus-2-63-bytes", patched(bytes, packed_at, std::numeric_limits<int64_t>::min()));
  put("format-212", patched(bytes, 8, uint32_t(212)));
  // fuzz_openvdb's input, whole (58 bytes): " BDV" and 36 zeros, then 18 bytes the fuzzer made.
  put("format-0-grid-name-of-1-7-gb", " BDV" + std::string(36, '\0') + std::string("446-4\0\0file\327bboe7", 18));
  std::string cut_leaf = bytes; // the last leaf's zlib stream ends early
  std::fill(cut_leaf.end() - 64, cut_leaf.end(), '\0');
  put("region-empty-unpacked-a-damaged-leaf", cut_leaf);
  const size_t count_at = bytes.find("__delayedload") + 13 + 4; // the type name, the entry's size
  put("delayed-load-table-of-4g-leaves", patched(bytes, count_at, uint32_t(0xffffffff)));
  put("delayed-load-masks-of-4-gb", patched(bytes, count_at + 4, uint32_t(0xfa00003b)));
  put("delayed-load-sizes-of-3-bytes-clipped-read", libindex::io::test::with_delayed_load_sizes(bytes, 3));
  std::string half = libindex::fuzz::read_file(dir + "/half_zip.vdb"); // its type says half; OpenVDB read floats
  half[half.find("is_saved_as_half_float") + 16] = 'W';
  put("half-float-entry-renamed-leak", half);
  // The float grid's name entry renamed: its name is then "", the unnamed bool grid's before it, and
  // OpenVDB read the bool grid's tree, which nothing checks.
  std::string unnamed = libindex::fuzz::read_file(dir + "/instance.vdb");
  unnamed[unnamed.find(std::string("\4\0\0\0name\6\0\0\0string", 18), unnamed.find("Tree_float")) + 7] = 'a';
  put("float-grid-named-as-the-bool-grid-before-it", unnamed);
}

} // namespace

int main(int argc, char** argv) {
  const std::string dir = libindex::fuzz::seed_folder(argc, argv);
  openvdb::initialize();
  const uint32_t none = openvdb::io::COMPRESS_NONE, zip = openvdb::io::COMPRESS_ZIP,
                 blosc = openvdb::io::COMPRESS_BLOSC, active = openvdb::io::COMPRESS_ACTIVE_MASK;

  // float in each compression (uncompressed, an internal node's values take 150 KB), and as half
  // floats.
  write(dir + "/float_none.vdb", {slab<openvdb::FloatGrid>("density")}, none);
  for (const auto& [name, compression] :
       {std::pair{"zip", zip}, std::pair{"zip_active", zip | active}, std::pair{"blosc_active", blosc | active}}) {
    write(dir + "/float_" + name + ".vdb", {slab<openvdb::FloatGrid>("density")}, compression);
    auto half = slab<openvdb::FloatGrid>("density");
    half->setSaveFloatAsHalf(true);
    write(dir + "/half_" + name + ".vdb", {half}, compression);
  }
  // The other value types libindex renders, with tiles.
  write(dir + "/double_tiles.vdb", {slab<openvdb::DoubleGrid>("d", true)}, zip | active);
  write(dir + "/int32_tiles.vdb", {slab<openvdb::Int32Grid>("i", true)}, blosc | active);
  write(dir + "/int64.vdb", {slab<openvdb::Int64Grid>("l")}, zip);
  write(dir + "/vec3s.vdb", {slab<openvdb::Vec3SGrid>("v")}, zip | active);
  write(dir + "/vec3d.vdb", {slab<openvdb::Vec3DGrid>("w")}, blosc | active);

  // A narrow-band level set, as OpenVDB's tools make them.
  auto sphere = slab<openvdb::FloatGrid>("surface");
  sphere->setGridClass(openvdb::GRID_LEVEL_SET);
  sphere->setTransform(openvdb::math::Transform::createLinearTransform(0.5));
  write(dir + "/level_set.vdb", {sphere}, zip | active);

  // Two grids sharing one tree: the second is written as an instance of the first; a bool grid
  // (libindex renders none) first, so that the reader must choose.
  auto first = slab<openvdb::FloatGrid>("a");
  auto shared = first->copyGrid();
  shared->setName("b");
  write(dir + "/instance.vdb",
        {openvdb::BoolGrid::create(false), first, openvdb::ConstPtrCast<openvdb::GridBase>(shared)}, blosc | active);

  write_regressions(dir);
  {
    std::ofstream out(dir + "/regression-stream-without-offsets.vdb", std::ios::binary);
    openvdb::io::Stream(out).write({slab<openvdb::FloatGrid>("density")});
  }

  // Without the statistics metadata (the file bounding box among them) the reader computes the box
  // from the topology.
  openvdb::io::File file(dir + "/no_bbox.vdb");
  file.setCompression(zip);
  file.setGridStatsMetadataEnabled(false);
  file.write({slab<openvdb::FloatGrid>("density")});
  // Its descriptor naming the grid otherwise than its metadata (the metadata's name comes later).
  std::string renamed = libindex::fuzz::read_file(dir + "/no_bbox.vdb");
  renamed.replace(renamed.find("density"), 7, "densiXY");
  libindex::fuzz::write_file(dir + "/regression-descriptor-and-metadata-name-differ-keyerror.vdb", renamed);
  return 0;
}
