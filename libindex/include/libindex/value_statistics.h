// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The values a volume holds: range and histogram of its normalized voxels (what colormap
/// domains are in). A volume without a colormap domain is shown over its range; the page draws
/// the histogram behind the opacity curve. Computed per rank over its own leaf and reduced.

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

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
  /// The bin of value v (finite, in [min, max]).
  int bin_of(double v) const;
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

} // namespace libindex
