// SPDX-License-Identifier: Apache-2.0
#include "sparse.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "libindex/error.h"
#include "parallel.h"
#include "pixel_format.h"

namespace libindex::compositing::detail {

namespace {

/// Pixels per chunk: large enough that run headers and task overhead vanish, small enough that a
/// 1024x1024 region still splits into 64 independent pieces of work.
constexpr int chunk_pixels = 1 << 14;
constexpr size_t run_header_bytes = 2 * sizeof(uint32_t);

bool is_empty(const Vec4f& p) { return p.x == 0.0f && p.y == 0.0f && p.z == 0.0f && p.w == 0.0f; }

int chunk_count(const MessageHeader& h) {
  return int((h.extent.height() + int64_t(h.rows_per_chunk) - 1) / h.rows_per_chunk);
}

/// Walks rows [y0, y1) of `extent` and calls run(skip, pixels, x, count, y) for each run of
/// non-empty pixels (x relative to extent.x0); `skip` empty pixels, counted across row ends,
/// precede it. Only pixels inside `data` (the tile's readable bounds) are read: the rest of the
/// extent counts as empty.
template <class Run>
void scan(const Tile& tile, const Rect& extent, const Rect& data, int y0, int y1, Run&& run) {
  const int w = extent.width();
  uint32_t skip = 0;
  for (int y = y0; y < y1; ++y) {
    if (data.empty() || y < data.y0 || y >= data.y1) {
      skip += uint32_t(w);
      continue;
    }
    const Vec4f* row = tile.at(data.x0, y);
    const int offset = data.x0 - extent.x0, n = data.width();
    skip += uint32_t(offset);
    int x = 0;
    while (x < n) {
      const int s = x;
      while (x < n && is_empty(row[x])) ++x;
      skip += uint32_t(x - s);
      if (x == n) break;
      const int a = x;
      while (x < n && !is_empty(row[x])) ++x;
      run(skip, row + a, offset + a, x - a, y);
      skip = 0;
    }
    skip += uint32_t(w - offset - n);
  }
}

void marker(PixelFormat format, Buffer& out) {
  const MessageHeader h{{}, {}, uint32_t(format), 0};
  std::memcpy(out.resize(sizeof h), &h, sizeof h);
}

[[noreturn]] void corrupt(const char* what) {
  throw Error(std::string("compositing: malformed image message: ") + what);
}

/// Per-channel max of the pixels that are there: a transparent pixel (alpha 0) takes no part. For
/// premultiplied colours that is the plain per-channel max (transparent is all zeros); it also
/// keeps signed values, like the session's MIP values (v, 0, 0, 1), from being floored at 0 by
/// the ranks that saw nothing.
inline Vec4f max_of_present(const Vec4f& a, const Vec4f& b) {
  if (b.w == 0.0f) return a;
  if (a.w == 0.0f) return b;
  return {std::max(a.x, b.x), std::max(a.y, b.y), std::max(a.z, b.z), std::max(a.w, b.w)};
}

template <Blend B>
void combine(Vec4f* d, const Vec4f* s, int n) {
  for (int i = 0; i < n; ++i) {
    if constexpr (B == Blend::store)
      d[i] = s[i];
    else if constexpr (B == Blend::front)
      d[i] = over(s[i], d[i]);
    else if constexpr (B == Blend::back)
      d[i] = over(d[i], s[i]);
    else
      d[i] = max_of_present(d[i], s[i]);
  }
}

/// Blends n wire pixels into d: stored directly, or decoded a block at a time into floats first.
template <PixelFormat F, Blend B>
void blend_span(Vec4f* d, const std::byte* s, int n) {
  if constexpr (B == Blend::store) {
    Wire<F>::get(s, d, size_t(n));
  } else {
    constexpr int block = 256;
    alignas(64) float storage[4 * block]; // raw floats: a Vec4f array would be zeroed first
    Vec4f* decoded = reinterpret_cast<Vec4f*>(storage);
    for (int i = 0; i < n; i += block) {
      const int m = std::min(block, n - i);
      Wire<F>::get(s + size_t(i) * Wire<F>::bytes, decoded, size_t(m));
      combine<B>(d + i, decoded, m);
    }
  }
}

template <PixelFormat F, Blend B>
void blend_chunks(const Message& m, const Canvas& dst) {
  const Rect& e = m.header.extent;
  const Rect& tight = m.header.tight;
  const int w = e.width(), rows = int(m.header.rows_per_chunk);
  // Blend::replace: skipped pixels [from, to) of the chunk become transparent.
  auto clear = [&](int y_begin, uint64_t from, uint64_t to) {
    while (from < to) {
      const int x = e.x0 + int(from % uint64_t(w)), y = y_begin + int(from / uint64_t(w));
      const int n = int(std::min<uint64_t>(to - from, uint64_t(e.x1 - x)));
      std::memset(static_cast<void*>(dst.at(x, y)), 0, size_t(n) * sizeof(Vec4f));
      from += uint64_t(n);
    }
  };
  for_each_item(int(m.chunks), e.area(), [&](int c) {
    const int y_begin = e.y0 + c * rows;
    const uint64_t pixels = uint64_t(std::min(rows, e.y1 - y_begin)) * uint64_t(w);
    const std::byte* p = m.runs + (c ? m.chunk_end(size_t(c) - 1) : 0);
    const std::byte* const end = m.runs + m.chunk_end(size_t(c));
    uint64_t pos = 0;
    while (p < end) {
      if (size_t(end - p) < run_header_bytes) corrupt("truncated run header");
      uint32_t head[2];
      std::memcpy(head, p, run_header_bytes);
      p += run_header_bytes;
      if (pos + head[0] > pixels) corrupt("skip past its chunk");
      if constexpr (B == Blend::replace) clear(y_begin, pos, pos + head[0]);
      pos += head[0];
      uint64_t count = head[1];
      if (count > size_t(end - p) / Wire<F>::bytes || pos + count > pixels) corrupt("run past its chunk");
      while (count > 0) {
        const int x = e.x0 + int(pos % uint64_t(w)), y = y_begin + int(pos / uint64_t(w));
        const int n = int(std::min<uint64_t>(count, uint64_t(e.x1 - x)));
        // The destination may hold only `tight`: a run outside it would write out of bounds.
        if (y < tight.y0 || y >= tight.y1 || x < tight.x0 || x + n > tight.x1) corrupt("run outside its bounding box");
        blend_span<F, B == Blend::replace ? Blend::store : B>(dst.at(x, y), p, n);
        p += size_t(n) * Wire<F>::bytes;
        pos += uint64_t(n);
        count -= uint64_t(n);
      }
    }
    if constexpr (B == Blend::replace) clear(y_begin, pos, pixels);
  });
}

} // namespace

Buffer make_buffer(size_t size) {
  Buffer b;
  b.resize(size);
  return b;
}

size_t message_capacity(const Rect& region, PixelFormat format) {
  // Every run holds at least one pixel and every chunk at least one row.
  const size_t area = size_t(region.area());
  return sizeof(MessageHeader) + sizeof(uint64_t) * size_t(std::max(region.height(), 0)) +
         area * (run_header_bytes + pixel_bytes(format));
}

size_t dense_message_bytes(long long pixels, int rows, PixelFormat format) {
  rows = std::max(rows, 0);
  return sizeof(MessageHeader) + sizeof(uint64_t) * size_t(rows) + size_t(rows) * run_header_bytes +
         size_t(std::max(pixels, 0LL)) * pixel_bytes(format);
}

void encode(const Tile& tile, const Rect& part, PixelFormat format, Walk walk, Buffer& out,
            std::vector<ChunkCount>& counts) {
  const Rect data = intersect(tile.bounds(), part);
  const Rect whole = intersect(tile.region(), part);
  const Rect extent = walk == Walk::whole ? whole : data;
  if (!whole.empty()) out.make_room(dense_message_bytes(whole.area(), whole.height(), format));
  if (extent.empty()) return marker(format, out);
  const int rows = std::max(1, chunk_pixels / extent.width());
  const int chunks = (extent.height() + rows - 1) / rows;
  const size_t bytes_per_pixel = pixel_bytes(format);

  // Pass 1 finds every chunk's runs and sizes it, so that pass 2 writes each in place, in
  // parallel, with no copy, reading only the non-empty pixels again.
  if (counts.size() < size_t(chunks)) counts.resize(size_t(chunks));
  for_each_item(chunks, data.area(), [&](int c) {
    ChunkCount& n = counts[size_t(c)];
    n.bytes = 0;
    n.tight = {};
    n.runs.clear();
    const int y0 = extent.y0 + c * rows, y1 = std::min(extent.y1, y0 + rows);
    scan(tile, extent, data, y0, y1, [&](uint32_t skip, const Vec4f*, int x, int count, int y) {
      n.bytes += run_header_bytes + size_t(count) * bytes_per_pixel;
      n.tight = bounding(n.tight, Rect{extent.x0 + x, y, extent.x0 + x + count, y + 1});
      n.runs.push_back({skip, uint32_t(count), extent.x0 + x, y});
    });
  });
  uint64_t total = 0;
  Rect tight;
  for (int c = 0; c < chunks; ++c) {
    ChunkCount& n = counts[size_t(c)];
    total += n.bytes;
    n.end = total;
    tight = bounding(tight, n.tight);
  }
  if (tight.empty()) {
    if (walk == Walk::bounds) return marker(format, out);
    // A blank region: one chunk, no runs; the receiver clears the extent.
    const MessageHeader header{extent, {}, uint32_t(format), uint32_t(extent.height())};
    const uint64_t end = 0;
    std::byte* b = out.resize(sizeof header + sizeof end);
    std::memcpy(b, &header, sizeof header);
    std::memcpy(b + sizeof header, &end, sizeof end);
    return;
  }

  const size_t table_bytes = sizeof(uint64_t) * size_t(chunks);
  const size_t size = sizeof(MessageHeader) + table_bytes + total;
  if (size > size_t(INT_MAX))
    throw Error("compositing: a " + std::to_string(size) + "-byte message exceeds MPI's 2 GiB count limit");
  std::byte* const b = out.resize(size);
  const MessageHeader header{extent, tight, uint32_t(format), uint32_t(rows)};
  std::memcpy(b, &header, sizeof header);
  for (int c = 0; c < chunks; ++c)
    std::memcpy(b + sizeof header + sizeof(uint64_t) * size_t(c), &counts[size_t(c)].end, sizeof(uint64_t));
  std::byte* const runs = b + sizeof header + table_bytes;
  with_format(format, [&]<PixelFormat F>() {
    for_each_item(chunks, data.area(), [&](int c) {
      std::byte* dst = runs + (c ? counts[size_t(c) - 1].end : 0);
      for (const RunSpan& r : counts[size_t(c)].runs) {
        const uint32_t head[2] = {r.skip, r.count};
        std::memcpy(dst, head, run_header_bytes);
        dst += run_header_bytes;
        Wire<F>::put(dst, tile.at(r.x, r.y), size_t(r.count));
        dst += size_t(r.count) * Wire<F>::bytes;
      }
    });
  });
}

Buffer encode(const Tile& tile, const Rect& part, PixelFormat format, Walk walk) {
  Buffer b;
  std::vector<ChunkCount> counts;
  encode(tile, part, format, walk, b, counts);
  return b;
}

Message parse(const std::byte* data, size_t size, const Rect& region, PixelFormat format) {
  if (size < sizeof(MessageHeader)) corrupt("shorter than its header");
  Message m;
  std::memcpy(&m.header, data, sizeof(MessageHeader));
  const MessageHeader& h = m.header;
  if (h.format != uint32_t(format)) corrupt("pixel format differs from this rank's");
  if (h.extent.empty()) {
    if (size != sizeof(MessageHeader) || !h.tight.empty()) corrupt("marker with a body");
    m.header.extent = m.header.tight = Rect{}; // empty boxes may carry any corners: see below
    return m;
  }
  if (!contains(region, h.extent)) corrupt("extent outside the region it was sent for");
  if (!contains(h.extent, h.tight)) corrupt("bounding box outside its extent");
  // An empty box may hold any corners (x1 <= x0 far apart): make it {} so that no reader computes
  // its width from them (found by fuzz_compositing_decoders: an int overflow in Rect::width()).
  if (h.tight.empty()) m.header.tight = Rect{};
  if (h.rows_per_chunk == 0) corrupt("zero rows per chunk");
  // More rows than the extent holds mean one chunk. Clamped so that the blenders' int row counts
  // stay positive (found by fuzz_compositing_decoders: 2^31 rows per chunk made a chunk's pixel
  // count wrap, and Blend::replace cleared past the canvas).
  m.header.rows_per_chunk = std::min(h.rows_per_chunk, uint32_t(h.extent.height()));
  const size_t chunks = size_t(chunk_count(h));
  const size_t table_bytes = sizeof(uint64_t) * chunks;
  if (size < sizeof(MessageHeader) + table_bytes) corrupt("truncated chunk table");
  m.table = data + sizeof(MessageHeader);
  m.chunks = chunks;
  uint64_t previous = 0;
  for (size_t c = 0; c < chunks; ++c) {
    const uint64_t end = m.chunk_end(c);
    if (end < previous) corrupt("chunk table not increasing");
    previous = end;
  }
  if (previous != size - sizeof(MessageHeader) - table_bytes) corrupt("chunk table does not match its size");
  m.runs = data + sizeof(MessageHeader) + table_bytes;
  return m;
}

void blend(const Message& message, const Canvas& dst, Blend mode) {
  if (message.header.extent.empty() || (message.empty() && mode != Blend::replace)) return;
  with_format(PixelFormat(message.header.format), [&]<PixelFormat F>() {
    switch (mode) {
    case Blend::store:
      return blend_chunks<F, Blend::store>(message, dst);
    case Blend::replace:
      return blend_chunks<F, Blend::replace>(message, dst);
    case Blend::front:
      return blend_chunks<F, Blend::front>(message, dst);
    case Blend::back:
      return blend_chunks<F, Blend::back>(message, dst);
    case Blend::max:
      return blend_chunks<F, Blend::max>(message, dst);
    }
  });
}

} // namespace libindex::compositing::detail
