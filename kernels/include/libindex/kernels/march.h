// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The per-ray function: one source for the CPU and the GPU launchers (DESIGN.md, Rendering
/// conventions). Everything a ray needs travels in MarchParams by value.

#include <type_traits>

#include "libindex/camera.h"
#include "libindex/colormap.h"
#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/kernels/skip_grid.h"

namespace libindex::kernels {

/// Per-frame, per-brick constants of the marcher. Trivially copyable: kernels take it by value.
struct MarchParams {
  Camera camera;
  CameraFrame frame;
  int width = 0, height = 0;
  Vec3f inv_scaling{1, 1, 1}, translation{0, 0, 0}; ///< voxel = (scene - translation) * inv_scaling
  Box3f clip;             ///< voxel space: owned box, volume box and region of interest; half-open
  float dt = 0.5f;        ///< sampling distance (scene space)
  float opacity_exponent = 0.5f; ///< dt / dt_ref
  ColormapView colormap;
  RenderMode mode = RenderMode::direct_volume;
  bool mip_values = false; ///< MIP: write (max value, 0, 0, 1) for value compositing instead of a color
  Shading shading;
  bool jitter = false, early_termination = true;
  SkipGridView skip;
};
static_assert(std::is_trivially_copyable_v<MarchParams>);

/// Alpha at or above which a ray stops (front-to-back, DESIGN.md Accumulation).
constexpr float kOpaqueAlpha = 1.0f - 1.0f / 512.0f;

/// a' = 1 - (1 - a)^(dt / dt_ref), with the common exponents 1 and 1/2 computed exactly and cheaply.
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float correct_opacity(float a, float exponent) {
  if (a >= 1.0f) return 1.0f;
  if (exponent == 1.0f) return a;
  if (exponent == 0.5f) return 1.0f - sqrtf(1.0f - a);
  return 1.0f - exp2f(exponent * log2f(1.0f - a));
}

/// Deterministic per-pixel lattice offset in [0, 1): every rank and backend picks the same one.
LIBINDEX_HOST_DEVICE inline float pixel_jitter(int px, int py) {
  unsigned h = unsigned(px) * 0x8da6b343u ^ unsigned(py) * 0xd8163841u;
  h ^= h >> 16, h *= 0x7feb352du, h ^= h >> 15, h *= 0x846ca68bu, h ^= h >> 16;
  return float(h >> 8) * (1.0f / 16777216.0f);
}

/// Sample position arithmetic that no compiler may contract into an FMA: ownership of a sample by a
/// rank (a half-open box test) must come out the same on every rank and every backend.
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float exact_mul_add(float a, float b, float c) {
#if LIBINDEX_DEVICE_PASS
  return __fadd_rn(__fmul_rn(a, b), c);
#else
  return a * b + c; // host code is built with -ffp-contract=off
#endif
}

/// Headlight Blinn-Phong: light and viewer along the ray, so the half vector is the light vector.
template <class Sampler>
LIBINDEX_HOST_DEVICE inline Vec3f shade(const MarchParams& P, const Sampler& S, Vec3f p, Vec3f ray_dir,
                                        Vec3f rgb) {
  const Vec3f g_voxel{S.value(p + Vec3f{1, 0, 0}) - S.value(p - Vec3f{1, 0, 0}),
                      S.value(p + Vec3f{0, 1, 0}) - S.value(p - Vec3f{0, 1, 0}),
                      S.value(p + Vec3f{0, 0, 1}) - S.value(p - Vec3f{0, 0, 1})};
  const Vec3f g = g_voxel * P.inv_scaling; // chain rule: d/dscene = d/dvoxel * dvoxel/dscene
  const float len = length(g);
  if (!(len > 1e-12f)) return rgb; // flat region: no normal, leave unshaded
  const float ndotl = fabsf(dot(g, ray_dir)) / len; // two-sided
  const Shading& s = P.shading;
  const float diffuse = (s.ambient + s.diffuse * ndotl) * s.intensity;
  const float specular = s.specular * powf(ndotl, s.shininess) * s.intensity;
  return {fminf(1.0f, rgb.x * diffuse + specular), fminf(1.0f, rgb.y * diffuse + specular),
          fminf(1.0f, rgb.z * diffuse + specular)};
}

/// The colormap read in software: exactly the conventions' lookup (both backends' default).
struct TableClassifier {
  ColormapView map;
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f operator()(float v) const { return map.lookup(v); }
};

/// Marches the ray of pixel (px, py) through the brick and returns its premultiplied RGBA.
/// Sample k lies at t_k = (k + j) * dt on one lattice anchored at the eye; a sample is taken only
/// inside P.clip (half-open), so across ranks every sample is taken exactly once. Empty macro
/// cells are jumped over on the same lattice, so skipping drops only samples that add nothing.
/// `samples` counts the samples evaluated. `classify` maps a value to straight RGBA.
template <class Sampler, class Classifier>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray(const MarchParams& P, const Sampler& S, const Classifier& classify,
                                            int px, int py, unsigned long long& samples) {
  const Ray ray = camera_ray(P.camera, P.frame, px, py, P.width, P.height);
  // The ray in voxel space; t keeps its scene-space meaning since positions map affinely.
  const Vec3f o = (ray.origin - P.translation) * P.inv_scaling;
  const Vec3f d = ray.dir * P.inv_scaling;
  // clip_min/clip_max are near and far planes: distances along the view direction, not the ray.
  const float along_view = dot(ray.dir, P.frame.dir);
  const float t_near = P.camera.clip_min / along_view, t_far = P.camera.clip_max / along_view;
  float t0 = t_near, t1 = t_far;
  intersect_ray_box({o, d}, P.clip, t0, t1);
  if (!(t0 <= t1)) return {0, 0, 0, 0};

  const float dt = P.dt;
  const float j = P.jitter ? pixel_jitter(px, py) : 0.0f;
  // One lattice step of margin on both ends: the exact half-open test below decides membership.
  int k = int(ceilf(t0 / dt - j)) - 1;
  if (k < 0) k = 0;
  const int k_end = int(floorf(t1 / dt - j)) + 2;

  Vec4f acc{0, 0, 0, 0};
  float max_value = -3.0e38f;
  bool hit = false;
  const bool skipping = P.skip.occupied != nullptr && P.mode == RenderMode::direct_volume;
  unsigned long long n = 0;

  while (k < k_end) {
    int k_stop = k_end;
    if (skipping) {
      const float t = (float(k) + j) * dt;
      const Vec3f p{exact_mul_add(d.x, t, o.x), exact_mul_add(d.y, t, o.y), exact_mul_add(d.z, t, o.z)};
      const Vec3i cell = P.skip.cell_of(p);
      int k_next = int(ceilf(P.skip.exit_t(cell, o, d) / dt - j));
      if (k_next <= k) k_next = k + 1;
      if (!P.skip.is_occupied(cell)) {
        k = k_next;
        continue;
      }
      k_stop = k_next < k_end ? k_next : k_end;
    }
    for (; k < k_stop; ++k) {
      const float t = (float(k) + j) * dt;
      const Vec3f p{exact_mul_add(d.x, t, o.x), exact_mul_add(d.y, t, o.y), exact_mul_add(d.z, t, o.z)};
      if (!P.clip.contains_half_open(p) || t < t_near || t >= t_far) continue;
      ++n;
      const float v = S.value(p);
      if (P.mode == RenderMode::maximum_intensity) {
        max_value = v > max_value ? v : max_value;
        hit = true;
        continue;
      }
      const Vec4f c = classify(v);
      if (!(c.w > 0.0f)) continue;
      const float a = correct_opacity(c.w, P.opacity_exponent);
      Vec3f rgb{c.x, c.y, c.z};
      if (P.shading.enabled) rgb = shade(P, S, p, ray.dir, rgb);
      const float w = (1.0f - acc.w) * a;
      acc.x += w * rgb.x, acc.y += w * rgb.y, acc.z += w * rgb.z, acc.w += w;
      if (P.early_termination && acc.w >= kOpaqueAlpha) {
        samples += n;
        return acc;
      }
    }
  }
  samples += n;
  if (P.mode == RenderMode::maximum_intensity) {
    if (!hit) return {0, 0, 0, 0};
    if (P.mip_values) return {max_value, 0, 0, 1};
    const Vec4f c = classify(max_value);
    return {c.x * c.w, c.y * c.w, c.z * c.w, c.w};
  }
  return acc;
}

/// march_ray with the exact table lookup.
template <class Sampler>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray(const MarchParams& P, const Sampler& S, int px, int py,
                                            unsigned long long& samples) {
  return march_ray(P, S, TableClassifier{P.colormap}, px, py, samples);
}

/// Builds the marcher's constants for a brick and a frame. `colormap` and `skip` point at memory the
/// backend owns (host or device).
MarchParams make_march_params(const BrickView& brick, const FrameParams& frame, ColormapView colormap,
                              SkipGridView skip);

/// The screen rectangle a brick's samples can reach (its owned box ∩ region of interest, projected).
Rect active_rect(const BrickView& brick, const FrameParams& frame);

} // namespace libindex::kernels
