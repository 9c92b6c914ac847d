// SPDX-License-Identifier: Apache-2.0
#include "scene_transform.h"

#include <cmath>

#include "scene_internal.h"

namespace libindex::io::detail {

Vec3f Affine::apply_linear(Vec3f v) const {
  return {linear[0][0] * v.x + linear[0][1] * v.y + linear[0][2] * v.z,
          linear[1][0] * v.x + linear[1][1] * v.y + linear[1][2] * v.z,
          linear[2][0] * v.x + linear[2][1] * v.y + linear[2][2] * v.z};
}

bool Affine::is_identity() const {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (linear[r][c] != (r == c ? 1.0f : 0.0f)) return false;
  return offset == Vec3f{0, 0, 0};
}

Affine Affine::after(const Affine& inner) const {
  Affine out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      out.linear[r][c] =
          linear[r][0] * inner.linear[0][c] + linear[r][1] * inner.linear[1][c] + linear[r][2] * inner.linear[2][c];
  out.offset = apply(inner.offset);
  return out;
}

namespace {

Affine rotation(float degrees, int axis) {
  const float a = degrees * float(M_PI / 180.0), c = std::cos(a), s = std::sin(a);
  Affine r;
  const int i = (axis + 1) % 3, j = (axis + 2) % 3; // counter-clockwise looking down the axis
  r.linear[i][i] = c, r.linear[i][j] = -s;
  r.linear[j][i] = s, r.linear[j][j] = c;
  return r;
}

} // namespace

Affine group_transform(const SceneNode& node) {
  Affine t;
  if (const Value* v = find_attribute(node, "transform")) {
    const std::vector<float> m = as_floats(*v, 16);
    // Row vectors, p' = p M: column form takes the transpose, the last row is the translation.
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) t.linear[r][c] = m[size_t(c * 4 + r)];
    t.offset = {m[12], m[13], m[14]};
    if (m[3] != 0 || m[7] != 0 || m[11] != 0 || m[15] != 1)
      fail(*v, "a transformation must be affine: the last column is 0 0 0 1");
    return t;
  }
  if (const Value* v = find_attribute(node, "scale")) {
    const Vec3f s = as_vec3f(*v);
    if (!(s.x != 0 && s.y != 0 && s.z != 0)) fail(*v, "a scale must not be zero on any axis");
    Affine scale;
    scale.linear[0][0] = s.x, scale.linear[1][1] = s.y, scale.linear[2][2] = s.z;
    t = scale;
  }
  if (const Value* v = find_attribute(node, "rotate")) {
    const Vec3f degrees = as_vec3f(*v);
    t = rotation(degrees.z, 2).after(rotation(degrees.y, 1).after(rotation(degrees.x, 0).after(t)));
  }
  if (const Value* v = find_attribute(node, "translate")) {
    Affine move;
    move.offset = as_vec3f(*v);
    t = move.after(t);
  }
  return t;
}

SlicePlane transform_plane(const SlicePlane& plane, const Affine& t) {
  const Vec3f right = cross(plane.up, plane.normal) * plane.extent_x, up = plane.up * plane.extent_y;
  const Vec3f right_t = t.apply_linear(right), up_t = t.apply_linear(up);
  SlicePlane out;
  out.point = t.apply(plane.point);
  out.extent_x = length(right_t), out.extent_y = length(up_t);
  out.up = up_t / out.extent_y;
  out.normal = normalize(cross(right_t, up_t)); // right x up is the normal, as before
  // Keep up orthogonal to the normal (a shear tilts the mapped edges towards each other).
  plane_up(out.up, out.normal, out.up);
  return out;
}

} // namespace libindex::io::detail
