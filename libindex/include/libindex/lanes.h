// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Lane-generic arithmetic. A function written over a lane type F runs one ray per call with
/// F = float (the GPU: one thread per ray; also the CPU's scalar path) and a packet of rays per
/// call with F = a SIMD type (kernels/cpu/simd.h, the CPU's packet path), as Embree's vfloat<K> and
/// ISPC's varying do. Beyond + - * / and comparisons, generic code uses only the functions below;
/// the SIMD types overload each one with the same name and the same IEEE result per lane, so a
/// packet computes bit for bit what the scalar path computes for each of its rays.
///
/// Masks combine with `&`, `|` and `!`, never `&&` or `||` (those cannot be overloaded per lane).

#include <cmath>
#include <cstdint>

#include "libindex/vec.h"

namespace libindex {

/// The types that go with a lane type: its integers, masks and small vectors.
template <class F>
struct LaneTypes;

template <>
struct LaneTypes<float> {
  using Int = int;
  using Mask = bool;
  using Vec3 = Vec3f;
  using Vec3i = libindex::Vec3i;
  using Vec4 = Vec4f;
};

template <class F>
using LaneInt = typename LaneTypes<F>::Int;
template <class F>
using LaneMask = typename LaneTypes<F>::Mask;
template <class F>
using LaneVec3 = typename LaneTypes<F>::Vec3;
template <class F>
using LaneVec3i = typename LaneTypes<F>::Vec3i;
template <class F>
using LaneVec4 = typename LaneTypes<F>::Vec4;

// clang-format off
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float select(bool m, float a, float b) { return m ? a : b; }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int select(bool m, int a, int b) { return m ? a : b; }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE bool any(bool m) { return m; }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int truncate_to_int(float x) { return int(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int ceil_to_int(float x) { return int(ceilf(x)); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int floor_to_int(float x) { return int(floorf(x)); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float to_float(int i) { return float(i); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_sqrt(float x) { return sqrtf(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_abs(float x) { return fabsf(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_min(float a, float b) { return fminf(a, b); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int lane_min(int a, int b) { return a < b ? a : b; }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_pow(float x, float e) { return powf(x, e); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_exp2(float x) { return exp2f(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_log2(float x) { return log2f(x); }
/// table[i] of 4-float entries (SIMD lanes load each lane's entry and transpose).
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f gather_entry(const Vec4f* table, int i) { return table[i]; }
/// base[i] of a byte table of `count` bytes (SIMD lanes read 4 bytes and must stay inside).
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int gather_byte(const uint8_t* base, int i, int /*count*/) { return base[i]; }
// clang-format on

/// `v < lo ? lo : (v > hi ? hi : v)` per lane: clampf for any lane type.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F lane_clamp(F v, float lo, float hi) {
  return select(v < lo, F(lo), select(v > hi, F(hi), v));
}

/// a + t (b - a) per lane: lerpf for any lane type.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F lane_lerp(F a, F b, F t) {
  return a + t * (b - a);
}

} // namespace libindex
