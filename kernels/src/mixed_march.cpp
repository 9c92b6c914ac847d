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
  const FrameParams& f0 = *layers[0].frame;
  require(f0.settings.mode == RenderMode::direct_volume,
          "volumes are mixed per sample in direct volume rendering only");
  for (const MixedLayer& l : layers) {
    require(!l.brick.on_device, "mixed volumes are rendered from host memory, not a device pointer");
    require(l.frame->width == f0.width && l.frame->height == f0.height, "mixed volumes must share the image size");
  }
}

/// Where layer l's voxel space lies on the lead's: scale and offset taking a lead voxel-space point
/// to l's (scene = voxel * scaling + translation on both sides), exactly 1 and 0 on the lead's grid.
void layer_transform(const RenderSettings& lead, const RenderSettings& l, Vec3f& scale, Vec3f& offset) {
  if (same_placement(lead, l)) {
    scale = {1, 1, 1}, offset = {0, 0, 0};
    return;
  }
  for (int a = 0; a < 3; ++a) {
    scale[a] = float(double(lead.scaling[a]) / double(l.scaling[a]));
    offset[a] = float((double(lead.translation[a]) - double(l.translation[a])) / double(l.scaling[a]));
  }
}

/// A layer's box on the lead's grid (the inverse of layer_transform).
Box3f on_lead_grid(const Box3f& b, Vec3f scale, Vec3f offset) {
  if (b.empty() || (scale == Vec3f{1, 1, 1} && offset == Vec3f{0, 0, 0})) return b;
  Box3f out;
  for (int a = 0; a < 3; ++a) {
    const float u = (b.lo[a] - offset[a]) / scale[a], v = (b.hi[a] - offset[a]) / scale[a];
    out.lo[a] = std::min(u, v), out.hi[a] = std::max(u, v);
  }
  return out;
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
    // Cells line up only on one grid: the same placement, volume and owned box.
    const BrickView& lead = layers[0].brick;
    if (!same_placement(l.frame->settings, layers[0].frame->settings) || !(l.brick.volume == lead.volume) ||
        !(l.brick.owned == lead.owned) || l.brick.stored.empty())
      return {};
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
      layer_transform(lead.settings, l.frame->settings, M.to_layer_scale[i], M.to_layer_offset[i]);
      // One lattice, the lead's (a distance along the ray in scene units): each volume's opacity
      // corrected for that step against its own reference.
      FrameParams f = *l.frame;
      f.settings.sampling_distance = lead.settings.sampling_distance;
      M.layer[i] = make_march_params(l.brick, f, l.frame->colormap.view(), SkipGridView{});
      visit_dtype(l.brick.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        samplers.set(i, make_dense_sampler(l.brick, static_cast<const T*>(l.brick.data)));
      });
    }
    // Samples are the lead's, each taken by the rank whose lead brick owns it: the lattice spans
    // the layers' clip boxes within the lead's owned box (another grid's brick reaches a little past).
    M.lattice = M.layer[0];
    for (int i = 1; i < M.count; ++i)
      M.lattice.clip = hull(M.lattice.clip, on_lead_grid(M.layer[i].clip, M.to_layer_scale[i], M.to_layer_offset[i]));
    M.lattice.clip = intersect(M.lattice.clip, to_float(layers[0].brick.owned));
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
