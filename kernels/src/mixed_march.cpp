// SPDX-License-Identifier: Apache-2.0
// Volumes on one grid mixed per sample, on the host's cores: mix.h's per-ray function over tiles.
#include "mixed_march.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <cmath>
#include <string>

#include "libindex/error.h"
#include "libindex/kernels/mix.h"
#include "../cpu/cpu_backend.h"
#include "../cpu/packets.h"
#include "parallel.h"
#include "program_march.h"
#include "tiles.h"

namespace libindex::kernels {
namespace {

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

/// The mix of `m` with the lead's planes coloured by their surface programs (in packets where `m`
/// may use them: a ray goes on one at a time only behind a plane its program left translucent),
/// each program reading the lead's brick and the volumes the session mapped to its slots
/// (FrameParams::plane_programs). A fault in a program ends the frame and turns that program off
/// (fail_faulted_program).
template <class T>
long long march_mixed_with_plane_programs(const MixFrame& m, const FrameParams& lead, Rect active, ImageView out) {
  const MarchParams& P = m.M.lattice;
  const ProgramVolume<T> volume(m.bricks[0]);
  const PlanePrograms programs(lead, P, m.bricks[0], &volume, &ProgramVolume<T>::fetch);
  const ProgramPlanes& planes = programs.shader();
  return for_each_guarded_tile(active, lead, [&](Rect t, unsigned long long& n) {
    if (m.packets) {
      n += march_mixed_packets(m.M, m.bricks, t, out, &planes);
      return;
    }
    for (int y = t.y0; y < t.y1; ++y)
      for (int x = t.x0; x < t.x1; ++x) out.at(x, y) = march_ray_mixed(m.M, m.samplers, x, y, n, planes);
  });
}

} // namespace

Backend::Backend() = default;
Backend::~Backend() = default;

RenderStats Backend::render_mixed(std::span<const MixedLayer> layers, ImageView out) {
  if (!mixer_) mixer_ = std::make_unique<MixedMarcher>();
  return mixer_->render(layers, out, mix_in_packets() && cpu_packet_isa() != nullptr);
}

bool Backend::mix_in_packets() const { return true; }

namespace {

/// Marks the lead's cells where a partner on another grid may show: lead cell c holds the lead's
/// lattice points [origin + c s, origin + (c + 1) s) per axis, which the partner samples at
/// p * scale + offset of its own voxel space (mix.h). A lead cell is occupied when that box, widened
/// by the lead's reach and a partner voxel for rounding, meets an occupied cell of the partner
/// inside the partner's clip box; or, to stay safe, when it reaches past the partner's grid there.
void add_partner_occupancy(const MacroCellGrid& lead, std::vector<uint8_t>& occupancy, const MacroCellGrid& partner,
                           const std::vector<uint8_t>& partner_radius, Vec3f scale, Vec3f offset, const Box3f& clip) {
  const Vec3i n = lead.dims(), m = partner.dims();
  // Per axis and lead cell index: the partner cells [first, last] its box meets, or none.
  struct Span {
    int first = 0, last = -1;
    bool outside = false; ///< reaches past the partner's grid inside its clip box
  };
  std::vector<Span> spans[3];
  for (int a = 0; a < 3; ++a) {
    spans[a].resize(size_t(n[a]));
    for (int c = 0; c < n[a]; ++c) {
      const double lo = lead.origin()[a] + double(c) * lead.cell_size() - kMacroCellReach;
      const double hi = lead.origin()[a] + double(c + 1) * lead.cell_size() + kMacroCellReach;
      double u = lo * scale[a] + offset[a], v = hi * scale[a] + offset[a];
      if (u > v) std::swap(u, v);
      u = std::max(u - 1.0, double(clip.lo[a])), v = std::min(v + 1.0, double(clip.hi[a]));
      Span& span = spans[a][size_t(c)];
      if (!(u < v)) continue; // outside the partner's clip box: it takes no sample there
      const double origin = partner.origin()[a], size = partner.cell_size();
      // [u, v) is half-open, like the clip box it was cut to: v on a cell face ends in the cell below.
      const int first = int(std::floor((u - origin) / size)), last = int(std::ceil((v - origin) / size)) - 1;
      span.outside = first < 0 || last >= m[a];
      span.first = std::clamp(first, 0, m[a] - 1), span.last = std::clamp(last, 0, m[a] - 1);
    }
  }
  size_t i = 0;
  for (int z = 0; z < n.z; ++z)
    for (int y = 0; y < n.y; ++y)
      for (int x = 0; x < n.x; ++x, ++i) {
        if (occupancy[i]) continue;
        const Span &sx = spans[0][size_t(x)], &sy = spans[1][size_t(y)], &sz = spans[2][size_t(z)];
        if (sx.last < sx.first || sy.last < sy.first || sz.last < sz.first) continue;
        bool shows = sx.outside || sy.outside || sz.outside;
        for (int pz = sz.first; pz <= sz.last && !shows; ++pz)
          for (int py = sy.first; py <= sy.last && !shows; ++py)
            for (int px = sx.first; px <= sx.last && !shows; ++px)
              shows = partner_radius[(size_t(pz) * size_t(m.y) + size_t(py)) * size_t(m.x) + size_t(px)] == 0;
        occupancy[i] = shows ? 1 : 0;
      }
}

} // namespace

SkipGridView MixedMarcher::combined_skip(std::span<const MixedLayer> layers, const MixParams& M) {
  if (caches_.size() < layers.size()) caches_.resize(layers.size());
  for (const MixedLayer& l : layers)
    if (!l.frame->settings.empty_space_skipping || l.brick.stored.empty()) return {};
  const MacroCellGrid& lead = caches_[0].grid(layers[0].brick);
  // The lead's cells cover its own volume, and the lattice may reach past it into a partner's
  // (the hull of the mix): there no cell could say whether the partner shows, so nothing is skipped.
  Box3f cells_box;
  for (int a = 0; a < 3; ++a)
    cells_box.lo[a] = float(lead.origin()[a]),
    cells_box.hi[a] = float(lead.origin()[a] + lead.dims()[a] * lead.cell_size());
  const Box3f& clip = M.lattice.clip;
  for (int a = 0; a < 3; ++a)
    if (!clip.empty() && (clip.lo[a] < cells_box.lo[a] || clip.hi[a] > cells_box.hi[a])) return {};
  const SkipCells& lead_cells = caches_[0].skip_cells(layers[0].brick, layers[0].frame->colormap);
  occupancy_.resize(lead_cells.empty_radius.size());
  for (size_t c = 0; c < occupancy_.size(); ++c) occupancy_[c] = lead_cells.empty_radius[c] == 0;
  for (size_t i = 1; i < layers.size(); ++i) {
    const MixedLayer& l = layers[i];
    const MacroCellGrid& grid = caches_[i].grid(l.brick);
    const SkipCells& cells = caches_[i].skip_cells(l.brick, l.frame->colormap);
    // Cells line up on one grid (the same placement, volume and owned box): taken cell by cell.
    const bool one_grid = same_placement(l.frame->settings, layers[0].frame->settings) &&
                          l.brick.volume == layers[0].brick.volume && l.brick.owned == layers[0].brick.owned &&
                          grid.origin() == lead.origin() && grid.dims() == lead.dims() &&
                          grid.cell_size() == lead.cell_size();
    if (one_grid) {
      for (size_t c = 0; c < occupancy_.size(); ++c) occupancy_[c] |= cells.empty_radius[c] == 0;
    } else {
      add_partner_occupancy(lead, occupancy_, grid, cells.empty_radius, M.to_layer_scale[i], M.to_layer_offset[i],
                            M.layer[i].clip);
    }
  }
  empty_radius_ = lead.empty_radius(occupancy_);
  return lead.view(empty_radius_.data(), lead.occupied_box(occupancy_));
}

MixFrame MixedMarcher::prepare(std::span<const MixedLayer> layers, bool packets) {
  check_layers(layers);
  const FrameParams& lead = *layers[0].frame;
  MixFrame m;
  for (const MixedLayer& l : layers) m.active = hull(m.active, active_rect(l.brick, *l.frame));
  if (m.active.empty()) return m;
  MixParams& M = m.M;
  M.count = int(layers.size());
  m.packets = packets;
  for (int i = 0; i < M.count; ++i) {
    const MixedLayer& l = layers[size_t(i)];
    m.bricks[i] = l.brick;
    m.packets = m.packets && packet_path_fits(l.brick);
    layer_transform(lead.settings, l.frame->settings, M.to_layer_scale[i], M.to_layer_offset[i]);
    // One lattice, the lead's (a distance along the ray in scene units): each volume's opacity
    // corrected for that step against its own reference. (From the layer's own frame, not a copy:
    // the parameters hold views of its planes' colormaps, which must outlive the march.)
    M.layer[i] = make_march_params(l.brick, *l.frame, l.frame->colormap.view(), SkipGridView{});
    M.layer[i].dt = lead.settings.sampling_distance;
    M.layer[i].opacity_exponent = lead.settings.sampling_distance / l.frame->settings.sampling_distance_reference;
    visit_dtype(l.brick.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      m.samplers.set(i, make_dense_sampler(l.brick, static_cast<const T*>(l.brick.data)));
    });
  }
  // Samples are the lead's, each taken by the rank whose lead brick owns it: the lattice spans
  // the layers' clip boxes within the lead's owned box (another grid's brick reaches a little past).
  M.lattice = M.layer[0];
  for (int i = 1; i < M.count; ++i)
    M.lattice.clip = hull(M.lattice.clip, on_lead_grid(M.layer[i].clip, M.to_layer_scale[i], M.to_layer_offset[i]));
  M.lattice.clip = intersect(M.lattice.clip, to_float(layers[0].brick.owned));
  // Rays start and end at the box of the cells some layer shows, as march_params does for one.
  M.lattice.skip = combined_skip(layers, M);
  if (M.lattice.skip.empty_radius) M.lattice.clip = intersect(M.lattice.clip, M.lattice.skip.occupied);
  return m;
}

RenderStats MixedMarcher::render(std::span<const MixedLayer> layers, ImageView out, bool packets) {
  const auto start = std::chrono::steady_clock::now();
  const FrameParams& lead = *layers[0].frame;
  const MixFrame m = prepare(layers, packets);
  RenderStats stats;
  stats.active = m.active;
  if (!stats.active.empty()) {
    long long samples;
    if (m.M.lattice.plane_count > 0 && lead.first_plane_program())
      samples = visit_dtype(m.bricks[0].dtype, [&](auto tag) {
        return march_mixed_with_plane_programs<typename decltype(tag)::type>(m, lead, stats.active, out);
      });
    else
      samples = for_each_tile(stats.active, lead, [&](Rect t) -> unsigned long long {
        if (m.packets) return march_mixed_packets(m.M, m.bricks, t, out);
        unsigned long long n = 0;
        for (int y = t.y0; y < t.y1; ++y)
          for (int x = t.x0; x < t.x1; ++x) out.at(x, y) = march_ray_mixed(m.M, m.samplers, x, y, n);
        return n;
      });
    if (lead.cancel && lead.cancel->load(std::memory_order_relaxed)) throw Error("frame cancelled");
    stats.samples = samples;
  }
  stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

} // namespace libindex::kernels
