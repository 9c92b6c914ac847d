// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the compositor's decoders of received image messages (compositing/src/sparse.h):
// parse() (header, chunk table) and blend() (the run-length runs) in every pixel format and blend
// mode, as Round::message and composite_in_order / gather use them. No MPI: they are pure functions
// of the bytes.
//
// Input: 5 control bytes, then the payload.
//   byte 0: bits 0-1 pixel format (f32, f16, u8), bits 2-4 blend mode (store, replace, front, back,
//           max), bit 5 walk (bounds, whole; round trip only), bit 7 round trip
//   bytes 1-4: region x0 (0..15), y0 (0..15), width (1..256), height (1..256): at 256 x 256 a
//              message has 4 chunks (16K pixels each)
// Decode (bit 7 clear): the payload is a received message about the region; it is copied into a
// buffer of exactly its size and blended into a canvas of exactly the pixels blend() may write (the
// message's bounding box, its extent for `replace`), so any read or write outside either is an
// ASan report. Allowed: libindex::Error.
// Round trip (bit 7 set): the payload is the pixels of a width x height image (one byte each:
// < 128 transparent, else a premultiplied grey), with an active rectangle starting at (x0, y0);
// pixels outside it are NaN, which the encoder must never read. encode() of a part of the image,
// parse() and blend() with `store` and `replace` must give back exactly the part's pixels as the
// format carries them (Wire<F>::get(Wire<F>::put(p))); any difference aborts.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <tbb/global_control.h>

#include "fuzz_util.h"
#include "libindex/error.h"
#include "pixel_format.h"
#include "sparse.h"
#include "tile.h"

namespace {

using namespace libindex::compositing;
using namespace libindex::compositing::detail;
using libindex::Rect;
using libindex::Vec4f;

struct Control {
  PixelFormat format;
  Blend blend;
  Walk walk;
  bool round_trip;
  Rect region;
};

Control control(const uint8_t* c) {
  const PixelFormat formats[3] = {PixelFormat::f32, PixelFormat::f16, PixelFormat::u8};
  const Blend blends[5] = {Blend::store, Blend::replace, Blend::front, Blend::back, Blend::max};
  const int x0 = c[1] % 16, y0 = c[2] % 16;
  return {formats[(c[0] & 3) % 3], blends[((c[0] >> 2) & 7) % 5], (c[0] & 0x20) ? Walk::whole : Walk::bounds,
          (c[0] & 0x80) != 0, Rect{x0, y0, x0 + c[3] + 1, y0 + c[4] + 1}};
}

/// The payload in a heap block of exactly its size (ASan sees a read one byte past it).
std::unique_ptr<std::byte[]> exact_copy(const void* data, size_t size) {
  auto copy = std::make_unique<std::byte[]>(std::max<size_t>(size, 1));
  if (size) std::memcpy(copy.get(), data, size);
  return copy;
}

void decode(const Control& c, const uint8_t* payload, size_t size) {
  const auto bytes = exact_copy(payload, size);
  try {
    const Message m = parse(bytes.get(), size, c.region, c.format);
    const Rect target = c.blend == Blend::replace ? m.header.extent : m.header.tight;
    std::vector<Vec4f> pixels(size_t(target.area()), Vec4f{0.25f, 0.5f, 0.125f, 0.5f});
    blend(m, Canvas{pixels.empty() ? nullptr : pixels.data(), target.x0, target.y0, target.width()}, c.blend);
  } catch (const libindex::Error& e) {
    libindex::fuzz::expected_error(e);
  }
}

template <PixelFormat F>
Vec4f on_the_wire(const Vec4f& p) {
  std::byte wire[16];
  Vec4f out;
  Wire<F>::put(wire, &p, 1);
  Wire<F>::get(wire, &out, 1);
  return out;
}

bool same(const Vec4f& a, const Vec4f& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void round_trip(const Control& c, const uint8_t* payload, size_t size) {
  const int w = c.region.width(), h = c.region.height();
  const Rect image{0, 0, w, h};
  const Rect active = intersect(image, Rect{c.region.x0 % w, c.region.y0 % h, w, h});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<Vec4f> pixels(size_t(w) * size_t(h), Vec4f{nan, nan, nan, nan});
  for (int y = active.y0; y < active.y1; ++y)
    for (int x = active.x0; x < active.x1; ++x) {
      const size_t i = size_t(y) * size_t(w) + size_t(x);
      const int b = i < size ? payload[i] : 0;
      const float v = b < 128 ? 0.0f : float(b - 127) / 128.0f;
      pixels[i] = {v, 0.5f * v, 0.25f * v, v};
    }
  Tile tile(libindex::ImageView{pixels.data(), w, h}, active);
  // A part of the image, as the strategies cut it: k bands, band i.
  const int k = 1 + (size > 0 ? payload[0] % 4 : 0), band = size > 1 ? payload[1] % k : 0;
  const Rect part = split(image, k, band);
  const Buffer encoded = encode(tile, part, c.format, c.walk);
  const auto bytes = exact_copy(encoded.data(), encoded.size);
  const Message m = parse(bytes.get(), encoded.size, part, c.format); // throws (a finding) if malformed
  const Rect data = intersect(active, part);
  const Rect extent = c.walk == Walk::whole ? part : data;
  if (!m.header.extent.empty() && !(m.header.extent == extent)) std::abort();
  if (!contains(data, m.header.tight)) std::abort();

  auto expected = [&](int x, int y, const Vec4f& otherwise) -> Vec4f {
    if (!(x >= data.x0 && x < data.x1 && y >= data.y0 && y < data.y1)) return otherwise;
    const Vec4f& p = pixels[size_t(y) * size_t(w) + size_t(x)];
    return with_format(c.format, [&]<PixelFormat F>() { return on_the_wire<F>(p); });
  };
  // store onto a clear image: the part's pixels, nothing else written.
  std::vector<Vec4f> clear(pixels.size(), Vec4f{0, 0, 0, 0});
  blend(m, Canvas{clear.data(), 0, 0, w}, Blend::store);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (!same(clear[size_t(y) * size_t(w) + size_t(x)], expected(x, y, Vec4f{0, 0, 0, 0}))) std::abort();
  // replace onto garbage: the message's extent rewritten (skipped pixels transparent), the rest kept.
  const Vec4f garbage{9, 9, 9, 9};
  std::vector<Vec4f> dirty(pixels.size(), garbage);
  blend(m, Canvas{dirty.data(), 0, 0, w}, Blend::replace);
  const Rect& e = m.header.extent;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool in_extent = x >= e.x0 && x < e.x1 && y >= e.y0 && y < e.y1;
      const Vec4f want = in_extent ? expected(x, y, Vec4f{0, 0, 0, 0}) : garbage;
      if (!same(dirty[size_t(y) * size_t(w) + size_t(x)], want)) std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // One thread: for_each_item runs chunks in parallel above 64K pixels; the per-chunk code is the
  // same either way, and waking TBB's workers for every input would cost most of the time.
  static tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const Control c = control(data);
  if (c.round_trip)
    round_trip(c, data + 5, size - 5);
  else
    decode(c, data + 5, size - 5);
  return 0;
}
