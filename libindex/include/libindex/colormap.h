// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Transfer function: value -> straight RGBA through a table (DESIGN.md, Colormap).

#include <string>
#include <type_traits>
#include <vector>

#include "libindex/vec.h"

namespace libindex {

enum class BoundaryMode : int { clamp_to_edge = 0, clamp_to_transparent = 1 };

/// What device code sees of a colormap: a pointer to `size` straight RGBA entries and the domain.
struct ColormapView {
  const Vec4f* entries = nullptr;
  int size = 0;
  float domain_min = 0, domain_max = 1;
  BoundaryMode mode = BoundaryMode::clamp_to_edge;
  float inv_range = 1; ///< 1 / (domain_max - domain_min), so the per-sample lookup does not divide

  /// u in [0,1] for values inside the domain; the caller applies the boundary mode.
  LIBINDEX_HOST_DEVICE float to_unit(float v) const { return (v - domain_min) * inv_range; }

  /// Straight RGBA of a normalized value v, read linearly between table entries.
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f lookup(float v) const {
    float u = to_unit(v);
    if (!(u >= 0.0f && u <= 1.0f)) { // also catches NaN
      if (mode == BoundaryMode::clamp_to_transparent) return {0, 0, 0, 0};
      u = u > 0.5f ? 1.0f : 0.0f;
    }
    const float x = u * float(size - 1);
    const int i = int(x);
    if (i >= size - 1) return entries[size - 1];
    const float f = x - float(i);
    const Vec4f a = entries[i], b = entries[i + 1];
    return {lerpf(a.x, b.x, f), lerpf(a.y, b.y, f), lerpf(a.z, b.z, f), lerpf(a.w, b.w, f)};
  }
};
static_assert(std::is_trivially_copyable_v<ColormapView>);

/// A host-owned colormap. Entries are straight (not premultiplied) RGBA in [0,1].
struct Colormap {
  std::vector<Vec4f> entries{{0, 0, 0, 0}, {1, 1, 1, 1}};
  float domain_min = 0, domain_max = 1;
  BoundaryMode mode = BoundaryMode::clamp_to_edge;

  ColormapView view() const {
    return {entries.data(), int(entries.size()), domain_min, domain_max, mode, 1.0f / (domain_max - domain_min)};
  }
};

/// Named presets of 256 entries: viridis, magma, inferno, plasma, cool-warm, grayscale, supernova.
/// Alpha ramps linearly from 0 to `max_alpha`. Throws Error naming the preset when unknown.
Colormap colormap_preset(const std::string& name, float max_alpha = 1.0f);
/// The names `colormap_preset` accepts.
std::vector<std::string> colormap_preset_names();

BoundaryMode parse_boundary_mode(const std::string& text);
std::string to_string(BoundaryMode mode);

} // namespace libindex
