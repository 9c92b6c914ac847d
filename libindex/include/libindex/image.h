// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Images of premultiplied float RGBA, and the one `over` operator every stage uses.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "libindex/camera.h"
#include "libindex/frame_memory.h"
#include "libindex/vec.h"

namespace libindex {

/// Porter-Duff `over` of premultiplied colors: front + (1 - front.alpha) * back. Associative, which
/// is what lets the marcher and every compositing strategy share it and group it freely.
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE Vec4f over(Vec4f front, Vec4f back) {
  float t = 1.0f - front.w;
  return {front.x + t * back.x, front.y + t * back.y, front.z + t * back.z, front.w + t * back.w};
}

/// A non-owning, trivially copyable window on pixels: row-major, row 0 at the top.
struct ImageView {
  Vec4f* pixels = nullptr;
  int width = 0, height = 0;
  LIBINDEX_HOST_DEVICE Vec4f& at(int x, int y) const { return pixels[(long long)y * width + x]; }
};
static_assert(std::is_trivially_copyable_v<ImageView>);

/// A host-owned image of premultiplied RGBA floats, transparent black when created. Its pixels live
/// in frame_memory: the next image of the same size reuses them.
class Image {
 public:
  using Pixels = std::vector<Vec4f, FrameAllocator<Vec4f>>;

  Image() = default;
  Image(int width, int height) : width_(width), height_(height), pixels_(size_t(width) * height) {}

  int width() const { return width_; }
  int height() const { return height_; }
  ImageView view() { return {pixels_.data(), width_, height_}; }
  const Vec4f& at(int x, int y) const { return pixels_[size_t(y) * width_ + x]; }
  Vec4f& at(int x, int y) { return pixels_[size_t(y) * width_ + x]; }
  const Pixels& pixels() const { return pixels_; }
  Pixels& pixels() { return pixels_; }

 private:
  int width_ = 0, height_ = 0;
  Pixels pixels_;
};

/// round(255 * clamp(x, 0, 1)), the one float -> 8-bit rule of the conventions.
inline uint8_t to_unorm8(float x) { return uint8_t(clampf(x, 0.0f, 1.0f) * 255.0f + 0.5f); }

/// `image` over a straight-alpha background color, in place.
void apply_background(Image& image, Vec4f straight_background);

/// 8-bit premultiplied RGBA, 4 bytes a pixel, row 0 at the top.
std::vector<uint8_t> to_rgba8_premultiplied(const Image& image);
/// The same into a buffer the caller keeps between frames (resized, never shrunk in capacity).
void to_rgba8_premultiplied(const Image& image, std::vector<uint8_t>& out);
/// 8-bit straight RGBA (colour divided by alpha before rounding), as PNG stores it.
std::vector<uint8_t> to_rgba8_straight(const Image& image);

/// Largest per-channel absolute difference between two images of the same size.
float max_abs_difference(const Image& a, const Image& b);

} // namespace libindex
