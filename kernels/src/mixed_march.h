// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Volumes mixed per sample on the host's cores (Backend::render_mixed), with empty-space
/// skipping over the cells that every layer's colormap hides, on one grid or several.

#include <span>
#include <vector>

#include "brick_cache.h"
#include "libindex/kernels/backend.h"
#include "libindex/kernels/mix.h"

namespace libindex::kernels {

class MixedMarcher {
 public:
  /// `packets`: march SIMD ray packets (the caller checked that this CPU has them).
  RenderStats render(std::span<const MixedLayer> layers, ImageView out, bool packets);

 private:
  /// The skipping all layers allow, on the lead's cells: a cell is empty for the mix only where it
  /// is for every layer. A layer on the lead's grid is taken cell by cell; one on another grid
  /// through the lead cell's box in its own voxel space (M's transform and clip box). Off
  /// (empty_radius null) when a layer skips nothing, or when the lattice (M.lattice.clip) reaches
  /// past the lead's cells.
  SkipGridView combined_skip(std::span<const MixedLayer> layers, const MixParams& M);

  std::vector<BrickCache> caches_; ///< one per layer position: its grid and colormap's cells
  std::vector<uint8_t> occupancy_, empty_radius_;
};

} // namespace libindex::kernels
