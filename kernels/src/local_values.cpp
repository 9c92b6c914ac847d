// SPDX-License-Identifier: Apache-2.0
#include "libindex/kernels/local_values.h"

#include <algorithm>
#include <vector>

#include "parallel.h"

namespace libindex::kernels {
namespace {

/// Voxels a slab holds at least: a 16-bit slab's counting tables (1 MiB) are zeroed and added up
/// once per slab, so a slab must be large against them.
constexpr long long kSlabVoxels = 1 << 20;

/// `box` cut across z (or y, where z has too few layers) into slabs for the threads to count: a few
/// per thread, so that one slow slab does not leave the others idle.
std::vector<Box3i> slabs_of(const Box3i& box) {
  if (box.empty()) return {};
  const long long wanted = std::clamp<long long>(box.voxel_count() / kSlabVoxels, 1, 4LL * worker_threads());
  const Vec3i size = box.size();
  const int axis = size.z >= wanted || size.z >= size.y ? 2 : 1;
  const int n = int(std::min<long long>(wanted, size[axis]));
  std::vector<Box3i> slabs(size_t(n), box);
  for (int i = 0; i < n; ++i) {
    slabs[size_t(i)].lo[axis] = box.lo[axis] + int(static_cast<long long>(size[axis]) * i / n);
    slabs[size_t(i)].hi[axis] = box.lo[axis] + int(static_cast<long long>(size[axis]) * (i + 1) / n);
  }
  return slabs;
}

} // namespace

LocalValues local_values(const BrickView& view, const Box3i& box) {
  const std::vector<Box3i> slabs = slabs_of(box);
  LocalValues values;
  if (counted_by_stored_value(view.dtype)) {
    std::vector<StoredValueCounts> counted(slabs.size());
    parallel_for(int(slabs.size()), [&](int i) { add_stored_values(view, slabs[size_t(i)], counted[size_t(i)]); });
    StoredValueCounts& all = values.stored.emplace();
    all.dtype = view.dtype;
    all.counts.assign(size_t(1) << (8 * dtype_size(view.dtype)), 0);
    for (const StoredValueCounts& c : counted)
      for (size_t v = 0; v < c.counts.size(); ++v) all.counts[v] += c.counts[v];
    add_value_range(all, values.range);
  } else {
    std::vector<ValueStatistics> ranges(slabs.size());
    parallel_for(int(slabs.size()), [&](int i) { add_value_range(view, slabs[size_t(i)], ranges[size_t(i)]); });
    for (const ValueStatistics& r : ranges) values.range.add(r);
  }
  return values;
}

void add_local_histogram(const BrickView& view, const Box3i& box, const LocalValues& values, ValueStatistics& s) {
  if (values.stored) return add_histogram(*values.stored, s);
  const std::vector<Box3i> slabs = slabs_of(box);
  std::vector<ValueStatistics> binned(slabs.size());
  parallel_for(int(slabs.size()), [&](int i) {
    ValueStatistics& b = binned[size_t(i)];
    b.min = s.min, b.max = s.max;
    add_histogram(view, slabs[size_t(i)], b);
  });
  for (const ValueStatistics& b : binned) s.add(b); // over s's range, with no counts: only the bins add
}

} // namespace libindex::kernels
