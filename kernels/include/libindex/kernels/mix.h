// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Volumes on one grid, mixed per sample: one ray, one sample lattice, every volume's value at
/// each sample through its own colormap and shading, the samples mixed into one before compositing.
/// The per-ray function serves both backends, like march.h's.
///
/// Mixing rule (order independent, and exact for media that absorb and emit): opacities combine as
/// transmittances multiply, 1 - a = prod(1 - a_i); the colour is the opacity-weighted mean of the
/// volumes' colours, sum(a_i c_i) / sum(a_i). So a volume mixed with a transparent one is itself,
/// and a volume mixed with itself is the volume with opacity 1 - (1 - a)^2.

#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"

namespace libindex::kernels {

constexpr int kMaxMixedVolumes = 4;

/// One MarchParams per volume, all on one grid (the same camera, placement and owned box; each its
/// own clip box, which its region of interest may narrow). `lattice` is layer 0 with the hull of the
/// layers' clip boxes: its sample lattice (sampling distance, jitter), early termination and slice
/// planes serve all layers.
struct MixParams {
  int count = 0;
  MarchParams layer[kMaxMixedVolumes];
  MarchParams lattice;
};
static_assert(std::is_trivially_copyable_v<MixParams>);

/// One volume's sample at voxel-space point p: straight colour (shaded when its shading is on) and
/// opacity corrected for the sampling distance; alpha 0 when it shows nothing there.
template <class Sampler>
LIBINDEX_HOST_DEVICE inline Vec4f layer_sample(const MarchParams& L, const Sampler& S, Vec3f p, Vec3f ray_dir) {
  const Vec4f c = colormap_lookup(L.colormap, S.value(p));
  if (!(c.w > 0.0f)) return {0, 0, 0, 0};
  Vec3f rgb{c.x, c.y, c.z};
  if (L.shading.enabled) rgb = shade(L, S, p, ray_dir, rgb);
  return {rgb.x, rgb.y, rgb.z, correct_opacity(c.w, L.opacity_exponent)};
}

/// Marches the ray of pixel (px, py) through the layers' common brick; returns premultiplied RGBA.
/// `S.visit(i, f)` calls f with layer i's sampler (the layers may hold different voxel types).
/// Empty-space skipping follows M.lattice.skip: the cells every layer's colormap hides.
template <class Samplers>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray_mixed(const MixParams& M, const Samplers& S, int px, int py,
                                                  unsigned long long& samples) {
  const MarchParams& P = M.lattice;
  RayLanes<float> r;
  float plane_t;
  if (!begin_ray(P, px, py, r, plane_t)) return {0, 0, 0, 0};
  Vec4f o{0, 0, 0, 0};
  int n = 0;
  for (;; ++r.k) {
    if (r.k >= r.k_stop) find_occupied_run(P, r, r.k < r.k_end);
    if (r.k >= r.k_end) break;
    float t;
    const Vec3f p = sample_point(P, r, r.k, t);
    ++n;
    float transmittance = 1.0f, weight = 0.0f;
    Vec3f rgb{0, 0, 0};
    for (int i = 0; i < M.count; ++i) {
      if (!M.layer[i].clip.contains_half_open(p)) continue;
      const Vec4f c = S.visit(i, [&](const auto& sampler) { return layer_sample(M.layer[i], sampler, p, r.dir); });
      if (!(c.w > 0.0f)) continue;
      transmittance *= 1.0f - c.w;
      weight += c.w;
      rgb = rgb + Vec3f{c.x, c.y, c.z} * c.w;
    }
    if (!(weight > 0.0f)) continue;
    const float a = 1.0f - transmittance, w = (1.0f - o.w) * a / weight;
    o = {o.x + w * rgb.x, o.y + w * rgb.y, o.z + w * rgb.z, o.w + (1.0f - o.w) * a};
    if (P.early_termination && o.w >= kOpaqueAlpha) break;
  }
  samples += (unsigned long long)n;
  return S.visit(0, [&](const auto& sampler) { return over_plane(P, sampler, r, plane_t, o); });
}

/// Layer samplers on the host or in device global memory: a DenseSampler of each layer's type.
struct DenseLayerSamplers {
  DType dtype[kMaxMixedVolumes];
  DenseSampler<uint8_t> u8[kMaxMixedVolumes];
  DenseSampler<uint16_t> u16[kMaxMixedVolumes];
  DenseSampler<int16_t> i16[kMaxMixedVolumes];
  DenseSampler<float> f32[kMaxMixedVolumes];

  template <class F>
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE auto visit(int i, const F& f) const {
    switch (dtype[i]) {
    case DType::uint8:
      return f(u8[i]);
    case DType::uint16:
      return f(u16[i]);
    case DType::int16:
      return f(i16[i]);
    default:
      return f(f32[i]);
    }
  }
};

} // namespace libindex::kernels
