// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The pixels one rank answers for while compositing: a region of the image, stored densely
/// only where it may be non-empty.

#include "libindex/image.h"
#include "memory.h"
#include "rect_ops.h"

namespace libindex::compositing::detail {

/// Pixels of a rectangle of the full image in some buffer: (x, y) at data[(y - y0) * stride + x - x0].
struct Canvas {
  Vec4f* data = nullptr;
  int x0 = 0, y0 = 0;
  long long stride = 0;
  Vec4f* at(int x, int y) const { return data + (long long)(y - y0) * stride + (x - x0); }
};

/// Where tiles keep their own pixels: two blocks, so that a tile can grow by copying from one
/// into the other. A Compositor keeps them from frame to frame.
struct TileStorage {
  Storage block[2];
};

/// What a rank holds during compositing: `region` of the image, every pixel of it outside `bounds`
/// transparent. It starts as a read-only window on the caller's image (bounds = the active rect)
/// and becomes writable only when something is blended into it, copying just its bounds: a rank
/// that only sends never copies, and nothing outside the active rect is ever read. Writable
/// storage is `home` when given (root's output image: its pixels then need no final copy), else
/// a block of `storage` (its own when none is given) holding just the bounds.
class Tile {
 public:
  Tile(ImageView local, Rect active, ImageView home = {}, TileStorage* storage = nullptr);
  Tile(const Tile&) = delete;
  Tile& operator=(const Tile&) = delete;

  int image_width() const { return width_; }
  int image_height() const { return height_; }
  const Rect& region() const { return region_; }
  const Rect& bounds() const { return bounds_; }
  /// Read access; valid for pixels inside bounds().
  const Vec4f* at(int x, int y) const { return canvas_.at(x, y); }

  /// Narrows the tile to `part` of its region (the rest went to partners), and makes room to
  /// blend into it. Moves no pixel; in `home` storage it clears what it gave away, which the new
  /// owner may not overwrite.
  void keep(const Rect& part);
  /// Reserves writable storage for the whole region now, as the first blend would, so that a
  /// later frame whose partners send more finds it ready (memory.h says why that matters).
  void make_room();
  /// Holds nothing any more (this rank's pixels went to a partner).
  void clear();
  /// Makes `r` (clipped to the region) writable and part of the bounds; pixels that were outside
  /// the bounds read as transparent. Copies only when the current storage cannot hold the result.
  Canvas writable(const Rect& r);
  /// Writes the whole region into `out` (a canvas over the full image): the bounds' pixels, and
  /// transparent elsewhere unless `out_is_clear`. Pixels already in place (home) are not copied.
  void write_region(const Canvas& out, bool out_is_clear) const;

 private:
  void release(const Rect& old_bounds);

  int width_ = 0, height_ = 0;
  Rect region_, bounds_;
  Canvas canvas_;     // the caller's image until the first write, then home_ or storage_
  Canvas home_;       // writable full-size storage offered by the caller, if any
  Rect storage_rect_; // what the writable storage covers; empty while reading the caller's image
  TileStorage own_;
  TileStorage* storage_; // own_ or the caller's
  int block_ = -1;       // the block of storage_ that canvas_ is in, or -1
};

} // namespace libindex::compositing::detail
