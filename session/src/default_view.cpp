// SPDX-License-Identifier: Apache-2.0
#include "libindex/default_view.h"

#include <cmath>

namespace libindex {

namespace {
constexpr float kPi = 3.14159265358979f;

Vec3f rotate(Vec3f v, Vec3f axis, float radians) { // Rodrigues
  const float c = std::cos(radians), s = std::sin(radians);
  return v * c + cross(axis, v) * s + axis * (dot(axis, v) * (1 - c));
}
} // namespace

Camera default_camera(const Box3f& box, float aspect) {
  const Vec3f centre = (box.lo + box.hi) * 0.5f;
  const float radius = 0.5f * length(box.hi - box.lo);
  Camera c;
  c.focal = 1.0f;
  c.aspect = aspect;
  c.aperture = 2.0f * std::tan(0.5f * 30.0f * kPi / 180.0f); // 30 degrees across
  // Fit the bounding sphere in the narrower of the two fields of view.
  const float half_fov = std::atan(0.5f * c.aperture / c.focal * std::min(1.0f, 1.0f / aspect));
  const float distance = radius / std::sin(half_fov) * 1.05f;
  const Vec3f direction = normalize(Vec3f{0.55f, 0.35f, 1.0f});
  c.from = centre + direction * distance;
  c.dir = -direction;
  c.up = {0, 1, 0};
  return c;
}

Camera orbit_camera(const Camera& camera, Vec3f centre, float azimuth_deg, float elevation_deg) {
  const CameraFrame f = camera_frame(camera);
  const float az = azimuth_deg * kPi / 180.0f, el = elevation_deg * kPi / 180.0f;
  Camera c = camera;
  Vec3f offset = camera.from - centre;
  Vec3f dir = f.dir, up = f.up;
  offset = rotate(offset, f.up, az), dir = rotate(dir, f.up, az);
  const Vec3f right = normalize(cross(dir, up));
  offset = rotate(offset, right, el), dir = rotate(dir, right, el), up = rotate(up, right, el);
  c.from = centre + offset;
  c.dir = dir;
  c.up = up;
  return c;
}

Vec3f view_centre(const Box3f& scene_box, const RenderSettings& s) {
  const Box3f b = intersect(scene_box, s.region_of_interest);
  return b.empty() ? (scene_box.lo + scene_box.hi) * 0.5f : (b.lo + b.hi) * 0.5f;
}

} // namespace libindex
