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
// The bits of a float as an int, and back: bit_cast, or the device's own intrinsics in device code.
#if LIBINDEX_DEVICE_PASS
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int float_bits(float x) { return __float_as_int(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float bits_float(int i) { return __int_as_float(i); }
#else
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE int float_bits(float x) { return __builtin_bit_cast(int, x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float bits_float(int i) { return __builtin_bit_cast(float, i); }
#endif
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

/// 2^x per lane from + - * and the exponent bits, so that SIMD lanes compute it bit for bit as one
/// ray does (a libm call per lane cost a packet 16 calls). x is clamped to [-126, 127] (NaN: -126):
/// 2^x = 2^k 2^f with k = round(x), |f| <= 1/2, and 2^f = e^(f ln 2) by its Taylor polynomial of
/// degree 7 (truncation below 6e-9). Within 1 ulp of the exact value (LaneMath tests).
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F polynomial_exp2(F x) {
  using I = LaneInt<F>;
  x = select(x > -126.0f, x, F(-126.0f));
  x = select(x < 127.0f, x, F(127.0f));
  const I k = floor_to_int(x + 0.5f);
  const F f = x - to_float(k);
  F p = F(1.525273380405984e-05f);
  p = p * f + 1.5403530393381608e-04f;
  p = p * f + 1.3333558146428443e-03f;
  p = p * f + 9.618129107628477e-03f;
  p = p * f + 5.550410866482158e-02f;
  p = p * f + 2.402265069591007e-01f;
  p = p * f + 6.931471805599453e-01f;
  p = p * f + 1.0f;
  return p * bits_float((k + I(127)) << 23);
}

/// log2(x) per lane for x > 0, like polynomial_exp2. x below the smallest normal float (0, negative,
/// NaN) gives -126. x = 2^e m with m in [sqrt(1/2), sqrt(2)), and log2(m) = 2/ln 2 atanh(t) with
/// t = (m - 1)/(m + 1), |t| < 0.172, by its series to t^9 (truncation below 2e-9). Within 2 ulp.
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F polynomial_log2(F x) {
  using I = LaneInt<F>;
  x = select(x > 1.17549435e-38f, x, F(1.17549435e-38f));
  const I bits = float_bits(x);
  const I e = (bits - I(0x3f3504f3)) >> 23; // 0x3f3504f3: sqrt(1/2)
  const F m = bits_float(bits - (e << 23));
  const F t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  F p = F(0.3205988979753252f);
  p = p * t2 + 0.41219858311113244f;
  p = p * t2 + 0.5770780163555854f;
  p = p * t2 + 0.9617966939259756f;
  p = p * t2 + 2.885390081777927f;
  return to_float(e) + p * t;
}

/// x^e per lane for x >= 0 (NaN gives 0). A whole e up to 256 (Blinn-Phong shininess: 32 by
/// default) by squaring, log2(e) + popcount(e) multiplies instead of about forty operations
/// (within e ulp: 4e-6 relative for 32); any other e as exp2(e log2 x).
template <class F>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE F polynomial_pow(F x, float e) {
  if (e == 0.0f) return F(1.0f);
  x = select(x > 0.0f, x, F(0.0f));
  if (e >= 1.0f && e <= 256.0f && e == float(int(e))) {
    F result(1.0f), power = x;
    for (int n = int(e);; power = power * power) {
      if (n & 1) result = result * power;
      if ((n >>= 1) == 0) return result;
    }
  }
  return select(x > 0.0f, polynomial_exp2(e * polynomial_log2(x)), F(0.0f));
}

// One ray on the host uses the polynomials, so that it equals a packet's lane bit for bit; the
// device uses its own (within the GPU/CPU parity tolerance).
#if LIBINDEX_DEVICE_PASS
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_exp2(float x) { return exp2f(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_log2(float x) { return log2f(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_pow(float x, float e) { return powf(x, e); }
#else
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_exp2(float x) { return polynomial_exp2(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_log2(float x) { return polynomial_log2(x); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float lane_pow(float x, float e) { return polynomial_pow(x, e); }
#endif

} // namespace libindex
