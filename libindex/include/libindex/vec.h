// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Small fixed-size vectors for the host and the device. Trivially copyable, no constructors
/// beyond aggregates, so they cross into CUDA kernels and MPI messages as plain bytes.

#include <cmath>
#include <type_traits>

#include "libindex/portability.h"

namespace libindex {

struct Vec3f {
  float x = 0, y = 0, z = 0;
  LIBINDEX_HOST_DEVICE float operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  LIBINDEX_HOST_DEVICE float& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
  friend bool operator==(const Vec3f&, const Vec3f&) = default;
};

struct Vec3i {
  int x = 0, y = 0, z = 0;
  LIBINDEX_HOST_DEVICE int operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  LIBINDEX_HOST_DEVICE int& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
  friend bool operator==(const Vec3i&, const Vec3i&) = default;
};

/// RGBA, or any 4 floats. Colors in the pipeline are premultiplied unless a name says "straight".
struct Vec4f {
  float x = 0, y = 0, z = 0, w = 0;
  friend bool operator==(const Vec4f&, const Vec4f&) = default;
};

static_assert(std::is_trivially_copyable_v<Vec3f> && sizeof(Vec3f) == 12);
static_assert(std::is_trivially_copyable_v<Vec4f> && sizeof(Vec4f) == 16);

// clang-format off
LIBINDEX_HOST_DEVICE inline Vec3f operator+(Vec3f a, Vec3f b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator-(Vec3f a, Vec3f b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator-(Vec3f a) { return {-a.x, -a.y, -a.z}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator*(Vec3f a, float s) { return {a.x * s, a.y * s, a.z * s}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator*(float s, Vec3f a) { return a * s; }
LIBINDEX_HOST_DEVICE inline Vec3f operator*(Vec3f a, Vec3f b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator/(Vec3f a, Vec3f b) { return {a.x / b.x, a.y / b.y, a.z / b.z}; }
LIBINDEX_HOST_DEVICE inline Vec3f operator/(Vec3f a, float s) { return {a.x / s, a.y / s, a.z / s}; }
LIBINDEX_HOST_DEVICE inline float dot(Vec3f a, Vec3f b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
LIBINDEX_HOST_DEVICE inline Vec3f cross(Vec3f a, Vec3f b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
LIBINDEX_HOST_DEVICE inline float length(Vec3f a) { return sqrtf(dot(a, a)); }
LIBINDEX_HOST_DEVICE inline Vec3f normalize(Vec3f a) { float l = length(a); return l > 0 ? a / l : a; }
LIBINDEX_HOST_DEVICE inline Vec3f to_float(Vec3i a) { return {float(a.x), float(a.y), float(a.z)}; }
LIBINDEX_HOST_DEVICE inline Vec4f operator+(Vec4f a, Vec4f b) { return {a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w}; }
LIBINDEX_HOST_DEVICE inline Vec4f operator*(Vec4f a, float s) { return {a.x * s, a.y * s, a.z * s, a.w * s}; }
LIBINDEX_HOST_DEVICE inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
LIBINDEX_HOST_DEVICE inline float lerpf(float a, float b, float t) { return a + t * (b - a); }
// clang-format on

} // namespace libindex
