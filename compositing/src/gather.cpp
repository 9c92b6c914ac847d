// SPDX-License-Identifier: Apache-2.0
/// \file The final gather: every other rank sends root its whole region as active-pixel messages
/// (markers when it holds none), so the gather too moves only non-empty pixels, yet root can write
/// each pixel of the image exactly once: tiles are disjoint and cover the image, so each is
/// stored, not blended. Root takes them in arrival order.
#include <algorithm>
#include <string>

#include "exchange.h"
#include "libindex/error.h"
#include "strategies.h"

namespace libindex::compositing::detail {

namespace {

/// Messages per rank: its region in bands of about 128K pixels (2 MiB as f32), at most 8, so that
/// root stores one band while the sender encodes the next. Root cannot know the others' regions,
/// so the count depends only on what every rank knows: the image size and the rank count.
int bands(const Context& ctx, const Rect& image) {
  const long long per_rank = image.area() / ctx.size;
  return int(std::clamp<long long>(per_rank >> 17, 1, 8));
}

} // namespace

void gather(Context& ctx, const Tile& tile, int root, ImageView result, bool result_is_clear) {
  Round round(ctx, gather_tag);
  const Rect image{0, 0, tile.image_width(), tile.image_height()};
  const int b = bands(ctx, image);
  if (ctx.rank != root) {
    for (int i = 0; i < b; ++i) {
      encode(tile, split(tile.region(), b, i), ctx.format, Walk::whole, round.next_message(), ctx.work->chunk_counts);
      round.send(root);
    }
    round.finish();
    return;
  }
  const Canvas out{result.pixels, 0, 0, result.width};
  tile.write_region(out, result_is_clear);
  // Root cannot know the others' regions. Every strategy leaves at least half the ranks holding
  // a part (binary swap and radix-k fold at most that many away): room for a band of such a
  // share, with a row and a column to spare for uneven splits.
  const long long holders = (ctx.size + 1) / 2;
  const long long band_pixels = image.area() / (holders * b) + image.width() + image.height();
  const size_t room = dense_message_bytes(band_pixels, image.height(), ctx.format);
  for (int r = 0; r < ctx.size; ++r)
    for (int i = 0; i < b && r != root; ++i) round.expect(r, image, room);
  long long covered = tile.region().area();
  for (int left = (ctx.size - 1) * b; left > 0;)
    for (int i : round.receive_some()) {
      const Message m = round.message(i);
      blend(m, out, result_is_clear ? Blend::store : Blend::replace);
      covered += m.header.extent.area();
      --left;
    }
  // Every pixel must have come from exactly one rank; anything else leaves stale pixels behind.
  if (covered != image.area())
    throw Error("compositing: internal error: the ranks' parts cover " + std::to_string(covered) + " of " +
                std::to_string(image.area()) + " pixels");
}

} // namespace libindex::compositing::detail
