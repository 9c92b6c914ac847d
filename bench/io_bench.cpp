// SPDX-License-Identifier: Apache-2.0
// Reading a brick, as each time step of a series does: a 256^3 raw file from the page cache into a
// new brick (the read, any conversion, and the brick's memory), then the brick is dropped. Arg: the
// file's voxel type, 0 float32 (read as it is) or 1 float64 (converted to float32). BM_FreshBrick:
// what a brick of fresh memory costs before a reader has written a byte of data (its page faults),
// the first time a session meets a brick of that size. BM_ReadLeaf: half of the file's x range, as a
// rank reads its leaf. BM_ReadSlabFiles: a NRRD volume stored as 64 files of 4 slices each.
// BM_ReadVdb: a level-set sphere from an OpenVDB or NanoVDB file, densified into a float32 brick.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zlib.h>

#include "libindex/frame_memory.h"
#include "libindex/io/nrrd_reader.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/raw_reader.h"

namespace {

using namespace libindex;

constexpr int kSide = 256;

std::string bench_file(io::FileType type) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("libindex_io_bench_" + std::to_string(kSide) + "_" + io::to_string(type) + ".raw"))
                               .string();
  const size_t voxels = size_t(kSide) * kSide * kSide, bytes = voxels * size_t(io::file_type_size(type));
  if (std::filesystem::exists(path) && std::filesystem::file_size(path) == bytes) return path;
  std::ofstream out(path, std::ios::binary);
  std::vector<char> row(size_t(kSide) * size_t(io::file_type_size(type)), 1);
  for (size_t i = 0; i < voxels / kSide; ++i) out.write(row.data(), std::streamsize(row.size()));
  return path;
}

void BM_ReadBrick(benchmark::State& state) {
  const io::FileType type = state.range(0) == 0 ? io::FileType::float32 : io::FileType::float64;
  const auto source = io::open_raw({bench_file(type), {kSide, kSide, kSide}, type});
  for (auto _ : state) {
    Brick brick = source->read(source->box());
    benchmark::DoNotOptimize(brick.bytes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kSide * kSide * kSide * 4);
  state.SetLabel(io::to_string(type) + " file, float32 brick");
}
BENCHMARK(BM_ReadBrick)->ArgName("float64")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// A rank's leaf: the half of the float32 file at x < 128 with two ghost layers, as a k-d split along
// x gives each of two ranks. Its rows are half the file's, so they cannot be read as whole slices.
void BM_ReadLeaf(benchmark::State& state) {
  const auto source = io::open_raw({bench_file(io::FileType::float32), {kSide, kSide, kSide}, io::FileType::float32});
  const Box3i leaf{{0, 0, 0}, {kSide / 2 + 2, kSide, kSide}};
  for (auto _ : state) {
    Brick brick = source->read(leaf);
    benchmark::DoNotOptimize(brick.bytes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * leaf.voxel_count() * 4);
}
BENCHMARK(BM_ReadLeaf)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FreshBrick(benchmark::State& state) {
  const std::size_t mib = std::size_t(state.range(0));
  std::size_t bytes = mib << 20;
  for (auto _ : state) {
    bytes += 4096;                                              // a size no kept block has: fresh memory every time
    Brick brick({{0, 0, 0}, {int(bytes), 1, 1}}, DType::uint8); // zeroed: every page written once
    benchmark::DoNotOptimize(brick.bytes.data());
    state.PauseTiming();
    brick = Brick(); // freed outside the timing, and not kept (the kept blocks stay bounded)
    state.ResumeTiming();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(mib << 20));
}
BENCHMARK(BM_FreshBrick)->ArgName("MiB")->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

// A 256^3 uint16 volume in 64 files of 4 slices, named by a NRRD pattern (`data file: slab%02d.raw 0 63 1`),
// as scanners and simulations write series of slices. Arg: 0 raw files (the page cache's copy), 1 gzip
// files (inflating is the read's work). The values are a smooth ramp with a little hash, so gzip has
// something to do. What it shows: reading the files one after another, or several at once.
std::string slab_files(bool gzip) {
  const auto dir =
      std::filesystem::temp_directory_path() / (gzip ? "libindex_io_bench_slabs_gz" : "libindex_io_bench_slabs");
  const std::string header = (dir / "volume.nhdr").string();
  if (std::filesystem::exists(header)) return header;
  std::filesystem::create_directories(dir);
  constexpr int kFiles = 64, kDepth = kSide / kFiles;
  std::vector<uint16_t> slab(size_t(kSide) * kSide * kDepth);
  for (int f = 0; f < kFiles; ++f) {
    for (size_t i = 0; i < slab.size(); ++i) {
      const uint32_t hash = uint32_t(i + size_t(f) * slab.size()) * 2654435761u;
      slab[i] = uint16_t((i % kSide) * 200 + (hash >> 28));
    }
    char name[32];
    std::snprintf(name, sizeof name, "slab%02d.raw", f);
    const std::string path = (dir / name).string();
    if (gzip) {
      gzFile out = gzopen(path.c_str(), "wb6");
      gzwrite(out, slab.data(), unsigned(slab.size() * sizeof(uint16_t)));
      gzclose(out);
    } else {
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(slab.data()), std::streamsize(slab.size() * sizeof(uint16_t)));
    }
  }
  std::ofstream(header) << "NRRD0004\ntype: uint16\ndimension: 3\nsizes: " << kSide << " " << kSide << " " << kSide
                        << "\nendian: little\nencoding: " << (gzip ? "gzip" : "raw")
                        << "\ndata file: slab%02d.raw 0 63 1 3\n";
  return header;
}

void BM_ReadSlabFiles(benchmark::State& state) {
  const auto source = io::open_nrrd(slab_files(state.range(0) == 1));
  for (auto _ : state) {
    Brick brick = source->read(source->box());
    benchmark::DoNotOptimize(brick.bytes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kSide * kSide * kSide * 2);
}
BENCHMARK(BM_ReadSlabFiles)->ArgName("gzip")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

#ifdef LIBINDEX_MAKE_VDB_SPHERE
// A level-set sphere 384 voxels across (OpenVDB's own createLevelSetSphere, written by the
// make_vdb_sphere tool), opened and read whole into a 384^3 float32 brick (216 MiB),
// as a rank reads its box of a VDB file: the file's checks, OpenVDB's (or NanoVDB's) read, and
// densify. Arg: 0 OpenVDB (.vdb), 1 NanoVDB (.nvdb). The brick is kept in frame_memory between
// iterations, so its pages are faulted in once: what is timed is the reading.
void BM_ReadVdb(benchmark::State& state) {
  const bool nano = state.range(0) == 1;
  const std::string path = (std::filesystem::temp_directory_path() /
                            (nano ? "libindex_io_bench_sphere.nvdb" : "libindex_io_bench_sphere.vdb"))
                               .string();
  if (!std::filesystem::exists(path)) {
    const std::string command = std::string(LIBINDEX_MAKE_VDB_SPHERE) + " " + path + " 384 level-set";
    if (std::system(command.c_str()) != 0) return state.SkipWithError(("cannot run " + command).c_str());
  }
  const Box3i box{{0, 0, 0}, {384, 384, 384}};
  for (auto _ : state) {
    const std::shared_ptr<io::VolumeSource> source = io::open_volume_file(path);
    benchmark::DoNotOptimize(source->read(intersect(box, source->box())).bytes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * box.voxel_count() * 4);
}
BENCHMARK(BM_ReadVdb)->ArgName("nanovdb")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

BENCHMARK_MAIN();
