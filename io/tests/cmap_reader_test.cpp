// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/cmap_reader.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "test_util.h"

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

std::string cmap_lines(int count) {
  std::string s;
  for (int i = 0; i < count; ++i)
    s += std::to_string(std::min(i, 255) * 257) + " " + std::to_string(65535 - std::min(i, 255) * 257) + " 0 " +
         std::to_string(i * 100) + "\n";
  return s;
}

TEST(CmapReader, Reads256EntriesDividedBy65535) {
  TempDir dir;
  test::write_text(dir.file("a.cmap"), "# a comment\n" + cmap_lines(256) + "\n");
  const Colormap map = read_cmap(dir.file("a.cmap"));
  ASSERT_EQ(map.entries.size(), 256u);
  EXPECT_FLOAT_EQ(map.entries[0].x, 0.0f);
  EXPECT_FLOAT_EQ(map.entries[0].y, 1.0f);
  EXPECT_FLOAT_EQ(map.entries[255].x, 1.0f); // 255 * 257 = 65535
  EXPECT_FLOAT_EQ(map.entries[100].w, 10000.0f / 65535.0f);
  EXPECT_FLOAT_EQ(map.domain_min, 0.0f);
  EXPECT_FLOAT_EQ(map.domain_max, 1.0f);
}

// Notepad saves UTF-8 with a byte-order mark; the file is the same colormap.
TEST(CmapReader, AByteOrderMarkIsNoPartOfTheFirstNumber) {
  TempDir dir;
  test::write_text(dir.file("plain.cmap"), cmap_lines(256));
  test::write_text(dir.file("bom.cmap"), "\xEF\xBB\xBF" + cmap_lines(256));
  const Colormap plain = read_cmap(dir.file("plain.cmap")), bom = read_cmap(dir.file("bom.cmap"));
  ASSERT_EQ(bom.entries.size(), 256u);
  for (size_t i = 0; i < 256; ++i) EXPECT_EQ(bom.entries[i], plain.entries[i]) << i;
}

// IndeX's reader takes as many entries as the file has and clamps values to the scale; libindex
// used to refuse anything but 256 entries in 0..65535, failing scenes IndeX renders.
TEST(CmapReader, AnyCountOfEntriesAndValuesClampedAsIndexReadsThem) {
  TempDir dir;
  for (const int count : {1, 2, 255, 1024}) {
    test::write_text(dir.file("n.cmap"), cmap_lines(count));
    const Colormap map = read_cmap(dir.file("n.cmap"));
    ASSERT_EQ(map.entries.size(), size_t(std::max(count, 2))) << count;
    EXPECT_FLOAT_EQ(map.entries.back().w, float(std::min((count - 1) * 100, 65535)) / 65535.0f) << count; // clamped
  }
  test::write_text(dir.file("clamped.cmap"), "70000 -0.5 32767.5 65535.000001\n0 0 0 0\n");
  const Colormap clamped = read_cmap(dir.file("clamped.cmap"));
  EXPECT_EQ(clamped.entries[0], (Vec4f{1.0f, 0.0f, float(32767.5 / 65535.0), 1.0f}));
  test::write_text(dir.file("empty.cmap"), "# nothing\n\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("empty.cmap")); }), "empty.cmap", "holds no entries");
  test::write_text(dir.file("huge.cmap"), cmap_lines(65537));
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("huge.cmap")); }), "has 65537 entries, more than 65536");
}

// IndeX's viewer reads every colormap file but a .cmap as a PPM image (its nv::index_common::load_ppm):
// the pixels, row by row, are the entries, each channel over 255, alpha 1. IndeX's own writer puts
// a comment after the magic line.
TEST(CmapReader, PpmImagesAreOpaqueEntriesRowByRow) {
  TempDir dir;
  const unsigned char pixels[] = {255, 0, 0, 0, 0, 255, 0, 128, 0, 10, 20, 30};
  const std::string p6 = "P6\n# CREATOR: nv::index::colormap_io 1.0\n2 2\n255\n" +
                         std::string(reinterpret_cast<const char*>(pixels), sizeof pixels);
  test::write_bytes(dir.file("map.ppm"), p6.data(), p6.size());
  const Colormap map = read_cmap(dir.file("map.ppm"));
  const std::vector<Vec4f> expected = {
      {1, 0, 0, 1}, {0, 0, 1, 1}, {0, 128 / 255.0f, 0, 1}, {10 / 255.0f, 20 / 255.0f, 30 / 255.0f, 1}};
  EXPECT_EQ(map.entries, expected);
  // The plain (text) form and two-byte samples give the same table.
  test::write_text(dir.file("plain.ppm"), "P3 2 2 255\n255 0 0  0 0 255\n0 128 0  10 20 30\n");
  EXPECT_EQ(read_cmap(dir.file("plain.ppm")).entries, expected);
  std::string wide = "P6 2 2 65535\n";
  for (unsigned char c : pixels) wide += {char(c), char(c)}; // c * 257: the same fraction of 65535
  test::write_bytes(dir.file("wide.ppm"), wide.data(), wide.size());
  EXPECT_EQ(read_cmap(dir.file("wide.ppm")).entries, expected);
  // A .cmap of the same colours (on the 0..65535 scale) is the same colormap.
  std::string cmap;
  for (size_t i = 0; i < sizeof pixels; i += 3)
    cmap += std::to_string(pixels[i] * 257) + " " + std::to_string(pixels[i + 1] * 257) + " " +
            std::to_string(pixels[i + 2] * 257) + " 65535\n";
  test::write_text(dir.file("same.cmap"), cmap);
  EXPECT_EQ(read_cmap(dir.file("same.cmap")).entries, expected);

  const std::string cut = p6.substr(0, p6.size() - 7);
  test::write_bytes(dir.file("cut.ppm"), cut.data(), cut.size());
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("cut.ppm")); }),
                      "cut.ppm' is truncated: its 2x2 PPM image needs 12 bytes of pixels, and it has 5");
  test::write_text(dir.file("zero.ppm"), "P6\n0 2\n255\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("zero.ppm")); }), "zero.ppm",
                      "width must be an integer of at least 1");
  test::write_text(dir.file("big.ppm"), "P6\n300 300\n255\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("big.ppm")); }), "has 90000 entries, more than 65536");
  test::write_text(dir.file("over.ppm"), "P3 1 1 15\n16 0 0\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("over.ppm")); }),
                      "sample 16 exceeds the PPM image's maxval 15");
  // A binary sample above the maxval (found by fuzz_cmap: it made a component above 1).
  test::write_text(dir.file("over6.ppm"), "P6 1 1 15\nt00");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("over6.ppm")); }),
                      "sample 116 exceeds the PPM image's maxval 15");
}

TEST(CmapReader, WrongValuesAreErrors) {
  TempDir dir;
  test::write_text(dir.file("three.cmap"), "1 2 3\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("three.cmap")); }), "three.cmap:1", "4 numbers");
  test::write_text(dir.file("word.cmap"), cmap_lines(7) + "1 2 x3 4\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("word.cmap")); }), "word.cmap:8", "'x3' is not a number");
  test::write_text(dir.file("nan.cmap"), "nan 2 3 4\n");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("nan.cmap")); }), "nan.cmap:1", "'nan' is not a number");
  EXPECT_CONTAINS_ALL(error_of([&] { read_cmap(dir.file("none.cmap")); }), "none.cmap", "No such file");
}

// IndeX's own .cmap files hold floats on the 0..65535 scale.
TEST(CmapReader, FloatingPointValuesAsIndexWritesThem) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 256; ++i) text += "42104.011719 0.000000 9695.968750 " + std::to_string(i * 257) + ".5e0\n";
  text.replace(text.rfind(".5e0"), 4, ""); // the last alpha exactly 65535
  test::write_text(dir.file("float.cmap"), text);
  const Colormap map = read_cmap(dir.file("float.cmap"));
  ASSERT_EQ(map.entries.size(), 256u);
  EXPECT_FLOAT_EQ(map.entries[0].x, float(42104.011719 / 65535.0));
  EXPECT_FLOAT_EQ(map.entries[0].y, 0.0f);
  EXPECT_FLOAT_EQ(map.entries[0].z, float(9695.96875 / 65535.0));
  EXPECT_FLOAT_EQ(map.entries[10].w, float(2570.5 / 65535.0));
  EXPECT_FLOAT_EQ(map.entries[255].w, 1.0f);
}

// The test: a table written with integers and the same table written as IndeX writes floats
// ("1234.000000") give the same colormap, entry for entry.
TEST(CmapReader, FloatAndIntegerFilesOfOneTableAreTheSameColormap) {
  TempDir dir;
  std::string integers, floats;
  for (int i = 0; i < 256; ++i) {
    const int v[4] = {i * 257, 65535 - i * 257, (i * 97) % 65536, i * 200};
    char line[128];
    std::snprintf(line, sizeof line, "%d %d %d %d\n", v[0], v[1], v[2], v[3]);
    integers += line;
    std::snprintf(line, sizeof line, "%f %f %f %f\n", double(v[0]), double(v[1]), double(v[2]), double(v[3]));
    floats += line;
  }
  test::write_text(dir.file("int.cmap"), integers);
  test::write_text(dir.file("float.cmap"), floats);
  const Colormap a = read_cmap(dir.file("int.cmap")), b = read_cmap(dir.file("float.cmap"));
  ASSERT_EQ(a.entries.size(), 256u);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(b.entries[128].z, float((128.0 * 97) / 65535.0));
}

TEST(CmapReader, WriteThenReadIsExactFor256Entries) {
  TempDir dir;
  const Colormap preset = colormap_preset("viridis", 0.5f);
  write_cmap(dir.file("v.cmap"), preset);
  const Colormap back = read_cmap(dir.file("v.cmap"));
  for (int i = 0; i < 256; ++i) {
    EXPECT_NEAR(back.entries[size_t(i)].x, preset.entries[size_t(i)].x, 0.5f / 65535.0f);
    EXPECT_NEAR(back.entries[size_t(i)].w, preset.entries[size_t(i)].w, 0.5f / 65535.0f);
  }
}

} // namespace
} // namespace libindex::io
