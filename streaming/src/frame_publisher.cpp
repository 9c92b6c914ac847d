// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/frame_publisher.h"

#include <chrono>

namespace libindex::streaming {

uint64_t FramePublisher::publish(const Image& image, FrameTimes times, bool interactive) {
  const auto start = std::chrono::steady_clock::now();
  to_rgba8_premultiplied(image, rgba_);
  EncodedFrame encoded = jpeg_.encode(rgba_.data(), image.width(), image.height(), quality_, kVideoMessagePrefix);
  last_encode_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  VideoHeader h;
  h.encoding = Encoding::jpeg;
  h.flags = interactive ? kFlagInteractive : 0;
  h.frame = ++frame_number_;
  h.width = uint32_t(image.width()), h.height = uint32_t(image.height());
  h.render_ms = float(times.render_ms), h.composite_ms = float(times.composite_ms);
  h.encode_ms = float(last_encode_ms_.load());
  server_.publish_encoded(h, std::move(encoded)); // no copy: the prefix leaves room for framing
  return h.frame;
}

} // namespace libindex::streaming
