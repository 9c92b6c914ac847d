// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of fuzz_openvdb: small grids OpenVDB's own writer makes, so that the fuzzer
// starts from every part of a real file the reader walks (header, grid descriptors, metadata,
// transform, topology, leaf buffers): each compression OpenVDB writes, half floats, each value type
// libindex renders, a level set, root and internal tiles, a grid written as an instance of another,
// a grid without the bounding-box metadata. Usage: fuzz_openvdb_seeds <folder>
#include <string>
#include <type_traits>

#include <openvdb/openvdb.h>

#include "fuzz_util.h"

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

  // Without the statistics metadata (the file bounding box among them) the reader computes the box
  // from the topology.
  openvdb::io::File file(dir + "/no_bbox.vdb");
  file.setCompression(zip);
  file.setGridStatsMetadataEnabled(false);
  file.write({slab<openvdb::FloatGrid>("density")});
  return 0;
}
