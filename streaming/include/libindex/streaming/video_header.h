// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The 36-byte header in front of every binary message on /index_video_client.
///
/// Layout, little-endian, no padding:
///   0 char[4] magic "LIDX"   4 u16 version (1)   6 u8 encoding (0 jpeg, 1 png)   7 u8 flags
///   8 u64 frame number      16 u32 width        20 u32 height
///  24 f32 render_ms         28 f32 composite_ms 32 f32 encode_ms      36 encoded image
/// Written byte by byte, so the bytes are the same on any host (the browser reads them with a DataView).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace libindex::streaming {

inline constexpr size_t kVideoHeaderSize = 36;
inline constexpr uint16_t kVideoHeaderVersion = 1;

/// How the image after the header is encoded.
enum class Encoding : uint8_t { jpeg = 0, png = 1 };

/// Bits of VideoHeader::flags.
enum VideoFlags : uint8_t {
  /// A reduced-resolution frame rendered while the user drags; the browser scales it up.
  kFlagInteractive = 1u << 0,
};

struct VideoHeader {
  uint16_t version = kVideoHeaderVersion;
  Encoding encoding = Encoding::jpeg;
  uint8_t flags = 0;
  uint64_t frame = 0;
  uint32_t width = 0, height = 0;
  float render_ms = 0, composite_ms = 0, encode_ms = 0;
  friend bool operator==(const VideoHeader&, const VideoHeader&) = default;
};

/// Writes `header` into the first kVideoHeaderSize bytes of `out`.
void pack(const VideoHeader& header, std::span<uint8_t, kVideoHeaderSize> out);
/// The header as its 36 bytes.
std::array<uint8_t, kVideoHeaderSize> pack(const VideoHeader& header);

/// Reads the header at the start of a video message. Throws libindex::Error when the message is
/// shorter than the header, the magic is not "LIDX", the version is not 1 or the encoding is unknown.
VideoHeader unpack(std::span<const uint8_t> message);

} // namespace libindex::streaming
