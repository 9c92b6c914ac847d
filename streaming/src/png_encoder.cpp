// SPDX-License-Identifier: Apache-2.0
#include "libindex/png/png.h"
#include "libindex/streaming/frame_encoder.h"

namespace libindex::streaming {

EncodedFrame encode_png(const uint8_t* rgba8_straight, int width, int height, PngCompression compression,
                        size_t prefix) {
  EncodedFrame out;
  out.encoding = Encoding::png;
  out.width = width;
  out.height = height;
  out.prefix = prefix;
  // fast: level 1, whose SUB row filter is several times faster than the defaults and still compact on
  // the smooth gradients a volume rendering is made of.
  out.buffer = png::encode(rgba8_straight, width, height,
                           compression == PngCompression::fast ? 1 : png::kDefaultCompression, prefix);
  return out;
}

} // namespace libindex::streaming
