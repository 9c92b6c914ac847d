// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The strategies, one file each (as IceT's src/strategies/), and the final gather. A
/// strategy leaves in every rank's tile the fully composited pixels of a part of the image; the
/// parts of all ranks are disjoint and cover the image (a rank's part may be empty).

#include <vector>

#include "context.h"
#include "libindex/image.h"
#include "tile.h"

namespace libindex::compositing::detail {

void direct_send(Context& ctx, Tile& tile);
void binary_swap(Context& ctx, Tile& tile);
void radix_k(Context& ctx, Tile& tile);

/// Radix-k's group count for `ranks`: the largest m in [ranks/2, ranks] whose prime factors are
/// all at most 2k (a power of two always is); the remaining ranks are folded in first.
int radix_k_groups(int ranks, int k);
/// The radices of m's rounds: its prime factors packed first-fit into products of at most k.
std::vector<int> radix_k_factors(int m, int k);
/// The same into `factors` (cleared first).
void radix_k_factors(int m, int k, std::vector<int>& factors);

/// Every rank's tile into `result` (full size) on `root`, each pixel written once; `result_is_clear`
/// says it is transparent already, so skipped pixels need no writing. Other ranks send only.
void gather(Context& ctx, const Tile& tile, int root, ImageView result, bool result_is_clear);

} // namespace libindex::compositing::detail
