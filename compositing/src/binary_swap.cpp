// SPDX-License-Identifier: Apache-2.0
/// \file Binary swap (Ma et al. 1994; IceT's bswap.c). Ranks beyond the largest power of two m
/// first fold into a neighbour in visibility order (exchange.h `fold`), leaving m groups of
/// consecutive positions. In round r, group g pairs with g ^ 2^r: both hold the same part of the
/// image, each keeps half of it and sends the other half. The lower group index is nearer, and
/// after round r each group holds an aligned block of 2^(r+1) consecutive groups, so every `over`
/// joins neighbours in the order. log2(m) rounds of one message each way.
#include <bit>

#include "exchange.h"
#include "strategies.h"

namespace libindex::compositing::detail {

void binary_swap(Context& ctx, Tile& tile) {
  const int m = int(std::bit_floor(unsigned(ctx.size)));
  ctx.rounds = (m < ctx.size ? 1 : 0) + std::countr_zero(unsigned(m));
  int group = 0;
  const std::span<const int> leaders = fold(ctx, tile, m, group);
  if (group < 0) return; // folded away: nothing left to composite
  int tag = first_round_tag;
  for (int bit = 1; bit < m; bit <<= 1) {
    const int partner = group ^ bit;
    const int pair[2] = {leaders[size_t(std::min(group, partner))], leaders[size_t(std::max(group, partner))]};
    swap_round(ctx, tile, pair, group < partner ? 0 : 1, tag++);
  }
}

} // namespace libindex::compositing::detail
