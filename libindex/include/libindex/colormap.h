// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Transfer function: value -> straight RGBA through a table (DESIGN.md, Colormap).

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "libindex/lanes.h"
#include "libindex/vec.h"

namespace libindex {

enum class BoundaryMode : int { clamp_to_edge = 0, clamp_to_transparent = 1 };

/// What device code sees of a colormap: a pointer to `size` straight RGBA entries and the domain.
struct ColormapView {
  const Vec4f* entries = nullptr;
  int size = 0;
  float domain_min = 0, domain_max = 1;
  BoundaryMode mode = BoundaryMode::clamp_to_edge;
  float inv_range = 1;         ///< 1 / (domain_max - domain_min), so the per-sample lookup does not divide
  bool has_nan_color = false;  ///< NaN values take nan_color (else they read as below the domain)
  Vec4f nan_color{0, 0, 0, 0}; ///< straight RGBA

  /// u in [0,1] for values inside the domain; the caller applies the boundary mode.
  LIBINDEX_HOST_DEVICE float to_unit(float v) const { return (v - domain_min) * inv_range; }

  /// Straight RGBA of a normalized value v, read linearly between table entries.
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f lookup(float v) const;
};
static_assert(std::is_trivially_copyable_v<ColormapView>);

/// The colormap lookup of the conventions for any lane type (lanes.h): the domain maps to [0, 1],
/// the boundary mode handles values outside it (and NaN, unless the map has a NaN colour), and
/// the table is read linearly between entries; the last entry is returned as is.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec4<F> colormap_table_lookup(const ColormapView& map, F v) {
  using I = LaneInt<F>;
  using M = LaneMask<F>;
  F u = (v - map.domain_min) * map.inv_range;
  const M outside = !((u >= 0.0f) & (u <= 1.0f)); // also catches NaN
  const M hidden = outside & (map.mode == BoundaryMode::clamp_to_transparent);
  if (!any(!hidden)) return {F(0.0f), F(0.0f), F(0.0f), F(0.0f)};
  u = select(outside, select(u > 0.5f, F(1.0f), F(0.0f)), u);
  const F x = u * float(map.size - 1);
  const I i = truncate_to_int(x);
  const M last = i >= I(map.size - 1);
  const F f = select(last, F(0.0f), x - to_float(i)); // the last entry: a + 0 * (a - a) == a
  const I lo = select(last, I(map.size - 1), i);
  const I hi = select(last, lo, lo + I(1));
  const LaneVec4<F> a = gather_entry(map.entries, lo), b = gather_entry(map.entries, hi);
  LaneVec4<F> c{lane_lerp(a.x, b.x, f), lane_lerp(a.y, b.y, f), lane_lerp(a.z, b.z, f), lane_lerp(a.w, b.w, f)};
  if (any(hidden)) { // some packet lanes are outside a transparent domain
    const F zero(0.0f);
    c = {select(hidden, zero, c.x), select(hidden, zero, c.y), select(hidden, zero, c.z), select(hidden, zero, c.w)};
  }
  return c;
}

/// colormap_table_lookup, with NaN values in the map's NaN colour when it has one (ParaView's
/// NanColor: masks and missing data stored as NaN, shown in a colour of their own or hidden).
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec4<F> colormap_lookup(const ColormapView& map, F v) {
  LaneVec4<F> c = colormap_table_lookup(map, v);
  if (map.has_nan_color) {
    const LaneMask<F> nan = v != v;
    if (any(nan)) {
      const Vec4f& n = map.nan_color;
      c = {select(nan, F(n.x), c.x), select(nan, F(n.y), c.y), select(nan, F(n.z), c.z), select(nan, F(n.w), c.w)};
    }
  }
  return c;
}

LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f ColormapView::lookup(float v) const {
  return colormap_lookup(*this, v);
}

/// A host-owned colormap. Entries are straight (not premultiplied) RGBA in [0,1].
struct Colormap {
  std::vector<Vec4f> entries{{0, 0, 0, 0}, {1, 1, 1, 1}};
  float domain_min = 0, domain_max = 1;
  BoundaryMode mode = BoundaryMode::clamp_to_edge;
  /// The colour of NaN values (straight RGBA); none: NaN reads as below the domain.
  std::optional<Vec4f> nan_color;

  ColormapView view() const {
    return {entries.data(),
            int(entries.size()),
            domain_min,
            domain_max,
            mode,
            1.0f / (domain_max - domain_min),
            nan_color.has_value(),
            nan_color.value_or(Vec4f{0, 0, 0, 0})};
  }
  friend bool operator==(const Colormap&, const Colormap&) = default;
};

/// Named presets of 256 entries: viridis, magma, inferno, plasma, cool-warm, grayscale, supernova, jet.
/// Alpha ramps linearly from 0 to `max_alpha`. Throws Error naming the preset when unknown.
Colormap colormap_preset(const std::string& name, float max_alpha = 1.0f);
/// IndeX's procedural colormap (`map_type = procedural`): `size` entries of jet taken at the entries'
/// centres, opaque. Throws Error when size < 2.
Colormap colormap_jet(int size);
/// The names `colormap_preset` accepts.
std::vector<std::string> colormap_preset_names();

BoundaryMode parse_boundary_mode(const std::string& text);
std::string to_string(BoundaryMode mode);

} // namespace libindex
