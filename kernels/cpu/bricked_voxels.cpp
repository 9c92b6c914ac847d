// SPDX-License-Identifier: Apache-2.0
#include "bricked_voxels.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "../src/parallel.h"

namespace libindex::kernels {

namespace {
Vec3i cube_counts(const Box3i& stored) {
  const Vec3i s = stored.size();
  constexpr int e = BrickedVoxels::kEdge;
  return {(s.x + e - 1) / e, (s.y + e - 1) / e, (s.z + e - 1) / e};
}
} // namespace

bool bricked_addressable(const BrickView& b) {
  const Vec3i c = cube_counts(b.stored);
  const long long bytes = (long long)c.x * c.y * c.z * BrickedVoxels::kCube * dtype_size(b.dtype) + 4;
  return !b.stored.empty() && bytes < (long long)INT_MAX - 64;
}

BrickedVoxels make_bricked_voxels(const BrickView& b) {
  BrickedVoxels v;
  v.stored = b.stored;
  v.dtype = b.dtype;
  v.cubes = cube_counts(b.stored);
  const size_t size = dtype_size(b.dtype);
  v.bytes.assign(size_t(v.voxel_count()) * size + 4, 0);
  const Vec3i s = b.stored.size();
  const auto* src = static_cast<const uint8_t*>(b.data);
  constexpr int e = BrickedVoxels::kEdge, side = BrickedVoxels::kSide;
  const int count = v.cubes.x * v.cubes.y * v.cubes.z;
  parallel_for(count, [&](int cube) {
    const int cx = cube % v.cubes.x, cy = (cube / v.cubes.x) % v.cubes.y, cz = cube / (v.cubes.x * v.cubes.y);
    uint8_t* dst = v.bytes.data() + size_t(cube) * BrickedVoxels::kCube * size;
    for (int lz = 0; lz < side; ++lz) {
      const int z = std::min(cz * e + lz, s.z - 1);
      for (int ly = 0; ly < side; ++ly) {
        const int y = std::min(cy * e + ly, s.y - 1);
        const uint8_t* row = src + ((size_t(z) * s.y + y) * s.x) * size;
        uint8_t* out = dst + size_t((lz * side + ly) * side) * size;
        const int x0 = cx * e, own = std::min(side, s.x - x0); // voxels of this row inside the stored box
        std::memcpy(out, row + size_t(x0) * size, size_t(own) * size);
        for (int lx = own; lx < side; ++lx) std::memcpy(out + size_t(lx) * size, row + size_t(s.x - 1) * size, size);
      }
    }
  });
  return v;
}

} // namespace libindex::kernels
