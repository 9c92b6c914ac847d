// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file PNG encoding of rendered images. PNG stores straight alpha (DESIGN.md, Output): colour is
/// divided by alpha before rounding, by core's to_rgba8_straight.

#include <cstdint>
#include <string>
#include <vector>

#include "libindex/image.h"

namespace libindex::io {

/// zlib's default trade-off between size and speed (levels 0..9).
inline constexpr int kPngDefaultCompression = 6;

/// The image as an 8-bit RGBA PNG file in memory, row 0 at the top. `straight_alpha` false stores the
/// premultiplied bytes (for debugging compositing; not what PNG viewers expect). `compression` is the
/// zlib level 0 (fastest) .. 9 (smallest). Throws Error for an empty image or a bad level.
std::vector<uint8_t> encode_png(const Image& image, bool straight_alpha = true,
                                int compression = kPngDefaultCompression);

/// Writes encode_png(image) to `path`. Throws Error "png: cannot write '<path>': <errno text>".
void write_png(const std::string& path, const Image& image, bool straight_alpha = true,
               int compression = kPngDefaultCompression);

/// An 8-bit RGBA PNG read back (for tests and tools): width x height x 4 bytes, row 0 at the top.
struct Rgba8Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes a PNG (any colour type is expanded to 8-bit RGBA). Throws Error naming `name` when invalid.
Rgba8Image decode_png(const std::vector<uint8_t>& png, const std::string& name = "png data");

} // namespace libindex::io
