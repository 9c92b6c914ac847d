// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Overlapping volumes mixed per sample: one ray, one sample lattice (the first volume's), every
/// volume's value at each sample through its own colormap and shading, the samples mixed into one
/// before compositing. A volume on another grid (other voxel size or placement) is sampled at the
/// same scene points, read in its own voxel space. The per-ray function serves both backends, like
/// march.h's.
///
/// Mixing rule (order independent, and exact for media that absorb and emit): opacities combine as
/// transmittances multiply, 1 - a = prod(1 - a_i); the colour is the opacity-weighted mean of the
/// volumes' colours, sum(a_i c_i) / sum(a_i). So a volume mixed with a transparent one is itself,
/// and a volume mixed with itself is the volume with opacity 1 - (1 - a)^2.

#include <type_traits>

#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"

namespace libindex::kernels {

constexpr int kMaxMixedVolumes = 4;

/// One MarchParams per volume (the same camera; each its own voxel space, clip box and opacity
/// correction). `lattice` is layer 0 with the hull of the layers' clip boxes, seen on layer 0's grid:
/// its sample lattice (sampling distance, jitter), early termination and slice planes serve all.
/// Layer i's voxel-space point for layer 0's point p is p * to_layer_scale[i] + to_layer_offset[i]:
/// 1 and 0 for a layer on layer 0's grid, which then reads the very point, bit for bit.
struct MixParams {
  int count = 0;
  MarchParams layer[kMaxMixedVolumes];
  MarchParams lattice;
  Vec3f to_layer_scale[kMaxMixedVolumes] = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
  Vec3f to_layer_offset[kMaxMixedVolumes] = {};
};
static_assert(kMaxMixedVolumes == 4, "to_layer_scale's initializer names every layer");
static_assert(std::is_trivially_copyable_v<MixParams>);

/// One volume's sample at point p of its voxel space, for one ray (F = float) or a packet (lanes.h):
/// straight colour (shaded when its shading is on) and opacity corrected for the sampling distance;
/// alpha 0 in the lanes outside `active`, outside the layer's clip box or where it shows nothing.
template <class F, class Sampler>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec4<F> layer_sample(const MarchParams& L, const Sampler& S,
                                                                   const LaneVec3<F>& p, const LaneVec3<F>& ray_dir,
                                                                   LaneMask<F> active) {
  const Box3f& clip = L.clip;
  const LaneMask<F> inside = active & (p.x >= clip.lo.x) & (p.x < clip.hi.x) & (p.y >= clip.lo.y) & (p.y < clip.hi.y) &
                             (p.z >= clip.lo.z) & (p.z < clip.hi.z);
  const LaneVec4<F> none{F(0.0f), F(0.0f), F(0.0f), F(0.0f)};
  if (!any(inside)) return none;
  // Lanes that take no sample read the clip box's centre instead, which every brick stores.
  const LaneVec3<F> q{select(inside, p.x, F(0.5f * (clip.lo.x + clip.hi.x))),
                      select(inside, p.y, F(0.5f * (clip.lo.y + clip.hi.y))),
                      select(inside, p.z, F(0.5f * (clip.lo.z + clip.hi.z)))};
  const LaneVec4<F> c = colormap_lookup(L.colormap, S.value(q));
  const LaneMask<F> shows = inside & (c.w > 0.0f);
  if (!any(shows)) return none;
  LaneVec3<F> rgb{c.x, c.y, c.z};
  if (L.shading.enabled) rgb = shade(L, S, q, ray_dir, rgb);
  const F zero(0.0f);
  return {select(shows, rgb.x, zero), select(shows, rgb.y, zero), select(shows, rgb.z, zero),
          select(shows, correct_opacity(c.w, L.opacity_exponent), zero)};
}

/// Lattice point p (voxel space of M.lattice) in layer i's voxel space.
template <class Vec3>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec3 layer_point(const MixParams& M, int i, const Vec3& p) {
  const Vec3f scale = M.to_layer_scale[i], offset = M.to_layer_offset[i];
  return {p.x * scale.x + offset.x, p.y * scale.y + offset.y, p.z * scale.z + offset.z};
}

/// Mixes every layer's sample at p (the mixing rule above) and composites it front to back into
/// `o`, for the lanes in `active`. `S.visit(i, f)` calls f with layer i's sampler (the layers may
/// hold different voxel types). Written once for one ray and for a packet, so both agree bit for bit.
template <class F, class Samplers>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE void mix_sample(const MixParams& M, const Samplers& S, const LaneVec3<F>& p,
                                                          const LaneVec3<F>& ray_dir, LaneMask<F> active,
                                                          LaneVec4<F>& o) {
  F transmittance(1.0f), weight(0.0f);
  LaneVec3<F> rgb{F(0.0f), F(0.0f), F(0.0f)};
  for (int i = 0; i < M.count; ++i) {
    const LaneVec3<F> q = layer_point(M, i, p);
    const LaneVec4<F> c =
        S.visit(i, [&](const auto& sampler) { return layer_sample<F>(M.layer[i], sampler, q, ray_dir, active); });
    transmittance = transmittance * (1.0f - c.w);
    weight = weight + c.w;
    rgb = {rgb.x + c.x * c.w, rgb.y + c.y * c.w, rgb.z + c.z * c.w};
  }
  const LaneMask<F> shows = weight > 0.0f;
  if (!any(shows)) return;
  const F a = 1.0f - transmittance, w = (1.0f - o.w) * a / select(shows, weight, F(1.0f));
  o = {select(shows, o.x + w * rgb.x, o.x), select(shows, o.y + w * rgb.y, o.y), select(shows, o.z + w * rgb.z, o.z),
       select(shows, o.w + (1.0f - o.w) * a, o.w)};
}

/// Takes the mixed samples left on a started ray into `o` (premultiplied), jumping over the cells
/// every layer hides (M.lattice.skip), until the ray ends or turns opaque. `n` counts the samples.
template <class Samplers>
LIBINDEX_HOST_DEVICE inline void march_mixed_samples(const MixParams& M, const Samplers& S, RayLanes<float>& r,
                                                     Vec4f& o, int& n) {
  const MarchParams& P = M.lattice;
  for (;; ++r.k) {
    if (r.k >= r.k_stop) find_occupied_run(P, r, r.k < r.k_end);
    if (r.k >= r.k_end) return;
    float t;
    const Vec3f p = sample_point(P, r, r.k, t);
    ++n;
    mix_sample<float>(M, S, p, r.dir, true, o);
    if (P.early_termination && o.w >= kOpaqueAlpha) return;
  }
}

/// Marches the ray of pixel (px, py) through the layers' common brick; returns premultiplied RGBA:
/// the scalar driver of mix_sample (the CPU's packets run the same steps, packet_march.h).
/// Empty-space skipping follows M.lattice.skip: the cells every layer's colormap hides. The slice
/// planes take their colours from `shade_plane` over the lead's voxels (march.h's plane shaders):
/// behind a translucent one the ray goes on, as march_ray's does (through_planes).
template <class Samplers, class PlaneShader>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray_mixed(const MixParams& M, const Samplers& S, int px, int py,
                                                  unsigned long long& samples, const PlaneShader& shade_plane) {
  const MarchParams& P = M.lattice;
  RayLanes<float> r;
  float plane_t;
  int plane;
  if (!begin_ray(P, px, py, r, plane_t, plane)) return {0, 0, 0, 0};
  Vec4f o{0, 0, 0, 0};
  int n = 0;
  march_mixed_samples(M, S, r, o, n);
  o = through_planes(
      P, px, py, r, plane_t, plane, o,
      [&](const RayLanes<float>& ray, float t, int k) {
        return S.visit(0, [&](const auto& lead) { return shade_plane(P, lead, ray, t, k); });
      },
      [&](RayLanes<float>& ray, Vec4f in_front) {
        march_mixed_samples(M, S, ray, in_front, n);
        return in_front;
      });
  samples += (unsigned long long)n;
  return o;
}

/// march_ray_mixed with the built-in planes (opaque, through their colormaps).
template <class Samplers>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray_mixed(const MixParams& M, const Samplers& S, int px, int py,
                                                  unsigned long long& samples) {
  return march_ray_mixed(M, S, px, py, samples, ColormapPlanes{});
}

/// One sampler per layer, each of its layer's voxel type: `Sampler<T>` is DenseSampler (host or
/// device global memory) or the CPU's PacketSampler. visit(i, f) calls f with layer i's.
template <template <class> class Sampler>
struct LayerSamplers {
  DType dtype[kMaxMixedVolumes];
  Sampler<uint8_t> u8[kMaxMixedVolumes];
  Sampler<uint16_t> u16[kMaxMixedVolumes];
  Sampler<int16_t> i16[kMaxMixedVolumes];
  Sampler<float> f32[kMaxMixedVolumes];

  template <class T>
  void set(int i, const Sampler<T>& s) {
    if constexpr (std::is_same_v<T, uint8_t>) u8[i] = s, dtype[i] = DType::uint8;
    if constexpr (std::is_same_v<T, uint16_t>) u16[i] = s, dtype[i] = DType::uint16;
    if constexpr (std::is_same_v<T, int16_t>) i16[i] = s, dtype[i] = DType::int16;
    if constexpr (std::is_same_v<T, float>) f32[i] = s, dtype[i] = DType::float32;
  }

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
