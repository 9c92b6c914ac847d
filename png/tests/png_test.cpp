// SPDX-License-Identifier: Apache-2.0
#include "libindex/png/png.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libindex/error.h"

namespace libindex::png {
namespace {

// 3x2 RGBA, row 0 first: every channel differs, alpha includes 0 and 255 (stored as is, no premultiply).
const std::vector<uint8_t> kImage = {255, 0,  0,  255, /**/ 0,  255, 0,  128, /**/ 0,  0,   255, 0, //
                                     10,  20, 30, 40,  /**/ 50, 60,  70, 80,  /**/ 90, 100, 110, 255};

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

uint32_t big_endian(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | uint32_t(b[at + 3]);
}

TEST(Png, RoundTripIsExactAtEveryLevel) {
  for (int level = 0; level <= 9; ++level) {
    const std::vector<uint8_t> file = encode(kImage.data(), 3, 2, level);
    ASSERT_GT(file.size(), 33u) << level;
    EXPECT_EQ(std::vector<uint8_t>(file.begin(), file.begin() + 8),
              (std::vector<uint8_t>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}))
        << level;
    EXPECT_EQ(std::string(file.begin() + 12, file.begin() + 16), "IHDR");
    EXPECT_EQ(big_endian(file, 16), 3u);
    EXPECT_EQ(big_endian(file, 20), 2u);
    EXPECT_EQ(file[24], 8) << "bit depth";
    EXPECT_EQ(file[25], 6) << "colour type RGBA";
    const Decoded back = decode(file);
    EXPECT_EQ(back.width, 3);
    EXPECT_EQ(back.height, 2);
    EXPECT_EQ(back.rgba8, kImage) << level;
  }
}

TEST(Png, PrefixBytesComeFirstAndTheFileFollows) {
  const std::vector<uint8_t> plain = encode(kImage.data(), 3, 2, 1);
  const std::vector<uint8_t> framed = encode(kImage.data(), 3, 2, 1, 10);
  ASSERT_EQ(framed.size(), plain.size() + 10);
  EXPECT_EQ(std::vector<uint8_t>(framed.begin(), framed.begin() + 10), std::vector<uint8_t>(10, 0));
  EXPECT_EQ(std::vector<uint8_t>(framed.begin() + 10, framed.end()), plain);
  EXPECT_EQ(decode(std::span(framed).subspan(10)).rgba8, kImage);
}

TEST(Png, SmoothImagesCompressBetterAtHigherLevels) {
  std::vector<uint8_t> px(size_t(128) * 128 * 4);
  for (int y = 0; y < 128; ++y)
    for (int x = 0; x < 128; ++x) {
      uint8_t* p = &px[(size_t(y) * 128 + x) * 4];
      p[0] = uint8_t(x * 2), p[1] = uint8_t(y * 2), p[2] = 128, p[3] = 255;
    }
  const auto stored = encode(px.data(), 128, 128, 0), small = encode(px.data(), 128, 128, 9);
  EXPECT_GT(stored.size(), px.size()) << "level 0 stores the rows uncompressed";
  EXPECT_LT(small.size(), stored.size() / 4);
  EXPECT_EQ(decode(stored).rgba8, px);
  EXPECT_EQ(decode(small).rgba8, px);
}

TEST(Png, BadArgumentsThrowOneLine) {
  EXPECT_EQ(error_of([] { encode(kImage.data(), 0, 2, 6); }), "png: cannot encode an empty image (0x2)");
  EXPECT_EQ(error_of([] { encode(kImage.data(), 3, -1, 6); }), "png: cannot encode an empty image (3x-1)");
  EXPECT_EQ(error_of([] { encode(nullptr, 3, 2, 6); }), "png: no pixels to encode (null pointer)");
  EXPECT_EQ(error_of([] { encode(kImage.data(), 3, 2, 10); }), "png: compression level 10 is outside 0..9");
  EXPECT_EQ(error_of([] { encode(kImage.data(), 3, 2, -1); }), "png: compression level -1 is outside 0..9");
}

TEST(Png, GarbageAndTruncatedFilesThrowAClearMessage) {
  const std::vector<uint8_t> garbage = {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g', '!', 0, 1, 2, 3};
  const std::string e = error_of([&] { decode(garbage, "junk.png"); });
  EXPECT_EQ(e.rfind("png: cannot decode junk.png: ", 0), 0u) << e;
  EXPECT_GT(e.size(), std::string("png: cannot decode junk.png: ").size()) << "says why";
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;

  EXPECT_EQ(error_of([] { decode({}); }), "png: cannot decode png data: no bytes");

  const std::vector<uint8_t> file = encode(kImage.data(), 3, 2, 6);
  const std::vector<uint8_t> truncated(file.begin(), file.begin() + long(file.size()) / 2);
  const std::string t = error_of([&] { decode(truncated, "half.png"); });
  EXPECT_EQ(t.rfind("png: cannot decode half.png: ", 0), 0u) << t;
}

} // namespace
} // namespace libindex::png
