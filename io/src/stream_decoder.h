// SPDX-License-Identifier: Apache-2.0
#pragma once
// Decoders for NRRD's sequential encodings: gzip (or zlib), bzip2 and hex text. Each turns a stream of
// file bytes into voxel bytes, a buffer at a time; none can be entered in the middle.

#include <cstddef>
#include <memory>
#include <stdexcept>

namespace libindex::io::detail {

enum class StreamEncoding { gzip, bzip2, hex };

const char* to_string(StreamEncoding e);

/// What the decoder reads from and writes to; decode() advances both.
struct DecodeBuffers {
  const std::byte* in = nullptr;
  size_t in_left = 0;
  std::byte* out = nullptr;
  size_t out_left = 0;
};

/// Corrupt input, in the codec's words; the caller adds the file and the position.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StreamDecoder {
 public:
  enum class Result { more, end_of_member };
  virtual ~StreamDecoder() = default;
  /// Decodes what it can of `b.in` into `b.out`. `end_of_member`: a compressed stream ended (more may
  /// follow: gzip members and bzip2 streams may be concatenated, and read as one). Throws DecodeError.
  virtual Result decode(DecodeBuffers& b) = 0;
  /// Starts a member that follows the one that ended.
  virtual void restart() = 0;
};

std::unique_ptr<StreamDecoder> make_decoder(StreamEncoding e);

/// Whether `head` (the first bytes of the data, `n` of them) can start data of this encoding: the
/// gzip or zlib header, bzip2's "BZh1".."BZh9", or a hex digit after any white space.
bool starts_like(StreamEncoding e, const unsigned char* head, size_t n);

} // namespace libindex::io::detail
