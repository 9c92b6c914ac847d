// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/video_header.h"

#include <bit>
#include <cstring>
#include <string>

#include "libindex/error.h"

namespace libindex::streaming {
namespace {

constexpr char kMagic[4] = {'L', 'I', 'D', 'X'};

// Explicit byte order: the wire format is little-endian whatever the host is.
template <class T>
void put_le(uint8_t* p, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = uint8_t(uint64_t(value) >> (8 * i));
}
template <class T>
T get_le(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t(p[i]) << (8 * i);
  return T(v);
}
void put_f32(uint8_t* p, float f) { put_le(p, std::bit_cast<uint32_t>(f)); }
float get_f32(const uint8_t* p) { return std::bit_cast<float>(get_le<uint32_t>(p)); }

} // namespace

void pack(const VideoHeader& h, std::span<uint8_t, kVideoHeaderSize> out) {
  uint8_t* p = out.data();
  std::memcpy(p, kMagic, 4);
  put_le<uint16_t>(p + 4, h.version);
  p[6] = uint8_t(h.encoding);
  p[7] = h.flags;
  put_le<uint64_t>(p + 8, h.frame);
  put_le<uint32_t>(p + 16, h.width);
  put_le<uint32_t>(p + 20, h.height);
  put_f32(p + 24, h.render_ms);
  put_f32(p + 28, h.composite_ms);
  put_f32(p + 32, h.encode_ms);
}

std::array<uint8_t, kVideoHeaderSize> pack(const VideoHeader& header) {
  std::array<uint8_t, kVideoHeaderSize> out{};
  pack(header, std::span<uint8_t, kVideoHeaderSize>(out));
  return out;
}

VideoHeader unpack(std::span<const uint8_t> message) {
  require(message.size() >= kVideoHeaderSize,
          "video header: message of " + std::to_string(message.size()) + " bytes is shorter than the 36-byte header");
  const uint8_t* p = message.data();
  require(std::memcmp(p, kMagic, 4) == 0, "video header: bad magic (expected \"LIDX\")");
  VideoHeader h;
  h.version = get_le<uint16_t>(p + 4);
  require(h.version == kVideoHeaderVersion,
          "video header: unsupported version " + std::to_string(h.version) + " (expected 1)");
  require(p[6] <= uint8_t(Encoding::png), "video header: unknown encoding " + std::to_string(p[6]));
  h.encoding = Encoding(p[6]);
  h.flags = p[7];
  h.frame = get_le<uint64_t>(p + 8);
  h.width = get_le<uint32_t>(p + 16);
  h.height = get_le<uint32_t>(p + 20);
  h.render_ms = get_f32(p + 24);
  h.composite_ms = get_f32(p + 28);
  h.encode_ms = get_f32(p + 32);
  return h;
}

} // namespace libindex::streaming
