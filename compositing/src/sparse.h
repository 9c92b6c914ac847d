// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Active-pixel messages (IceT's sparse images): the non-empty pixels of a rectangle as runs,
/// so that only active pixels travel. A pixel is empty when all four channels are 0.
///
/// Layout, all little-endian as the host writes it:
///   MessageHeader (40 bytes)
///   uint64 chunk_end[chunks]   byte offset, from the first chunk, where each chunk's runs end
///   runs of each chunk         uint32 skip, uint32 count, then `count` pixels in the wire format
/// Chunk c walks rows [extent.y0 + c*rows_per_chunk, +rows_per_chunk) of `extent`, row-major, so
/// chunks encode and blend independently (in parallel). A run never crosses a row end; skips do.
/// A message with an empty extent is a marker: "nothing here", header only. Exchanges walk only
/// the sender's bounds inside the part; gather messages walk the sender's whole region, so that
/// root can replace every pixel of it (skipped pixels become transparent).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "libindex/compositing/compositor.h"
#include "memory.h"
#include "tile.h"

namespace libindex::compositing::detail {

struct MessageHeader {
  Rect extent;             ///< the rectangle the runs walk; empty for a marker
  Rect tight;              ///< bounding box of the non-empty pixels, inside extent
  uint32_t format;         ///< PixelFormat
  uint32_t rows_per_chunk; ///< rows of extent per chunk; parse() clamps it to extent's height
};
static_assert(sizeof(MessageHeader) == 40);

/// A message's bytes, uninitialized until written (memory.h says where they come from). Kept
/// from message to message: it grows to the largest message it held.
struct Buffer {
  Storage storage;
  size_t size = 0;

  std::byte* data() const { return storage.data.get(); }
  /// Makes it `bytes` long; the contents are lost when it grows.
  std::byte* resize(size_t bytes) {
    size = bytes;
    return storage.reserve(bytes);
  }
  /// Makes room for `bytes` before a message is written or received into it (memory.h says why).
  void make_room(size_t bytes) { storage.reserve(bytes); }
};
Buffer make_buffer(size_t size);

/// The most bytes a message about `region` can take.
size_t message_capacity(const Rect& region, PixelFormat format);
/// The bytes of a message about `pixels` pixels in `rows` rows when all are non-empty: one run a
/// row. What a buffer makes room for: a sparse message is smaller unless its rows break into
/// many runs, and then the buffer grows.
size_t dense_message_bytes(long long pixels, int rows, PixelFormat format);

/// What a message's runs walk: the tile's bounds inside the part (enough to blend), or the whole
/// part inside the tile's region (so that the receiver can replace every pixel of it).
enum class Walk { bounds, whole };

/// One run as encode() finds it: `count` non-empty pixels from (x, y), after `skip` empty ones.
struct RunSpan {
  uint32_t skip, count;
  int x, y;
};

/// What encode() finds per chunk before writing: kept by the caller between messages, so that the
/// run lists keep their capacity from frame to frame.
struct ChunkCount {
  uint64_t bytes = 0; ///< of the chunk's runs
  uint64_t end = 0;   ///< where they end, from the first chunk's start
  Rect tight;
  std::vector<RunSpan> runs; ///< in order; x, y in image coordinates
};

/// Encodes the non-empty pixels of `tile` inside `part` into `out` (resized to fit; `counts` is
/// scratch); reads only pixels inside tile.bounds(). Throws Error when the message would exceed
/// MPI's 2 GiB count limit.
void encode(const Tile& tile, const Rect& part, PixelFormat format, Walk walk, Buffer& out,
            std::vector<ChunkCount>& counts);
/// The same into a new buffer.
Buffer encode(const Tile& tile, const Rect& part, PixelFormat format, Walk walk = Walk::bounds);

/// A received message, checked: its header, chunk table and runs. Points into the message's
/// bytes, which must outlive it.
struct Message {
  MessageHeader header{};
  const std::byte* table = nullptr; ///< the chunk table: `chunks` uint64, read unaligned
  size_t chunks = 0;
  const std::byte* runs = nullptr;
  bool empty() const { return header.tight.empty(); } ///< no non-empty pixel
  /// Where chunk c's runs end, in bytes from `runs`.
  uint64_t chunk_end(size_t c) const {
    uint64_t end;
    std::memcpy(&end, table + c * sizeof(uint64_t), sizeof end);
    return end;
  }
};
/// Reads the header and chunk table of `size` bytes; throws Error when the message is malformed,
/// in another format, or reaches outside `region`.
Message parse(const std::byte* data, size_t size, const Rect& region, PixelFormat format);

/// How a received pixel s meets the pixel d already there.
enum class Blend {
  store,   ///< d = s, skipped pixels untouched (d known transparent)
  replace, ///< d = s, skipped pixels of the extent become transparent (d holds anything)
  front,   ///< d = over(s, d): the sender is nearer
  back,    ///< d = over(d, s): the sender is farther
  max,     ///< d = per-channel max(d, s)
};
/// Blends the message into `dst`, which must hold message.header.tight (with Blend::replace, the
/// whole extent). Runs outside tight throw.
void blend(const Message& message, const Canvas& dst, Blend mode);

} // namespace libindex::compositing::detail
