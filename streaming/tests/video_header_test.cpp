// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/video_header.h"

#include <gtest/gtest.h>

#include <vector>

#include "libindex/error.h"

namespace libindex::streaming {
namespace {

VideoHeader sample() {
  VideoHeader h;
  h.encoding = Encoding::png;
  h.flags = kFlagInteractive;
  h.frame = 0x0102030405060708ull;
  h.width = 1920;
  h.height = 0x00ABCDEF;
  h.render_ms = 12.5f;
  h.composite_ms = 0.25f;
  h.encode_ms = 3.75f;
  return h;
}

TEST(VideoHeader, RoundTripsEveryField) {
  const VideoHeader h = sample();
  const auto bytes = pack(h);
  const VideoHeader back = unpack(bytes);
  EXPECT_EQ(back.version, 1);
  EXPECT_EQ(back.encoding, Encoding::png);
  EXPECT_EQ(back.flags, kFlagInteractive);
  EXPECT_EQ(back.frame, 0x0102030405060708ull);
  EXPECT_EQ(back.width, 1920u);
  EXPECT_EQ(back.height, 0x00ABCDEFu);
  EXPECT_EQ(back.render_ms, 12.5f);
  EXPECT_EQ(back.composite_ms, 0.25f);
  EXPECT_EQ(back.encode_ms, 3.75f);
  EXPECT_EQ(back, h);
}

TEST(VideoHeader, BytesAreLittleEndianAtTheDocumentedOffsets) {
  const auto b = pack(sample());
  ASSERT_EQ(b.size(), 36u);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "LIDX");
  EXPECT_EQ(b[4], 1); // version, low byte first
  EXPECT_EQ(b[5], 0);
  EXPECT_EQ(b[6], 1);    // png
  EXPECT_EQ(b[7], 1);    // interactive flag
  EXPECT_EQ(b[8], 0x08); // frame, lowest byte first
  EXPECT_EQ(b[15], 0x01);
  EXPECT_EQ(b[16], 0x80); // 1920 = 0x0780
  EXPECT_EQ(b[17], 0x07);
  EXPECT_EQ(b[20], 0xEF);
  EXPECT_EQ(b[22], 0xAB);
  // 12.5f = 0x41480000
  EXPECT_EQ(b[24], 0x00);
  EXPECT_EQ(b[26], 0x48);
  EXPECT_EQ(b[27], 0x41);
}

TEST(VideoHeader, UnpackReadsTheHeaderOfALongerMessage) {
  std::vector<uint8_t> message(36 + 100, 0xEE);
  pack(sample(), std::span<uint8_t, kVideoHeaderSize>(message.data(), kVideoHeaderSize));
  EXPECT_EQ(unpack(message), sample());
}

TEST(VideoHeader, BadInputThrows) {
  auto bytes = pack(sample());
  bytes[0] = 'X';
  EXPECT_THROW(unpack(bytes), Error);

  bytes = pack(sample());
  EXPECT_THROW(unpack(std::span<const uint8_t>(bytes.data(), 35)), Error);

  bytes = pack(sample());
  bytes[4] = 2; // version 2
  EXPECT_THROW(unpack(bytes), Error);

  bytes = pack(sample());
  bytes[6] = 7; // no such encoding
  EXPECT_THROW(unpack(bytes), Error);
}

} // namespace
} // namespace libindex::streaming
