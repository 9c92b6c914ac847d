// SPDX-License-Identifier: Apache-2.0
#include "libindex/image.h"

#include <algorithm>
#include <cmath>

#include "libindex/error.h"

namespace libindex {

void apply_background(Image& image, Vec4f bg) {
  if (bg.w <= 0.0f) return; // transparent black: `over` it changes nothing
  const Vec4f premultiplied{bg.x * bg.w, bg.y * bg.w, bg.z * bg.w, bg.w};
  for (Vec4f& p : image.pixels()) p = over(p, premultiplied);
}

void to_rgba8_premultiplied(const Image& image, std::vector<uint8_t>& out) {
  out.resize(image.pixels().size() * 4);
  size_t i = 0;
  for (const Vec4f& p : image.pixels()) {
    out[i++] = to_unorm8(p.x), out[i++] = to_unorm8(p.y), out[i++] = to_unorm8(p.z), out[i++] = to_unorm8(p.w);
  }
}

std::vector<uint8_t> to_rgba8_premultiplied(const Image& image) {
  std::vector<uint8_t> out;
  to_rgba8_premultiplied(image, out);
  return out;
}

std::vector<uint8_t> to_rgba8_straight(const Image& image) {
  std::vector<uint8_t> out(image.pixels().size() * 4);
  size_t i = 0;
  for (const Vec4f& p : image.pixels()) {
    const float inv = p.w > 0.0f ? 1.0f / p.w : 0.0f;
    out[i++] = to_unorm8(p.x * inv), out[i++] = to_unorm8(p.y * inv), out[i++] = to_unorm8(p.z * inv);
    out[i++] = to_unorm8(p.w);
  }
  return out;
}

float max_abs_difference(const Image& a, const Image& b) {
  require(a.width() == b.width() && a.height() == b.height(), "max_abs_difference: image sizes differ");
  float d = 0;
  for (size_t i = 0; i < a.pixels().size(); ++i) {
    const Vec4f p = a.pixels()[i], q = b.pixels()[i];
    d = std::max({d, std::fabs(p.x - q.x), std::fabs(p.y - q.y), std::fabs(p.z - q.z), std::fabs(p.w - q.w)});
  }
  return d;
}

} // namespace libindex
