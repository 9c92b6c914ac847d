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

/// What one frame of a mix marches, as prepare() leaves it: the layers' parameters, their samplers
/// over the bricks' host memory, the skipping all layers allow, and the pixels any layer covers.
/// The CUDA backend swaps the host pointers (colormap entries, voxels, empty radius) for device ones.
struct MixFrame {
  MixParams M;
  LayerSamplers<DenseSampler> samplers{};
  BrickView bricks[kMaxMixedVolumes];
  Rect active;
  bool packets = false; ///< the CPU marches SIMD packets (every brick fits their 32-bit offsets)
};

class MixedMarcher {
 public:
  /// `packets`: march SIMD ray packets (the caller checked that this CPU has them).
  RenderStats render(std::span<const MixedLayer> layers, ImageView out, bool packets);
  /// Checks the layers and prepares their frame (host pointers; valid while the layers and this
  /// marcher's skip cells are). Throws Error for layers a mix cannot take.
  MixFrame prepare(std::span<const MixedLayer> layers, bool packets);

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
