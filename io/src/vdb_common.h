// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the OpenVDB and NanoVDB readers share: densifying a box and the emptiness walk, written once over
// any accessor with the calls both libraries offer (probeValue, probeLeaf-like, isActive).

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

#include <tbb/parallel_for.h>

#include "libindex/error.h"
#include "libindex/io/progress.h"
#include "libindex/io/vdb_reader.h"
#include "libindex/volume.h"

namespace libindex::io::detail {

/// What an OpenVDB and a NanoVDB source have in common: the grid's active index box, shifted so the
/// source's box starts at 0 (`offset` is where it starts in index space), its name and voxel size.
class VdbSourceBase : public VdbVolume {
 public:
  Box3i box() const override { return box_; }
  DType dtype() const override { return DType::float32; }
  Vec3i index_offset() const override { return offset_; }
  std::string grid_name() const override { return grid_name_; }
  Vec3f spacing() const override { return voxel_size_; }
  bool level_set() const override { return level_set_; }
  std::string describe() const override {
    const Vec3i s = box_.size();
    return kind_ + " " + path_ + " grid " + grid_name_ + (level_set_ ? " (level set) " : " ") + std::to_string(s.x) +
           "x" + std::to_string(s.y) + "x" + std::to_string(s.z) + (stored_.empty() ? "" : " " + stored_ + " as") +
           " float32";
  }

 protected:
  /// `index_lo`/`index_hi`: the inclusive active index box; `empty` when the grid has no active voxel.
  VdbSourceBase(std::string kind, std::string path, std::string grid, Vec3f voxel_size, bool level_set, bool empty,
                Vec3i index_lo, Vec3i index_hi)
      : kind_(std::move(kind)), path_(std::move(path)), grid_name_(std::move(grid)), voxel_size_(voxel_size),
        level_set_(level_set) {
    const std::string grid_text = kind_ + ": '" + path_ + "': grid '" + grid_name_ + "'";
    const std::string index_box = std::to_string(index_lo.x) + " " + std::to_string(index_lo.y) + " " +
                                  std::to_string(index_lo.z) + " .. " + std::to_string(index_hi.x) + " " +
                                  std::to_string(index_hi.y) + " " + std::to_string(index_hi.z);
    if (empty) throw Error(grid_text + " has no active voxels: there is nothing to render");
    // libindex renders a grid densely over its active voxels' box: two blobs far apart in an
    // otherwise empty grid make a box no cluster holds. Say so before anything is allocated.
    long long size[3];
    for (int a = 0; a < 3; ++a) size[a] = (long long)index_hi[a] - index_lo[a] + 1;
    // In double: three axes of up to 2^32 voxels overflow a 64-bit product.
    const double voxels = double(size[0]) * double(size[1]) * double(size[2]);
    if (size[0] > kMaxAxis || size[1] > kMaxAxis || size[2] > kMaxAxis || voxels > double(kMaxDenseVoxels)) {
      constexpr double kTiB = 1099511627776.0;
      char dense[128];
      std::snprintf(dense, sizeof dense,
                    "%.3g TiB as a dense float32 volume, which libindex renders at most %.3g TiB of",
                    voxels * 4.0 / kTiB, double(kMaxDenseVoxels) * 4.0 / kTiB);
      throw Error(grid_text + ": its active voxels span " + std::to_string(size[0]) + "x" + std::to_string(size[1]) +
                  "x" + std::to_string(size[2]) + " voxels (index box " + index_box + "), " + dense);
    }
    // The readers walk the box in 8^3 blocks and step one voxel past its ends, all in int: a box
    // whose ends lie near int's limits would overflow there (a damaged header says 2^31 - 1).
    for (int a = 0; a < 3; ++a)
      if (index_lo[a] < -kMaxCoordinate || index_hi[a] > kMaxCoordinate)
        throw Error(grid_text + ": its active index box " + index_box +
                    " reaches beyond the index coordinates libindex reads (-" + std::to_string(kMaxCoordinate) +
                    " .. " + std::to_string(kMaxCoordinate) + ")");
    offset_ = index_lo;
    box_ = {{0, 0, 0}, {int(size[0]), int(size[1]), int(size[2])}};
  }

  static constexpr long long kMaxAxis = (1ll << 31) - 1;  ///< Box3i's coordinates are int
  static constexpr long long kMaxDenseVoxels = 1ll << 40; ///< 4 TiB of float32
  static constexpr int kMaxCoordinate =
      std::numeric_limits<int>::max() - 64; ///< int's limit less a margin for the walks

  std::string kind_, path_, grid_name_;
  std::string stored_; ///< the grid's value type when it is not float ("double", "vec3s length"), for describe()
  Vec3f voxel_size_;
  bool level_set_; ///< the grid's class says its values are signed distances (negative inside)
  Box3i box_;
  Vec3i offset_{0, 0, 0};
};

/// A grid's value as the marcher holds it: a scalar as the nearest float, a vector as its length.
template <class V>
float to_float(const V& v) {
  if constexpr (std::is_arithmetic_v<V>)
    return float(v);
  else
    return float(v.length());
}

/// Fills `brick` (float32, global coordinates `region`) from VDB index space shifted by `offset`: the
/// grid's value at every voxel, active or not (inactive voxels and tiles hold the background in a
/// fog volume, and plus or minus it in a level set: outside or inside). `make_accessor()` gives a
/// per-thread accessor, `leaf_at(acc, x, y, z)` the leaf (8^3 voxels, both libraries' layout) that
/// holds (x, y, z) or nullptr, and `value_at(acc, x, y, z)` the value as a float.
/// Walks the box in leaf-aligned 8^3 blocks: a block with a leaf is copied from its values, one
/// without lies inside a tile or the background and takes one value. (A voxel at a time through the
/// accessor took 3-4 times as long: 4.8-8.6 s against 1.4-2.1 s for each half of a 1503^3 level set.)
template <class MakeAccessor, class LeafAt, class ValueAt>
void densify(Brick& brick, const Vec3i& offset, const MakeAccessor& make_accessor, const LeafAt& leaf_at,
             const ValueAt& value_at, const std::string& what) {
  const Box3i r = brick.box;
  const Vec3i s = r.size();
  if (r.empty()) return;
  float* out = brick.data<float>();
  // The brick's box in index space, and its 8^3 blocks along z (the threads' slabs).
  const Vec3i lo{r.lo.x + offset.x, r.lo.y + offset.y, r.lo.z + offset.z};
  const Vec3i hi{r.hi.x + offset.x, r.hi.y + offset.y, r.hi.z + offset.z};
  const auto floor8 = [](int v) { return v & ~7; };
  const int first_slab = floor8(lo.z) / 8, slabs = floor8(hi.z - 1) / 8 - first_slab + 1;
  ProgressMeter meter(what, brick.bytes.size());
  tbb::parallel_for(0, slabs, [&](int slab) {
    auto acc = make_accessor();
    const int bz = (first_slab + slab) * 8, z0 = std::max(bz, lo.z), z1 = std::min(bz + 8, hi.z);
    for (int by = floor8(lo.y); by < hi.y; by += 8) {
      const int y0 = std::max(by, lo.y), y1 = std::min(by + 8, hi.y);
      for (int bx = floor8(lo.x); bx < hi.x; bx += 8) {
        const int x0 = std::max(bx, lo.x), x1 = std::min(bx + 8, hi.x);
        const auto* leaf = leaf_at(acc, x0, y0, z0);
        const float tile = leaf ? 0.0f : value_at(acc, x0, y0, z0);
        for (int z = z0; z < z1; ++z)
          for (int y = y0; y < y1; ++y) {
            float* row = out + (size_t(z - lo.z) * s.y + size_t(y - lo.y)) * s.x + (x0 - lo.x);
            if (!leaf) {
              std::fill(row, row + (x1 - x0), tile);
              continue;
            }
            const unsigned yz = unsigned(y & 7) << 3 | unsigned(z & 7); // a leaf's values: x, then y, then z
            for (int x = x0; x < x1; ++x) row[x - x0] = to_float(leaf->getValue(unsigned(x & 7) << 6 | yz));
          }
      }
    }
    meter.add(uint64_t(s.x) * s.y * uint64_t(z1 - z0) * sizeof(float));
  });
  meter.finish();
}

/// True when no voxel of `region` (global index coordinates, already shifted) is active. Walks the box
/// in 8^3 leaf-aligned blocks: a block without a leaf is one tile (or background) whose state one
/// isActive answers; a block with a leaf checks that leaf's active mask inside the box.
/// `leaf_active(acc, x, y, z, found)` sets found when a leaf holds (x,y,z) and returns its active state;
/// `active(acc, x, y, z)` answers for tiles.
template <class Accessor, class LeafActive, class Active>
bool region_inactive(Accessor& acc, const Box3i& region, const LeafActive& leaf_active, const Active& active) {
  if (region.empty()) return true;
  auto floor8 = [](int v) { return v & ~7; };
  for (int bz = floor8(region.lo.z); bz < region.hi.z; bz += 8)
    for (int by = floor8(region.lo.y); by < region.hi.y; by += 8)
      for (int bx = floor8(region.lo.x); bx < region.hi.x; bx += 8) {
        const int x0 = std::max(bx, region.lo.x), x1 = std::min(bx + 8, region.hi.x);
        const int y0 = std::max(by, region.lo.y), y1 = std::min(by + 8, region.hi.y);
        const int z0 = std::max(bz, region.lo.z), z1 = std::min(bz + 8, region.hi.z);
        bool has_leaf = false;
        const bool first = leaf_active(acc, x0, y0, z0, has_leaf);
        if (!has_leaf) {
          if (active(acc, x0, y0, z0)) return false;
          continue;
        }
        if (first) return false;
        for (int z = z0; z < z1; ++z)
          for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
              bool found = false;
              if (leaf_active(acc, x, y, z, found)) return false;
            }
      }
  return true;
}

} // namespace libindex::io::detail
