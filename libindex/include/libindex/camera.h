// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file IndeX's camera model and the primary ray of a pixel (DESIGN.md, Rendering conventions).

#include <limits>

#include "libindex/box.h"
#include "libindex/lanes.h"
#include "libindex/vec.h"

namespace libindex {

/// IndeX's camera, in scene space. `aperture` is the image-plane width at distance `focal`.
struct Camera {
  Vec3f from{0, 0, 0};
  Vec3f dir{0, 0, -1};
  Vec3f up{0, 1, 0};
  float aperture = 0.033f;
  float aspect = 1.0f; ///< width / height
  float focal = 0.03f;
  float clip_min = 0.0f; ///< near plane: distance from the eye along `dir` where sampling starts
  float clip_max = std::numeric_limits<float>::infinity(); ///< far plane, along `dir`
  bool orthographic = false;
  friend bool operator==(const Camera&, const Camera&) = default;
};

struct Ray {
  Vec3f origin;
  Vec3f dir; ///< unit length in scene space; t is a scene-space distance
};

/// The orthonormal frame the camera looks with: right = dir x up, up re-orthogonalized.
struct CameraFrame {
  Vec3f dir, right, up;
};

LIBINDEX_HOST_DEVICE inline CameraFrame camera_frame(const Camera& c) {
  Vec3f d = normalize(c.dir);
  Vec3f r = normalize(cross(d, c.up));
  return {d, r, cross(r, d)};
}

/// The primary ray through pixel (px, py) of a width x height image; py = 0 is the top row.
/// Perspective rays start at the eye; orthographic rays start on the plane through `from`
/// normal to `dir`. Sample k of the ray lies at t = (k + jitter) * sampling_distance.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE void camera_ray(const Camera& c, const CameraFrame& f, LaneInt<F> px,
                                                          LaneInt<F> py, int width, int height, LaneVec3<F>& origin,
                                                          LaneVec3<F>& dir) {
  const F sx = F(-0.5f * c.aperture) + (to_float(px) + 0.5f) * c.aperture / float(width);
  const F sy = F(0.5f * c.aperture / c.aspect) - (to_float(py) + 0.5f) * c.aperture / (c.aspect * float(height));
  if (c.orthographic) {
    origin = {F(c.from.x) + f.right.x * sx + f.up.x * sy, F(c.from.y) + f.right.y * sx + f.up.y * sy,
              F(c.from.z) + f.right.z * sx + f.up.z * sy};
    dir = {F(f.dir.x), F(f.dir.y), F(f.dir.z)};
    return;
  }
  origin = {F(c.from.x), F(c.from.y), F(c.from.z)};
  const LaneVec3<F> d = {F(f.dir.x * c.focal) + f.right.x * sx + f.up.x * sy,
                         F(f.dir.y * c.focal) + f.right.y * sx + f.up.y * sy,
                         F(f.dir.z * c.focal) + f.right.z * sx + f.up.z * sy};
  const F l = lane_sqrt(d.x * d.x + d.y * d.y + d.z * d.z); // normalize()
  const LaneMask<F> positive = l > 0.0f;
  dir = {select(positive, d.x / l, d.x), select(positive, d.y / l, d.y), select(positive, d.z / l, d.z)};
}

LIBINDEX_HOST_DEVICE inline Ray camera_ray(const Camera& c, const CameraFrame& f, int px, int py, int width,
                                           int height) {
  Ray ray;
  camera_ray<float>(c, f, px, py, width, height, ray.origin, ray.dir);
  return ray;
}

/// Parametric overlap [t0, t1] of a ray (one, or a packet: lanes.h) with a box; empty when t0 > t1.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE void intersect_ray_box(const LaneVec3<F>& origin, const LaneVec3<F>& dir,
                                                                 const Box3f& b, F& t0, F& t1) {
  for (int a = 0; a < 3; ++a) {
    const F inv = F(1.0f) / dir[a];
    const F ta = (F(b.lo[a]) - origin[a]) * inv, tb = (F(b.hi[a]) - origin[a]) * inv;
    const LaneMask<F> swap = ta > tb;
    const F enter = select(swap, tb, ta), leave = select(swap, ta, tb);
    // NaN (origin on a face of a zero-direction axis) leaves the interval as is.
    t0 = select(enter > t0, enter, t0);
    t1 = select(leave < t1, leave, t1);
  }
}

LIBINDEX_HOST_DEVICE inline void intersect_ray_box(const Ray& r, const Box3f& b, float& t0, float& t1) {
  intersect_ray_box<float>(r.origin, r.dir, b, t0, t1);
}

/// Pixel rectangle, half-open: x0 <= x < x1, y0 <= y < y1.
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  LIBINDEX_HOST_DEVICE bool empty() const { return x1 <= x0 || y1 <= y0; }
  LIBINDEX_HOST_DEVICE int width() const { return x1 - x0; }
  LIBINDEX_HOST_DEVICE int height() const { return y1 - y0; }
  LIBINDEX_HOST_DEVICE long long area() const { return empty() ? 0 : (long long)width() * height(); }
  friend bool operator==(const Rect&, const Rect&) = default;
};

/// The pixels in both rectangles; the canonical empty Rect when they do not meet.
inline Rect intersect(const Rect& a, const Rect& b) {
  const Rect r{a.x0 > b.x0 ? a.x0 : b.x0, a.y0 > b.y0 ? a.y0 : b.y0, a.x1 < b.x1 ? a.x1 : b.x1,
               a.y1 < b.y1 ? a.y1 : b.y1};
  return r.empty() ? Rect{} : r;
}

/// The smallest rectangle holding both (an empty one adds nothing).
inline Rect hull(const Rect& a, const Rect& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {a.x0 < b.x0 ? a.x0 : b.x0, a.y0 < b.y0 ? a.y0 : b.y0, a.x1 > b.x1 ? a.x1 : b.x1, a.y1 > b.y1 ? a.y1 : b.y1};
}

/// The conservative screen rectangle covered by a scene-space box: every pixel whose ray can meet
/// the box is inside it. The whole image when the box reaches behind the eye plane.
Rect projected_rect(const Camera& c, const Box3f& scene_box, int width, int height);

} // namespace libindex
