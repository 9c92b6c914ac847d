// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The per-ray function: one source for the CPU and the GPU launchers (DESIGN.md, Rendering
/// conventions). Everything a ray needs travels in MarchParams by value.

#include <type_traits>

#include "libindex/camera.h"
#include "libindex/colormap.h"
#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/lanes.h"
#include "libindex/kernels/skip_grid.h"

namespace libindex::kernels {

/// Per-frame, per-brick constants of the marcher. Trivially copyable: kernels take it by value.
struct MarchParams {
  Camera camera;
  CameraFrame frame;
  int width = 0, height = 0;
  Vec3f inv_scaling{1, 1, 1}, translation{0, 0, 0}; ///< voxel = (scene - translation) * inv_scaling
  Box3f clip;                    ///< voxel space: owned box, volume box and region of interest; half-open
  float dt = 0.5f;               ///< sampling distance (scene space)
  float opacity_exponent = 0.5f; ///< dt / dt_ref
  ColormapView colormap;
  RenderMode mode = RenderMode::direct_volume;
  bool mip_values = false; ///< MIP: write (max value, 0, 0, 1) for value compositing instead of a color
  Shading shading;
  bool jitter = false, early_termination = true;
  SkipGridView skip;
  int plane_count = 0; ///< slice planes (scene space), direct volume rendering only
  SlicePlane planes[kMaxSlicePlanes];
  Box3f plane_clip;                              ///< voxel space: where this brick shows planes (half-open)
  ColormapView plane_colormaps[kMaxSlicePlanes]; ///< what each plane shows the values through
};
static_assert(std::is_trivially_copyable_v<MarchParams>);

/// Alpha at or above which a ray stops (front-to-back, DESIGN.md Accumulation).
constexpr float kOpaqueAlpha = 1.0f - 1.0f / 512.0f;

/// a' = 1 - (1 - a)^(dt / dt_ref), with the common exponents 1 and 1/2 computed exactly and cheaply.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F correct_opacity(F a, float exponent) {
  F corrected = a;
  if (exponent == 0.5f)
    corrected = 1.0f - lane_sqrt(1.0f - a);
  else if (exponent != 1.0f)
    corrected = 1.0f - lane_exp2(exponent * lane_log2(1.0f - a));
  return select(a >= 1.0f, F(1.0f), corrected);
}

/// Deterministic per-pixel lattice offset in [0, 1): every rank and backend picks the same one.
LIBINDEX_HOST_DEVICE inline float pixel_jitter(int px, int py) {
  unsigned h = unsigned(px) * 0x8da6b343u ^ unsigned(py) * 0xd8163841u;
  h ^= h >> 16, h *= 0x7feb352du, h ^= h >> 15, h *= 0x846ca68bu, h ^= h >> 16;
  return float(h >> 8) * (1.0f / 16777216.0f);
}

/// Sample position arithmetic that no compiler may contract into an FMA: ownership of a sample by a
/// rank (a half-open box test) must come out the same on every rank and every backend.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F exact_mul_add(F a, F b, F c) {
#if LIBINDEX_DEVICE_PASS
  return __fadd_rn(__fmul_rn(a, b), c);
#else
  return a * b + c; // host code is built with -ffp-contract=off; SIMD lanes multiply and add apart
#endif
}

/// Headlight Blinn-Phong: light and viewer along the ray, so the half vector is the light vector.
template <class Sampler, class Vec3>
LIBINDEX_HOST_DEVICE inline Vec3 shade(const MarchParams& P, const Sampler& S, const Vec3& p, const Vec3& ray_dir,
                                       const Vec3& rgb) {
  using F = decltype(p.x);
  Vec3 g;
  if constexpr (requires { S.gradient(p); }) {
    g = S.gradient(p); // samplers that read the six lookups' shared voxels once
  } else {
    const auto at = [&](float ox, float oy, float oz) { return S.value(Vec3{p.x + ox, p.y + oy, p.z + oz}); };
    g = {at(1, 0, 0) - at(-1, 0, 0), at(0, 1, 0) - at(0, -1, 0), at(0, 0, 1) - at(0, 0, -1)};
  }
  // Chain rule: d/dscene = d/dvoxel * dvoxel/dscene.
  const F gx = g.x * P.inv_scaling.x, gy = g.y * P.inv_scaling.y, gz = g.z * P.inv_scaling.z;
  const F len = lane_sqrt(gx * gx + gy * gy + gz * gz);
  const auto flat = !(len > 1e-12f); // flat region: no normal, leave unshaded
  const F ndotl = lane_abs(gx * ray_dir.x + gy * ray_dir.y + gz * ray_dir.z) / len; // two-sided
  const Shading& s = P.shading;
  const F diffuse = (s.ambient + s.diffuse * ndotl) * s.intensity;
  const F specular = s.specular * lane_pow(ndotl, s.shininess) * s.intensity;
  return {select(flat, rgb.x, lane_min(F(1.0f), rgb.x * diffuse + specular)),
          select(flat, rgb.y, lane_min(F(1.0f), rgb.y * diffuse + specular)),
          select(flat, rgb.z, lane_min(F(1.0f), rgb.z * diffuse + specular))};
}

/// The colormap read in software: exactly the conventions' lookup (both backends' default).
struct TableClassifier {
  ColormapView map;
  template <class F>
  LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec4<F> operator()(F v) const {
    return colormap_lookup(map, v);
  }
};

/// Classifiers that colour a sample from its position (a sample program, kernels/src/program_march.h)
/// rather than from its value alone: `sample(voxel point, ray parameter, scene direction)` gives the
/// straight RGBA, and the built-in shading is left to the program.
template <class Classifier, class F>
concept colours_samples = requires(const Classifier& c, LaneVec3<F> p, F t, LaneVec3<F> d) {
  c.sample(p, t, d);
};

/// One ray, or a packet of rays (F = a SIMD lane type), between samples. Sample k lies at
/// t_k = (k + j) * dt on one lattice anchored at the eye; [k, k_end) are the samples inside the
/// brick's clip box and the near and far planes, and [k, k_stop) those in occupied macro cells (or
/// all of [k, k_end) without skipping).
template <class F>
struct RayLanes {
  using I = LaneInt<F>;
  LaneVec3<F> origin, step, dir; ///< voxel-space origin and direction per unit t; scene direction
  F j;                           ///< lattice offset
  I k, k_stop, k_end;
};

/// What a ray has gathered so far.
template <class F>
struct RayAccum {
  LaneVec4<F> color; ///< premultiplied, front to back
  F max_value;       ///< MIP
  LaneMask<F> hit;   ///< MIP: some sample was taken
};

/// Nothing gathered yet.
LIBINDEX_HOST_DEVICE inline RayAccum<float> empty_accum() { return {{0, 0, 0, 0}, -3.0e38f, false}; }

/// Voxel-space point of a ray (or packet) at ray parameter t; the one place it is computed, so a
/// sample and a slice plane's point agree on every backend.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec3<F> ray_point(const RayLanes<F>& r, F t) {
  return {exact_mul_add(r.step.x, t, r.origin.x), exact_mul_add(r.step.y, t, r.origin.y),
          exact_mul_add(r.step.z, t, r.origin.z)};
}

/// Position (voxel space) and ray parameter of lattice point k.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneVec3<F> sample_point(const MarchParams& P, const RayLanes<F>& r,
                                                                   LaneInt<F> k, F& t) {
  t = (to_float(k) + r.j) * P.dt;
  return ray_point(r, t);
}

/// True when lattice point k is a sample this brick takes: inside the clip box (half-open, so across
/// ranks every sample is taken exactly once) and between the near and far planes.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneMask<F> sample_inside(const MarchParams& P, const RayLanes<F>& r,
                                                                    LaneInt<F> k, F t_near, F t_far) {
  F t;
  const LaneVec3<F> p = sample_point(P, r, k, t);
  const Box3f& b = P.clip; // contains_half_open, lane by lane
  return (p.x >= b.lo.x) & (p.x < b.hi.x) & (p.y >= b.lo.y) & (p.y < b.hi.y) & (p.z >= b.lo.z) & (p.z < b.hi.z) &
         (t >= t_near) & (t < t_far);
}

/// The nearest slice plane the ray meets between the near and far planes, beyond `after`, at a
/// point this brick shows (P.plane_clip, half-open: one rank shows each point), as a ray parameter
/// (+inf for none) and its index in P.planes (`plane`, -1 for none).
LIBINDEX_HOST_DEVICE inline float nearest_plane(const MarchParams& P, const Ray& ray, const RayLanes<float>& r,
                                                float t_near, float t_far, int& plane, float after = -3.0e38f) {
  float nearest = 3.0e38f;
  plane = -1;
  for (int i = 0; i < P.plane_count; ++i) {
    const SlicePlane& s = P.planes[i];
    const float facing = dot(s.normal, ray.dir);
    if (facing == 0.0f) continue; // the ray runs along the plane
    const float t = dot(s.normal, s.point - ray.origin) / facing;
    if (!(t >= t_near && t < t_far && t > after && t < nearest)) continue;
    const Vec3f on = ray.origin + ray.dir * t - s.point;
    const float u = dot(on, cross(s.up, s.normal)), v = dot(on, s.up);
    if (u >= 0.0f && u <= s.extent_x && v >= 0.0f && v <= s.extent_y &&
        P.plane_clip.contains_half_open(ray_point(r, t)))
      nearest = t, plane = i;
  }
  return nearest;
}

/// The ray of pixel (px, py), one or a packet (camera_ray on lanes): voxel-space
/// origin and step, scene direction and lattice offset in `r`, the scene-space origin, and the near
/// and far planes as ray parameters.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE void start_ray(const MarchParams& P, LaneInt<F> px, LaneInt<F> py,
                                                         RayLanes<F>& r, LaneVec3<F>& scene_origin, F& t_near,
                                                         F& t_far) {
  LaneVec3<F> dir;
  camera_ray<F>(P.camera, P.frame, px, py, P.width, P.height, scene_origin, dir);
  // The ray in voxel space; t keeps its scene-space meaning since positions map affinely.
  r.origin = {(scene_origin.x - P.translation.x) * P.inv_scaling.x,
              (scene_origin.y - P.translation.y) * P.inv_scaling.y,
              (scene_origin.z - P.translation.z) * P.inv_scaling.z};
  r.step = {dir.x * P.inv_scaling.x, dir.y * P.inv_scaling.y, dir.z * P.inv_scaling.z};
  r.dir = dir;
  r.j = P.jitter ? pixel_jitter(px, py) : F(0.0f);
  // clip_min/clip_max are near and far planes: distances along the view direction, not the ray.
  const Vec3f& view = P.frame.dir;
  const F along_view = dir.x * view.x + dir.y * view.y + dir.z * view.z;
  t_near = F(P.camera.clip_min) / along_view, t_far = F(P.camera.clip_max) / along_view;
}

/// The samples of a started ray (one or a packet): [k, k_end) inside the brick's clip box, between
/// the near and far planes and in front of `plane_t` (a slice plane's ray parameter, +inf: none).
/// Returns the lanes that have samples; the others get none.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneMask<F> place_samples(const MarchParams& P, RayLanes<F>& r, F t_near,
                                                                    F t_far, F plane_t) {
  using I = LaneInt<F>;
  r.k = r.k_end = r.k_stop = I(0); // no samples unless the ray meets the clip box
  // Samples stop in front of a plane: what lies behind it is hidden (the plane is opaque).
  const F t_stop = select(plane_t < 3.0e38f, lane_min(t_far, plane_t), t_far);
  F t0 = t_near, t1 = t_stop;
  intersect_ray_box<F>(r.origin, r.step, P.clip, t0, t1);
  LaneMask<F> meets = t0 <= t1;
  if (!any(meets)) return meets;
  // One lattice step of margin on both ends, then the exact test narrows the range. Positions are
  // monotone in t and t in k (each rounding step is), so the samples inside form one interval and
  // take_sample need not test them one by one.
  I k = ceil_to_int(t0 / P.dt - r.j) - I(1);
  k = select(k < I(0), I(0), k);
  I k_end = floor_to_int(t1 / P.dt - r.j) + I(2);
  LaneMask<F> moving = meets & (k < k_end);
  while (any(moving)) {
    moving = moving & !sample_inside(P, r, k, t_near, t_stop);
    k = select(moving, k + I(1), k);
    moving = moving & (k < k_end);
  }
  moving = meets & (k_end > k);
  while (any(moving)) {
    moving = moving & !sample_inside(P, r, k_end - I(1), t_near, t_stop);
    k_end = select(moving, k_end - I(1), k_end);
    moving = moving & (k_end > k);
  }
  meets = meets & (k < k_end);
  r.k = select(meets, k, I(0)), r.k_end = select(meets, k_end, I(0));
  const bool skipping = P.skip.empty_radius != nullptr && P.mode == RenderMode::direct_volume;
  r.k_stop = skipping ? r.k : r.k_end; // skipping: look up the first cell before sampling
  return meets;
}

/// Sets up the ray of pixel (px, py): false when it neither meets the brick's clip box nor a slice
/// plane this brick shows. `plane_t` is that plane's ray parameter (+inf: none) and `plane` its
/// index; the ray's samples stop in front of it. Packets without slice planes start a row of rays at
/// once (start_ray and place_samples on lanes), bit for bit the same.
LIBINDEX_HOST_DEVICE inline bool begin_ray(const MarchParams& P, int px, int py, RayLanes<float>& r, float& plane_t,
                                           int& plane) {
  Vec3f scene_origin;
  float t_near, t_far;
  start_ray(P, px, py, r, scene_origin, t_near, t_far);
  plane_t = 3.0e38f, plane = -1;
  if (P.plane_count > 0) plane_t = nearest_plane(P, Ray{scene_origin, r.dir}, r, t_near, t_far, plane);
  const bool samples = place_samples(P, r, t_near, t_far, plane_t);
  return samples || plane_t < 3.0e38f;
}
LIBINDEX_HOST_DEVICE inline bool begin_ray(const MarchParams& P, int px, int py, RayLanes<float>& r, float& plane_t) {
  int plane;
  return begin_ray(P, px, py, r, plane_t, plane);
}

/// Takes the ray of pixel (px, py) on behind the slice plane at `after`, which it met and sees
/// through: its samples from there (the lattice's own: none twice, none lost) up to the next plane
/// this brick shows (plane_t, plane; +inf and -1 for none) or the far plane. False when neither is
/// left.
LIBINDEX_HOST_DEVICE inline bool resume_ray(const MarchParams& P, int px, int py, float after, RayLanes<float>& r,
                                            float& plane_t, int& plane) {
  Vec3f scene_origin;
  float t_near, t_far;
  start_ray(P, px, py, r, scene_origin, t_near, t_far);
  plane_t = nearest_plane(P, Ray{scene_origin, r.dir}, r, t_near, t_far, plane, after);
  const bool samples = place_samples(P, r, after > t_near ? after : t_near, t_far, plane_t);
  return samples || plane_t < 3.0e38f;
}

/// Empty-space skipping, one step per call, for the lanes in `need` (those at the end of their
/// occupied run): a lane in an empty cell jumps on the sample lattice to where the ray leaves the
/// cube of empty cells around it (its empty radius); a lane in an occupied cell gets k_stop, the
/// cell's last lattice point. Returns the lanes that still need a cell (they jumped and have not
/// reached the end of the ray).
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneMask<F> skip_empty_cell(const MarchParams& P, RayLanes<F>& r,
                                                                      LaneMask<F> need) {
  using I = LaneInt<F>;
  F t;
  const LaneVec3<F> p = sample_point(P, r, r.k, t);
  const auto cell = P.skip.cell_of(p);
  const I radius = P.skip.radius_of(cell);
  const LaneMask<F> occupied = radius < I(1); // radius 0
  I k_next = ceil_to_int(P.skip.exit_t(cell, select(occupied, I(1), radius), r.origin, r.step) / P.dt - r.j);
  k_next = select(k_next <= r.k, r.k + I(1), k_next);
  r.k = select(need & !occupied, k_next, r.k);
  r.k_stop = select(need & occupied, lane_min(k_next, r.k_end), r.k_stop);
  return need & !occupied & (r.k < r.k_end);
}

/// skip_empty_cell until every lane in `need` is in an occupied cell or at the end of its ray.
template <class F>
LIBINDEX_HOST_DEVICE inline void find_occupied_run(const MarchParams& P, RayLanes<F>& r, LaneMask<F> need) {
  while (any(need)) need = skip_empty_cell(P, r, need);
}

/// Takes sample k of the lanes in `active` (each inside [k, k_end)), composites it front to back
/// and returns the lanes that just became opaque. `classify` maps a value to straight RGBA. The
/// drivers count the samples (the active lanes): a per-lane counter would cost a SIMD register.
template <class F, class Sampler, class Classifier>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE LaneMask<F> take_sample(const MarchParams& P, const Sampler& S,
                                                                  const Classifier& classify, const RayLanes<F>& r,
                                                                  LaneMask<F> active, RayAccum<F>& acc) {
  F t;
  LaneVec3<F> p = sample_point(P, r, r.k, t);
  const Box3f& clip = P.clip;
  if (!any(active)) return active;
  // Lanes that take no sample read the clip box's centre instead, which every brick stores.
  p = {select(active, p.x, F(0.5f * (clip.lo.x + clip.hi.x))), select(active, p.y, F(0.5f * (clip.lo.y + clip.hi.y))),
       select(active, p.z, F(0.5f * (clip.lo.z + clip.hi.z)))};
  if (P.mode == RenderMode::maximum_intensity) {
    const F v = S.value(p);
    acc.max_value = select(active & (v > acc.max_value), v, acc.max_value);
    acc.hit = acc.hit | active;
    return active & false; // no lane became opaque
  }
  LaneVec4<F> c;
  constexpr bool program = colours_samples<Classifier, F>;
  if constexpr (program)
    c = classify.sample(p, t, r.dir); // a sample program: its colour, shaded as it chose (it fetches what it needs)
  else
    c = classify(S.value(p));
  const LaneMask<F> contributes = active & (c.w > 0.0f);
  if (!any(contributes)) return contributes;
  const F a = correct_opacity(c.w, P.opacity_exponent);
  LaneVec3<F> rgb{c.x, c.y, c.z};
  if (P.shading.enabled && !program) rgb = shade(P, S, p, r.dir, rgb);
  LaneVec4<F>& o = acc.color;
  const F w = (1.0f - o.w) * a;
  o = {select(contributes, o.x + w * rgb.x, o.x), select(contributes, o.y + w * rgb.y, o.y),
       select(contributes, o.z + w * rgb.z, o.z), select(contributes, o.w + w, o.w)};
  return contributes & (P.early_termination & (o.w >= kOpaqueAlpha));
}

/// The pixel a finished ray leaves: its composited color, or for MIP the classified maximum (or the
/// maximum itself when MIP values are composited across ranks).
template <class Classifier>
LIBINDEX_HOST_DEVICE inline Vec4f finish_ray(const MarchParams& P, const Classifier& classify,
                                             const RayAccum<float>& acc) {
  if (P.mode != RenderMode::maximum_intensity) return acc.color;
  if (!acc.hit) return {0, 0, 0, 0};
  if (P.mip_values) return {acc.max_value, 0, 0, 1};
  const Vec4f c = classify(acc.max_value);
  return {c.x * c.w, c.y * c.w, c.z * c.w, c.w};
}

/// Slice plane `plane`'s own colour where a ray meets it (straight RGBA): the volume's value there
/// through the plane's colormap's table (edge colours outside the domain). `opaque`: alpha 1, as
/// libindex draws planes without a surface program.
template <class Sampler>
LIBINDEX_HOST_DEVICE inline Vec4f plane_color(const MarchParams& P, const Sampler& S, Vec3f p, int plane, bool opaque) {
  ColormapView table = P.plane_colormaps[plane];
  table.mode = BoundaryMode::clamp_to_edge;
  const Vec4f c = colormap_lookup(table, S.value(p));
  return {c.x, c.y, c.z, opaque ? 1.0f : c.w};
}

/// How slice planes look without a surface program: plane_color, opaque. A plane shader maps
/// (P, S, ray, t, plane index) to the straight RGBA a ray meets there.
struct ColormapPlanes {
  template <class Sampler>
  LIBINDEX_HOST_DEVICE Vec4f operator()(const MarchParams& P, const Sampler& S, const RayLanes<float>& r, float t,
                                        int plane) const {
    return plane_color(P, S, ray_point(r, t), plane, true);
  }
};

/// `color` over a plane's straight RGBA `c` (front to back).
LIBINDEX_HOST_DEVICE inline Vec4f over_plane_color(Vec4f color, Vec4f c) {
  const float w = (1.0f - color.w) * c.w;
  return {color.x + w * c.x, color.y + w * c.y, color.z + w * c.z, color.w + w};
}

/// What a ray that ends on slice plane `plane` at `plane_t` leaves: its colour over the plane's
/// (opaque planes: nothing behind them shows).
template <class Sampler>
LIBINDEX_HOST_DEVICE inline Vec4f over_plane(const MarchParams& P, const Sampler& S, const RayLanes<float>& r,
                                             float plane_t, int plane, Vec4f color) {
  if (!(plane_t < 3.0e38f)) return color;
  return over_plane_color(color, plane_color(P, S, ray_point(r, plane_t), plane, true));
}

/// Takes the samples left on a started ray into `acc`, jumping over empty macro cells; true when
/// the ray became opaque. `n` counts the samples.
template <class Sampler, class Classifier>
LIBINDEX_HOST_DEVICE inline bool march_samples(const MarchParams& P, const Sampler& S, const Classifier& classify,
                                               RayLanes<float>& r, RayAccum<float>& acc, int& n) {
  while (true) {
    if (r.k >= r.k_stop) find_occupied_run(P, r, r.k < r.k_end);
    if (r.k >= r.k_end) return false;
    const bool opaque = take_sample(P, S, classify, r, true, acc);
    ++r.k, ++n;
    if (opaque) return true;
  }
}

/// The planes a ray meets from `plane_t` (index `plane`; +inf: none) on, over `color` gathered in
/// front of them (premultiplied): each plane's colour from `shade(r, plane_t, plane)`, and behind a
/// translucent one the ray goes on (resume_ray) with `march_behind(r, color)`, which takes the
/// samples up to the next plane or the far plane and returns the colour. MIP takes no samples
/// behind a plane: its maximum is over the samples in front. One loop for march_ray and the mix's.
template <class Shade, class MarchBehind>
LIBINDEX_HOST_DEVICE inline Vec4f through_planes(const MarchParams& P, int px, int py, RayLanes<float>& r,
                                                 float plane_t, int plane, Vec4f color, const Shade& shade,
                                                 const MarchBehind& march_behind) {
  const bool see_through = P.mode == RenderMode::direct_volume;
  while (plane_t < 3.0e38f) {
    const Vec4f c = shade(r, plane_t, plane);
    color = over_plane_color(color, c);
    if (!see_through || c.w >= 1.0f || (P.early_termination && color.w >= kOpaqueAlpha)) break;
    if (!resume_ray(P, px, py, plane_t, r, plane_t, plane)) break;
    color = march_behind(r, color);
  }
  return color;
}

/// The rest of a ray that met a slice plane, marched as march_ray marches (through_planes, with
/// the plane's colour from `shade_plane` over this brick). `n` counts samples.
template <class Sampler, class Classifier, class PlaneShader>
LIBINDEX_HOST_DEVICE inline Vec4f finish_through_planes(const MarchParams& P, const Sampler& S,
                                                        const Classifier& classify, int px, int py, RayLanes<float> r,
                                                        float plane_t, int plane, Vec4f color, int& n,
                                                        const PlaneShader& shade_plane) {
  return through_planes(
      P, px, py, r, plane_t, plane, color,
      [&](const RayLanes<float>& ray, float t, int k) { return shade_plane(P, S, ray, t, k); },
      [&](RayLanes<float>& ray, Vec4f in_front) {
        RayAccum<float> acc = empty_accum();
        acc.color = in_front;
        march_samples(P, S, classify, ray, acc, n);
        return acc.color;
      });
}

/// Marches the ray of pixel (px, py) through the brick and returns its premultiplied RGBA: the
/// scalar driver of begin_ray / find_occupied_run / take_sample (the GPU runs one per thread; the
/// CPU runs packets of the same steps, kernels/cpu/packet_march.h). Empty macro cells are jumped
/// over on the same lattice, so skipping drops only samples that add nothing. `samples` counts the
/// samples evaluated. `shade_plane` gives the slice planes' colours (ColormapPlanes: opaque; a
/// surface program's may be translucent, and the ray then goes on behind the plane:
/// finish_through_planes).
template <class Sampler, class Classifier, class PlaneShader>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray(const MarchParams& P, const Sampler& S, const Classifier& classify, int px,
                                            int py, unsigned long long& samples, const PlaneShader& shade_plane) {
  RayLanes<float> r;
  float plane_t;
  int plane;
  if (!begin_ray(P, px, py, r, plane_t, plane)) return {0, 0, 0, 0};
  RayAccum<float> acc = empty_accum();
  int n = 0; // 32 bits in the loop: one register on the GPU
  march_samples(P, S, classify, r, acc, n);
  const Vec4f color =
      finish_through_planes(P, S, classify, px, py, r, plane_t, plane, finish_ray(P, classify, acc), n, shade_plane);
  samples += (unsigned long long)n;
  return color;
}

/// march_ray with the built-in planes.
template <class Sampler, class Classifier>
LIBINDEX_HOST_DEVICE inline Vec4f march_ray(const MarchParams& P, const Sampler& S, const Classifier& classify, int px,
                                            int py, unsigned long long& samples) {
  return march_ray(P, S, classify, px, py, samples, ColormapPlanes{});
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
/// The screen rectangle the samples of P can reach: within the one above, smaller where the
/// colormap leaves only part of the brick visible.
Rect active_rect(const MarchParams& P, const FrameParams& frame);

} // namespace libindex::kernels
