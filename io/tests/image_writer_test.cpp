// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/image_writer.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "test_util.h"

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

Image test_image() {
  Image im(3, 2);
  im.at(0, 0) = {0.5f, 0.25f, 0.0f, 0.5f}; // premultiplied: straight (1, 0.5, 0, 0.5)
  im.at(1, 0) = {1, 1, 1, 1};
  im.at(2, 0) = {0, 0, 0, 0};
  im.at(0, 1) = {0.2f, 0.2f, 0.2f, 0.4f}; // straight 0.5 grey
  im.at(1, 1) = {0, 0, 1, 1};
  im.at(2, 1) = {0.1f, 0, 0, 1};
  return im;
}

TEST(ImageWriter, PngStoresStraightAlphaTopRowFirst) {
  const auto png = encode_png(test_image());
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  const Rgba8Image back = decode_png(png);
  ASSERT_EQ(back.width, 3);
  ASSERT_EQ(back.height, 2);
  const uint8_t want[] = {255, 128, 0,   128, 255, 255, 255, 255, 0,  0, 0, 0,
                          128, 128, 128, 102, 0,   0,   255, 255, 26, 0, 0, 255};
  ASSERT_EQ(back.pixels.size(), sizeof want);
  for (size_t i = 0; i < sizeof want; ++i) EXPECT_EQ(int(back.pixels[i]), int(want[i])) << "byte " << i;
  // Premultiplied storage (debugging) keeps the colour as rendered.
  const Rgba8Image pre = decode_png(encode_png(test_image(), false, 1));
  EXPECT_EQ(int(pre.pixels[0]), 128);
  EXPECT_EQ(int(pre.pixels[3]), 128);
}

TEST(ImageWriter, WritesFilesAndNamesUnwritablePaths) {
  TempDir dir;
  write_png(dir.file("a.png"), test_image());
  // The file holds exactly what encode_png gives, and it decodes to the image's pixels.
  std::ifstream in(dir.file("a.png"), std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, encode_png(test_image()));
  const Rgba8Image back = decode_png(file, dir.file("a.png"));
  ASSERT_EQ(back.width, 3);
  ASSERT_EQ(back.height, 2);
  const std::vector<uint8_t> want = {255, 128, 0,   128, 255, 255, 255, 255, 0,  0, 0, 0,
                                     128, 128, 128, 102, 0,   0,   255, 255, 26, 0, 0, 255};
  EXPECT_EQ(back.pixels, want);
  EXPECT_CONTAINS_ALL(error_of([&] { write_png(dir.file("no/such/dir/a.png"), test_image()); }),
                      dir.file("no/such/dir/a.png"), "No such file or directory");
  EXPECT_CONTAINS_ALL(error_of([&] { write_png(dir.path(), test_image()); }), dir.path(), "Is a directory");
  EXPECT_CONTAINS_ALL(error_of([&] { encode_png(Image(0, 4)); }), "empty image");
  EXPECT_CONTAINS_ALL(error_of([&] { encode_png(test_image(), true, 12); }), "compression level 12");
  EXPECT_CONTAINS_ALL(error_of([] { decode_png({1, 2, 3}, "junk.png"); }), "junk.png");
}

TEST(ImageWriter, CompressionLevelsDecodeAlike) {
  Image im(64, 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) im.at(x, y) = {x / 63.0f, y / 63.0f, 0.5f, 1.0f};
  const auto fast = encode_png(im, true, 0), small = encode_png(im, true, 9);
  EXPECT_GT(fast.size(), small.size());
  EXPECT_EQ(decode_png(fast).pixels, decode_png(small).pixels);
}

} // namespace
} // namespace libindex::io
