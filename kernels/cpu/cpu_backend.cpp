// SPDX-License-Identifier: Apache-2.0
#include "cpu_backend.h"

#include <atomic>
#include <chrono>
#include <cstdint>

#include "../src/brick_cache.h"
#include "../src/parallel.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"

namespace libindex::kernels {
namespace {

constexpr int kTile = 16;

class CpuBackend final : public Backend {
public:
  std::string name() const override { return "cpu (" + std::to_string(worker_threads()) + " threads)"; }
  BackendKind kind() const override { return BackendKind::cpu; }

  RenderStats render(const BrickView& brick, const FrameParams& frame, ImageView out) override {
    const auto start = std::chrono::steady_clock::now();
    RenderStats stats;
    stats.active = active_rect(brick, frame);
    if (!stats.active.empty()) {
      const ColormapView colormap = frame.colormap.view();
      SkipGridView skip;
      if (frame.settings.empty_space_skipping) {
        const MacroCellGrid& grid = cache_.grid(brick);
        occupancy_ = grid.occupancy(colormap);
        skip = grid.view(occupancy_.data());
      }
      const MarchParams params = make_march_params(brick, frame, colormap, skip);
      switch (brick.dtype) {
      case DType::uint8: stats.samples = launch<uint8_t>(params, brick, stats.active, out); break;
      case DType::uint16: stats.samples = launch<uint16_t>(params, brick, stats.active, out); break;
      case DType::int16: stats.samples = launch<int16_t>(params, brick, stats.active, out); break;
      case DType::float32: stats.samples = launch<float>(params, brick, stats.active, out); break;
      }
    }
    stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return stats;
  }

private:
  template <class T>
  static long long launch(const MarchParams& params, const BrickView& brick, Rect r, ImageView out) {
    const DenseSampler<T> sampler = make_dense_sampler(brick, static_cast<const T*>(brick.data));
    const int tiles_x = (r.width() + kTile - 1) / kTile, tiles_y = (r.height() + kTile - 1) / kTile;
    std::atomic<unsigned long long> total{0};
    parallel_for(tiles_x * tiles_y, [&](int tile) {
      const int x0 = r.x0 + (tile % tiles_x) * kTile, y0 = r.y0 + (tile / tiles_x) * kTile;
      const int x1 = std::min(x0 + kTile, r.x1), y1 = std::min(y0 + kTile, r.y1);
      unsigned long long samples = 0;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) out.at(x, y) = march_ray(params, sampler, x, y, samples);
      total += samples;
    });
    return (long long)total.load();
  }

  BrickCache cache_;
  std::vector<uint8_t> occupancy_;
};

} // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

} // namespace libindex::kernels
