// SPDX-License-Identifier: Apache-2.0
#include "libindex/camera.h"

#include <algorithm>
#include <cmath>

namespace libindex {

Rect projected_rect(const Camera& c, const Box3f& box, int width, int height) {
  const Rect full{0, 0, width, height};
  if (box.empty() || width <= 0 || height <= 0) return {};
  const CameraFrame f = camera_frame(c);
  float xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (int corner = 0; corner < 8; ++corner) {
    Vec3f p{corner & 1 ? box.hi.x : box.lo.x, corner & 2 ? box.hi.y : box.lo.y, corner & 4 ? box.hi.z : box.lo.z};
    Vec3f v = p - c.from;
    float depth = dot(v, f.dir);
    float sx = dot(v, f.right), sy = dot(v, f.up);
    if (!c.orthographic) {
      // A corner at or behind the eye plane projects to infinity: the box may cover any pixel.
      if (depth <= 1e-6f * (1.0f + length(v))) return full;
      sx *= c.focal / depth;
      sy *= c.focal / depth;
    }
    xmin = std::min(xmin, sx), xmax = std::max(xmax, sx);
    ymin = std::min(ymin, sy), ymax = std::max(ymax, sy);
  }
  // Plane coordinate -> continuous pixel coordinate (pixel centres at i + 0.5), one pixel of margin.
  const float px_per_unit = float(width) / c.aperture;
  const float half_h = 0.5f * c.aperture / c.aspect;
  const float py_per_unit = float(height) * c.aspect / c.aperture;
  auto clampi = [](double v, int lo, int hi) { return int(std::clamp(v, double(lo), double(hi))); };
  Rect r;
  r.x0 = clampi(std::floor((xmin + 0.5f * c.aperture) * px_per_unit) - 1, 0, width);
  r.x1 = clampi(std::ceil((xmax + 0.5f * c.aperture) * px_per_unit) + 1, 0, width);
  r.y0 = clampi(std::floor((half_h - ymax) * py_per_unit) - 1, 0, height);
  r.y1 = clampi(std::ceil((half_h - ymin) * py_per_unit) + 1, 0, height);
  if (r.empty()) return {};
  return r;
}

} // namespace libindex
