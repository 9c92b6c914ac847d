// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file SIMD lane types for the CPU's ray packets: vfloat, vint and vmask of the widest instruction
/// set this translation unit is compiled for (AVX-512: 16 lanes, AVX2: 8), with every operation of
/// lanes.h, so that march.h's generic steps run on a packet. LIBINDEX_SIMD_WIDTH is 0 when the unit
/// is compiled for neither.

#include <cmath>
#include <cstdint>
#include <cstring>

#include "libindex/lanes.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#include "simd_avx512.h"
#define LIBINDEX_SIMD_WIDTH 16
#elif defined(__AVX2__)
#include "simd_avx2.h"
#define LIBINDEX_SIMD_WIDTH 8
#else
#define LIBINDEX_SIMD_WIDTH 0
#endif

#if LIBINDEX_SIMD_WIDTH
namespace libindex::kernels::simd {

// clang-format off
inline vmask operator!=(vint a, vint b) { return (a < b) | (b < a); }
// clang-format on

/// fminf per lane: the smaller, or the other operand where one is NaN.
inline vfloat lane_min(vfloat a, vfloat b) { return select(is_nan(b), a, min_unordered(a, b)); }

/// clampf per lane in two instructions: min/max return their second operand on NaN or a tie, so
/// with v second NaN stays NaN and -0 stays -0, as `v < lo ? lo : (v > hi ? hi : v)` does.
inline vfloat lane_clamp(vfloat v, float lo, float hi) {
  return min_unordered(vfloat(hi), max_unordered(vfloat(lo), v));
}

/// One lane of a vector, read through memory (when a ray leaves a packet).
template <class V, class S>
S lane_of(const V& v, int i) {
  S s[kWidth];
  static_assert(sizeof s == sizeof v);
  std::memcpy(s, &v, sizeof s);
  return s[i];
}
inline float lane(vfloat v, int i) { return lane_of<vfloat, float>(v, i); }
inline int lane(vint v, int i) { return lane_of<vint, int>(v, i); }
inline void set_lane(vmask& m, int i, bool b) {
  const vmask bit = lanes_below(i + 1) & !lanes_below(i);
  m = b ? (m | bit) : (m & !bit);
}

// Shininess and opacity exponents other than 1/2: lanes.h's polynomials, as one ray on the host.
__attribute__((always_inline)) inline vfloat lane_pow(vfloat x, float e) { return polynomial_pow(x, e); }
__attribute__((always_inline)) inline vfloat lane_exp2(vfloat x) { return polynomial_exp2(x); }
__attribute__((always_inline)) inline vfloat lane_log2(vfloat x) { return polynomial_log2(x); }

/// base[i] of a byte table of `count` bytes: 4-byte reads that stay inside the table.
inline vint gather_byte(const uint8_t* base, vint i, int count) {
  if (count < 4) {
    vint r = i;
    for (int l = 0; l < kWidth; ++l) set_lane(r, l, base[lane(i, l)]);
    return r;
  }
  const vint start = lane_min(i, vint(count - 4));
  const vint bits = (i - start) << 3;
  return shift_right_logical(gather_4_bytes(base, start), bits) & vint(0xff);
}

struct Vec3v {
  vfloat x, y, z;
  vfloat operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  vfloat& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
};
struct Vec3iv {
  vint x, y, z;
  vint operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  vint& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
};
struct Vec4v {
  vfloat x, y, z, w;
};

/// table[i] per lane: one 16-byte load per lane, then a 4x4 transpose within each 128-bit block
/// (cheaper than four 4-byte gathers: a colormap entry is read whole).
__attribute__((always_inline)) inline Vec4v gather_entry(const Vec4f* table, vint i) {
  alignas(64) int index[kWidth];
  std::memcpy(index, &i, sizeof index);
  const float* t = &table[0].x;
  vfloat r[4]; // r[l], block b: the entry of lane l + 4 b
#if LIBINDEX_SIMD_WIDTH == 16
  for (int l = 0; l < 4; ++l) {
    __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(t + 4 * index[l]));
    v = _mm512_insertf32x4(v, _mm_loadu_ps(t + 4 * index[l + 4]), 1);
    v = _mm512_insertf32x4(v, _mm_loadu_ps(t + 4 * index[l + 8]), 2);
    r[l] = _mm512_insertf32x4(v, _mm_loadu_ps(t + 4 * index[l + 12]), 3);
  }
  const __m512 xy01 = _mm512_unpacklo_ps(r[0].v, r[1].v), zw01 = _mm512_unpackhi_ps(r[0].v, r[1].v);
  const __m512 xy23 = _mm512_unpacklo_ps(r[2].v, r[3].v), zw23 = _mm512_unpackhi_ps(r[2].v, r[3].v);
  return {
      _mm512_shuffle_ps(xy01, xy23, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(xy01, xy23, _MM_SHUFFLE(3, 2, 3, 2)),
      _mm512_shuffle_ps(zw01, zw23, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(zw01, zw23, _MM_SHUFFLE(3, 2, 3, 2))};
#else
  for (int l = 0; l < 4; ++l)
    r[l] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(t + 4 * index[l])),
                                _mm_loadu_ps(t + 4 * index[l + 4]), 1);
  const __m256 xy01 = _mm256_unpacklo_ps(r[0].v, r[1].v), zw01 = _mm256_unpackhi_ps(r[0].v, r[1].v);
  const __m256 xy23 = _mm256_unpacklo_ps(r[2].v, r[3].v), zw23 = _mm256_unpackhi_ps(r[2].v, r[3].v);
  return {
      _mm256_shuffle_ps(xy01, xy23, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(xy01, xy23, _MM_SHUFFLE(3, 2, 3, 2)),
      _mm256_shuffle_ps(zw01, zw23, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(zw01, zw23, _MM_SHUFFLE(3, 2, 3, 2))};
#endif
}

} // namespace libindex::kernels::simd

namespace libindex {
template <>
struct LaneTypes<kernels::simd::vfloat> {
  using Int = kernels::simd::vint;
  using Mask = kernels::simd::vmask;
  using Vec3 = kernels::simd::Vec3v;
  using Vec3i = kernels::simd::Vec3iv;
  using Vec4 = kernels::simd::Vec4v;
};
} // namespace libindex
#endif
