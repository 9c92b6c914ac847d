// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A rank's share of a volume's statistics (value_statistics.h), counted by the host's threads:
/// the box is cut into slabs that threads count at once, and the slabs' counts are added, so the
/// result is the same, voxel for voxel, at any thread count. 8- and 16-bit voxels are counted by
/// stored value in one pass; float32 voxels take two (range, then histogram).

#include <optional>

#include "libindex/value_statistics.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// What the first pass over a rank's voxels found.
struct LocalValues {
  ValueStatistics range;                   ///< min, max, count and non_finite; the histogram is empty
  std::optional<StoredValueCounts> stored; ///< 8- and 16-bit voxels by stored value (what the histogram needs)
};

/// The first pass over the voxels of `box` (host memory, inside view.stored).
LocalValues local_values(const BrickView& view, const Box3i& box);

/// The second, once s.min and s.max hold the whole volume's range: adds the histogram of the voxels
/// of `box` over it to s.histogram, from `values.stored` where the first pass counted them (no pass
/// over the voxels), else from the voxels.
void add_local_histogram(const BrickView& view, const Box3i& box, const LocalValues& values, ValueStatistics& s);

} // namespace libindex::kernels
