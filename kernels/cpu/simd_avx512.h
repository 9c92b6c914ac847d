// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file 16 lanes on AVX-512 (F, BW, DQ, VL): the lane operations of lanes.h, each with the IEEE result
/// the scalar function gives per lane. Included by simd.h only when the translation unit is compiled
/// for AVX-512.

#include <immintrin.h>

#include <cstdint>

namespace libindex::kernels::simd {

constexpr int kWidth = 16;
constexpr const char* kIsa = "avx512";

struct vmask {
  __mmask16 m;
};
struct vint {
  __m512i v;
  vint() = default;
  explicit vint(int s) : v(_mm512_set1_epi32(s)) {}
  vint(__m512i x) : v(x) {}
};
struct vfloat {
  __m512 v;
  vfloat() = default;
  vfloat(float s) : v(_mm512_set1_ps(s)) {}
  vfloat(__m512 x) : v(x) {}
};

// clang-format off
inline vmask operator&(vmask a, vmask b) { return {__mmask16(a.m & b.m)}; }
inline vmask operator|(vmask a, vmask b) { return {__mmask16(a.m | b.m)}; }
inline vmask operator!(vmask a) { return {__mmask16(~a.m)}; }
inline vmask operator&(vmask a, bool b) { return {__mmask16(b ? a.m : 0)}; }
inline vmask operator&(bool a, vmask b) { return b & a; }
inline bool any(vmask a) { return a.m != 0; }
inline int count(vmask a) { return __builtin_popcount(a.m); }
inline vmask lanes_below(int n) { return {__mmask16(n >= 16 ? 0xffff : (1u << n) - 1u)}; }
inline bool lane(vmask a, int i) { return (a.m >> i) & 1; }
// A ray entering a packet: one masked broadcast per value.
inline void set_lane(vfloat& v, int i, float s) { v.v = _mm512_mask_mov_ps(v.v, __mmask16(1u << i), _mm512_set1_ps(s)); }
inline void set_lane(vint& v, int i, int s) { v.v = _mm512_mask_set1_epi32(v.v, __mmask16(1u << i), s); }

inline vfloat operator+(vfloat a, vfloat b) { return _mm512_add_ps(a.v, b.v); }
inline vfloat operator-(vfloat a, vfloat b) { return _mm512_sub_ps(a.v, b.v); }
inline vfloat operator*(vfloat a, vfloat b) { return _mm512_mul_ps(a.v, b.v); }
inline vfloat operator/(vfloat a, vfloat b) { return _mm512_div_ps(a.v, b.v); }
inline vmask operator<(vfloat a, vfloat b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ)}; }
inline vmask operator<=(vfloat a, vfloat b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ)}; }
inline vmask operator>(vfloat a, vfloat b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ)}; }
inline vmask operator>=(vfloat a, vfloat b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GE_OQ)}; }
inline vmask operator!=(vfloat a, vfloat b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_NEQ_UQ)}; }
inline vmask is_nan(vfloat a) { return {_mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q)}; }

inline vint operator+(vint a, vint b) { return _mm512_add_epi32(a.v, b.v); }
inline vint operator-(vint a, vint b) { return _mm512_sub_epi32(a.v, b.v); }
inline vint operator*(vint a, vint b) { return _mm512_mullo_epi32(a.v, b.v); }
inline vint operator&(vint a, vint b) { return _mm512_and_si512(a.v, b.v); }
inline vint operator<<(vint a, int s) { return _mm512_slli_epi32(a.v, unsigned(s)); }
inline vint operator>>(vint a, int s) { return _mm512_srai_epi32(a.v, unsigned(s)); }
inline vmask operator<(vint a, vint b) { return {_mm512_cmp_epi32_mask(a.v, b.v, _MM_CMPINT_LT)}; }
inline vmask operator<=(vint a, vint b) { return {_mm512_cmp_epi32_mask(a.v, b.v, _MM_CMPINT_LE)}; }
inline vmask operator>(vint a, vint b) { return {_mm512_cmp_epi32_mask(b.v, a.v, _MM_CMPINT_LT)}; }
inline vmask operator>=(vint a, vint b) { return {_mm512_cmp_epi32_mask(b.v, a.v, _MM_CMPINT_LE)}; }
inline vint shift_right_logical(vint a, vint bits) { return _mm512_srlv_epi32(a.v, bits.v); }
inline vint shift_right_arithmetic(vint a, vint bits) { return _mm512_srav_epi32(a.v, bits.v); }
inline vint shift_left(vint a, vint bits) { return _mm512_sllv_epi32(a.v, bits.v); }

inline vfloat select(vmask m, vfloat a, vfloat b) { return _mm512_mask_blend_ps(m.m, b.v, a.v); }
inline vint select(vmask m, vint a, vint b) { return _mm512_mask_blend_epi32(m.m, b.v, a.v); }
// The zero-masked forms: GCC 12 warns about the undefined source operand of the plain ones.
inline vint truncate_to_int(vfloat x) { return _mm512_maskz_cvttps_epi32(0xffff, x.v); }
inline vint ceil_to_int(vfloat x) {
  return truncate_to_int(_mm512_maskz_roundscale_ps(0xffff, x.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
}
inline vint floor_to_int(vfloat x) {
  return truncate_to_int(_mm512_maskz_roundscale_ps(0xffff, x.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
}
inline vfloat to_float(vint i) { return _mm512_maskz_cvtepi32_ps(0xffff, i.v); }
inline vint float_bits(vfloat x) { return _mm512_castps_si512(x.v); }
inline vfloat bits_float(vint i) { return _mm512_castsi512_ps(i.v); }
inline vfloat lane_sqrt(vfloat x) { return _mm512_sqrt_ps(x.v); }
inline vfloat lane_abs(vfloat x) { return _mm512_abs_ps(x.v); }
inline vint lane_min(vint a, vint b) { return _mm512_min_epi32(a.v, b.v); }
/// min and max, returning b where either is NaN or they are equal (the instructions' rule).
inline vfloat min_unordered(vfloat a, vfloat b) { return _mm512_min_ps(a.v, b.v); }
inline vfloat max_unordered(vfloat a, vfloat b) { return _mm512_max_ps(a.v, b.v); }

/// The 4 bytes at base + byte_offset per lane, as one int.
inline vint gather_4_bytes(const void* base, vint byte_offset) { return _mm512_i32gather_epi32(byte_offset.v, base, 1); }
// clang-format on

/// The 8 bytes at base + kScale * offset per lane, as their low and high 4 bytes: two gathers of 8
/// lanes, which cost about what one 16-lane gather of 4 bytes does, for twice the bytes.
template <int kScale>
inline void gather_8_bytes(const void* base, vint offset, vint& low, vint& high) {
  const __m512i lo = _mm512_i32gather_epi64(_mm512_castsi512_si256(offset.v), base, kScale);
  const __m512i hi = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(offset.v, 1), base, kScale);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  low = _mm512_permutex2var_epi32(lo, even, hi);
  high = _mm512_permutex2var_epi32(lo, odd, hi);
}

} // namespace libindex::kernels::simd
