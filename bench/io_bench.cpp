// SPDX-License-Identifier: Apache-2.0
// Reading a brick, as each time step of a series does: a 256^3 raw file from the page cache into a
// new brick (the read, any conversion, and the brick's memory), then the brick is dropped. Arg: the
// file's voxel type, 0 float32 (read as it is) or 1 float64 (converted to float32). BM_FreshBrick:
// what a brick of fresh memory costs before a reader has written a byte of data (its page faults),
// the first time a session meets a brick of that size. BM_ReadLeaf: half of the file's x range, as a
// rank reads its leaf.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libindex/frame_memory.h"
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

} // namespace

BENCHMARK_MAIN();
