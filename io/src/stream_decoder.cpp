// SPDX-License-Identifier: Apache-2.0
#include "stream_decoder.h"

#include <algorithm>
#include <string>

#include <bzlib.h>
#include <zlib.h>

namespace libindex::io::detail {
namespace {

// The codecs count in unsigned int: hand them at most this much at a time.
constexpr size_t kChunk = size_t(1) << 30;

// Points a zlib or bzip2 stream (their fields share names) at the buffers, runs one step of `codec`,
// and advances the buffers by what it read and wrote. Returns the codec's code.
template <class Stream, class Codec>
int run_step(Stream& s, DecodeBuffers& b, Codec codec) {
  s.next_in = reinterpret_cast<decltype(s.next_in)>(const_cast<std::byte*>(b.in));
  s.avail_in = decltype(s.avail_in)(std::min(b.in_left, kChunk));
  s.next_out = reinterpret_cast<decltype(s.next_out)>(b.out);
  s.avail_out = decltype(s.avail_out)(std::min(b.out_left, kChunk));
  const size_t in_before = s.avail_in, out_before = s.avail_out;
  const int rc = codec(&s);
  const size_t consumed = in_before - s.avail_in, produced = out_before - s.avail_out;
  b.in += consumed, b.in_left -= consumed, b.out += produced, b.out_left -= produced;
  return rc;
}

class GzipDecoder final : public StreamDecoder {
 public:
  GzipDecoder() {
    // 15 + 32: accept gzip and zlib headers alike (writers differ on which one NRRD's "gzip" gets).
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw DecodeError("zlib initialization failed");
  }
  ~GzipDecoder() override { inflateEnd(&z_); }

  Result decode(DecodeBuffers& b) override {
    const int rc = run_step(z_, b, [](z_stream* z) { return inflate(z, Z_NO_FLUSH); });
    if (rc == Z_STREAM_END) return Result::end_of_member;
    if (rc == Z_OK || rc == Z_BUF_ERROR) return Result::more; // Z_BUF_ERROR: no progress possible now
    throw DecodeError("corrupt gzip data (" + (z_.msg ? std::string(z_.msg) : "zlib error " + std::to_string(rc)) +
                      ")");
  }
  void restart() override { inflateReset(&z_); }

 private:
  z_stream z_{};
};

class Bzip2Decoder final : public StreamDecoder {
 public:
  Bzip2Decoder() { start(); }
  ~Bzip2Decoder() override { BZ2_bzDecompressEnd(&s_); }

  Result decode(DecodeBuffers& b) override {
    const int rc = run_step(s_, b, BZ2_bzDecompress);
    if (rc == BZ_STREAM_END) return Result::end_of_member;
    if (rc == BZ_OK) return Result::more;
    throw DecodeError(rc == BZ_DATA_ERROR_MAGIC ? "not bzip2 data (bad magic)"
                      : rc == BZ_MEM_ERROR      ? "bzip2 ran out of memory"
                                                : "corrupt bzip2 data (error " + std::to_string(rc) + ")");
  }
  // A bzip2 stream cannot be reset: the next one (pbzip2 writes many) gets a fresh decompressor.
  void restart() override {
    BZ2_bzDecompressEnd(&s_);
    s_ = bz_stream{};
    start();
  }

 private:
  void start() {
    if (BZ2_bzDecompressInit(&s_, 0, 0) != BZ_OK) throw DecodeError("bzip2 initialization failed");
  }
  bz_stream s_{};
};

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// NRRD's hex: two digits a byte, either case, white space anywhere between digits.
class HexDecoder final : public StreamDecoder {
 public:
  Result decode(DecodeBuffers& b) override {
    const auto* in = reinterpret_cast<const unsigned char*>(b.in);
    size_t i = 0;
    while (i < b.in_left && b.out_left > 0) {
      const unsigned char c = in[i];
      const int v = hex_value(c);
      if (v < 0) {
        if (!is_space(c)) {
          b.in += i, b.in_left -= i; // what was decoded before it counts
          const std::string shown =
              c >= 0x20 && c < 0x7f ? std::string("'") + char(c) + "'" : "byte " + std::to_string(c);
          throw DecodeError("hex data holds " + shown + ", which is neither a hex digit nor white space");
        }
      } else if (high_ < 0) {
        high_ = v;
      } else {
        *b.out++ = std::byte((high_ << 4) | v);
        --b.out_left;
        high_ = -1;
      }
      ++i;
    }
    b.in += i, b.in_left -= i;
    return Result::more;
  }
  void restart() override {}

 private:
  int high_ = -1; // the first digit of a byte whose second has not come yet
};

} // namespace

const char* to_string(StreamEncoding e) {
  switch (e) {
  case StreamEncoding::gzip:
    return "gzip";
  case StreamEncoding::bzip2:
    return "bzip2";
  case StreamEncoding::hex:
    return "hex";
  }
  return "?";
}

std::unique_ptr<StreamDecoder> make_decoder(StreamEncoding e) {
  switch (e) {
  case StreamEncoding::gzip:
    return std::make_unique<GzipDecoder>();
  case StreamEncoding::bzip2:
    return std::make_unique<Bzip2Decoder>();
  case StreamEncoding::hex:
    return std::make_unique<HexDecoder>();
  }
  return nullptr;
}

bool starts_like(StreamEncoding e, const unsigned char* head, size_t n) {
  switch (e) {
  case StreamEncoding::gzip: {
    if (n < 2) return false;
    const bool gzip = head[0] == 0x1f && head[1] == 0x8b;
    const bool zlib = (head[0] & 0x0f) == 8 && ((head[0] << 8) | head[1]) % 31 == 0;
    return gzip || zlib;
  }
  case StreamEncoding::bzip2:
    return n >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' && head[3] <= '9';
  case StreamEncoding::hex: {
    size_t i = 0;
    while (i < n && is_space(head[i])) ++i;
    return i < n && hex_value(head[i]) >= 0;
  }
  }
  return false;
}

} // namespace libindex::io::detail
