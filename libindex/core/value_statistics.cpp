// SPDX-License-Identifier: Apache-2.0
#include "libindex/value_statistics.h"

#include <algorithm>
#include <cmath>

#include "libindex/error.h"

namespace libindex {
namespace {

/// Calls f(normalized value) for every voxel of `box`, row by row.
template <class F>
void for_each_value(const BrickView& view, const Box3i& box, F&& f) {
  if (view.on_device) throw Error("value statistics: the voxels are in GPU memory");
  if (box.empty()) return;
  require(intersect(box, view.stored) == box,
          "value statistics: " + to_string(box) + " is not inside the brick's " + to_string(view.stored));
  const Vec3i n = view.stored.size();
  visit_dtype(view.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* data = static_cast<const T*>(view.data);
    for (int z = box.lo.z; z < box.hi.z; ++z)
      for (int y = box.lo.y; y < box.hi.y; ++y) {
        const T* row = data +
                       (size_t(z - view.stored.lo.z) * size_t(n.y) + size_t(y - view.stored.lo.y)) * size_t(n.x) -
                       view.stored.lo.x;
        for (int x = box.lo.x; x < box.hi.x; ++x) f(normalize_voxel(row[x]));
      }
  });
}

} // namespace

int ValueStatistics::bin_of(double v) const {
  if (!(max > min)) return 0;
  const double u = (v - min) / (max - min) * kBins;
  return std::clamp(int(std::floor(u)), 0, kBins - 1);
}

std::optional<std::pair<float, float>> data_domain(const ValueStatistics& s, bool signed_distances) {
  if (s.empty()) return std::nullopt;
  const float lo = float(s.min), hi = float(s.max);
  if (signed_distances && lo < 0 && hi > 0) return std::pair{lo, 0.0f};
  if (hi > lo) return std::pair{lo, hi};
  return std::pair{lo - 0.5f, lo + 0.5f};
}

void add_value_range(const BrickView& view, const Box3i& box, ValueStatistics& s) {
  // Floats first: comparing and counting in float keeps the loop vectorizable.
  float lo = INFINITY, hi = -INFINITY;
  long long count = 0, non_finite = 0;
  for_each_value(view, box, [&](float v) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v), hi = std::max(hi, v);
      ++count;
    } else {
      ++non_finite;
    }
  });
  s.min = std::min(s.min, double(lo)), s.max = std::max(s.max, double(hi));
  s.count += count, s.non_finite += non_finite;
}

void add_histogram(const BrickView& view, const Box3i& box, ValueStatistics& s) {
  for_each_value(view, box, [&](float v) {
    if (std::isfinite(v)) ++s.histogram[size_t(s.bin_of(v))];
  });
}

} // namespace libindex
