// SPDX-License-Identifier: Apache-2.0
/// \file Direct send (IceT's direct.c with one tile per rank): the image is cut into one part per
/// rank; every rank sends each other rank its active pixels of that rank's part, and composites the
/// n-1 pieces it receives in visibility order. One round for any rank count; n-1 messages per rank,
/// which is why it is the choice for few ranks or small images and not for many.
#include "exchange.h"
#include "strategies.h"

namespace libindex::compositing::detail {

void direct_send(Context& ctx, Tile& tile) {
  ctx.rounds = ctx.size > 1 ? 1 : 0;
  // Part p of the image goes to the rank at position p: the whole communicator is one group.
  swap_round(ctx, tile, ctx.order, ctx.position, first_round_tag);
}

} // namespace libindex::compositing::detail
