// SPDX-License-Identifier: Apache-2.0
// gzip-compressed voxels: a compressed stream cannot be entered in the middle, so each read inflates
// from the start up to the last row of its box, keeping only the rows inside the box.
#include <algorithm>
#include <bit>
#include <vector>

#include <zlib.h>

#include "byte_order.h"
#include "file_io.h"
#include "file_types.h"
#include "gzip_source.h"
#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io::detail {
namespace {

// Sequential decompression from a file offset, with skip() and read() over the decompressed bytes.
class Inflater {
 public:
  Inflater(const InputFile& file, uint64_t offset, std::string label)
      : file_(file), in_offset_(offset), label_(std::move(label)), in_(1 << 20) {
    // 15 + 32: accept gzip and zlib headers alike (writers differ on which one NRRD's "gzip" gets).
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw Error(label_ + ": zlib initialization failed");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  /// Decompresses exactly `n` bytes into `out` (or discards them when out is null). Returns the count
  /// produced, less than `n` only when the stream ended.
  uint64_t produce(std::byte* out, uint64_t n) {
    std::vector<std::byte> scratch(out ? 0 : size_t(std::min<uint64_t>(n, 1 << 20)));
    uint64_t done = 0;
    while (done < n && !ended_) {
      const uint64_t want = out ? n - done : std::min<uint64_t>(n - done, scratch.size());
      z_.next_out = reinterpret_cast<Bytef*>(out ? out + done : scratch.data());
      z_.avail_out = uInt(std::min<uint64_t>(want, 1u << 30));
      const uInt before = z_.avail_out;
      if (z_.avail_in == 0) refill();
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const uInt produced = before - z_.avail_out;
      done += produced;
      if (rc == Z_BUF_ERROR) {
        // No progress possible: the input is exhausted (zlib may still have held output until now).
        if (produced == 0 && z_.avail_in == 0 && input_ended_) ended_ = true;
      } else if (rc == Z_STREAM_END) {
        // Concatenated gzip members form one stream; continue when more input follows.
        if (z_.avail_in == 0) refill();
        if (z_.avail_in == 0)
          ended_ = true;
        else
          inflateReset(&z_);
      } else if (rc != Z_OK) {
        throw Error(label_ + ": corrupt gzip data (" + (z_.msg ? z_.msg : "zlib error " + std::to_string(rc)) +
                    ") after " + std::to_string(total_out_ + done) + " decompressed bytes");
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
    z_.next_in = reinterpret_cast<Bytef*>(in_.data());
    z_.avail_in = uInt(got);
  }

  const InputFile& file_;
  uint64_t in_offset_;
  std::string label_;
  std::vector<std::byte> in_;
  z_stream z_{};
  bool ended_ = false, input_ended_ = false;
  uint64_t total_out_ = 0;
};

class GzipSource final : public VolumeSource {
 public:
  GzipSource(RawLayout layout, uint64_t skip, std::string label)
      : layout_(std::move(layout)), skip_(skip), label_(std::move(label)), file_(layout_.path, label_) {}

  Box3i box() const override { return {{0, 0, 0}, layout_.dims}; }
  DType dtype() const override { return rendered_type(layout_.type); }
  std::string describe() const override {
    return label_ + " " + layout_.path + " " + dims_text(layout_.dims) + " " + to_string(layout_.type) +
           (detail::stored_as_rendered(layout_.type) ? "" : " (as " + to_string(dtype()) + ")") + " gzip" +
           (layout_.endian == Endian::big ? " big-endian" : "");
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
    // Progress counts decompressed bytes up to the end of the box: that is the work a read does.
    ProgressMeter meter(describe(), position(r.hi.y - 1, r.hi.z - 1) + row_bytes);
    Inflater inflater(file_, layout_.offset, label_ + ": '" + layout_.path + "'");
    std::byte* const first = converts ? staging.data() : brick.bytes.data();
    std::byte* out = first;
    for (int z = r.lo.z; z < r.hi.z; ++z)
      for (int y = r.lo.y; y < r.hi.y; ++y) {
        const uint64_t at = position(y, z);
        const uint64_t gap = at - inflater.total_out();
        const uint64_t got = inflater.produce(nullptr, gap) + inflater.produce(out, row_bytes);
        meter.add(gap + row_bytes);
        if (got != gap + row_bytes)
          throw Error(label_ + ": '" + layout_.path + "': gzip data is truncated: expected " +
                      std::to_string(expected) + " decompressed bytes (" + dims_text(n) + " " +
                      to_string(layout_.type) + "), the stream ends after " + std::to_string(inflater.total_out()) +
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
  std::string label_;
  InputFile file_;
};

} // namespace

std::unique_ptr<VolumeSource> open_gzip_volume(const RawLayout& layout, uint64_t skip, const std::string& label) {
  InputFile file(layout.path, label);
  unsigned char magic[2] = {0, 0};
  file.read_some_at(magic, 2, layout.offset);
  const bool gzip = magic[0] == 0x1f && magic[1] == 0x8b;
  const bool zlib = (magic[0] & 0x0f) == 8 && ((magic[0] << 8) | magic[1]) % 31 == 0;
  if (!gzip && !zlib)
    throw Error(label + ": '" + layout.path + "': encoding is gzip but the data at byte " +
                std::to_string(layout.offset) + " is not a gzip stream");
  return std::make_unique<GzipSource>(layout, skip, label);
}

} // namespace libindex::io::detail
