// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Rectangle arithmetic the strategies share: bounding box, containment, and the one rule that
/// cuts a region into parts (every rank must cut the same way, so there is exactly one). The overlap,
/// `intersect`, is camera.h's.

#include <algorithm>

#include "libindex/camera.h"

namespace libindex::compositing::detail {

/// The smallest rectangle holding both; an empty one does not count.
inline Rect bounding(const Rect& a, const Rect& b) {
  if (a.empty()) return b.empty() ? Rect{} : b;
  if (b.empty()) return a;
  return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

inline bool contains(const Rect& outer, const Rect& inner) {
  return inner.empty() ||
         (inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 && inner.y1 <= outer.y1);
}

/// Part `i` of `k` of a region: bands across its longer side (rows when it is at least as tall as
/// wide, so halves of a square image stay contiguous in memory), band edges at floor(size*j/k).
/// Works for any k and any size; parts of a region thinner than k pixels may be empty.
inline Rect split(const Rect& r, int k, int i) {
  if (r.empty()) return {};
  Rect part = r;
  if (r.height() >= r.width()) {
    part.y0 = r.y0 + int((long long)r.height() * i / k);
    part.y1 = r.y0 + int((long long)r.height() * (i + 1) / k);
  } else {
    part.x0 = r.x0 + int((long long)r.width() * i / k);
    part.x1 = r.x0 + int((long long)r.width() * (i + 1) / k);
  }
  return part.empty() ? Rect{} : part;
}

} // namespace libindex::compositing::detail
