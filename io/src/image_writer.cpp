// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/image_writer.h"

#include "file_io.h"
#include "libindex/png/png.h"

namespace libindex::io {

std::vector<uint8_t> encode_png(const Image& image, bool straight_alpha, int compression) {
  // png::encode checks the size (an empty image has no pixel pointer) and the level.
  const std::vector<uint8_t> rgba = straight_alpha ? to_rgba8_straight(image) : to_rgba8_premultiplied(image);
  return png::encode(rgba.data(), image.width(), image.height(), compression);
}

void write_png(const std::string& path, const Image& image, bool straight_alpha, int compression) {
  const auto bytes = encode_png(image, straight_alpha, compression);
  detail::write_file(path, bytes.data(), bytes.size(), "png");
}

Rgba8Image decode_png(const std::vector<uint8_t>& png, const std::string& name) {
  png::Decoded d = png::decode(png, name);
  return {d.width, d.height, std::move(d.rgba8)};
}

} // namespace libindex::io
