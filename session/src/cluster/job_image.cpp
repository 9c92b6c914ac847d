// SPDX-License-Identifier: Apache-2.0
#include "job_image.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "../wire.h"
#include "libindex/error.h"

namespace libindex::cluster {

namespace {

void put_image(wire::Writer& out, const Image& image) {
  const int w = image.width(), h = image.height();
  int x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const Vec4f p = image.at(x, y);
      if (p.x == 0 && p.y == 0 && p.z == 0 && p.w == 0) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x + 1), y0 = std::min(y0, y), y1 = std::max(y1, y + 1);
    }
  if (x0 >= x1) x0 = y0 = x1 = y1 = 0;
  for (int v : {w, h, x0, y0, x1, y1}) out.put(int32_t(v));
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const Vec4f p = image.at(x, y);
      out.put(p.x), out.put(p.y), out.put(p.z), out.put(p.w);
    }
}

Image get_image(wire::Reader& in, int width, int height) {
  int v[6];
  for (int& x : v) x = in.get<int32_t>();
  const int w = v[0], h = v[1], x0 = v[2], y0 = v[3], x1 = v[4], y1 = v[5];
  if (w != width || h != height)
    throw Error("job image: " + std::to_string(w) + "x" + std::to_string(h) + ", the frame is " +
                std::to_string(width) + "x" + std::to_string(height));
  if (x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 > x1 || y0 > y1) throw Error("job image: bad rectangle");
  Image image(w, h);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      Vec4f& p = image.at(x, y);
      p.x = in.get<float>(), p.y = in.get<float>(), p.z = in.get<float>(), p.w = in.get<float>();
    }
  return image;
}

} // namespace

std::vector<uint8_t> encode_job_images(std::span<const Image> images) {
  wire::Writer out;
  out.put(uint64_t(images.size()));
  for (const Image& image : images) put_image(out, image);
  return out.take();
}

std::vector<Image> decode_job_images(std::span<const uint8_t> bytes, int width, int height) {
  wire::Reader in(bytes, "job images");
  std::vector<Image> images(in.get_count(6 * sizeof(int32_t)));
  for (Image& image : images) image = get_image(in, width, height);
  if (!in.at_end()) throw Error("job images: longer than their rectangles");
  return images;
}

void blend_behind(Image& front, const Image& back, bool maximum) {
  std::span<Vec4f> f = front.pixels();
  std::span<const Vec4f> b = back.pixels();
  for (size_t i = 0; i < f.size() && i < b.size(); ++i) {
    Vec4f& p = f[i];
    const Vec4f& q = b[i];
    if (maximum) {
      p = {std::max(p.x, q.x), std::max(p.y, q.y), std::max(p.z, q.z), std::max(p.w, q.w)};
    } else {
      p = over(p, q);
    }
  }
}

} // namespace libindex::cluster
