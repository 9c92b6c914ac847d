// SPDX-License-Identifier: Apache-2.0
// NanoVDB grids: one flat buffer per grid, loaded whole on first use (the format has no partial read).
// Float grids, and double, int32, the quantized Fp4/Fp8/Fp16/FpN and vec3f (as its length) read as float.
// Files uncompressed, ZIP-compressed and (in a build with Blosc) Blosc-compressed.
#include "libindex/io/vdb_reader.h"

#include "file_io.h"
#include "libindex/config.h"
#include "libindex/error.h"

#if LIBINDEX_WITH_NANOVDB

#include <cmath>
#include <fstream>
#include <mutex>

#include <nanovdb/NanoVDB.h>
#include <nanovdb/util/IO.h>

#include "nanovdb_checks.h"
#include "vdb_common.h"

namespace libindex::io {
namespace {

/// What to do about a file this build cannot decompress: Blosc (nanovdb_convert -b) needs Blosc at
/// build time (libblosc-dev); ZIP is always read.
std::string codec_hint([[maybe_unused]] const std::string& error) {
#ifdef NANOVDB_USE_BLOSC
  return {};
#else
  if (error.find("BLOSC") == std::string::npos) return {};
  return " (this libindex was built without Blosc (libblosc-dev): write the file with nanovdb_convert -z instead "
         "of -b)";
#endif
}

template <class Build>
class NanoVdbSource final : public detail::VdbSourceBase {
 public:
  NanoVdbSource(std::string path, const nanovdb::io::GridMetaData& meta)
      : VdbSourceBase("nanovdb", std::move(path), meta.gridName,
                      {float(meta.voxelSize[0]), float(meta.voxelSize[1]), float(meta.voxelSize[2])},
                      meta.gridClass == nanovdb::GridClass::LevelSet, meta.voxelCount == 0 || meta.indexBBox.empty(),
                      {meta.indexBBox.min()[0], meta.indexBBox.min()[1], meta.indexBBox.min()[2]},
                      {meta.indexBBox.max()[0], meta.indexBBox.max()[1], meta.indexBBox.max()[2]}) {
    if constexpr (!std::is_same_v<Build, float>)
      stored_ = std::string(nanovdb::toStr(meta.gridType)) + (std::is_arithmetic_v<Value> ? "" : " length");
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box_);
    Brick brick(region, DType::float32, Brick::Unset{}); // densify writes every voxel
    if (region.empty()) return brick;
    const auto* grid = loaded();
    detail::densify(
        brick, offset_, [&] { return grid->getAccessor(); },
        [](auto& acc, int x, int y, int z) { return acc.probeLeaf(nanovdb::Coord(x, y, z)); },
        [](auto& acc, int x, int y, int z) { return detail::to_float(acc.getValue(nanovdb::Coord(x, y, z))); },
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
  using Value = typename nanovdb::NanoGrid<Build>::ValueType; // float for the quantized Fp* grids

  const nanovdb::NanoGrid<Build>* loaded() const {
    std::call_once(once_, [&] {
      try {
        handle_ = nanovdb::io::readGrid<nanovdb::HostBuffer>(path_, grid_name_);
      } catch (const std::exception& e) {
        throw Error("nanovdb: '" + path_ + "': cannot read grid '" + grid_name_ + "': " + e.what() +
                    codec_hint(e.what()));
      }
      // Not handle_.grid<Build>(): it follows a damaged grid's index out of the buffer.
      const uint8_t* data = handle_.data();
      if (handle_.size() < sizeof(nanovdb::GridData) ||
          reinterpret_cast<const nanovdb::GridData*>(data)->mGridType != nanovdb::mapToGridType<Build>())
        throw Error("nanovdb: '" + path_ + "': grid '" + grid_name_ +
                    "' changed on disk (it is gone or of another type)");
      const std::string damage = detail::nanovdb_grid_damage<Build>(data, handle_.size());
      if (!damage.empty())
        throw Error("nanovdb: '" + path_ + "': grid '" + grid_name_ + "' is damaged (" + damage +
                    "): the file is truncated or corrupt; write it again");
      grid_ = reinterpret_cast<const nanovdb::NanoGrid<Build>*>(data);
    });
    return grid_;
  }

  mutable std::once_flag once_;
  mutable nanovdb::GridHandle<nanovdb::HostBuffer> handle_;
  mutable const nanovdb::NanoGrid<Build>* grid_ = nullptr; ///< the start of handle_'s buffer, checked
};

using nanovdb::GridType;

bool is_scalar(GridType t) {
  return t == GridType::Float || t == GridType::Double || t == GridType::Int32 || t == GridType::Fp4 ||
         t == GridType::Fp8 || t == GridType::Fp16 || t == GridType::FpN;
}

std::unique_ptr<VdbVolume> make_source(const std::string& path, const nanovdb::io::GridMetaData& g) {
  switch (g.gridType) {
  case GridType::Float:
    return std::make_unique<NanoVdbSource<float>>(path, g);
  case GridType::Double:
    return std::make_unique<NanoVdbSource<double>>(path, g);
  case GridType::Int32:
    return std::make_unique<NanoVdbSource<int32_t>>(path, g);
  case GridType::Fp4:
    return std::make_unique<NanoVdbSource<nanovdb::Fp4>>(path, g);
  case GridType::Fp8:
    return std::make_unique<NanoVdbSource<nanovdb::Fp8>>(path, g);
  case GridType::Fp16:
    return std::make_unique<NanoVdbSource<nanovdb::Fp16>>(path, g);
  case GridType::FpN:
    return std::make_unique<NanoVdbSource<nanovdb::FpN>>(path, g);
  case GridType::Vec3f:
    return std::make_unique<NanoVdbSource<nanovdb::Vec3f>>(path, g);
  default:
    return nullptr;
  }
}

/// True when the grid's world box is not its index box scaled by the voxel size on some axis: the
/// map turns the axes (read from the grid table alone; a mirror keeps the extents and goes unseen).
bool turned(const nanovdb::io::GridMetaData& g) {
  for (int a = 0; a < 3; ++a) {
    const double index_extent = double(g.indexBBox.max()[a]) - double(g.indexBBox.min()[a]) + 1.0;
    const double world_extent = g.worldBBox.max()[a] - g.worldBBox.min()[a];
    const double scaled = index_extent * g.voxelSize[a];
    // NanoVDB's world box spans the voxels' corners or their centres (one voxel less), by version.
    if (std::abs(world_extent - scaled) > g.voxelSize[a] * (1.0 + 1e-6) + 1e-9 * std::abs(scaled)) return true;
  }
  return false;
}

std::string grid_list(const std::vector<nanovdb::io::GridMetaData>& grids) {
  std::string s;
  for (const auto& g : grids) s += (s.empty() ? "" : ", ") + g.gridName + " (" + nanovdb::toStr(g.gridType) + ")";
  return s.empty() ? "none" : s;
}

} // namespace

std::unique_ptr<VdbVolume> open_nanovdb(const std::string& path, const std::string& grid,
                                        std::vector<std::string>* warnings) {
  const uint64_t bytes = detail::regular_file_size(path, "nanovdb"); // a clear message for a directory
  std::ifstream in(path, std::ios::binary);
  if (const std::string damage = detail::nanovdb_file_damage(in, bytes, path); !damage.empty())
    throw Error("nanovdb: '" + path + "' is damaged (" + damage +
                "): the file is truncated or corrupt; write it again");
  std::vector<nanovdb::io::GridMetaData> grids;
  try {
    grids = nanovdb::io::readGridMetaData(path); // the grid table: names, types, bounding boxes
  } catch (const std::exception& e) {
    throw Error("nanovdb: cannot open '" + path + "': " + e.what());
  }
  // A named grid; else the first float grid, the first other scalar grid, the first vec3f grid.
  auto first = [&](const auto& accept) -> const nanovdb::io::GridMetaData* {
    for (const auto& g : grids)
      if (accept(g)) return &g;
    return nullptr;
  };
  const nanovdb::io::GridMetaData* chosen = nullptr;
  if (!grid.empty()) {
    chosen = first([&](const auto& g) { return g.gridName == grid; });
    if (!chosen)
      throw Error("nanovdb: '" + path + "' has no grid named '" + grid + "' (grids: " + grid_list(grids) + ")");
  } else {
    chosen = first([](const auto& g) { return g.gridType == GridType::Float; });
    if (!chosen) chosen = first([](const auto& g) { return is_scalar(g.gridType); });
    if (!chosen) chosen = first([](const auto& g) { return g.gridType == GridType::Vec3f; });
    if (!chosen)
      throw Error("nanovdb: '" + path + "' has no grid libindex can render (grids: " + grid_list(grids) +
                  "; it renders float, double, int32, Fp4/8/16/N and vec3f grids)");
  }
  if (auto source = make_source(path, *chosen)) {
    if (warnings && turned(*chosen))
      warnings->push_back("nanovdb: '" + path + "': grid '" + chosen->gridName +
                          "' has a transform that rotates or shears its axes; libindex lays index axis i along scene "
                          "axis i and takes only the voxel size, so the volume may look rotated");
    return source;
  }
  throw Error("nanovdb: '" + path + "': grid '" + grid + "' holds " + nanovdb::toStr(chosen->gridType) +
              " values; libindex renders float, double, int32, Fp4/8/16/N and vec3f (as its length) grids");
}

} // namespace libindex::io

#else

namespace libindex::io {

std::unique_ptr<VdbVolume> open_nanovdb(const std::string& path, const std::string&, std::vector<std::string>*) {
  throw Error("nanovdb: cannot read '" + path + "': libindex was built without NanoVDB");
}

} // namespace libindex::io

#endif
