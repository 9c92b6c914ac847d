// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The values a volume holds: range and histogram of its normalized voxels (what colormap
/// domains are in). A volume without a colormap domain is shown over its range; the page draws
/// the histogram behind the opacity curve. Computed per rank over its own leaf and reduced.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "libindex/volume.h"

namespace libindex {

struct ValueStatistics {
  static constexpr int kBins = 256;
  double min = std::numeric_limits<double>::infinity();  ///< smallest finite normalized value
  double max = -std::numeric_limits<double>::infinity(); ///< largest
  long long count = 0;                                   ///< finite voxels
  long long non_finite = 0;                              ///< NaN and infinite voxels (float32 only)
  /// Finite voxels per bin: bin i holds [min + i w, min + (i + 1) w), w = (max - min) / kBins; the
  /// last bin also holds max. All in bin 0 when min == max.
  std::array<long long, kBins> histogram{};

  bool empty() const { return count == 0; }
  /// Adds another part's statistics, binned over the same range: the range widens to cover both,
  /// counts and bins add up.
  void add(const ValueStatistics& part) {
    min = std::min(min, part.min), max = std::max(max, part.max);
    count += part.count, non_finite += part.non_finite;
    for (size_t i = 0; i < histogram.size(); ++i) histogram[i] += part.histogram[i];
  }
  /// The bin of value v (finite, in [min, max]). Inline: the histogram pass calls it per voxel.
  int bin_of(double v) const {
    if (!(max > min)) return 0;
    const double u = (v - min) / (max - min) * kBins;
    return std::clamp(int(std::floor(u)), 0, kBins - 1);
  }
};

/// The colormap domain that shows the values `s` holds when a scene sets none: their range (one
/// unit wide around a single value); nullopt for a volume without finite values. For a level set
/// (`signed_distances`: negative inside) that reaches below and above 0, from its lowest value to 0:
/// the surface takes the colormap's top, the outside lies above the domain (transparent where the
/// colormap clamps to transparent, as for volume files opened directly), and the solid shows as
/// one, not as a box of the outside's value.
std::optional<std::pair<float, float>> data_domain(const ValueStatistics& s, bool signed_distances = false);

/// First pass: min, max, count and non_finite of the voxels of `box` (inside view.stored; host
/// memory), added to `s`.
void add_value_range(const BrickView& view, const Box3i& box, ValueStatistics& s);
/// Second pass, once `s.min` and `s.max` hold the range of the whole volume (every rank's first
/// pass reduced): counts the finite voxels of `box` into s.histogram.
void add_histogram(const BrickView& view, const Box3i& box, ValueStatistics& s);

/// Voxels counted by stored value. An 8- or 16-bit volume holds at most 65536 different values, so
/// one pass of integer counts gives both its range and its histogram over any range, with no
/// float per voxel: the same numbers as the two passes above, several times faster.
struct StoredValueCounts {
  DType dtype = DType::uint8;
  std::vector<long long> counts; ///< by the stored bits read as unsigned (int16 -1 at 65535); empty: none yet
};

/// Whether `dtype`'s voxels can be counted by stored value (8- and 16-bit; float32 cannot).
constexpr bool counted_by_stored_value(DType dtype) { return dtype != DType::float32; }
/// Adds the voxels of `box` (inside view.stored; host memory; not float32) to `counts`, which takes
/// view.dtype when empty and must match it otherwise.
void add_stored_values(const BrickView& view, const Box3i& box, StoredValueCounts& counts);
/// add_value_range and add_histogram from counts instead of voxels.
void add_value_range(const StoredValueCounts& counts, ValueStatistics& s);
void add_histogram(const StoredValueCounts& counts, ValueStatistics& s);

} // namespace libindex
