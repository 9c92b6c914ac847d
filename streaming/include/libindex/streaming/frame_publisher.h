// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The last step of a frame on the head: the composited image to 8-bit RGBA, JPEG, the video
/// header in front, out to every video client (latest frame wins). Used by the served session and
/// by the end-to-end benchmark, so what is measured is what is served.

#include <atomic>
#include <cstdint>

#include "libindex/image.h"
#include "libindex/streaming/frame_encoder.h"
#include "libindex/streaming/server.h"

namespace libindex::streaming {

/// What the frame cost before it reached the publisher, for the video header.
struct FrameTimes {
  double render_ms = 0, composite_ms = 0;
};

class FramePublisher {
 public:
  /// `server` must outlive the publisher. `jpeg_quality` in [1, 100].
  FramePublisher(Server& server, int jpeg_quality) : server_(server), quality_(jpeg_quality) {}

  /// Encodes `image` (premultiplied RGBA, already over its background) and publishes it as the next
  /// frame; `interactive` marks a reduced-resolution frame. Returns the frame number it got.
  uint64_t publish(const Image& image, FrameTimes times, bool interactive);

  /// Frames published so far, and the last one's encode time: readable from any thread.
  uint64_t frames() const { return frame_number_.load(); }
  double last_encode_ms() const { return last_encode_ms_.load(); }

 private:
  Server& server_;
  int quality_;
  JpegEncoder jpeg_;
  std::vector<uint8_t> rgba_; ///< kept between frames: no allocation per frame
  std::atomic<uint64_t> frame_number_{0};
  std::atomic<double> last_encode_ms_{0};
};

} // namespace libindex::streaming
