// SPDX-License-Identifier: Apache-2.0
// Volumes on one grid mixed per sample, on the host's cores: mix.h's per-ray function over tiles.
#include "mixed_march.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>

#include "libindex/error.h"
#include "libindex/kernels/mix.h"
#include "../cpu/cpu_backend.h"
#include "../cpu/packets.h"
#include "parallel.h"

namespace libindex::kernels {
namespace {

constexpr int kTile = 16;

void check_layers(std::span<const MixedLayer> layers) {
  require(!layers.empty() && int(layers.size()) <= kMaxMixedVolumes,
          "a mix takes 1 to " + std::to_string(kMaxMixedVolumes) + " volumes, got " + std::to_string(layers.size()));
  const BrickView& lead = layers[0].brick;
  const FrameParams& f0 = *layers[0].frame;
  require(f0.settings.mode == RenderMode::direct_volume,
          "volumes are mixed per sample in direct volume rendering only");
  for (const MixedLayer& l : layers) {
    require(!l.brick.on_device, "mixed volumes are rendered from host memory, not a device pointer");
    require(l.brick.owned == lead.owned && l.brick.volume == lead.volume,
            "mixed volumes must share one grid: brick " + to_string(l.brick.owned) + " of " +
                to_string(l.brick.volume) + " against " + to_string(lead.owned) + " of " + to_string(lead.volume));
    const RenderSettings& s = l.frame->settings;
    require(l.frame->width == f0.width && l.frame->height == f0.height && s.scaling == f0.settings.scaling &&
                s.translation == f0.settings.translation,
            "mixed volumes must share the image size and the placement (scaling, translation)");
  }
}

} // namespace

Backend::Backend() = default;
Backend::~Backend() = default;

RenderStats Backend::render_mixed(std::span<const MixedLayer> layers, ImageView out) {
  if (!mixer_) mixer_ = std::make_unique<MixedMarcher>();
  return mixer_->render(layers, out, mix_in_packets() && cpu_packet_isa() != nullptr);
}

bool Backend::mix_in_packets() const { return true; }

SkipGridView MixedMarcher::combined_skip(std::span<const MixedLayer> layers) {
  if (caches_.size() < layers.size()) caches_.resize(layers.size());
  SkipGridView view;
  Box3f occupied;
  for (size_t i = 0; i < layers.size(); ++i) {
    const MixedLayer& l = layers[i];
    if (!l.frame->settings.empty_space_skipping) return {};
    const MacroCellGrid& grid = caches_[i].grid(l.brick);
    const SkipCells& cells = caches_[i].skip_cells(l.brick, l.frame->colormap);
    if (i == 0) {
      view = grid.view(nullptr, {});
      empty_radius_ = cells.empty_radius;
    } else {
      if (!(grid.origin() == view.origin && grid.dims() == view.dims && grid.cell_size() == view.cell_size)) return {};
      for (size_t c = 0; c < empty_radius_.size(); ++c)
        empty_radius_[c] = std::min(empty_radius_[c], cells.empty_radius[c]);
    }
    occupied = hull(occupied, cells.occupied);
  }
  view.empty_radius = empty_radius_.data();
  view.occupied = occupied;
  return view;
}

RenderStats MixedMarcher::render(std::span<const MixedLayer> layers, ImageView out, bool packets) {
  const auto start = std::chrono::steady_clock::now();
  check_layers(layers);
  const FrameParams& lead = *layers[0].frame;
  RenderStats stats;
  for (const MixedLayer& l : layers) stats.active = hull(stats.active, active_rect(l.brick, *l.frame));
  if (!stats.active.empty()) {
    MixParams M;
    LayerSamplers<DenseSampler> samplers{};
    BrickView bricks[kMaxMixedVolumes];
    M.count = int(layers.size());
    for (int i = 0; i < M.count; ++i) {
      const MixedLayer& l = layers[size_t(i)];
      bricks[i] = l.brick;
      packets = packets && packet_path_fits(l.brick);
      FrameParams f = *l.frame;
      f.settings.sampling_distance = lead.settings.sampling_distance; // one lattice; opacity corrected per volume
      M.layer[i] = make_march_params(l.brick, f, l.frame->colormap.view(), SkipGridView{});
      visit_dtype(l.brick.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        samplers.set(i, make_dense_sampler(l.brick, static_cast<const T*>(l.brick.data)));
      });
    }
    M.lattice = M.layer[0];
    for (int i = 1; i < M.count; ++i) M.lattice.clip = hull(M.lattice.clip, M.layer[i].clip);
    // Rays start and end at the box of the cells some layer shows, as march_params does for one.
    M.lattice.skip = combined_skip(layers);
    if (M.lattice.skip.empty_radius) M.lattice.clip = intersect(M.lattice.clip, M.lattice.skip.occupied);
    const Rect r = stats.active;
    const int tiles_x = (r.width() + kTile - 1) / kTile, tiles_y = (r.height() + kTile - 1) / kTile;
    std::atomic<unsigned long long> total{0};
    parallel_for(tiles_x * tiles_y, [&](int tile) {
      if (lead.cancel && lead.cancel->load(std::memory_order_relaxed)) return;
      const int x0 = r.x0 + (tile % tiles_x) * kTile, y0 = r.y0 + (tile / tiles_x) * kTile;
      const Rect t{x0, y0, std::min(x0 + kTile, r.x1), std::min(y0 + kTile, r.y1)};
      if (packets) {
        total += march_mixed_packets(M, bricks, t, out);
        return;
      }
      unsigned long long samples = 0;
      for (int y = t.y0; y < t.y1; ++y)
        for (int x = t.x0; x < t.x1; ++x) out.at(x, y) = march_ray_mixed(M, samplers, x, y, samples);
      total += samples;
    });
    if (lead.cancel && lead.cancel->load(std::memory_order_relaxed)) throw Error("frame cancelled");
    stats.samples = (long long)total.load();
  }
  stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

} // namespace libindex::kernels
