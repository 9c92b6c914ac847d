// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/nrrd_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/volume_properties.h"
#include "test_util.h"

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

constexpr Vec3i kDims{6, 5, 3};
constexpr int kCount = kDims.x * kDims.y * kDims.z;

template <class T>
std::vector<T> values() {
  std::vector<T> v(kCount);
  for (int i = 0; i < kCount; ++i) {
    if constexpr (std::is_same_v<T, float>)
      v[size_t(i)] = 0.25f * float(i) - 3.0f;
    else if constexpr (std::is_same_v<T, int16_t>)
      v[size_t(i)] = int16_t(-1000 + 37 * i);
    else if constexpr (std::is_same_v<T, uint16_t>)
      v[size_t(i)] = uint16_t(60000 - 101 * i);
    else
      v[size_t(i)] = uint8_t(3 * i);
  }
  return v;
}

template <class T>
std::vector<T> swapped(std::vector<T> v) {
  for (auto& e : v) {
    auto* b = reinterpret_cast<unsigned char*>(&e);
    std::reverse(b, b + sizeof(T));
  }
  return v;
}

std::string header(const std::string& type, const std::string& encoding, const std::string& extra) {
  return "NRRD0004\n# written by nrrd_reader_test\ntype: " + type +
         "\ndimension: 3\nsizes: 6 5 3\nencoding: " + encoding + "\n" + extra;
}

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<uint8_t> text_bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::string write_nrrd(const TempDir& dir, const std::string& name, const std::string& head,
                       const std::vector<uint8_t>& data) {
  std::string file = head + "\n";
  file.append(reinterpret_cast<const char*>(data.data()), data.size());
  test::write_text(dir.file(name), file);
  return dir.file(name);
}

// Full read equals the values; every sub-box equals the same cut of the full read.
template <class T>
void expect_volume(const VolumeSource& source, const std::vector<T>& want) {
  ASSERT_EQ(source.box(), (Box3i{{0, 0, 0}, kDims}));
  const Brick whole = source.read(source.box());
  ASSERT_EQ(whole.bytes.size(), want.size() * sizeof(T));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(whole.data<T>()[i], want[size_t(i)]) << "voxel " << i;
  for (const Box3i& box : {Box3i{{1, 1, 1}, {4, 3, 2}}, Box3i{{0, 2, 0}, {6, 5, 3}}, Box3i{{5, 4, 2}, {6, 5, 3}}}) {
    EXPECT_TRUE(test::same_brick(source.read(box), test::cut(whole, box))) << to_string(box);
  }
}

TEST(NrrdReader, AttachedRawEveryTypeAndEndian) {
  TempDir dir;
  expect_volume(*open_nrrd(write_nrrd(dir, "u8.nrrd", header("uchar", "raw", ""), bytes_of(values<uint8_t>()))),
                values<uint8_t>());
  expect_volume(*open_nrrd(write_nrrd(dir, "u16.nrrd", header("unsigned short", "raw", "endian: little\n"),
                                      bytes_of(values<uint16_t>()))),
                values<uint16_t>());
  expect_volume(*open_nrrd(write_nrrd(dir, "s16.nrrd", header("short", "raw", "endian: big\n"),
                                      bytes_of(swapped(values<int16_t>())))),
                values<int16_t>());
  expect_volume(*open_nrrd(write_nrrd(dir, "f.nrrd", header("float", "raw", "endian: big\n"),
                                      bytes_of(swapped(values<float>())))),
                values<float>());
  const auto source = open_nrrd(dir.file("f.nrrd"));
  EXPECT_EQ(source->dtype(), DType::float32);
  EXPECT_NE(source->describe().find("f.nrrd"), std::string::npos);
}

TEST(NrrdReader, GzipAttached) {
  TempDir dir;
  const auto v = values<int16_t>();
  const auto gz = test::gzip_bytes(v.data(), v.size() * 2);
  const std::string path = write_nrrd(dir, "g.nrrd", header("int16", "gzip", "endian: little\n"), gz);
  expect_volume(*open_nrrd(path), v);
}

// bzip2, one stream or several in a row (as pbzip2 writes), attached or detached.
TEST(NrrdReader, Bzip2AttachedDetachedAndConcatenated) {
  TempDir dir;
  const auto v = values<int16_t>();
  const auto bz = test::bzip2_bytes(v.data(), v.size() * 2);
  expect_volume(*open_nrrd(write_nrrd(dir, "b.nrrd", header("int16", "bzip2", "endian: little\n"), bz)), v);
  const auto big = swapped(values<uint16_t>());
  const size_t half = big.size(); // bytes: the first half of the voxels' bytes, then the rest
  auto parts = test::bzip2_bytes(big.data(), half);
  const auto rest = test::bzip2_bytes(reinterpret_cast<const uint8_t*>(big.data()) + half, big.size() * 2 - half);
  parts.insert(parts.end(), rest.begin(), rest.end());
  test::write_bytes(dir.file("data.bz2"), parts.data(), parts.size());
  test::write_text(dir.file("b.nhdr"), header("ushort", "bz2", "endian: big\ndata file: data.bz2\n"));
  const auto source = open_nrrd(dir.file("b.nhdr"));
  expect_volume(*source, values<uint16_t>());
  EXPECT_NE(source->describe().find("bzip2 big-endian"), std::string::npos) << source->describe();
}

// Hex: two digits a byte, either case, white space anywhere between digits (Teem wraps lines).
TEST(NrrdReader, HexInEitherCaseWithWhiteSpace) {
  TempDir dir;
  const auto v = values<float>();
  const auto bytes = bytes_of(swapped(v));
  std::string text;
  for (size_t i = 0; i < bytes.size(); ++i) {
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    const char* digits = i % 3 ? lower : upper;
    text += digits[bytes[i] >> 4];
    text += i % 7 == 3 ? "\n" : ""; // a line break inside a byte, too
    text += digits[bytes[i] & 15];
    text += i % 16 == 15 ? "\n" : i % 5 == 0 ? "\t " : "";
  }
  expect_volume(*open_nrrd(write_nrrd(dir, "h.nrrd", header("float", "hex", "endian: big\n"), text_bytes(text))), v);
}

TEST(NrrdReader, DoubleIntAndSignedCharBecomeFloat32) {
  TempDir dir;
  const auto d = values<float>();
  std::vector<double> doubles(d.begin(), d.end());
  std::vector<int32_t> ints(d.size());
  std::vector<int8_t> chars(d.size());
  std::vector<float> from_ints(d.size()), from_chars(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    ints[i] = int32_t(i) * -70000;
    from_ints[i] = float(ints[i]);
    chars[i] = int8_t(int(i) - 100);
    from_chars[i] = float(chars[i] < -127 ? -127 : chars[i]) * (1.0f / 127.0f);
  }
  expect_volume(
      *open_nrrd(write_nrrd(dir, "d.nrrd", header("double", "raw", "endian: big\n"), bytes_of(swapped(doubles)))), d);
  const auto gz = test::gzip_bytes(ints.data(), ints.size() * 4);
  expect_volume(*open_nrrd(write_nrrd(dir, "i.nrrd", header("int", "gzip", "endian: little\n"), gz)), from_ints);
  expect_volume(*open_nrrd(write_nrrd(dir, "c.nrrd", header("signed char", "raw", ""), bytes_of(chars))), from_chars);
}

// The numbers of `v` as text, `per_line` a line, separated as Teem and hand-written files do.
template <class T>
std::string as_text(const std::vector<T>& v, int per_line) {
  std::string text;
  for (size_t i = 0; i < v.size(); ++i) {
    char number[32];
    std::snprintf(number, sizeof number, std::is_floating_point_v<T> ? "%.9g" : "%.0f", double(v[i]));
    text += number;
    text += (i + 1) % size_t(per_line) == 0 ? "\n" : i % 3 == 0 ? ", " : " \t";
  }
  return text;
}

TEST(NrrdReader, AsciiEveryTypeAttachedAndDetached) {
  TempDir dir;
  // No 'endian' field: numbers in text have no byte order.
  expect_volume(
      *open_nrrd(write_nrrd(dir, "u8.nrrd", header("uchar", "ascii", ""), text_bytes(as_text(values<uint8_t>(), 6)))),
      values<uint8_t>());
  expect_volume(
      *open_nrrd(write_nrrd(dir, "u16.nrrd", header("ushort", "text", ""), text_bytes(as_text(values<uint16_t>(), 7)))),
      values<uint16_t>());
  expect_volume(
      *open_nrrd(write_nrrd(dir, "s16.nrrd", header("short", "txt", ""), text_bytes(as_text(values<int16_t>(), 90)))),
      values<int16_t>());
  expect_volume(
      *open_nrrd(write_nrrd(dir, "f.nrrd", header("float", "ascii", ""), text_bytes(as_text(values<float>(), 1)))),
      values<float>());
  EXPECT_NE(open_nrrd(dir.file("f.nrrd"))->describe().find("ascii"), std::string::npos);

  // Detached, after two lines to skip.
  test::write_text(dir.file("values.txt"), "# voxels of d.nhdr\nx y z\n" + as_text(values<int16_t>(), 5));
  test::write_text(dir.file("d.nhdr"), header("int16", "ascii", "data file: values.txt\nline skip: 2\n"));
  expect_volume(*open_nrrd(dir.file("d.nhdr")), values<int16_t>());
}

TEST(NrrdReader, AsciiErrorsSayWhichNumber) {
  TempDir dir;
  std::string text = as_text(values<uint8_t>(), 6);
  EXPECT_CONTAINS_ALL(error_of([&] {
                        open_nrrd(write_nrrd(dir, "few.nrrd", header("uchar", "ascii", ""),
                                             text_bytes(text.substr(0, text.rfind(' ')))));
                      }),
                      "few.nrrd", "truncated", "expected 90 numbers (6x5x3 uint8), the text has 89");
  text.replace(text.find("15"), 2, "1x");
  EXPECT_CONTAINS_ALL(
      error_of([&] { open_nrrd(write_nrrd(dir, "word.nrrd", header("uchar", "ascii", ""), text_bytes(text))); }),
      "word.nrrd", "number 6 is '1x', not a number");
  text.replace(text.find("1x"), 2, "256");
  EXPECT_CONTAINS_ALL(
      error_of([&] { open_nrrd(write_nrrd(dir, "big.nrrd", header("uchar", "ascii", ""), text_bytes(text))); }),
      "big.nrrd", "number 6 is 256, not a value of type uint8");
  text.replace(text.find("256"), 3, "1.5");
  EXPECT_CONTAINS_ALL(
      error_of([&] { open_nrrd(write_nrrd(dir, "half.nrrd", header("uchar", "ascii", ""), text_bytes(text))); }),
      "half.nrrd", "number 6 is 1.5, not a value of type uint8");
  EXPECT_CONTAINS_ALL(error_of([&] {
                        open_nrrd(write_nrrd(dir, "skip.nrrd", header("uchar", "ascii", "byte skip: 4\n"),
                                             text_bytes(as_text(values<uint8_t>(), 6))));
                      }),
                      "skip.nrrd", "byte skip is not allowed with ascii encoding");
}

TEST(NrrdReader, DetachedRawAndGzip) {
  TempDir dir;
  const auto v = values<float>();
  test::write_bytes(dir.file("data.raw"), v.data(), v.size() * 4);
  test::write_text(dir.file("d.nhdr"), header("float", "raw", "endian: little\ndata file: data.raw\n"));
  expect_volume(*open_nrrd(dir.file("d.nhdr")), v);

  const auto gz = test::gzip_bytes(v.data(), v.size() * 4);
  test::write_bytes(dir.file("data.raw.gz"), gz.data(), gz.size());
  test::write_text(dir.file("g.nhdr"), header("float", "gz", "endian: little\ndatafile: data.raw.gz\n"));
  expect_volume(*open_volume_file(dir.file("g.nhdr")), v);
}

TEST(NrrdReader, ByteSkipLineSkipAndTrailingData) {
  TempDir dir;
  const auto v = values<uint8_t>();
  std::string data = "line one\nline two\nXXXX";
  data.append(reinterpret_cast<const char*>(v.data()), v.size());
  test::write_text(dir.file("skip.raw"), data);
  test::write_text(dir.file("skip.nhdr"), header("uchar", "raw", "line skip: 2\nbyte skip: 4\ndata file: skip.raw\n"));
  expect_volume(*open_nrrd(dir.file("skip.nhdr")), v);

  std::string tail = "some leading junk of any length";
  tail.append(reinterpret_cast<const char*>(v.data()), v.size());
  test::write_text(dir.file("tail.raw"), tail);
  test::write_text(dir.file("tail.nhdr"), header("uchar", "raw", "byte skip: -1\ndata file: tail.raw\n"));
  expect_volume(*open_nrrd(dir.file("tail.nhdr")), v);
}

// Teem counts "line skip" from the end of the header when the data is attached: lines of text
// between the header and the voxels. They used to be counted from the file's start (found with
// files from Teem's examples: the volume was shifted and the text drawn as voxels).
TEST(NrrdReader, LineSkipInAnAttachedFileCountsFromTheHeaderEnd) {
  TempDir dir;
  const auto v = values<uint8_t>();
  std::string text = "first line to skip\nsecond\n";
  text.append(reinterpret_cast<const char*>(v.data()), v.size());
  expect_volume(*open_nrrd(write_nrrd(dir, "ls.nrrd", header("uchar", "raw", "line skip: 2\n"),
                                      std::vector<uint8_t>(text.begin(), text.end()))),
                v);
}

// Multi-file data (a slice a file, as scanners and image stacks write them): listed on the header's
// remaining lines after "data file: LIST", or numbered by a pattern. Line and byte skips apply to
// each file. Every read, including boxes across files, gives the voxels of the one-file volume.
TEST(NrrdReader, DataInSeveralFilesListedOrNumbered) {
  TempDir dir;
  const auto v = values<uint16_t>();
  const size_t slice = size_t(kDims.x) * size_t(kDims.y);
  std::string list;
  for (int z = 0; z < kDims.z; ++z) {
    std::string file = "HEAD";
    file.append(reinterpret_cast<const char*>(v.data() + size_t(z) * slice), slice * 2);
    const std::string name = "slice " + std::to_string(10 + 2 * z) + ".raw"; // numbered 10, 12, 14
    test::write_text(dir.file(name), file);
    list += name + "\n";
  }
  test::write_text(dir.file("list.nhdr"),
                   header("ushort", "raw", "endian: little\nbyte skip: 4\ndata file: LIST\n" + list));
  expect_volume(*open_nrrd(dir.file("list.nhdr")), v);
  test::write_text(dir.file("list2.nhdr"),
                   header("ushort", "raw", "endian: little\nbyte skip: 4\ndata file: LIST 2\n" + list + "\n"));
  expect_volume(*open_nrrd(dir.file("list2.nhdr")), v);

  // The pattern may count down, and zero-pad; a name with a space cannot be a pattern, so numbered
  // files are written again without one.
  for (int z = 0; z < kDims.z; ++z) {
    char name[32];
    std::snprintf(name, sizeof name, "s%03d.raw", 30 - 5 * z);
    test::write_bytes(dir.file(name), v.data() + size_t(z) * slice, slice * 2);
  }
  test::write_text(dir.file("down.nhdr"), header("ushort", "raw", "endian: little\ndata file: s%03d.raw 30 20 -5 2\n"));
  expect_volume(*open_nrrd(dir.file("down.nhdr")), v);
  test::write_text(dir.file("past.nhdr"), header("ushort", "raw", "endian: little\ndata file: s%03d.raw 30 17 -5\n"));
  expect_volume(*open_nrrd(dir.file("past.nhdr")), v); // stops before passing 17, as Teem does

  // The files are read at once: one cut short after the volume was opened fails the read, named.
  {
    const auto volume = open_nrrd(dir.file("down.nhdr"));
    test::write_bytes(dir.file("s025.raw"), v.data(), slice); // half of its slice
    EXPECT_CONTAINS_ALL(error_of([&] { volume->read(volume->box()); }), "s025.raw");
    test::write_bytes(dir.file("s025.raw"), v.data() + slice, slice * 2);
  }

  // Three slices in one file and none in another do not divide into equal parts; a missing file
  // is named with the header's line.
  test::write_text(dir.file("odd.nhdr"), header("ushort", "raw", "endian: little\ndata file: s%03d.raw 30 25 -5\n"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("odd.nhdr")); }), "odd.nhdr:8",
                      "2 data files cannot hold 3 slices");
  test::write_text(dir.file("gap.nhdr"), header("ushort", "raw", "endian: little\ndata file: s%03d.raw 20 30 -5\n"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("gap.nhdr")); }), "gap.nhdr:8",
                      "counting from 20 by -5 never reaches 30");
  test::write_text(dir.file("miss.nhdr"), header("ushort", "raw", "endian: little\ndata file: s%03d.raw 31 21 -5\n"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("miss.nhdr")); }), "miss.nhdr:8", "s031.raw");
  for (const char* pattern : {"s%s.raw", "s%03d%d.raw", "s%n.raw", "s%.raw"}) {
    test::write_text(dir.file("fmt.nhdr"),
                     header("ushort", "raw", std::string("endian: little\ndata file: ") + pattern + " 1 3 1\n"));
    EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("fmt.nhdr")); }), "fmt.nhdr:8", pattern, "%d");
  }
  test::write_text(dir.file("empty.nhdr"), header("ushort", "raw", "endian: little\ndata file: LIST\n"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("empty.nhdr")); }), "empty.nhdr:8", "no file names");

  // One file whose name merely starts with LIST is one file.
  test::write_bytes(dir.file("LISTdata.raw"), v.data(), v.size() * 2);
  test::write_text(dir.file("one.nhdr"), header("ushort", "raw", "endian: little\ndata file: LISTdata.raw\n"));
  expect_volume(*open_nrrd(dir.file("one.nhdr")), v);
}

// Seen in files from the wild: Teem's oldest magic, "NaN" spacings (OpenMIMS), an upper-case .NHDR,
// a colour image stored as a 3-D NRRD, a byte-order mark.
TEST(NrrdReader, OldMagicNaNSpacingAndWhatIsNoScalarVolume) {
  TempDir dir;
  const auto v = values<uint8_t>();
  std::string old = header("uchar", "raw", "spacings: NaN 2 NAN\n");
  old.replace(0, 8, "NRRD00.01");
  const auto source = open_nrrd(write_nrrd(dir, "old.nrrd", old, bytes_of(v)));
  expect_volume(*source, v);
  EXPECT_FLOAT_EQ(voxel_spacing(*source).x, 1.0f);
  EXPECT_FLOAT_EQ(voxel_spacing(*source).y, 2.0f);
  EXPECT_FLOAT_EQ(voxel_spacing(*source).z, 1.0f);

  test::write_text(dir.file("UPPER.NHDR"), header("uchar", "raw", ""));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("UPPER.NHDR")); }), "UPPER.NHDR",
                      "a detached header (.nhdr) needs a 'data file' field");
  EXPECT_CONTAINS_ALL(
      error_of([&] {
        open_nrrd(write_nrrd(dir, "rgb.nrrd", header("uchar", "raw", "kinds: RGB-color space space\n"), bytes_of(v)));
      }),
      "rgb.nrrd:7", "axis 0 is of kind 'RGB-color'", "scalar volumes");
  expect_volume(*open_nrrd(write_nrrd(dir, "k.nrrd", header("uchar", "raw", "kinds: domain space ???\n"), bytes_of(v))),
                v);
  expect_volume(
      *open_nrrd(write_nrrd(dir, "l.nrrd", header("uchar", "raw", "kinds: domain domain list\n"), bytes_of(v))),
      v); // a list of slices renders as it did
  EXPECT_CONTAINS_ALL(
      error_of([&] {
        open_nrrd(write_nrrd(dir, "vec.nrrd", header("uchar", "raw", "kinds: domain 3-vector domain\n"), bytes_of(v)));
      }),
      "vec.nrrd:7", "axis 1 is of kind '3-vector'");
  // A 4-D file of vectors (how ITK and Slicer write a velocity or displacement field): its vector
  // axis is named, with the command that makes a scalar volume of it, not its dimension.
  test::write_text(dir.file("field.nrrd"), "NRRD0004\ntype: float\ndimension: 4\nsizes: 3 2 2 2\n"
                                           "kinds: vector domain domain domain\nendian: little\nencoding: raw\n\n" +
                                               std::string(3 * 8 * 4, '\0'));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("field.nrrd")); }), "field.nrrd:5",
                      "axis 0 is of kind 'vector'", "unu project -a 0 -m l2");
  test::write_text(dir.file("bom.nrrd"), "\xEF\xBB\xBF" + header("uchar", "raw", "") + "\n");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("bom.nrrd")); }), "bom.nrrd:1", "byte-order mark");
}

TEST(NrrdReader, Spacing) {
  TempDir dir;
  const auto data = bytes_of(values<uint8_t>());
  const auto a = open_nrrd(write_nrrd(dir, "s.nrrd", header("uchar", "raw", "spacings: 0.5 2 1.25\n"), data));
  const Vec3f s = voxel_spacing(*a);
  EXPECT_FLOAT_EQ(s.x, 0.5f);
  EXPECT_FLOAT_EQ(s.y, 2.0f);
  EXPECT_FLOAT_EQ(s.z, 1.25f);
  const auto b = open_nrrd(write_nrrd(
      dir, "d.nrrd",
      header("uchar", "raw", "space: right-anterior-superior\nspace directions: (0,3,0) (0.6,0, 0.8) (0,0,1.5)\n"),
      data));
  const Vec3f d = voxel_spacing(*b);
  EXPECT_FLOAT_EQ(d.x, 3.0f);
  EXPECT_FLOAT_EQ(d.y, 1.0f);
  EXPECT_FLOAT_EQ(d.z, 1.5f);
  const Vec3f none = voxel_spacing(*open_nrrd(write_nrrd(dir, "n.nrrd", header("uchar", "raw", ""), data)));
  EXPECT_FLOAT_EQ(none.x * none.y * none.z, 1.0f);
}

// CT and MR files from the wild often flip axes (LPS: (-0.5,0,0) (0,-0.5,0) (0,0,1)) or rotate
// them. libindex lays the axes as they are, so the caller is told; axis-aligned ones say nothing.
TEST(NrrdReader, SpaceDirectionsThatFlipOrRotateTheAxesSaySo) {
  TempDir dir;
  const auto data = bytes_of(values<uint8_t>());
  const auto warnings_of = [&](const std::string& directions) {
    std::vector<std::string> warnings;
    const auto source =
        open_nrrd(write_nrrd(dir, "w.nrrd", header("uchar", "raw", "space directions: " + directions + "\n"), data),
                  nullptr, &warnings);
    EXPECT_FLOAT_EQ(voxel_spacing(*source).x, 0.5f) << directions;
    return warnings;
  };
  EXPECT_TRUE(warnings_of("(0.5,0,0) (0,2,0) (0,0,1)").empty());
  for (const char* turned :
       {"(-0.5,0,0) (0,-2,0) (0,0,1)", "(0,0.5,0) (2,0,0) (0,0,1)", "(0.3,0.4,0) (0,2,0) (0,0,1)"}) {
    const auto w = warnings_of(turned);
    ASSERT_EQ(w.size(), 1u) << turned;
    EXPECT_CONTAINS_ALL(w[0], "w.nrrd:7", turned, "rotates or flips the axes");
  }
}

// Found by fuzz_nrrd_header: a zero-length space direction gave the volume a spacing of 0 (and
// spacings beyond float's range an infinite one), which the renderer multiplies the box by.
TEST(NrrdReader, SpacingMustBePositiveAndFinite) {
  TempDir dir;
  const auto data = bytes_of(values<uint8_t>());
  EXPECT_CONTAINS_ALL(error_of([&] {
                        open_nrrd(write_nrrd(dir, "zero.nrrd",
                                             header("uchar", "raw", "space directions: (0,0,0) (0,2,0) (0,0,0.5)\n"),
                                             data));
                      }),
                      "zero.nrrd:7", "space direction 1 must have a positive length", "(0,0,0)");
  EXPECT_CONTAINS_ALL(error_of([&] {
                        open_nrrd(write_nrrd(dir, "huge.nrrd",
                                             header("uchar", "raw", "space directions: (1,0,0) (0,1e39,0) (0,0,1)\n"),
                                             data));
                      }),
                      "huge.nrrd:7", "space direction 2 must have a positive length");
  for (const char* bad : {"1e39", "1e-50", "inf", "0", "-1"}) {
    EXPECT_CONTAINS_ALL(error_of([&] {
                          open_nrrd(write_nrrd(
                              dir, "s.nrrd", header("uchar", "raw", std::string("spacings: 1 ") + bad + " 1\n"), data));
                        }),
                        "s.nrrd:7", std::string("spacing '") + bad + "' must be a positive number");
  }
  // The smallest and largest spacings a float holds are still accepted.
  const auto ok = open_nrrd(write_nrrd(dir, "ok.nrrd", header("uchar", "raw", "spacings: 1e-30 3e38 nan\n"), data));
  EXPECT_FLOAT_EQ(voxel_spacing(*ok).x, 1e-30f);
  EXPECT_FLOAT_EQ(voxel_spacing(*ok).y, 3e38f);
  EXPECT_FLOAT_EQ(voxel_spacing(*ok).z, 1.0f);
}

TEST(NrrdReader, Errors) {
  TempDir dir;
  const auto data = bytes_of(values<uint8_t>());
  EXPECT_CONTAINS_ALL(
      error_of([&] { open_nrrd(write_nrrd(dir, "i64.nrrd", header("int64", "raw", "endian: little\n"), data)); }),
      "i64.nrrd:3", "type 'int64' is not supported");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(write_nrrd(dir, "z.nrrd", header("uchar", "zstd", ""), data)); }),
                      "z.nrrd:6", "encoding 'zstd' is not supported (raw, gzip, bzip2, ascii or hex)");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(write_nrrd(dir, "noend.nrrd", header("float", "raw", ""), data)); }),
                      "noend.nrrd", "'endian'");
  // 90 ushort voxels need 180 bytes after the header; the file holds 90.
  const std::string short_head = header("ushort", "raw", "endian: little\n") + "\n";
  const std::string short_path = write_nrrd(dir, "short.nrrd", header("ushort", "raw", "endian: little\n"), data);
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(short_path); }), "short.nrrd", "truncated",
                      "expected " + std::to_string(short_head.size() + 180) + " bytes",
                      "has " + std::to_string(short_head.size() + 90) + " bytes");
  test::write_text(dir.file("bad.nrrd"), "P6\n");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("bad.nrrd")); }), "bad.nrrd", "not a NRRD file");

  // Truncated gzip data: the read says how many bytes it expected and how many the stream held.
  const auto gz = test::gzip_bytes(data.data(), data.size() - 10);
  const auto source = open_nrrd(write_nrrd(dir, "tgz.nrrd", header("uchar", "gzip", ""), gz));
  EXPECT_CONTAINS_ALL(error_of([&] { source->read(source->box()); }), "tgz.nrrd", "truncated", "expected 90",
                      "after 80 bytes");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(write_nrrd(dir, "notgz.nrrd", header("uchar", "gzip", ""), data)); }),
                      "notgz.nrrd", "not a gzip stream");
  // Ascii sizes whose voxel count wraps 64 bits (2^30 x 2^30 x 16): refused, not multiplied out to 0.
  const std::string wraps = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1073741824 1073741824 16\nencoding: ascii\n";
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(write_nrrd(dir, "wraps.nrrd", wraps, text_bytes("1 2 3"))); }),
                      "wraps.nrrd", "is truncated: expected 1073741824x1073741824x16 numbers");
  // The same for bzip2 and hex: truncated, corrupt, or not that encoding at all.
  const auto bz = test::bzip2_bytes(data.data(), data.size() - 10);
  const auto tbz = open_nrrd(write_nrrd(dir, "tbz.nrrd", header("uchar", "bzip2", ""), bz));
  EXPECT_CONTAINS_ALL(error_of([&] { tbz->read(tbz->box()); }), "tbz.nrrd", "bzip2 data is truncated", "expected 90",
                      "after 80 bytes");
  auto broken = test::bzip2_bytes(data.data(), data.size());
  for (size_t i = 10; i < broken.size() - 4; i += 3) broken[i] ^= 0x5a;
  const auto cbz = open_nrrd(write_nrrd(dir, "cbz.nrrd", header("uchar", "bzip2", ""), broken));
  EXPECT_CONTAINS_ALL(error_of([&] { cbz->read(cbz->box()); }), "cbz.nrrd", "corrupt bzip2 data");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(write_nrrd(dir, "notbz.nrrd", header("uchar", "bz2", ""), data)); }),
                      "notbz.nrrd", "encoding is bzip2", "not a bzip2 stream");
  const auto hex = open_nrrd(write_nrrd(dir, "badhex.nrrd", header("uchar", "hex", ""), text_bytes("00 01 0g 03")));
  EXPECT_CONTAINS_ALL(error_of([&] { hex->read(hex->box()); }), "badhex.nrrd",
                      "'g', which is neither a hex digit nor white space", "after 2 decoded bytes");
  const auto short_hex = open_nrrd(write_nrrd(dir, "shorthex.nrrd", header("uchar", "hex", ""), text_bytes("0a0b0c0")));
  EXPECT_CONTAINS_ALL(error_of([&] { short_hex->read(short_hex->box()); }), "hex data is truncated", "after 3 bytes");
  EXPECT_CONTAINS_ALL(
      error_of([&] { open_nrrd(write_nrrd(dir, "nothex.nrrd", header("uchar", "hex", ""), text_bytes("xyz"))); }),
      "nothex.nrrd", "encoding is hex", "not hex text");
  // A data file that is not there: the header and its line named, then the file.
  test::write_text(dir.file("missing.nhdr"), header("uchar", "raw", "data file: missing.raw\n"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("missing.nhdr")); }), "missing.nhdr:7",
                      "data file: cannot open", "missing.raw");
  test::write_text(dir.file("nodata.nhdr"), header("uchar", "raw", ""));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nrrd(dir.file("nodata.nhdr")); }), "nodata.nhdr", "data file");
}

} // namespace
} // namespace libindex::io
