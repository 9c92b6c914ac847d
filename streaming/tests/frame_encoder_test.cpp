// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/frame_encoder.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "libindex/error.h"
#include "libindex/png/png.h"

namespace libindex::streaming {
namespace {

// A smooth RGBA gradient (what renderings mostly are), alpha varying too.
std::vector<uint8_t> gradient(int w, int h) {
  std::vector<uint8_t> px(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &px[(size_t(y) * w + x) * 4];
      p[0] = uint8_t(255 * x / (w - 1));
      p[1] = uint8_t(255 * y / (h - 1));
      p[2] = uint8_t(255 * (x + y) / (w + h - 2));
      p[3] = uint8_t(64 + 191 * y / (h - 1));
    }
  return px;
}

TEST(JpegEncoder, GradientDecodesWithinThreeLevels) {
  const int w = 97, h = 61; // odd sizes: 4:2:0 chroma on a partial block
  const auto px = gradient(w, h);
  JpegEncoder encoder;
  const EncodedFrame f = encoder.encode(px.data(), w, h, 90);
  ASSERT_EQ(f.encoding, Encoding::jpeg);
  ASSERT_EQ(f.prefix, 0u);
  ASSERT_GT(f.image().size(), 2u);
  EXPECT_EQ(f.image()[0], 0xFF); // SOI
  EXPECT_EQ(f.image()[1], 0xD8);

  tjhandle d = tjInitDecompress();
  ASSERT_NE(d, nullptr);
  int dw = 0, dh = 0, sub = 0, space = 0;
  ASSERT_EQ(tjDecompressHeader3(d, f.image().data(), f.image().size(), &dw, &dh, &sub, &space), 0);
  EXPECT_EQ(dw, w);
  EXPECT_EQ(dh, h);
  EXPECT_EQ(sub, TJSAMP_420);
  std::vector<uint8_t> rgb(size_t(w) * h * 3);
  ASSERT_EQ(tjDecompress2(d, f.image().data(), f.image().size(), rgb.data(), w, 0, h, TJPF_RGB, 0), 0);
  tjDestroy(d);

  double err = 0;
  for (size_t i = 0; i < size_t(w) * h; ++i)
    for (int c = 0; c < 3; ++c) err += std::abs(int(rgb[i * 3 + c]) - int(px[i * 4 + c]));
  const double mean = err / (double(w) * h * 3);
  EXPECT_LT(mean, 3.0) << "mean absolute error in 8-bit levels";
}

TEST(JpegEncoder, ReusesItsHandleAndKeepsThePrefixFree) {
  const auto px = gradient(64, 48);
  JpegEncoder encoder;
  const EncodedFrame a = encoder.encode(px.data(), 64, 48, 85);
  const EncodedFrame b = encoder.encode(px.data(), 64, 48, 85, 52);
  EXPECT_EQ(b.prefix, 52u);
  EXPECT_EQ(b.buffer.size(), a.buffer.size() + 52);
  EXPECT_TRUE(std::equal(a.image().begin(), a.image().end(), b.image().begin()));
  JpegEncoder moved = std::move(encoder);
  EXPECT_EQ(moved.encode(px.data(), 64, 48, 85).buffer, a.buffer);
}

TEST(JpegEncoder, BadArgumentsThrow) {
  const auto px = gradient(8, 8);
  JpegEncoder encoder;
  EXPECT_THROW(encoder.encode(px.data(), 8, 8, 0), Error);
  EXPECT_THROW(encoder.encode(px.data(), 0, 8, 80), Error);
  EXPECT_THROW(encoder.encode(nullptr, 8, 8, 80), Error);
}

TEST(PngEncoder, RoundTripIsExactAtBothLevels) {
  const int w = 75, h = 40;
  const auto px = gradient(w, h);
  for (PngCompression level : {PngCompression::fast, PngCompression::standard}) {
    const EncodedFrame f = encode_png(px.data(), w, h, level, 7);
    EXPECT_EQ(f.encoding, Encoding::png);
    EXPECT_EQ(f.prefix, 7u);
    const png::Decoded back = png::decode(f.image());
    EXPECT_EQ(back.width, w);
    EXPECT_EQ(back.height, h);
    EXPECT_EQ(back.rgba8, px);
  }
}

TEST(PngEncoder, StandardLevelIsNoLargerThanFast) {
  const auto px = gradient(256, 256);
  const auto fast = encode_png(px.data(), 256, 256, PngCompression::fast);
  const auto standard = encode_png(px.data(), 256, 256, PngCompression::standard);
  EXPECT_LE(standard.image().size(), fast.image().size());
}

TEST(PngEncoder, BadArgumentsThrow) {
  EXPECT_THROW(encode_png(nullptr, 4, 4), Error);
  const auto px = gradient(4, 4);
  EXPECT_THROW(encode_png(px.data(), 4, -1), Error);
}

} // namespace
} // namespace libindex::streaming
