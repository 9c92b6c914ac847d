// SPDX-License-Identifier: Apache-2.0
// NRRD files written by Teem itself (Debian's teem-apps: `teem-unu`), not by this test: every encoding
// Teem writes (raw, ascii, hex, gzip, bzip2), both byte orders, attached and detached, four voxel
// types, on an odd-sized volume; each must read back to the voxels Teem was given.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libindex/io/nrrd_reader.h"
#include "libindex/io/volume_properties.h"
#include "test_util.h"

namespace libindex::io {
namespace {

constexpr Vec3i kDims{37, 61, 23};
constexpr size_t kCount = size_t(kDims.x) * kDims.y * kDims.z;

const char* teem_unu() { return LIBINDEX_TEEM_UNU; }

// Runs unu with `args`; its output goes to the test's log only when it fails.
void unu(const std::string& args, const test::TempDir& dir) {
  const std::string log = dir.file("unu.log");
  const std::string command = std::string(teem_unu()) + " " + args + " > '" + log + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

template <class T>
std::vector<T> voxels() {
  std::vector<T> v(kCount);
  for (size_t i = 0; i < kCount; ++i) {
    if constexpr (std::is_same_v<T, float>)
      v[i] = 0.25f * float(int(i % 8001) - 4000); // exact in text as Teem prints it
    else if constexpr (std::is_same_v<T, int16_t>)
      v[i] = int16_t(int(i * 2654435761u % 65536) - 32768); // every bit pattern, -32768 included
    else
      v[i] = T(i * 2654435761u);
  }
  return v;
}

template <class T>
void check_every_encoding(const char* teem_type) {
  test::TempDir dir;
  const auto want = voxels<T>();
  test::write_bytes(dir.file("v.raw"), want.data(), want.size() * sizeof(T));
  unu("make -i '" + dir.file("v.raw") + "' -t " + teem_type + " -s 37 61 23 -e raw -en little -sp 1 1 2.5 -o '" +
          dir.file("base.nrrd") + "'",
      dir);
  for (const char* encoding : {"raw", "ascii", "hex", "gzip", "bzip2"})
    for (const char* endian : {"little", "big"})
      for (const char* extension : {".nrrd", ".nhdr"}) {
        // Text has no byte order, but unu 1.12 swaps the values before printing them when asked for big
        // endian: the file then holds other numbers (-32768 is written as 128).
        if (std::strcmp(encoding, "ascii") == 0 && std::strcmp(endian, "big") == 0) continue;
        const std::string name = std::string(teem_type) + "_" + encoding + "_" + endian + extension;
        unu(std::string("save -f nrrd -e ") + encoding + " -en " + endian + " -i '" + dir.file("base.nrrd") + "' -o '" +
                dir.file(name) + "'",
            dir);
        SCOPED_TRACE(name);
        const auto source = open_nrrd(dir.file(name));
        ASSERT_EQ(source->box(), (Box3i{{0, 0, 0}, kDims}));
        EXPECT_FLOAT_EQ(voxel_spacing(*source).z, 2.5f);
        const Brick whole = source->read(source->box());
        ASSERT_EQ(whole.bytes.size(), kCount * sizeof(T));
        const T* got = whole.data<T>();
        const size_t first_wrong = size_t(std::mismatch(got, got + kCount, want.begin()).first - got);
        ASSERT_EQ(first_wrong, kCount) << "voxel " << first_wrong << ": " << +got[first_wrong] << ", Teem was given "
                                       << +want[first_wrong];
        // A box away from the origin, as a rank reads its brick.
        const Box3i box{{5, 17, 9}, {36, 60, 22}};
        EXPECT_TRUE(test::same_brick(source->read(box), test::cut(whole, box)));
      }
}

class TeemFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::strlen(teem_unu()) == 0) GTEST_SKIP() << "teem-unu not found (Debian package teem-apps)";
  }
};

TEST_F(TeemFiles, Uchar) { check_every_encoding<uint8_t>("uchar"); }
TEST_F(TeemFiles, Short) { check_every_encoding<int16_t>("short"); }
TEST_F(TeemFiles, Ushort) { check_every_encoding<uint16_t>("ushort"); }
TEST_F(TeemFiles, Float) { check_every_encoding<float>("float"); }

} // namespace
} // namespace libindex::io
