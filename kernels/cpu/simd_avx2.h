// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file 8 lanes on AVX2: the lane operations of lanes.h, each with the IEEE result the scalar
/// function gives per lane. Masks are lanes of all ones or zeros. Included by simd.h only when the
/// translation unit is compiled for AVX2 (and not AVX-512).

#include <immintrin.h>

#include <cstdint>

namespace libindex::kernels::simd {

constexpr int kWidth = 8;
constexpr const char* kIsa = "avx2";

struct vmask {
  __m256i m;
};
struct vint {
  __m256i v;
  vint() = default;
  explicit vint(int s) : v(_mm256_set1_epi32(s)) {}
  vint(__m256i x) : v(x) {}
};
struct vfloat {
  __m256 v;
  vfloat() = default;
  vfloat(float s) : v(_mm256_set1_ps(s)) {}
  vfloat(__m256 x) : v(x) {}
};

// clang-format off
inline vmask mask_of(__m256 m) { return {_mm256_castps_si256(m)}; }
inline vmask operator&(vmask a, vmask b) { return {_mm256_and_si256(a.m, b.m)}; }
inline vmask operator|(vmask a, vmask b) { return {_mm256_or_si256(a.m, b.m)}; }
inline vmask operator!(vmask a) { return {_mm256_xor_si256(a.m, _mm256_set1_epi32(-1))}; }
inline vmask operator&(vmask a, bool b) { return b ? a : vmask{_mm256_setzero_si256()}; }
inline vmask operator&(bool a, vmask b) { return b & a; }
inline bool any(vmask a) { return !_mm256_testz_si256(a.m, a.m); }
inline int count(vmask a) { return __builtin_popcount(unsigned(_mm256_movemask_ps(_mm256_castsi256_ps(a.m)))); }
inline vmask lanes_below(int n) {
  return {_mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))};
}
inline bool lane(vmask a, int i) { return (_mm256_movemask_ps(_mm256_castsi256_ps(a.m)) >> i) & 1; }
// A ray entering a packet: one blend per value.
inline __m256i lane_bit(int i) { return _mm256_cmpeq_epi32(_mm256_set1_epi32(i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
inline void set_lane(vfloat& v, int i, float s) {
  v.v = _mm256_blendv_ps(v.v, _mm256_set1_ps(s), _mm256_castsi256_ps(lane_bit(i)));
}
inline void set_lane(vint& v, int i, int s) { v.v = _mm256_blendv_epi8(v.v, _mm256_set1_epi32(s), lane_bit(i)); }

inline vfloat operator+(vfloat a, vfloat b) { return _mm256_add_ps(a.v, b.v); }
inline vfloat operator-(vfloat a, vfloat b) { return _mm256_sub_ps(a.v, b.v); }
inline vfloat operator*(vfloat a, vfloat b) { return _mm256_mul_ps(a.v, b.v); }
inline vfloat operator/(vfloat a, vfloat b) { return _mm256_div_ps(a.v, b.v); }
inline vmask operator<(vfloat a, vfloat b) { return mask_of(_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)); }
inline vmask operator<=(vfloat a, vfloat b) { return mask_of(_mm256_cmp_ps(a.v, b.v, _CMP_LE_OQ)); }
inline vmask operator>(vfloat a, vfloat b) { return mask_of(_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)); }
inline vmask operator>=(vfloat a, vfloat b) { return mask_of(_mm256_cmp_ps(a.v, b.v, _CMP_GE_OQ)); }
inline vmask operator!=(vfloat a, vfloat b) { return mask_of(_mm256_cmp_ps(a.v, b.v, _CMP_NEQ_UQ)); }
inline vmask is_nan(vfloat a) { return mask_of(_mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q)); }

inline vint operator+(vint a, vint b) { return _mm256_add_epi32(a.v, b.v); }
inline vint operator-(vint a, vint b) { return _mm256_sub_epi32(a.v, b.v); }
inline vint operator*(vint a, vint b) { return _mm256_mullo_epi32(a.v, b.v); }
inline vint operator&(vint a, vint b) { return _mm256_and_si256(a.v, b.v); }
inline vint operator<<(vint a, int s) { return _mm256_slli_epi32(a.v, s); }
inline vint operator>>(vint a, int s) { return _mm256_srai_epi32(a.v, s); }
inline vmask operator>(vint a, vint b) { return {_mm256_cmpgt_epi32(a.v, b.v)}; }
inline vmask operator<(vint a, vint b) { return b > a; }
inline vmask operator<=(vint a, vint b) { return !(a > b); }
inline vmask operator>=(vint a, vint b) { return !(b > a); }
inline vint shift_right_logical(vint a, vint bits) { return _mm256_srlv_epi32(a.v, bits.v); }
inline vint shift_right_arithmetic(vint a, vint bits) { return _mm256_srav_epi32(a.v, bits.v); }
inline vint shift_left(vint a, vint bits) { return _mm256_sllv_epi32(a.v, bits.v); }

inline vfloat select(vmask m, vfloat a, vfloat b) { return _mm256_blendv_ps(b.v, a.v, _mm256_castsi256_ps(m.m)); }
inline vint select(vmask m, vint a, vint b) { return _mm256_blendv_epi8(b.v, a.v, m.m); }
inline vint truncate_to_int(vfloat x) { return _mm256_cvttps_epi32(x.v); }
inline vint ceil_to_int(vfloat x) { return _mm256_cvttps_epi32(_mm256_round_ps(x.v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC)); }
inline vint floor_to_int(vfloat x) { return _mm256_cvttps_epi32(_mm256_round_ps(x.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)); }
inline vfloat to_float(vint i) { return _mm256_cvtepi32_ps(i.v); }
inline vint float_bits(vfloat x) { return _mm256_castps_si256(x.v); }
inline vfloat bits_float(vint i) { return _mm256_castsi256_ps(i.v); }
inline vfloat lane_sqrt(vfloat x) { return _mm256_sqrt_ps(x.v); }
inline vfloat lane_abs(vfloat x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x.v); }
inline vint lane_min(vint a, vint b) { return _mm256_min_epi32(a.v, b.v); }
/// min and max, returning b where either is NaN or they are equal (the instructions' rule).
inline vfloat min_unordered(vfloat a, vfloat b) { return _mm256_min_ps(a.v, b.v); }
inline vfloat max_unordered(vfloat a, vfloat b) { return _mm256_max_ps(a.v, b.v); }

/// The 4 bytes at base + byte_offset per lane, as one int.
inline vint gather_4_bytes(const void* base, vint byte_offset) {
  return _mm256_i32gather_epi32(static_cast<const int*>(base), byte_offset.v, 1);
}
// clang-format on

/// The 8 bytes at base + kScale * offset per lane, as their low and high 4 bytes: two gathers of 4
/// lanes, which cost about what one 8-lane gather of 4 bytes does, for twice the bytes.
template <int kScale>
inline void gather_8_bytes(const void* base, vint offset, vint& low, vint& high) {
  const auto* words = static_cast<const long long*>(base);
  const __m256 lo = _mm256_castsi256_ps(_mm256_i32gather_epi64(words, _mm256_castsi256_si128(offset.v), kScale));
  const __m256 hi = _mm256_castsi256_ps(_mm256_i32gather_epi64(words, _mm256_extracti128_si256(offset.v, 1), kScale));
  // lo = l0 h0 l1 h1 | l2 h2 l3 h3, hi = l4 h4 l5 h5 | l6 h6 l7 h7; the shuffles give l0 l1 l4 l5 |
  // l2 l3 l6 l7, and the 64-bit permute puts the lanes in order.
  const auto in_order = [](__m256 v) {
    return _mm256_castpd_si256(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
  };
  low = in_order(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  high = in_order(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
}

} // namespace libindex::kernels::simd
