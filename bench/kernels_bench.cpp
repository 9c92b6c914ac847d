// SPDX-License-Identifier: Apache-2.0
// Ray-march throughput: samples per second, 256^3 uint8, 1024^2 image, skipping off and on, on one
// core and on all cores (CPU, in SIMD packets and one ray at a time) and on the GPU when one answers
// (hardware and software trilinear). Needs only the kernels module.
#include <benchmark/benchmark.h>

#include <cmath>

#include "../kernels/cpu/cpu_backend.h"
#include "libindex/config.h"
#include "libindex/kernels/backend.h"
#if LIBINDEX_WITH_TBB
#include <tbb/global_control.h>
#endif

using namespace libindex;

namespace {

// A cloud of shells with empty corners, so skipping has something to skip (as real data does).
const Brick& volume() {
  static const Brick b = [] {
    const int n = 256;
    Brick v({{0, 0, 0}, {n, n, n}}, DType::uint8);
    size_t i = 0;
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x, ++i) {
          const float px = (x + 0.5f) / n - 0.5f, py = (y + 0.5f) / n - 0.5f, pz = (z + 0.5f) / n - 0.5f;
          const float r = std::sqrt(px * px + py * py + pz * pz);
          const float shell = std::exp(-std::pow((r - 0.3f) / 0.05f, 2.0f)) *
                              (0.6f + 0.4f * std::sin(40 * px) * std::sin(37 * py) * std::sin(31 * pz));
          v.data<uint8_t>()[i] = uint8_t(255 * std::clamp(shell + (r < 0.08f ? 0.7f : 0.0f), 0.0f, 1.0f));
        }
    return v;
  }();
  return b;
}

FrameParams frame(bool skipping, bool hardware_filtering = true) {
  FrameParams f;
  f.width = f.height = 1024;
  f.camera.from = {128, 128, 560};
  f.camera.dir = {0, 0, -1};
  f.camera.up = {0, 1, 0};
  f.camera.focal = 1.0f;
  f.camera.aperture = 0.75f; // the volume fills the view
  f.colormap = colormap_preset("inferno", 0.3f);
  f.colormap.domain_min = 0.1f; // low densities transparent, as a user would set it
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.settings.empty_space_skipping = skipping;
  f.settings.hardware_filtering = hardware_filtering;
  return f;
}

void march(benchmark::State& state, kernels::Backend& backend, const FrameParams& f) {
  Image image(f.width, f.height);
  long long samples = 0;
  backend.render(whole_view(volume()), f, image.view()); // uploads, skip-grid build: not timed
  for (auto _ : state) {
    samples += backend.render(whole_view(volume()), f, image.view()).samples;
    benchmark::DoNotOptimize(image.pixels().data());
  }
  state.counters["samples/s"] = benchmark::Counter(double(samples), benchmark::Counter::kIsRate);
  state.counters["samples/frame"] = double(samples) / double(state.iterations());
}

void BM_Cpu(benchmark::State& state) {
  const bool skipping = state.range(0) != 0, one_core = state.range(1) != 0, packets = state.range(2) != 0;
#if LIBINDEX_WITH_TBB
  std::unique_ptr<tbb::global_control> limit;
  if (one_core) limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, 1);
#else
  if (one_core) {
    state.SkipWithError("per-core numbers need TBB");
    return;
  }
#endif
  if (packets && !kernels::cpu_packet_isa()) {
    state.SkipWithError("no SIMD ray packets in this build or on this CPU");
    return;
  }
  auto backend = kernels::make_cpu_backend(packets);
  state.SetLabel(backend->name());
  march(state, *backend, frame(skipping));
}
// packets:0 is march_ray one pixel at a time (what the GPU runs per thread); packets:1 the SIMD packets.
BENCHMARK(BM_Cpu)
    ->ArgNames({"skip", "one_core", "packets"})
    ->ArgsProduct({{0, 1}, {1, 0}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

void BM_Cuda(benchmark::State& state) {
  std::string reason;
  if (!kernels::cuda_device_available(&reason)) {
    state.SkipWithError(("no CUDA device: " + reason).c_str());
    return;
  }
  auto backend = kernels::make_backend(kernels::BackendKind::cuda, false);
  march(state, *backend, frame(state.range(0) != 0, state.range(1) != 0));
}
BENCHMARK(BM_Cuda)
    ->ArgNames({"skip", "hw_filter"})
    ->ArgsProduct({{0, 1}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

} // namespace

BENCHMARK_MAIN();
