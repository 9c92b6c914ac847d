// SPDX-License-Identifier: Apache-2.0
// OpenVDB grids: float, and double, int32, int64 and vec3 (as their length) read as float. The only
// file of the library that includes OpenVDB headers (they compile slowly).
#include "libindex/io/vdb_reader.h"

#include "file_io.h"
#include "libindex/config.h"
#include "libindex/error.h"

#if LIBINDEX_WITH_OPENVDB

#include <fstream>
#include <mutex>
#include <new>

#include <openvdb/io/DelayedLoadMetadata.h>
#include <openvdb/io/File.h>
#include <openvdb/openvdb.h>

#include "openvdb_checks.h"
#include "vdb_common.h"

namespace libindex::io {
namespace {

/// The oldest file format whose trees the checks walk (OpenVDB 2.0's node mask compression).
constexpr uint32_t kOldestCheckedFormat = 222;

/// Runs `call` (reads through OpenVDB) and turns what OpenVDB throws for a file it cannot read (its
/// exceptions, and an allocation of a size the file gave) into libindex::Error "`doing`: why".
/// Nothing of OpenVDB's escapes a reader: a damaged file is one line, never an unknown exception.
template <class Call>
auto through_openvdb(const std::string& doing, const Call& call) {
  try {
    return call();
  } catch (const openvdb::Exception& e) {
    throw Error(doing + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(doing + ": a size in the file is larger than the memory (is the file damaged?)");
  }
}

std::string grid_list(const openvdb::GridPtrVec& grids) {
  std::string s;
  for (const auto& g : grids) s += (s.empty() ? "" : ", ") + g->getName() + " (" + g->valueType() + ")";
  return s.empty() ? "none" : s;
}

template <class Grid>
class OpenVdbSource final : public detail::VdbSourceBase {
 public:
  OpenVdbSource(std::string path, std::string grid, openvdb::CoordBBox bbox, Vec3f voxel_size,
                const std::string& value_type, bool level_set, openvdb::math::Transform::ConstPtr transform)
      : VdbSourceBase("openvdb", std::move(path), std::move(grid), voxel_size, level_set, bbox.empty(),
                      {bbox.min().x(), bbox.min().y(), bbox.min().z()},
                      {bbox.max().x(), bbox.max().y(), bbox.max().z()}),
        transform_(std::move(transform)), linear_(transform_->isLinear()) {
    if constexpr (!std::is_same_v<Grid, openvdb::FloatGrid>)
      stored_ = value_type + (std::is_arithmetic_v<typename Grid::ValueType> ? "" : " length");
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box_);
    Brick brick(region, DType::float32, Brick::Unset{}); // densify writes every voxel
    if (region.empty()) return brick;
    const typename Grid::Ptr part = read_region(region);
    detail::densify(
        brick, offset_, [&] { return part->getConstAccessor(); },
        [](auto& acc, int x, int y, int z) { return acc.probeConstLeaf(openvdb::Coord(x, y, z)); },
        [](auto& acc, int x, int y, int z) { return detail::to_float(acc.getValue(openvdb::Coord(x, y, z))); },
        describe());
    return brick;
  }

  bool region_empty(const Box3i& wanted) const override {
    Box3i r = intersect(wanted, box_);
    if (r.empty()) return true;
    r.lo = {r.lo.x + offset_.x, r.lo.y + offset_.y, r.lo.z + offset_.z};
    r.hi = {r.hi.x + offset_.x, r.hi.y + offset_.y, r.hi.z + offset_.z};
    // Topology only: value masks, never a leaf's values. Not an OpenVDB ValueAccessor: caching a
    // leaf, it asks for the leaf's values, which delayed loading then unpacks (a damaged leaf threw
    // out of this question, fuzz_openvdb). The last leaf found is kept here instead.
    struct Probe {
      const typename Grid::TreeType& tree;
      const typename Grid::TreeType::LeafNodeType* leaf = nullptr;
    } probe{loaded().tree()};
    return detail::region_inactive(
        probe, r,
        [](Probe& p, int x, int y, int z, bool& found) {
          const openvdb::Coord ijk(x, y, z);
          if (!p.leaf || p.leaf->origin() != (ijk & ~7)) p.leaf = p.tree.probeConstLeaf(ijk);
          found = p.leaf != nullptr;
          return p.leaf && p.leaf->isValueOn(ijk);
        },
        [](Probe& p, int x, int y, int z) { return p.tree.isValueOn(openvdb::Coord(x, y, z)); });
  }

 private:
  // The grid with the leaves that `region` (in libindex's voxel box) touches, read one after another
  // and unpacked now; leaves elsewhere are skipped unread. Not OpenVDB's delayed loading: a leaf
  // whose packed values are damaged fails while it is paged in, which leaves its buffer half-made
  // (the next touch of it, by another thread of the same read or by the grid's destructor, crashed
  // the rank); read here, the same damage is an exception with the tree intact.
  typename Grid::Ptr read_region(const Box3i& region) const {
    return through_openvdb("openvdb: '" + path_ + "': cannot read the voxels of grid '" + grid_name_ + "'", [&] {
      openvdb::io::File file(path_);
      file.open(/*delayLoad=*/false);
      openvdb::GridBase::Ptr grid;
      if (linear_) {
        // OpenVDB clips to a world box it maps back to index space and rounds: one voxel more on
        // every side keeps the region inside it.
        const openvdb::CoordBBox index(
            openvdb::Coord(region.lo.x + offset_.x - 1, region.lo.y + offset_.y - 1, region.lo.z + offset_.z - 1),
            openvdb::Coord(region.hi.x + offset_.x, region.hi.y + offset_.y, region.hi.z + offset_.z));
        grid = file.readGrid(grid_name_, transform_->indexToWorld(index));
      } else {
        grid = file.readGrid(grid_name_); // a frustum: the world box of a region is no box in index space
      }
      file.close();
      auto typed = openvdb::gridPtrCast<Grid>(grid);
      if (!typed) throw Error("openvdb: '" + path_ + "': grid '" + grid_name_ + "' changed its type on disk");
      return typed;
    });
  }

  // The tree for questions about its topology (which voxels are active), read on first use with
  // delayed loading, so that no voxel values are read for them.
  const Grid& loaded() const {
    std::call_once(once_, [&] {
      grid_ = through_openvdb("openvdb: '" + path_ + "': cannot read grid '" + grid_name_ + "'", [&] {
        openvdb::io::File file(path_);
        file.open(/*delayLoad=*/true);
        auto grid = openvdb::gridPtrCast<Grid>(file.readGrid(grid_name_));
        file.close();
        return grid;
      });
      if (!grid_) throw Error("openvdb: '" + path_ + "': grid '" + grid_name_ + "' changed its type on disk");
    });
    return *grid_;
  }

  openvdb::math::Transform::ConstPtr transform_;
  bool linear_;
  mutable std::once_flag once_;
  mutable typename Grid::Ptr grid_;
};

// OpenVDB, ready to read a file these checks passed. initialize() registers the grid types (it is
// idempotent). Delayed loading's table (`__delayedload` grid metadata: a value flag and a packed size
// per leaf) is unregistered: OpenVDB then reads that entry as unknown bytes and drops it, and a read
// clipped to a box skips each leaf outside it by the size at the head of the leaf's own chunk, which
// openvdb_tree_damage has walked, not by the table's, which nothing checks (fuzz_openvdb: a damaged
// size landed the read inside a chunk, which then asked for 0x7ffc... bytes; a table shorter than
// the tree fails an assertion in Debian's OpenVDB, which aborts). Writers still write the table.
void start_openvdb() {
  openvdb::initialize();
  openvdb::io::DelayedLoadMetadata::unregisterType();
}

bool is_scalar(const openvdb::GridBase& g) {
  return g.isType<openvdb::FloatGrid>() || g.isType<openvdb::DoubleGrid>() || g.isType<openvdb::Int32Grid>() ||
         g.isType<openvdb::Int64Grid>();
}
bool is_vector(const openvdb::GridBase& g) { return g.isType<openvdb::Vec3SGrid>() || g.isType<openvdb::Vec3DGrid>(); }

/// A linear map whose 3x3 part is diagonal with positive entries: a scale and a translation.
bool axis_aligned(const openvdb::math::Transform& t) {
  if (!t.isLinear()) return false; // a frustum
  const openvdb::Mat3d m = t.baseMap()->getAffineMap()->getMat4().getMat3();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (r == c ? !(m(r, c) > 0) : std::abs(m(r, c)) > 1e-9 * std::abs(m(r, r))) return false;
  return true;
}

template <class Grid>
std::unique_ptr<VdbVolume> make_source(const std::string& path, const openvdb::GridBase& g,
                                       const openvdb::CoordBBox& bbox) {
  const openvdb::Vec3d vs = g.voxelSize();
  return std::make_unique<OpenVdbSource<Grid>>(path, g.getName(), bbox,
                                               Vec3f{float(vs.x()), float(vs.y()), float(vs.z())}, g.valueType(),
                                               g.getGridClass() == openvdb::GRID_LEVEL_SET, g.transform().copy());
}

} // namespace

std::unique_ptr<VdbVolume> open_openvdb(const std::string& path, const std::string& grid,
                                        std::vector<std::string>* warnings) {
  const uint64_t bytes = detail::regular_file_size(path, "openvdb"); // a clear message for a directory
  std::vector<char> buffer(size_t(1) << 20);                         // the tree check reads through each leaf's sizes
  std::ifstream in;
  in.rdbuf()->pubsetbuf(buffer.data(), std::streamsize(buffer.size()));
  in.open(path, std::ios::binary);
  std::vector<detail::VdbGridLayout> layouts;
  auto refuse = [&](const std::string& damage) {
    throw Error("openvdb: '" + path + "' is damaged (" + damage +
                "): the file is truncated or corrupt; write it again");
  };
  // OpenVDB reads a file of a newer format than its own after a warning, by its own layout: where
  // anything lies is then a guess, for it and for these checks (a damaged version number, or a file
  // from a newer OpenVDB). Formats before 222 (OpenVDB 2.0, 2013) these checks do not walk, and
  // OpenVDB trusted their sizes too (fuzz_openvdb: a version set to 212 asked for 2 GB, and one of 0,
  // which nothing refused while 0 also meant "no VDB file" here, 1.7 GB for a grid's name).
  const detail::VdbFileStart start = detail::openvdb_file_start(in);
  const uint32_t version = start.version;
  if (version > openvdb::OPENVDB_FILE_VERSION)
    throw Error("openvdb: '" + path + "' is in file format " + std::to_string(version) + ", newer than the " +
                std::to_string(openvdb::OPENVDB_FILE_VERSION) + " of the OpenVDB " + OPENVDB_LIBRARY_VERSION_STRING +
                " libindex was built with (is the file damaged?)");
  if (start.vdb && version < kOldestCheckedFormat)
    throw Error("openvdb: '" + path + "' is in file format " + std::to_string(version) +
                ", from before OpenVDB 2.0; libindex reads formats " + std::to_string(kOldestCheckedFormat) +
                " and later: read and write it again with any current OpenVDB (is the file damaged?)");
  // A stream's grids follow one another without positions: OpenVDB reads them all, whole, as it
  // opens it, and these checks cannot find where a grid's tree ends (fuzz_openvdb: 4 GiB asked
  // for a metadata string). io::File writes positions; io::Stream, to a pipe or socket, does not.
  if (start.vdb && !start.grid_offsets)
    throw Error("openvdb: '" + path +
                "' is an OpenVDB stream (written by io::Stream, without grid positions); libindex reads files "
                "written by io::File: read and write it again with any current OpenVDB (is the file damaged?)");
  if (const std::string damage = detail::openvdb_file_damage(in, bytes, &layouts); !damage.empty()) refuse(damage);
  start_openvdb();
  // OpenVDB's messages already name the path in most cases; say what we were doing.
  const openvdb::GridPtrVecPtr grids = through_openvdb("openvdb: cannot open '" + path + "'", [&] {
    openvdb::io::File file(path);
    file.open(/*delayLoad=*/true);
    auto all = file.readAllGridMetadata(); // names, types, transforms and stats: no topology, no voxels
    file.close();
    return all;
  });
  // A named grid; else the first float grid, the first other scalar grid, the first vector grid.
  auto first = [&](const auto& accept) {
    for (const auto& g : *grids)
      if (accept(*g)) return g;
    return openvdb::GridBase::Ptr();
  };
  openvdb::GridBase::Ptr chosen;
  if (!grid.empty()) {
    chosen = first([&](const openvdb::GridBase& g) { return g.getName() == grid; });
  } else {
    chosen = first([](const openvdb::GridBase& g) { return g.isType<openvdb::FloatGrid>(); });
    if (!chosen) chosen = first(is_scalar);
    if (!chosen) chosen = first(is_vector);
  }
  if (!chosen) {
    if (grid.empty())
      throw Error("openvdb: '" + path + "' has no grid libindex can render (grids: " + grid_list(*grids) +
                  "; it renders float, double, int32, int64 and vec3 grids)");
    throw Error("openvdb: '" + path + "' has no grid named '" + grid + "' (grids: " + grid_list(*grids) + ")");
  }
  if (!is_scalar(*chosen) && !is_vector(*chosen))
    throw Error("openvdb: '" + path + "': grid '" + grid + "' holds " + chosen->valueType() +
                " values; libindex renders float, double, int32, int64 and vec3 (as its length) grids");

  // The chosen grid's tree (its parent's, for an instance) before OpenVDB reads it.
  auto layout_of = [&](const std::string& name, bool unique) -> const detail::VdbGridLayout* {
    for (const auto& l : layouts)
      if ((unique ? l.unique_name : l.name()) == name) return &l;
    return nullptr;
  };
  const detail::VdbGridLayout* layout = layout_of(chosen->getName(), false);
  // OpenVDB reads the first grid of a name: where grids share one, the chosen may be another.
  if (layout && !layout->type.starts_with(chosen->type()))
    throw Error("openvdb: '" + path + "': more than one grid is named '" + chosen->getName() +
                "', and OpenVDB reads the first of them, of type " + layout->type + ", not the " + chosen->type() +
                " grid libindex chose; rename one of them");
  if (layout && !layout->instance_of.empty()) layout = layout_of(layout->instance_of, true);
  if (layout) {
    if (const std::string damage = detail::openvdb_tree_damage(in, *layout); !damage.empty())
      refuse("grid '" + chosen->getName() + "': " + damage);
  }

  // The writer stores the active bounding box as metadata; without it, read the topology to find it.
  openvdb::CoordBBox bbox;
  const auto lo = chosen->getMetadata<openvdb::Vec3IMetadata>(openvdb::GridBase::META_FILE_BBOX_MIN);
  const auto hi = chosen->getMetadata<openvdb::Vec3IMetadata>(openvdb::GridBase::META_FILE_BBOX_MAX);
  if (lo && hi) {
    bbox = openvdb::CoordBBox(openvdb::Coord(lo->value()), openvdb::Coord(hi->value()));
  } else {
    bbox = through_openvdb("openvdb: '" + path + "': cannot read grid '" + chosen->getName() + "'", [&] {
      openvdb::io::File file(path);
      file.open(true);
      return file.readGrid(chosen->getName())->evalActiveVoxelBoundingBox();
    });
  }
  const openvdb::GridBase& g = *chosen;
  if (warnings && !axis_aligned(g.transform()))
    warnings->push_back("openvdb: '" + path + "': grid '" + g.getName() +
                        "' has a transform that rotates, shears or flips its axes; libindex lays index axis i along "
                        "scene axis i and takes only the voxel size, so the volume may look rotated or mirrored");
  if (g.isType<openvdb::FloatGrid>()) return make_source<openvdb::FloatGrid>(path, g, bbox);
  if (g.isType<openvdb::DoubleGrid>()) return make_source<openvdb::DoubleGrid>(path, g, bbox);
  if (g.isType<openvdb::Int32Grid>()) return make_source<openvdb::Int32Grid>(path, g, bbox);
  if (g.isType<openvdb::Int64Grid>()) return make_source<openvdb::Int64Grid>(path, g, bbox);
  if (g.isType<openvdb::Vec3SGrid>()) return make_source<openvdb::Vec3SGrid>(path, g, bbox);
  return make_source<openvdb::Vec3DGrid>(path, g, bbox);
}

} // namespace libindex::io

#else

namespace libindex::io {

std::unique_ptr<VdbVolume> open_openvdb(const std::string& path, const std::string&, std::vector<std::string>*) {
  throw Error("openvdb: cannot read '" + path + "': libindex was built without OpenVDB");
}

} // namespace libindex::io

#endif
