// SPDX-License-Identifier: Apache-2.0
#pragma once
// IndeX's transformed_scene_group: an affine transformation its children (shapes: slice planes)
// inherit, nested groups composing with their parents'.

#include "libindex/frame.h"
#include "libindex/io/scene.h"

namespace libindex::io::detail {

/// p -> linear * p + offset (column vectors).
struct Affine {
  float linear[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  Vec3f offset{0, 0, 0};

  Vec3f apply(Vec3f p) const { return apply_linear(p) + offset; }
  Vec3f apply_linear(Vec3f v) const;
  bool is_identity() const;
  /// `inner` first, then this.
  Affine after(const Affine& inner) const;
};

/// The transformation a transformed_scene_group node states, as IndeX reads it: `scale`, then
/// `rotate` (degrees about x, then y, then z), then `translate`; or `transform`, 16 numbers of a
/// row-vector matrix (translation in the last row), which takes precedence.
Affine group_transform(const SceneNode& node);

/// `plane` placed by `t`: its corner moved, its edge vectors (width along up x normal, height along
/// up) mapped; the normal follows the mapped edges. A shear leaves a parallelogram, drawn as the
/// rectangle of its edges' lengths.
SlicePlane transform_plane(const SlicePlane& plane, const Affine& t);

} // namespace libindex::io::detail
