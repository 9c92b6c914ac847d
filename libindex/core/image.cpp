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
  // Every frame served passes here (a 1024^2 frame is 4 M channels): one flat loop over the floats
  // that the compiler turns into SIMD, each channel exactly to_unorm8's (NaN becomes 0).
  const size_t n = image.pixels().size() * 4;
  out.resize(n);
  const float* in = image.pixels().empty() ? nullptr : &image.pixels()[0].x;
  uint8_t* o = out.data();
  for (size_t i = 0; i < n; ++i) {
    const float v = std::min(std::max(in[i], 0.0f), 1.0f); // NaN stays NaN, and int(NaN) ends in 0x00
    o[i] = uint8_t(int(v * 255.0f + 0.5f));
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
