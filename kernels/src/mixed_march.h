// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Volumes on one grid mixed per sample on the host's cores (Backend::render_mixed), with
/// empty-space skipping over the cells that every layer's colormap hides.

#include <span>
#include <vector>

#include "brick_cache.h"
#include "libindex/kernels/backend.h"

namespace libindex::kernels {

class MixedMarcher {
 public:
  /// `packets`: march SIMD ray packets (the caller checked that this CPU has them).
  RenderStats render(std::span<const MixedLayer> layers, ImageView out, bool packets);

 private:
  /// The skipping all layers allow: per cell the smallest of the layers' empty radii (a cell is
  /// empty for the mix only where it is for every layer), and the hull of their occupied boxes.
  /// Off (empty_radius null) when a layer skips nothing or the layers' grids differ.
  SkipGridView combined_skip(std::span<const MixedLayer> layers);

  std::vector<BrickCache> caches_; ///< one per layer position: its grid and colormap's cells
  std::vector<uint8_t> empty_radius_;
};

} // namespace libindex::kernels
