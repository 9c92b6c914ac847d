// SPDX-License-Identifier: Apache-2.0
// Frame encoding cost per frame size: the budget the streaming layer takes from every frame.
//   encode_bench [--benchmark_filter=Jpeg]
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "libindex/streaming/frame_encoder.h"

namespace {

using namespace libindex::streaming;

// Something like a volume rendering: smooth shading with some structure, opaque over black.
std::vector<uint8_t> test_image(int w, int h) {
  std::vector<uint8_t> px(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float u = float(x) / w, v = float(y) / h;
      const float r = std::sqrt((u - 0.5f) * (u - 0.5f) + (v - 0.5f) * (v - 0.5f));
      const float s = 0.5f + 0.5f * std::sin(40.0f * r) * std::exp(-3.0f * r);
      uint8_t* p = &px[(size_t(y) * w + x) * 4];
      p[0] = uint8_t(255 * s * u);
      p[1] = uint8_t(255 * s * v);
      p[2] = uint8_t(255 * s);
      p[3] = 255;
    }
  return px;
}

void set_counters(benchmark::State& state, int w, int h, size_t bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(int64_t(state.iterations()) * w * h * 4);
  state.counters["out_KiB"] = double(bytes) / 1024.0;
}

void BM_Jpeg(benchmark::State& state) {
  const int w = int(state.range(0)), h = int(state.range(1));
  const auto px = test_image(w, h);
  JpegEncoder encoder;
  size_t bytes = 0;
  for (auto _ : state) {
    auto f = encoder.encode(px.data(), w, h, 85);
    bytes = f.image().size();
    benchmark::DoNotOptimize(f.buffer.data());
  }
  set_counters(state, w, h, bytes);
}
BENCHMARK(BM_Jpeg)->Args({1920, 1080})->Args({1024, 1024})->Unit(benchmark::kMillisecond);

void BM_Png(benchmark::State& state) {
  const int w = int(state.range(0)), h = int(state.range(1));
  const auto level = state.range(2) ? PngCompression::standard : PngCompression::fast;
  const auto px = test_image(w, h);
  size_t bytes = 0;
  for (auto _ : state) {
    auto f = encode_png(px.data(), w, h, level);
    bytes = f.image().size();
    benchmark::DoNotOptimize(f.buffer.data());
  }
  set_counters(state, w, h, bytes);
}
BENCHMARK(BM_Png)
    ->ArgNames({"w", "h", "standard"})
    ->Args({1024, 1024, 0})
    ->Args({1024, 1024, 1})
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
