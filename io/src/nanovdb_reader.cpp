// SPDX-License-Identifier: Apache-2.0
// NanoVDB float grids: one flat buffer per grid, loaded whole on first use (the format has no partial read).
#include "libindex/io/vdb_reader.h"

#include "file_io.h"
#include "libindex/config.h"
#include "libindex/error.h"

#if LIBINDEX_WITH_NANOVDB

#include <mutex>

#include <nanovdb/NanoVDB.h>
#include <nanovdb/util/IO.h>

#include "vdb_common.h"

namespace libindex::io {
namespace {

class NanoVdbSource final : public detail::VdbSourceBase {
 public:
  NanoVdbSource(std::string path, const nanovdb::io::GridMetaData& meta)
      : VdbSourceBase("nanovdb", std::move(path), meta.gridName,
                      {float(meta.voxelSize[0]), float(meta.voxelSize[1]), float(meta.voxelSize[2])},
                      meta.voxelCount == 0 || meta.indexBBox.empty(),
                      {meta.indexBBox.min()[0], meta.indexBBox.min()[1], meta.indexBBox.min()[2]},
                      {meta.indexBBox.max()[0], meta.indexBBox.max()[1], meta.indexBBox.max()[2]}) {}

  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box_);
    Brick brick(region, DType::float32);
    if (region.empty()) return brick;
    const auto* grid = loaded();
    detail::densify(
        brick, offset_, grid->tree().background(), [&] { return grid->getAccessor(); },
        [](auto& acc, int x, int y, int z, float& v) { return acc.probeValue(nanovdb::Coord(x, y, z), v); },
        describe());
    return brick;
  }

  bool region_empty(const Box3i& wanted) const override {
    Box3i r = intersect(wanted, box_);
    if (r.empty()) return true;
    r.lo = {r.lo.x + offset_.x, r.lo.y + offset_.y, r.lo.z + offset_.z};
    r.hi = {r.hi.x + offset_.x, r.hi.y + offset_.y, r.hi.z + offset_.z};
    auto acc = loaded()->getAccessor();
    return detail::region_inactive(
        acc, r,
        [](auto& a, int x, int y, int z, bool& found) {
          const nanovdb::Coord ijk(x, y, z);
          const auto* leaf = a.probeLeaf(ijk);
          found = leaf != nullptr;
          return leaf && leaf->isActive(ijk);
        },
        [](auto& a, int x, int y, int z) { return a.isActive(nanovdb::Coord(x, y, z)); });
  }

 private:
  const nanovdb::NanoGrid<float>* loaded() const {
    std::call_once(once_, [&] {
      try {
        handle_ = nanovdb::io::readGrid<nanovdb::HostBuffer>(path_, grid_name_);
      } catch (const std::exception& e) {
        throw Error("nanovdb: '" + path_ + "': cannot read grid '" + grid_name_ + "': " + e.what());
      }
      if (!handle_.grid<float>())
        throw Error("nanovdb: '" + path_ + "': grid '" + grid_name_ + "' is not a float grid");
    });
    return handle_.grid<float>();
  }

  mutable std::once_flag once_;
  mutable nanovdb::GridHandle<nanovdb::HostBuffer> handle_;
};

std::string grid_list(const std::vector<nanovdb::io::GridMetaData>& grids) {
  std::string s;
  for (const auto& g : grids) s += (s.empty() ? "" : ", ") + g.gridName + " (" + nanovdb::toStr(g.gridType) + ")";
  return s.empty() ? "none" : s;
}

} // namespace

std::unique_ptr<VdbVolume> open_nanovdb(const std::string& path, const std::string& grid) {
  detail::regular_file_size(path, "nanovdb"); // a clear message for a directory or a missing file
  std::vector<nanovdb::io::GridMetaData> grids;
  try {
    grids = nanovdb::io::readGridMetaData(path); // the grid table: names, types, bounding boxes
  } catch (const std::exception& e) {
    throw Error("nanovdb: cannot open '" + path + "': " + e.what());
  }
  for (const auto& g : grids) {
    if (!grid.empty() && g.gridName != grid) continue;
    if (g.gridType == nanovdb::GridType::Float) return std::make_unique<NanoVdbSource>(path, g);
    if (!grid.empty())
      throw Error("nanovdb: '" + path + "': grid '" + grid + "' holds " + nanovdb::toStr(g.gridType) +
                  " values; only float grids can be rendered");
  }
  if (grid.empty()) throw Error("nanovdb: '" + path + "' has no float grid (grids: " + grid_list(grids) + ")");
  throw Error("nanovdb: '" + path + "' has no grid named '" + grid + "' (grids: " + grid_list(grids) + ")");
}

} // namespace libindex::io

#else

namespace libindex::io {

std::unique_ptr<VdbVolume> open_nanovdb(const std::string& path, const std::string&) {
  throw Error("nanovdb: cannot read '" + path + "': libindex was built without NanoVDB");
}

} // namespace libindex::io

#endif
