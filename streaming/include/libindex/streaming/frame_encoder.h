// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Frame encoders for the video stream: JPEG (libturbojpeg) and PNG (libpng).
///
/// Both can leave `prefix` spare bytes in front of the image, so that the session packs the video
/// header and the server its WebSocket framing in place, and a frame reaches the socket without a copy
/// (see Server::publish_encoded and kVideoMessagePrefix).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libindex/streaming/video_header.h"

namespace libindex::streaming {

/// An encoded image, stored after `prefix` spare bytes of `buffer`.
struct EncodedFrame {
  Encoding encoding = Encoding::jpeg;
  int width = 0, height = 0;
  size_t prefix = 0;
  std::vector<uint8_t> buffer;
  /// The encoded image itself (a complete JPEG or PNG file).
  std::span<const uint8_t> image() const { return {buffer.data() + prefix, buffer.size() - prefix}; }
};

/// JPEG encoder keeping one libturbojpeg handle and its output buffer across frames (creating a
/// handle per frame costs more than encoding a small frame). Not thread-safe: one per thread.
class JpegEncoder {
 public:
  /// Throws libindex::Error when libturbojpeg cannot create a compressor.
  JpegEncoder();
  ~JpegEncoder();
  JpegEncoder(JpegEncoder&& other) noexcept;
  JpegEncoder& operator=(JpegEncoder&& other) noexcept;
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  /// Encodes `width`×`height` pixels of 8-bit RGBA, row 0 at the top. The input is the premultiplied
  /// image already composited over the background, so alpha is dropped. 4:2:0 chroma, fast DCT;
  /// `quality` in [1, 100]. Throws libindex::Error on bad arguments or when libturbojpeg fails.
  EncodedFrame encode(const uint8_t* rgba8, int width, int height, int quality, size_t prefix = 0);

 private:
  void* handle_ = nullptr;           // tjhandle (a void*): keeps turbojpeg.h out of this header
  unsigned char* scratch_ = nullptr; // turbojpeg's output buffer, grown by it and reused
  unsigned long scratch_size_ = 0;
};

/// zlib effort for PNG: `fast` for streamed frames, `standard` (zlib's default) for snapshots.
enum class PngCompression { fast, standard };

/// Encodes straight-alpha 8-bit RGBA (as PNG defines it; see libindex::to_rgba8_straight) as an RGBA
/// PNG, row 0 at the top. Throws libindex::Error on bad arguments or when libpng fails.
EncodedFrame encode_png(const uint8_t* rgba8_straight, int width, int height,
                        PngCompression compression = PngCompression::fast, size_t prefix = 0);

} // namespace libindex::streaming
