// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Pixels on the wire: f32 as is, f16 (IEEE binary16, round to nearest even, written here so
/// no half library is needed) and u8 (round(255 * clamp(x, 0, 1)), the conventions' 8-bit rule).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "libindex/compositing/compositor.h"
#include "libindex/image.h"

namespace libindex::compositing::detail {

/// float -> IEEE half, round to nearest, ties to even; overflow to infinity, NaN stays NaN.
inline uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) // infinity, or NaN (quiet, keeping the top payload bits)
    return uint16_t(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
  if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u); // >= 65520: halfway past 65504 rounds up
  if (ax >= 0x38800000u) {                                 // normal half (>= 2^-14)
    // Add just under half an ulp, plus one when the kept lsb is odd: ties go to even. A carry
    // into the exponent is the correct rounding up to the next binade.
    const uint32_t rounded = ax + 0xfffu + ((ax >> 13) & 1u);
    return uint16_t(sign | ((rounded - 0x38000000u) >> 13)); // rebias 127 -> 15
  }
  const uint32_t exponent = ax >> 23;
  if (exponent < 102) return sign; // below 2^-25: rounds to zero (2^-25 itself is a tie, to even 0)
  // Subnormal half: m * 2^-24 with m = mantissa * 2^(exponent - 126), rounded to nearest even.
  const uint32_t mantissa = (ax & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - exponent; // 14 .. 24
  uint32_t m = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (m & 1u))) ++m; // m == 0x400 is the smallest normal: correct
  return uint16_t(sign | m);
}

/// IEEE half -> float, exact.
inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {
    const float f = float(mantissa) * 0x1p-24f; // zero or subnormal
    return sign ? -f : f;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// Bytes of one pixel on the wire.
constexpr size_t pixel_bytes(PixelFormat f) {
  return f == PixelFormat::f32 ? 16 : (f == PixelFormat::f16 ? 8 : 4);
}

/// Writing and reading one pixel in a wire format; memcpy keeps unaligned access legal.
template <PixelFormat F>
struct Wire;

template <>
struct Wire<PixelFormat::f32> {
  static constexpr size_t bytes = 16;
  static void put(std::byte* d, const Vec4f& p) { std::memcpy(d, &p, 16); }
  static Vec4f get(const std::byte* s) {
    Vec4f p;
    std::memcpy(&p, s, 16);
    return p;
  }
};

template <>
struct Wire<PixelFormat::f16> {
  static constexpr size_t bytes = 8;
  static void put(std::byte* d, const Vec4f& p) {
    const uint16_t h[4] = {float_to_half(p.x), float_to_half(p.y), float_to_half(p.z), float_to_half(p.w)};
    std::memcpy(d, h, 8);
  }
  static Vec4f get(const std::byte* s) {
    uint16_t h[4];
    std::memcpy(h, s, 8);
    return {half_to_float(h[0]), half_to_float(h[1]), half_to_float(h[2]), half_to_float(h[3])};
  }
};

template <>
struct Wire<PixelFormat::u8> {
  static constexpr size_t bytes = 4;
  static void put(std::byte* d, const Vec4f& p) {
    const uint8_t c[4] = {to_unorm8(p.x), to_unorm8(p.y), to_unorm8(p.z), to_unorm8(p.w)};
    std::memcpy(d, c, 4);
  }
  static Vec4f get(const std::byte* s) {
    uint8_t c[4];
    std::memcpy(c, s, 4);
    constexpr float k = 1.0f / 255.0f;
    return {float(c[0]) * k, float(c[1]) * k, float(c[2]) * k, float(c[3]) * k};
  }
};

/// Calls `f.template operator()<F>()` with the format as a compile-time constant, so pixel loops
/// are instantiated once per format instead of branching per pixel.
template <class F>
decltype(auto) with_format(PixelFormat format, F&& f) {
  switch (format) {
  case PixelFormat::f16: return f.template operator()<PixelFormat::f16>();
  case PixelFormat::u8: return f.template operator()<PixelFormat::u8>();
  case PixelFormat::f32: break;
  }
  return f.template operator()<PixelFormat::f32>();
}

} // namespace libindex::compositing::detail
