// SPDX-License-Identifier: Apache-2.0
// Voxels in a sequential encoding (gzip, bzip2, hex): a stream that cannot be entered in the middle, so
// each read decodes from the start up to the last row of its box, keeping only the rows inside the box.
#include <algorithm>
#include <bit>
#include <vector>

#include "byte_order.h"
#include "encoded_source.h"
#include "file_io.h"
#include "file_types.h"
#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io::detail {
namespace {

// Sequential decoding from a file offset, with produce() over the decoded bytes.
class DecodedStream {
 public:
  DecodedStream(const InputFile& file, uint64_t offset, StreamEncoding encoding, std::string label)
      : file_(file), in_offset_(offset), label_(std::move(label)), in_(1 << 20) {
    try {
      decoder_ = make_decoder(encoding);
    } catch (const DecodeError& e) {
      throw Error(label_ + ": " + e.what());
    }
  }

  /// Decodes exactly `n` bytes into `out` (or discards them when out is null). Returns the count
  /// produced, less than `n` only when the stream ended.
  uint64_t produce(std::byte* out, uint64_t n) {
    if (!out && scratch_.empty()) scratch_.resize(1 << 20); // where skipped bytes go, once per stream
    uint64_t done = 0;
    while (done < n && !ended_) {
      if (b_.in_left == 0) refill();
      const uint64_t want = out ? n - done : std::min<uint64_t>(n - done, scratch_.size());
      b_.out = out ? out + done : scratch_.data();
      b_.out_left = size_t(want);
      const size_t in_before = b_.in_left;
      StreamDecoder::Result r;
      try {
        r = decoder_->decode(b_);
      } catch (const DecodeError& e) {
        const uint64_t before_error = total_out_ + done + (want - b_.out_left); // decode() advances what it used
        throw Error(label_ + ": " + e.what() + ", after " + std::to_string(before_error) + " decoded bytes");
      }
      const uint64_t produced = want - b_.out_left;
      done += produced;
      if (r == StreamDecoder::Result::end_of_member) {
        // Concatenated members form one stream; continue when more input follows.
        if (b_.in_left == 0) refill();
        if (b_.in_left == 0)
          ended_ = true;
        else
          decoder_->restart();
      } else if (produced == 0 && b_.in_left == in_before) {
        if (b_.in_left > 0)
          throw Error(label_ + ": the decoder stopped after " + std::to_string(total_out_ + done) + " decoded bytes");
        if (input_ended_) ended_ = true; // the input is exhausted and the decoder holds nothing more: truncated
      }
    }
    total_out_ += done;
    return done;
  }

  uint64_t total_out() const { return total_out_; }

 private:
  void refill() {
    if (input_ended_) return;
    const size_t got = file_.read_some_at(in_.data(), in_.size(), in_offset_);
    in_offset_ += got;
    if (got == 0) input_ended_ = true;
    b_.in = in_.data(), b_.in_left = got;
  }

  const InputFile& file_;
  uint64_t in_offset_;
  std::string label_;
  std::unique_ptr<StreamDecoder> decoder_;
  std::vector<std::byte> in_, scratch_;
  DecodeBuffers b_;
  bool ended_ = false, input_ended_ = false;
  uint64_t total_out_ = 0;
};

class EncodedSource final : public VolumeSource {
 public:
  EncodedSource(RawLayout layout, uint64_t skip, StreamEncoding encoding, std::string label)
      : layout_(std::move(layout)), skip_(skip), encoding_(encoding), label_(std::move(label)),
        file_(layout_.path, label_) {}

  Box3i box() const override { return {{0, 0, 0}, layout_.dims}; }
  DType dtype() const override { return rendered_type(layout_.type); }
  std::string describe() const override {
    return label_ + " " + layout_.path + " " + dims_text(layout_.dims) + " " + to_string(layout_.type) +
           (detail::stored_as_rendered(layout_.type) ? "" : " (as " + to_string(dtype()) + ")") + " " +
           detail::to_string(encoding_) + (layout_.endian == Endian::big ? " big-endian" : "");
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i r = intersect(wanted, box());
    Brick brick(r, dtype());
    if (r.empty()) return brick;
    const Vec3i n = layout_.dims, s = r.size();
    const uint64_t sz = uint64_t(file_type_size(layout_.type));
    const size_t voxels = size_t(r.voxel_count());
    const bool converts = !detail::stored_as_rendered(layout_.type);
    BrickBytes staging(converts ? voxels * sz : 0); // what the file holds, before conversion
    const uint64_t row_bytes = uint64_t(s.x) * sz;
    auto position = [&](int y, int z) { return skip_ + ((uint64_t(z) * n.y + y) * n.x + r.lo.x) * sz; };
    const uint64_t expected = skip_ + uint64_t(n.x) * n.y * n.z * sz;
    // Progress counts decoded bytes up to the end of the box: that is the work a read does.
    ProgressMeter meter(describe(), position(r.hi.y - 1, r.hi.z - 1) + row_bytes);
    DecodedStream stream(file_, layout_.offset, encoding_, label_ + ": '" + layout_.path + "'");
    std::byte* const first = converts ? staging.data() : brick.bytes.data();
    std::byte* out = first;
    for (int z = r.lo.z; z < r.hi.z; ++z)
      for (int y = r.lo.y; y < r.hi.y; ++y) {
        const uint64_t at = position(y, z);
        const uint64_t gap = at - stream.total_out();
        const uint64_t got = stream.produce(nullptr, gap) + stream.produce(out, row_bytes);
        meter.add(gap + row_bytes);
        if (got != gap + row_bytes)
          throw Error(label_ + ": '" + layout_.path + "': " + detail::to_string(encoding_) +
                      " data is truncated: expected " + std::to_string(expected) + " decoded bytes (" + dims_text(n) +
                      " " + to_string(layout_.type) + "), the stream ends after " + std::to_string(stream.total_out()) +
                      " bytes");
        out += row_bytes;
      }
    const bool file_big = layout_.endian == Endian::big;
    if (sz > 1 && file_big != (std::endian::native == std::endian::big)) swap_bytes(first, voxels, int(sz));
    if (converts) convert_voxels(first, layout_.type, brick.bytes.data(), voxels);
    meter.finish();
    return brick;
  }

 private:
  RawLayout layout_;
  uint64_t skip_;
  StreamEncoding encoding_;
  std::string label_;
  InputFile file_;
};

} // namespace

std::unique_ptr<VolumeSource> open_encoded_volume(const RawLayout& layout, uint64_t skip, StreamEncoding encoding,
                                                  const std::string& label) {
  InputFile file(layout.path, label);
  unsigned char head[64] = {};
  const size_t got = file.read_some_at(head, sizeof head, layout.offset);
  if (!starts_like(encoding, head, got))
    throw Error(label + ": '" + layout.path + "': encoding is " + to_string(encoding) + " but the data at byte " +
                std::to_string(layout.offset) + " is not " +
                (encoding == StreamEncoding::hex ? "hex text" : std::string("a ") + to_string(encoding) + " stream"));
  return std::make_unique<EncodedSource>(layout, skip, encoding, label);
}

} // namespace libindex::io::detail
