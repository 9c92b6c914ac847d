// SPDX-License-Identifier: Apache-2.0
#include <turbojpeg.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "libindex/error.h"
#include "libindex/streaming/frame_encoder.h"

namespace libindex::streaming {

JpegEncoder::JpegEncoder() : handle_(tjInitCompress()) {
  require(handle_ != nullptr,
          std::string("jpeg encoder: cannot create a libturbojpeg compressor: ") + tjGetErrorStr2(nullptr));
}

JpegEncoder::~JpegEncoder() {
  if (scratch_) tjFree(scratch_);
  if (handle_) tjDestroy(handle_);
}

JpegEncoder::JpegEncoder(JpegEncoder&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), scratch_(std::exchange(other.scratch_, nullptr)),
      scratch_size_(std::exchange(other.scratch_size_, 0)) {}

JpegEncoder& JpegEncoder::operator=(JpegEncoder&& other) noexcept {
  std::swap(handle_, other.handle_);
  std::swap(scratch_, other.scratch_);
  std::swap(scratch_size_, other.scratch_size_);
  return *this;
}

EncodedFrame JpegEncoder::encode(const uint8_t* rgba8, int width, int height, int quality, size_t prefix) {
  require(handle_ != nullptr, "jpeg encoder: used after being moved from");
  require(rgba8 != nullptr && width > 0 && height > 0,
          "jpeg encoder: bad image " + std::to_string(width) + "x" + std::to_string(height));
  require(quality >= 1 && quality <= 100, "jpeg encoder: quality " + std::to_string(quality) + " is outside [1, 100]");
  // No TJFLAG_NOREALLOC: turbojpeg grows scratch_ when needed and we keep it for the next frame.
  unsigned long size = scratch_size_;
  const int rc = tjCompress2(handle_, rgba8, width, 0 /* pitch: tightly packed */, height, TJPF_RGBA, &scratch_, &size,
                             TJSAMP_420, quality, TJFLAG_FASTDCT);
  if (size > scratch_size_) scratch_size_ = size;
  require(rc == 0, std::string("jpeg encoder: tjCompress2 failed: ") + tjGetErrorStr2(handle_));

  EncodedFrame out;
  out.encoding = Encoding::jpeg;
  out.width = width;
  out.height = height;
  out.prefix = prefix;
  // One copy of the compressed bytes (a tenth of the pixels) is cheaper than zero-filling a
  // worst-case tjBufSize() buffer per frame to compress into directly.
  out.buffer.resize(prefix + size);
  std::copy(scratch_, scratch_ + size, out.buffer.begin() + std::ptrdiff_t(prefix));
  return out;
}

} // namespace libindex::streaming
