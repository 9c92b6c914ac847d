// SPDX-License-Identifier: Apache-2.0
#include "tile.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"

namespace libindex::compositing::detail {

namespace {

/// Rows per parallel item: about 16K pixels, so that thin rows do not become thousands of tasks.
int rows_per_item(int width) { return std::max(1, (1 << 14) / std::max(1, width)); }

/// Fills `target` of `dst`: pixels inside `keep` come from `src` (when src.data is set, else they
/// stay as they are), every other pixel becomes transparent. `keep` lies inside `target`.
void fill(const Canvas& dst, const Rect& target, const Canvas& src, const Rect& keep) {
  const int step = rows_per_item(target.width());
  const int items = (target.height() + step - 1) / step;
  for_each_item(items, target.area(), [&](int item) {
    const int y_end = std::min(target.y1, target.y0 + (item + 1) * step);
    for (int y = target.y0 + item * step; y < y_end; ++y) {
      Vec4f* row = dst.at(target.x0, y);
      if (keep.empty() || y < keep.y0 || y >= keep.y1) {
        std::memset(static_cast<void*>(row), 0, sizeof(Vec4f) * size_t(target.width()));
        continue;
      }
      std::memset(static_cast<void*>(row), 0, sizeof(Vec4f) * size_t(keep.x0 - target.x0));
      if (src.data)
        std::memcpy(static_cast<void*>(dst.at(keep.x0, y)), src.at(keep.x0, y), sizeof(Vec4f) * size_t(keep.width()));
      std::memset(static_cast<void*>(dst.at(keep.x1, y)), 0, sizeof(Vec4f) * size_t(target.x1 - keep.x1));
    }
  });
}

} // namespace

Tile::Tile(ImageView local, Rect active, ImageView home, TileStorage* storage)
    : width_(local.width), height_(local.height), region_{0, 0, local.width, local.height},
      bounds_(intersect(active, region_)), canvas_{local.pixels, 0, 0, local.width}, home_{home.pixels, 0, 0,
                                                                                           home.width},
      storage_(storage ? storage : &own_) {}

void Tile::keep(const Rect& part) {
  const Rect given_away = bounds_;
  region_ = intersect(region_, part);
  bounds_ = intersect(bounds_, region_);
  release(given_away);
  make_room();
}

void Tile::make_room() {
  if (home_.data || region_.empty()) return; // home storage spans the image already
  const size_t bytes = size_t(region_.area()) * sizeof(Vec4f);
  for (Storage& block : storage_->block) block.reserve(bytes);
}

void Tile::clear() {
  const Rect given_away = bounds_;
  region_ = bounds_ = {};
  release(given_away);
}

void Tile::release(const Rect& old_bounds) {
  // In root's output image, what we wrote outside our region must not outlive us: its new owner
  // may store only its non-empty pixels there. Elsewhere stale pixels are never read.
  if (canvas_.data != home_.data || old_bounds.empty()) return;
  const Rect& b = old_bounds;
  const Rect& r = region_;
  const Rect pieces[4] = {{b.x0, b.y0, b.x1, std::min(b.y1, r.empty() ? b.y1 : r.y0)},               // above
                          {b.x0, std::max(b.y0, r.empty() ? b.y1 : r.y1), b.x1, b.y1},               // below
                          {b.x0, std::max(b.y0, r.y0), std::min(b.x1, r.x0), std::min(b.y1, r.y1)},  // left
                          {std::max(b.x0, r.x1), std::max(b.y0, r.y0), b.x1, std::min(b.y1, r.y1)}}; // right
  for (const Rect& piece : pieces)
    if (!piece.empty()) fill(canvas_, piece, Canvas{}, Rect{});
}

Canvas Tile::writable(const Rect& r) {
  const Rect add = intersect(r, region_);
  if (add.empty()) return canvas_; // nothing will be written: no copy
  const Rect need = bounding(bounds_, add);
  if (!storage_rect_.empty() && contains(storage_rect_, need)) {
    // Our own buffer already spans it, but pixels outside the bounds may be stale (given away
    // in an earlier round): clear them, keep the bounds in place.
    if (need != bounds_) fill(canvas_, need, Canvas{}, bounds_);
    bounds_ = need;
    return canvas_;
  }
  if (home_.data) { // copy on write into the caller's storage, which spans the whole image
    fill(home_, need, canvas_, bounds_);
    canvas_ = home_;
    storage_rect_ = Rect{0, 0, width_, height_};
    bounds_ = need;
    return canvas_;
  }
  // Copy on write: the block the canvas is not in holds just the new bounds, the old bounds
  // copied in, the rest cleared. Both blocks are sized for the whole region, which the bounds
  // never leave: how often and how far the bounds grow depends on which messages arrive
  // together, the region does not, so kept blocks fit every later frame of the same shape.
  // Both are reserved for the whole region (make_room, at keep() or here), and backed at once:
  // regions only shrink, so they fit every later one, and a frame never meets fresh pages.
  const int next = block_ == 0 ? 1 : 0;
  if (block_ < 0) make_room();
  Vec4f* pixels = reinterpret_cast<Vec4f*>(storage_->block[next].reserve(size_t(region_.area()) * sizeof(Vec4f)));
  const Canvas fresh{pixels, need.x0, need.y0, need.width()};
  fill(fresh, need, canvas_, bounds_);
  block_ = next;
  storage_rect_ = need;
  canvas_ = fresh;
  bounds_ = need;
  return canvas_;
}

void Tile::write_region(const Canvas& out, bool out_is_clear) const {
  if (region_.empty()) return;
  const bool in_place =
      canvas_.data == out.data && canvas_.x0 == out.x0 && canvas_.y0 == out.y0 && canvas_.stride == out.stride;
  if (!out_is_clear) {
    fill(out, region_, in_place ? Canvas{} : canvas_, bounds_);
  } else if (!in_place && !bounds_.empty()) {
    fill(out, bounds_, canvas_, bounds_);
  } // else: in place over a clear image, pixels outside the bounds are still transparent
}

} // namespace libindex::compositing::detail
