// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Pixels on the wire: f32 as is, f16 (IEEE binary16, round to nearest even, written here so
/// no half library is needed) and u8 (round(255 * clamp(x, 0, 1)), the conventions' 8-bit rule).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "libindex/compositing/compositor.h"
#include "libindex/image.h"

namespace libindex::compositing::detail {

/// float -> IEEE half, round to nearest, ties to even; overflow to infinity, NaN to a quiet NaN.
/// Branch-free (every path computed, one selected), so that loops over it vectorize. The
/// subnormal path lets the FPU round: adding 0.5 puts the value on the 2^-24 grid of half
/// subnormals, rounded to nearest even as IEEE addition does by default.
inline uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7fffffffu;
  // Normal: rebias the exponent (127 -> 15) and add just under half an ulp, plus one when the kept
  // lsb is odd, so ties go to even; a carry into the exponent is the correct rounding up.
  const uint32_t normal = (ax - 0x38000000u + 0xfffu + ((ax >> 13) & 1u)) >> 13;
  const uint32_t subnormal = std::bit_cast<uint32_t>(std::bit_cast<float>(ax) + 0.5f) - 0x3f000000u;
  const uint32_t special = ax > 0x7f800000u ? 0x7e00u : 0x7c00u; // NaN, or anything >= 65520
  uint32_t r = ax < 0x38800000u ? subnormal : normal;            // below 2^-14: subnormal
  r = ax >= 0x477ff000u ? special : r;                           // 65520 is halfway past 65504
  return uint16_t(r | sign);
}

/// IEEE half -> float, exact; branch-free like float_to_half.
inline float half_to_float(uint16_t h) {
  const uint32_t bits = uint32_t(h & 0x7fffu) << 13; // exponent and mantissa in float position
  const uint32_t exponent = bits & 0x0f800000u;
  uint32_t u = bits + 0x38000000u;                   // rebias 15 -> 127
  u = exponent == 0x0f800000u ? u + 0x38000000u : u; // infinity / NaN: exponent 255
  u = exponent == 0 ? u + 0x00800000u : u;           // zero / subnormal: 2^-14 (1 + m)
  float f = std::bit_cast<float>(u);
  f = exponent == 0 ? f - 0x1p-14f : f; // ... minus 2^-14 = m * 2^-24
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | (uint32_t(h & 0x8000u) << 16));
}

/// Flat conversion loops over n floats (a pixel is 4), written so the compiler vectorizes them.
inline void floats_to_half(const float* s, uint16_t* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = float_to_half(s[i]);
}
inline void half_to_floats(const uint16_t* s, float* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = half_to_float(s[i]);
}
/// round(255 * clamp(x, 0, 1)), the same rule as core's to_unorm8.
inline void floats_to_unorm8(const float* s, uint8_t* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = uint8_t(std::min(std::max(s[i], 0.0f), 1.0f) * 255.0f + 0.5f);
}
inline void unorm8_to_floats(const uint8_t* s, float* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = float(s[i]) * (1.0f / 255.0f);
}

/// Bytes of one pixel on the wire.
constexpr size_t pixel_bytes(PixelFormat f) { return f == PixelFormat::f32 ? 16 : (f == PixelFormat::f16 ? 8 : 4); }

/// Pixels in a wire format, converted a run at a time. Message bytes come from an untyped
/// allocation and every run starts at a multiple of 4 bytes, so they may be viewed as the format's
/// channel type.
template <PixelFormat F>
struct Wire;

template <>
struct Wire<PixelFormat::f32> {
  static constexpr size_t bytes = 16;
  static void put(std::byte* d, const Vec4f* p, size_t n) { std::memcpy(d, p, n * bytes); }
  static void get(const std::byte* s, Vec4f* p, size_t n) { std::memcpy(static_cast<void*>(p), s, n * bytes); }
};

template <>
struct Wire<PixelFormat::f16> {
  static constexpr size_t bytes = 8;
  static void put(std::byte* d, const Vec4f* p, size_t n) {
    floats_to_half(reinterpret_cast<const float*>(p), reinterpret_cast<uint16_t*>(d), 4 * n);
  }
  static void get(const std::byte* s, Vec4f* p, size_t n) {
    half_to_floats(reinterpret_cast<const uint16_t*>(s), reinterpret_cast<float*>(p), 4 * n);
  }
};

template <>
struct Wire<PixelFormat::u8> {
  static constexpr size_t bytes = 4;
  static void put(std::byte* d, const Vec4f* p, size_t n) {
    floats_to_unorm8(reinterpret_cast<const float*>(p), reinterpret_cast<uint8_t*>(d), 4 * n);
  }
  static void get(const std::byte* s, Vec4f* p, size_t n) {
    unorm8_to_floats(reinterpret_cast<const uint8_t*>(s), reinterpret_cast<float*>(p), 4 * n);
  }
};

/// Calls `f.template operator()<F>()` with the format as a compile-time constant, so pixel loops
/// are instantiated once per format instead of branching per pixel.
template <class F>
decltype(auto) with_format(PixelFormat format, F&& f) {
  switch (format) {
  case PixelFormat::f16:
    return f.template operator()<PixelFormat::f16>();
  case PixelFormat::u8:
    return f.template operator()<PixelFormat::u8>();
  case PixelFormat::f32:
    break;
  }
  return f.template operator()<PixelFormat::f32>();
}

} // namespace libindex::compositing::detail
