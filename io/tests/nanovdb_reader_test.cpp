// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include <gtest/gtest.h>

#include "libindex/config.h"
#include "libindex/error.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/vdb_reader.h"
#include "test_util.h"

#if LIBINDEX_WITH_NANOVDB
#include <nanovdb/util/GridBuilder.h>
#include <nanovdb/util/IO.h>
#endif

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

#if LIBINDEX_WITH_NANOVDB

float formula(int x, int y, int z) { return float(x) - 10.0f * float(y) + 0.5f * float(z); }

// Active voxels in [-3,13) x [4,9) x [20,23), written with NanoVDB's own builder (no OpenVDB).
nanovdb::GridHandle<> make_grid(const std::string& name) {
  nanovdb::GridBuilder<float> builder(0.0f);
  auto acc = builder.getAccessor();
  for (int z = 20; z < 23; ++z)
    for (int y = 4; y < 9; ++y)
      for (int x = -3; x < 13; ++x) acc.setValue(nanovdb::Coord(x, y, z), formula(x, y, z));
  return builder.getHandle<>(2.0, nanovdb::Vec3d(0), name);
}

TEST(NanoVdbReader, BoxValuesSubBoxesAndEmptiness) {
  TempDir dir;
  const std::string path = dir.file("g.nvdb");
  std::vector<nanovdb::GridHandle<>> handles;
  nanovdb::GridBuilder<double> doubles(0.0);
  doubles.getAccessor().setValue(nanovdb::Coord(0, 0, 0), 1.0);
  handles.push_back(doubles.getHandle<>(1.0, nanovdb::Vec3d(0), "d"));
  handles.push_back(make_grid("density"));
  nanovdb::io::writeGrids(path, handles);

  const auto source = open_nanovdb(path);
  EXPECT_EQ(source->grid_name(), "density");
  EXPECT_EQ(source->box(), (Box3i{{0, 0, 0}, {16, 5, 3}}));
  EXPECT_EQ(source->index_offset(), (Vec3i{-3, 4, 20}));
  EXPECT_FLOAT_EQ(voxel_spacing(*source).y, 2.0f);
  const Brick whole = source->read(source->box());
  for (int z = 0; z < 3; ++z)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 16; ++x)
        ASSERT_EQ(whole.data<float>()[(z * 5 + y) * 16 + x], formula(x - 3, y + 4, z + 20))
            << x << "," << y << "," << z;
  for (const Box3i& box : {Box3i{{2, 1, 1}, {11, 4, 3}}, Box3i{{15, 4, 2}, {16, 5, 3}}}) {
    EXPECT_TRUE(test::same_brick(source->read(box), test::cut(whole, box))) << to_string(box);
  }
  EXPECT_FALSE(source->region_empty({{0, 0, 0}, {1, 1, 1}}));
  EXPECT_TRUE(source->region_empty({{16, 0, 0}, {20, 5, 3}})) << "beyond the box";

  const auto by_name = open_volume_file(path, "density");
  EXPECT_EQ(by_name->box(), source->box());
}

TEST(NanoVdbReader, SparseRegionsAreEmpty) {
  TempDir dir;
  nanovdb::GridBuilder<float> builder(0.0f);
  auto acc = builder.getAccessor();
  acc.setValue(nanovdb::Coord(0, 0, 0), 1.0f);
  acc.setValue(nanovdb::Coord(40, 40, 40), 2.0f);
  nanovdb::io::writeGrid(dir.file("s.nvdb"), builder.getHandle<>(1.0, nanovdb::Vec3d(0), "s"));
  const auto source = open_nanovdb(dir.file("s.nvdb"));
  EXPECT_EQ(source->box(), (Box3i{{0, 0, 0}, {41, 41, 41}}));
  EXPECT_TRUE(source->region_empty({{1, 1, 1}, {40, 40, 40}}));
  EXPECT_FALSE(source->region_empty({{1, 1, 1}, {41, 41, 41}}));
  EXPECT_FALSE(source->region_empty({{0, 0, 0}, {8, 8, 8}}));
  EXPECT_TRUE(source->region_empty({{8, 0, 0}, {40, 40, 40}}));
  const Brick b = source->read({{38, 38, 38}, {41, 41, 41}});
  EXPECT_EQ(b.data<float>()[26], 2.0f);
  EXPECT_EQ(b.data<float>()[25], 0.0f);
}

TEST(NanoVdbReader, DoubleQuantizedAndVectorGridsReadAsFloat) {
  TempDir dir;
  std::vector<nanovdb::GridHandle<>> handles;
  nanovdb::GridBuilder<double> doubles(0.0);
  doubles.getAccessor().setValue(nanovdb::Coord(0, 0, 0), 0.1);
  handles.push_back(doubles.getHandle<>(1.0, nanovdb::Vec3d(0), "dist"));
  nanovdb::GridBuilder<float, nanovdb::Fp16> fp16(0.0f);
  auto acc = fp16.getAccessor();
  for (int z = 20; z < 23; ++z)
    for (int y = 4; y < 9; ++y)
      for (int x = -3; x < 13; ++x) acc.setValue(nanovdb::Coord(x, y, z), formula(x, y, z));
  handles.push_back(fp16.getHandle<>(1.0, nanovdb::Vec3d(0), "density16"));
  nanovdb::GridBuilder<nanovdb::Vec3f> vectors(nanovdb::Vec3f(0.0f));
  vectors.getAccessor().setValue(nanovdb::Coord(0, 0, 0), nanovdb::Vec3f(3, 4, 12));
  handles.push_back(vectors.getHandle<>(1.0, nanovdb::Vec3d(0), "velocity"));
  nanovdb::GridBuilder<int64_t> longs(0);
  longs.getAccessor().setValue(nanovdb::Coord(0, 0, 0), 1);
  handles.push_back(longs.getHandle<>(1.0, nanovdb::Vec3d(0), "ids"));
  nanovdb::io::writeGrids(dir.file("g.nvdb"), handles);

  const auto first = open_nanovdb(dir.file("g.nvdb"));
  EXPECT_EQ(first->grid_name(), "dist") << "no float grid: the first scalar one";
  EXPECT_NE(first->describe().find("double as float32"), std::string::npos) << first->describe();
  EXPECT_EQ(first->read({{0, 0, 0}, {1, 1, 1}}).data<float>()[0], 0.1f);
  // Fp16 quantizes each 8^3 leaf's range [min, max] to 16 bits: within (max - min) / 65535.
  const auto q = open_nanovdb(dir.file("g.nvdb"), "density16");
  EXPECT_EQ(q->box(), (Box3i{{0, 0, 0}, {16, 5, 3}}));
  const Brick b = q->read(q->box());
  for (int z = 0; z < 3; ++z)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 16; ++x)
        ASSERT_NEAR(b.data<float>()[(z * 5 + y) * 16 + x], formula(x - 3, y + 4, z + 20), 200.0f / 65535.0f)
            << x << "," << y << "," << z;
  EXPECT_EQ(open_nanovdb(dir.file("g.nvdb"), "velocity")->read({{0, 0, 0}, {1, 1, 1}}).data<float>()[0], 13.0f);
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("g.nvdb"), "ids"); }), "'ids' holds");

  nanovdb::io::writeGrid(dir.file("l.nvdb"), longs.getHandle<>(1.0, nanovdb::Vec3d(0), "ids"));
  const std::string e = error_of([&] { open_nanovdb(dir.file("l.nvdb")); });
  EXPECT_CONTAINS_ALL(e, "l.nvdb", "has no grid libindex can render", "ids (");
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(NanoVdbReader, Errors) {
  TempDir dir;
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("none.nvdb"), "x"); }), "none.nvdb");
  nanovdb::GridBuilder<float> floats(0.0f);
  floats.getAccessor().setValue(nanovdb::Coord(0, 0, 0), 1.0f);
  nanovdb::io::writeGrid(dir.file("f.nvdb"), floats.getHandle<>(1.0, nanovdb::Vec3d(0), "f"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("f.nvdb"), "x"); }), "no grid named 'x'", "f (float)");
  test::write_text(dir.file("junk.nvdb"), "not nanovdb data, but long enough to hold a header or two........");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("junk.nvdb")); }), "junk.nvdb");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.path()); }), "is a directory");
}

// NanoVDB trusts the sizes in a file and the offsets in a grid: damaged files crashed the rank (a
// leaf offset pointing out of the buffer) or allocated gigabytes (a grid name's size). Each is one
// line naming what is wrong, before NanoVDB reads or follows it.
TEST(NanoVdbReader, DamagedFilesAreRefusedBeforeNanoVdbReadsThem) {
  TempDir dir;
  const nanovdb::GridHandle<> good = make_grid("density");
  const std::string path = dir.file("good.nvdb");
  nanovdb::io::writeGrid(path, good);
  std::string file;
  {
    std::ifstream in(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(file.size(), sizeof(nanovdb::io::Header) + sizeof(nanovdb::io::MetaData) + 8 + good.size());
  const size_t name_size_at = sizeof(nanovdb::io::Header) + offsetof(nanovdb::io::MetaData, nameSize);
  const size_t grid_at = file.size() - good.size(); // the grid's buffer, as in memory
  // Writes `value`'s bytes over those of the field at `field`, a pointer into `bytes` (by offset:
  // GCC follows a pointer into a NanoVDB node and warns that the node has no room).
  auto overwrite = [](std::string& bytes, const void* field, auto value) {
    const size_t at = size_t(reinterpret_cast<uintptr_t>(field) - reinterpret_cast<uintptr_t>(bytes.data()));
    bytes.replace(at, sizeof value, reinterpret_cast<const char*>(&value), sizeof value);
  };
  auto damaged = [&](const std::string& name, auto&& damage) {
    std::string bytes = file;
    damage(bytes);
    test::write_bytes(dir.file(name), bytes.data(), bytes.size());
    return error_of([&] {
      const auto source = open_nanovdb(dir.file(name));
      source->read(source->box());
    });
  };
  // Cut off: the grid's bytes are not all there.
  std::string e = damaged("cut.nvdb", [](std::string& b) { b.resize(b.size() - 1000); });
  EXPECT_CONTAINS_ALL(e,
                      "cut.nvdb' is damaged (grid 'density' (" + std::to_string(good.size()) +
                          " bytes) runs past the end of the file)",
                      "truncated or corrupt");
  EXPECT_EQ(e.find('\n'), std::string::npos);
  // A grid name of 4 GiB.
  e = damaged("name.nvdb", [&](std::string& b) { std::memset(&b[name_size_at], 0xff, 4); });
  EXPECT_CONTAINS_ALL(e, "name.nvdb' is damaged (a grid name in segment 1 runs past the end of the file)");
  // The root's first tile points its child (an upper node) outside the grid.
  e = damaged("root.nvdb", [&](std::string& b) {
    const auto* grid = reinterpret_cast<const nanovdb::NanoGrid<float>*>(b.data() + grid_at);
    const auto* tile = grid->tree().root().data()->tile(0);
    ASSERT_TRUE(tile->isChild());
    overwrite(b, &tile->child, int64_t(1) << 40);
  });
  EXPECT_CONTAINS_ALL(e, "root.nvdb': grid 'density' is damaged (an upper node lies outside it)");
  // A leaf's offset in its lower node, 32 bytes short of the grid's start.
  e = damaged("leaf.nvdb", [&](std::string& b) {
    const auto* grid = reinterpret_cast<const nanovdb::NanoGrid<float>*>(b.data() + grid_at);
    const auto& lower = *grid->tree().getFirstNode<nanovdb::NanoLower<float>>();
    const uint32_t n = *lower.data()->mChildMask.beginOn();
    const int64_t before_grid = -int64_t(reinterpret_cast<const char*>(&lower) - b.data() - grid_at) - 32;
    overwrite(b, &lower.data()->mTable[n].child, before_grid);
  });
  EXPECT_CONTAINS_ALL(e, "leaf.nvdb': grid 'density' is damaged (a leaf node lies outside it)");
  // The grid's header says it is larger than what the file holds for it.
  e = damaged("size.nvdb", [&](std::string& b) {
    overwrite(b, b.data() + grid_at + offsetof(nanovdb::GridData, mGridSize), uint64_t(good.size() + 4096));
  });
  EXPECT_CONTAINS_ALL(e, "size.nvdb': grid 'density' is damaged (its header gives it " +
                             std::to_string(good.size() + 4096) + " bytes, and the file holds " +
                             std::to_string(good.size()) + ")");
  // Another NanoVDB version: NanoVDB's own refusal leaked its message; this one names both versions.
  e = damaged("version.nvdb", [&](std::string& b) {
    const nanovdb::Version old(NANOVDB_MAJOR_VERSION_NUMBER - 1, 0, 0);
    std::memcpy(&b[offsetof(nanovdb::io::Header, version)], &old, sizeof old);
  });
  EXPECT_CONTAINS_ALL(e, "version.nvdb' holds NanoVDB " + std::to_string(NANOVDB_MAJOR_VERSION_NUMBER - 1) +
                             ".0 data, and this build reads NanoVDB " + std::to_string(NANOVDB_MAJOR_VERSION_NUMBER));
  EXPECT_NO_THROW(open_nanovdb(path)->read(Box3i{{0, 0, 0}, {2, 2, 2}})) << "the undamaged file";
}

// The codecs NanoVDB writes (nanovdb_convert -z / -b): each file reads back as the uncompressed one.
TEST(NanoVdbReader, ZipAndBloscFilesReadAsTheUncompressedOne) {
  TempDir dir;
  nanovdb::io::writeGrid(dir.file("none.nvdb"), make_grid("density"));
  const auto plain = open_nanovdb(dir.file("none.nvdb"));
  const Brick want = plain->read(plain->box());
  std::vector<std::pair<nanovdb::io::Codec, std::string>> codecs{{nanovdb::io::Codec::ZIP, "zip.nvdb"}};
#ifdef NANOVDB_USE_BLOSC
  codecs.emplace_back(nanovdb::io::Codec::BLOSC, "blosc.nvdb");
#endif
  for (const auto& [codec, name] : codecs) {
    nanovdb::io::writeGrid(dir.file(name), make_grid("density"), codec);
    ASSERT_EQ(nanovdb::io::readGridMetaData(dir.file(name)).at(0).codec, codec) << name;
    const auto source = open_nanovdb(dir.file(name));
    EXPECT_EQ(source->box(), plain->box()) << name;
    EXPECT_TRUE(test::same_brick(source->read(source->box()), want)) << name;
  }
#ifndef NANOVDB_USE_BLOSC
  GTEST_SKIP() << "ZIP read; Blosc not tested: this build has no Blosc (libblosc-dev)";
#endif
}

// A Blosc file written by Debian's nanovdb_convert -b (through OpenVDB), not by this test's NanoVDB.
TEST(NanoVdbReader, BloscFileFromNanovdbConvert) {
  const std::string convert = LIBINDEX_NANOVDB_CONVERT;
  if (convert.empty()) GTEST_SKIP() << "nanovdb_convert not found (Debian's libnanovdb-tools)";
#ifndef NANOVDB_USE_BLOSC
  GTEST_SKIP() << "this build has no Blosc (libblosc-dev)";
#endif
  TempDir dir;
  nanovdb::io::writeGrid(dir.file("none.nvdb"), make_grid("density"));
  const std::string to_vdb = convert + " -f '" + dir.file("none.nvdb") + "' '" + dir.file("g.vdb") + "' > /dev/null";
  const std::string to_blosc = convert + " -b -f '" + dir.file("g.vdb") + "' '" + dir.file("b.nvdb") + "' > /dev/null";
  ASSERT_EQ(std::system(to_vdb.c_str()), 0) << to_vdb;
  ASSERT_EQ(std::system(to_blosc.c_str()), 0) << to_blosc;
  ASSERT_EQ(nanovdb::io::readGridMetaData(dir.file("b.nvdb")).at(0).codec, nanovdb::io::Codec::BLOSC);
  const auto source = open_nanovdb(dir.file("b.nvdb"));
  EXPECT_EQ(source->grid_name(), "density");
  EXPECT_EQ(source->index_offset(), (Vec3i{-3, 4, 20}));
  const Brick got = source->read(source->box());
  ASSERT_EQ(source->box(), (Box3i{{0, 0, 0}, {16, 5, 3}}));
  for (int z = 0; z < 3; ++z)
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 16; ++x)
        ASSERT_EQ(got.data<float>()[(z * 5 + y) * 16 + x], formula(x - 3, y + 4, z + 20)) << x << "," << y << "," << z;
}

// As OpenVdbReader.EmptyFarApartAndTurnedGridsAreSaidSo, from NanoVDB's grid table.
TEST(NanoVdbReader, EmptyFarApartAndTurnedGridsAreSaidSo) {
  TempDir dir;
  nanovdb::GridBuilder<float> empty(0.0f);
  nanovdb::io::writeGrid(dir.file("empty.nvdb"), empty.getHandle<>(1.0, nanovdb::Vec3d(0), "density"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("empty.nvdb")); }), "empty.nvdb",
                      "grid 'density' has no active voxels");
  nanovdb::GridBuilder<float> far(0.0f);
  far.getAccessor().setValue(nanovdb::Coord(-6, 0, 0), 1.0f);
  far.getAccessor().setValue(nanovdb::Coord(20006, 20006, 20006), 1.0f);
  nanovdb::io::writeGrid(dir.file("far.nvdb"), far.getHandle<>(1.0, nanovdb::Vec3d(0), "density"));
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(dir.file("far.nvdb")); }), "far.nvdb", "20013x20007x20007 voxels",
                      "29.1 TiB");

  const auto warnings_of = [&](double turn) {
    nanovdb::GridBuilder<float> b(0.0f);
    for (int x = 0; x < 8; ++x) b.getAccessor().setValue(nanovdb::Coord(x, 2 * x, 3), 1.0f);
    const double c = std::cos(turn), s = std::sin(turn);
    const double m[3][3] = {{2 * c, -2 * s, 0}, {2 * s, 2 * c, 0}, {0, 0, 2}};
    const double inverse[3][3] = {{c / 2, s / 2, 0}, {-s / 2, c / 2, 0}, {0, 0, 0.5}};
    nanovdb::Map map;
    map.set(m, inverse, nanovdb::Vec3d(5, 0, -1), 1.0);
    nanovdb::io::writeGrid(dir.file("t.nvdb"), b.getHandle<>(map, "density"));
    std::vector<std::string> warnings;
    open_nanovdb(dir.file("t.nvdb"), "", &warnings);
    return warnings;
  };
  EXPECT_TRUE(warnings_of(0.0).empty());
  const auto w = warnings_of(0.7854);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_CONTAINS_ALL(w[0], "t.nvdb", "grid 'density'", "rotates or shears");
}

// A fuzzed header with an index box ending at int's limit overflowed the readers' block walks (UBSan,
// vdb_common.h). Grids whose active voxels lie that far out are refused; one just inside reads its values.
TEST(NanoVdbReader, AGridAtIntsLimitsIsRefusedAndOneJustInsideReads) {
  TempDir dir;
  const auto grid_at = [&](int x, int y, int z) {
    nanovdb::GridBuilder<float> b(0.0f);
    for (int i = 0; i < 3; ++i) b.getAccessor().setValue(nanovdb::Coord(x + i, y, z), float(10 + i));
    nanovdb::io::writeGrid(dir.file("g.nvdb"), b.getHandle<>(1.0, nanovdb::Vec3d(0), "density"));
    return dir.file("g.nvdb");
  };
  constexpr int kMax = std::numeric_limits<int>::max(), kMin = std::numeric_limits<int>::min();
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(grid_at(kMax - 2, 0, 0)); }), "g.nvdb", "grid 'density'",
                      "active index box 2147483645 0 0 .. 2147483647 0 0", "beyond the index coordinates");
  EXPECT_CONTAINS_ALL(error_of([&] { open_nanovdb(grid_at(0, kMin, 5)); }), "0 -2147483648 5 .. 2 -2147483648 5",
                      "beyond the index coordinates");
  for (const Vec3i at : {Vec3i{kMax - 66, kMax - 64, kMax - 64}, Vec3i{kMin + 65, kMin + 65, kMin + 65}}) {
    const auto source = open_nanovdb(grid_at(at.x, at.y, at.z));
    EXPECT_EQ(source->box(), (Box3i{{0, 0, 0}, {3, 1, 1}}));
    EXPECT_EQ(source->index_offset(), at);
    const Brick brick = source->read(source->box());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(brick.data<float>()[i], float(10 + i)) << i;
    EXPECT_FALSE(source->region_empty(source->box()));
  }
}

#else

TEST(NanoVdbReader, RefusedWithoutNanoVdb) {
  EXPECT_CONTAINS_ALL(error_of([] { open_nanovdb("x.nvdb"); }), "built without NanoVDB");
}

#endif

} // namespace
} // namespace libindex::io
