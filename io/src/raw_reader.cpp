// SPDX-License-Identifier: Apache-2.0
// Raw volumes: positioned reads of only the requested box, merged into as few reads as the layout allows.
#include "libindex/io/raw_reader.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>
#include <regex>

#include "byte_order.h"
#include "file_io.h"
#include "file_types.h"
#include "lowercase.h"
#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io {
namespace {

using detail::dims_text;

// Reads are split so no single pread is larger than this: progress stays live and a huge read never
// needs more than one chunk in flight.
constexpr uint64_t kMaxReadBytes = uint64_t(64) << 20;
// Rows of a box this close in the file are read together with the bytes between them: copying a
// gap this long costs less than another system call.
constexpr uint64_t kMaxGapBytes = uint64_t(64) << 10;

class RawSource final : public VolumeSource {
 public:
  explicit RawSource(RawLayout layout) : layout_(std::move(layout)), file_(layout_.path, layout_.label) {}

  Box3i box() const override { return {{0, 0, 0}, layout_.dims}; }
  DType dtype() const override { return rendered_type(layout_.type); }
  std::string describe() const override {
    std::string s = layout_.label + " " + layout_.path + " " + dims_text(layout_.dims) + " " + to_string(layout_.type);
    if (!detail::stored_as_rendered(layout_.type)) s += " (as " + to_string(dtype()) + ")";
    if (layout_.endian == Endian::big) s += " big-endian";
    if (layout_.z_fastest) s += " zyx";
    return s;
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box());
    Brick brick(region, dtype(), Brick::Unset{}); // every voxel is read (a short read throws)
    if (region.empty()) return brick;
    const size_t voxels = size_t(region.voxel_count());
    // Types libindex renders as they are go straight into the brick; others through one staging copy.
    const bool converts = !detail::stored_as_rendered(layout_.type);
    BrickBytes staging(converts ? voxels * size_t(voxel_bytes()) : 0); // reused like the bricks
    std::byte* out = converts ? staging.data() : brick.bytes.data();
    ProgressMeter meter(describe(), uint64_t(voxels) * uint64_t(voxel_bytes()));
    if (layout_.z_fastest)
      read_z_fastest(region, out, meter);
    else
      read_x_fastest(region, out, meter);
    if (needs_swap()) detail::swap_bytes(out, voxels, voxel_bytes());
    if (converts) detail::convert_voxels(staging.data(), layout_.type, brick.bytes.data(), voxels);
    meter.finish();
    return brick;
  }

 private:
  int voxel_bytes() const { return file_type_size(layout_.type); }

  bool needs_swap() const {
    const bool file_big = layout_.endian == Endian::big;
    return voxel_bytes() > 1 && file_big != (std::endian::native == std::endian::big);
  }

  // Voxel index (in the file's order) to byte offset.
  uint64_t offset_of(uint64_t index) const { return layout_.offset + index * uint64_t(voxel_bytes()); }

  // Reads `bytes` contiguous file bytes at `offset` into `out`, in chunks that feed the progress meter.
  void read_span(std::byte* out, uint64_t bytes, uint64_t offset, ProgressMeter& meter) const {
    for (uint64_t done = 0; done < bytes;) {
      const uint64_t n = std::min(kMaxReadBytes, bytes - done);
      file_.read_at(out + done, size_t(n), offset + done);
      meter.add(n);
      done += n;
    }
  }

  // File order = brick order (x fastest): a slice's rows near each other in one read (read_runs), or
  // one read per slab / run of slabs when the box spans whole rows / whole slices, since those are
  // contiguous in the file.
  void read_x_fastest(const Box3i& r, std::byte* out, ProgressMeter& meter) const {
    const Vec3i n = layout_.dims, s = r.size();
    const uint64_t sz = uint64_t(voxel_bytes());
    auto index = [&](int x, int y, int z) { return (uint64_t(z) * n.y + y) * n.x + x; };
    if (s.x == n.x && s.y == n.y) {
      read_span(out, uint64_t(r.voxel_count()) * sz, offset_of(index(0, 0, r.lo.z)), meter);
      return;
    }
    std::vector<std::byte> staging; // read_runs' spans
    for (int z = r.lo.z; z < r.hi.z; ++z) {
      if (s.x == n.x) {
        const uint64_t bytes = uint64_t(s.x) * s.y * sz;
        read_span(out, bytes, offset_of(index(0, r.lo.y, z)), meter);
        out += bytes;
        continue;
      }
      read_runs(
          s.y, uint64_t(s.x) * sz, [&](int i) { return offset_of(index(r.lo.x, r.lo.y + i, z)); }, out, staging, meter);
      out += uint64_t(s.x) * s.y * sz;
    }
  }

  // `count` runs of `run` bytes each, run i at file offset offset_of_run(i) (increasing) and at
  // out + i * run: the rows of a box narrower than the volume in one slice (or, z fastest, its z-runs
  // in one x-plane). A read per run would cost a system call per run: a rank's leaf of a 1024 x 1024
  // x 512 volume split along x is a quarter of a million rows, read at about 100 MB/s instead of the
  // page cache's gigabytes. Runs whose gap is small are read together with it into a staging span and
  // copied out; far apart ones are read alone.
  template <class Offset>
  void read_runs(int count, uint64_t run, const Offset& offset_of_run, std::byte* out, std::vector<std::byte>& staging,
                 ProgressMeter& meter) const {
    for (int i = 0; i < count;) {
      const uint64_t first = offset_of_run(i);
      int end = i + 1; // runs [i, end) are read at once
      while (end < count && offset_of_run(end) - (offset_of_run(end - 1) + run) <= kMaxGapBytes &&
             offset_of_run(end) + run - first <= kMaxReadBytes)
        ++end;
      std::byte* to = out + uint64_t(i) * run;
      if (end == i + 1) {
        read_span(to, run, first, meter);
      } else {
        const uint64_t span = offset_of_run(end - 1) + run - first;
        if (staging.size() < span) staging.resize(span);
        file_.read_at(staging.data(), size_t(span), first);
        for (int k = i; k < end; ++k)
          std::memcpy(to + uint64_t(k - i) * run, staging.data() + (offset_of_run(k) - first), run);
        meter.add(uint64_t(end - i) * run);
      }
      i = end;
    }
  }

  // z fastest in the file (IndeX convert_zyx_to_xyz): read the box's z-runs one x-plane at a time and
  // transpose each plane into the x-fastest brick, so staging never exceeds one plane of the box.
  void read_z_fastest(const Box3i& r, std::byte* out, ProgressMeter& meter) const {
    const Vec3i n = layout_.dims, s = r.size();
    const size_t sz = size_t(voxel_bytes());
    auto index = [&](int x, int y, int z) { return (uint64_t(x) * n.y + y) * n.z + z; };
    std::vector<std::byte> plane(size_t(s.y) * s.z * sz); // [y][z] of one x
    std::vector<std::byte> staging;                       // read_runs' spans
    for (int x = r.lo.x; x < r.hi.x; ++x) {
      if (s.z == n.z) {
        read_span(plane.data(), plane.size(), offset_of(index(x, r.lo.y, 0)), meter);
      } else {
        read_runs(
            s.y, uint64_t(s.z) * sz, [&](int i) { return offset_of(index(x, r.lo.y + i, r.lo.z)); }, plane.data(),
            staging, meter);
      }
      const int kx = x - r.lo.x;
      for (int ky = 0; ky < s.y; ++ky)
        for (int kz = 0; kz < s.z; ++kz)
          std::copy_n(plane.data() + (size_t(ky) * s.z + kz) * sz, sz, out + ((size_t(kz) * s.y + ky) * s.x + kx) * sz);
    }
  }

  RawLayout layout_;
  detail::InputFile file_;
};

} // namespace

std::unique_ptr<VolumeSource> open_raw(const RawLayout& layout) {
  const Vec3i d = layout.dims;
  require(d.x > 0 && d.y > 0 && d.z > 0,
          layout.label + ": '" + layout.path + "': dimensions must be positive, got " + dims_text(d));
  const uint64_t actual = detail::regular_file_size(layout.path, layout.label);
  // In 128 bits: three int dimensions times a voxel size reach 2^95, and a wrapped 64-bit product
  // (1073741824 x 1073741824 x 16 bytes = 2^64 -> 0) would pass a 1-byte file as complete.
  using u128 = unsigned __int128;
  const u128 expected = u128(layout.offset) + u128(d.x) * u128(d.y) * u128(d.z) * file_type_size(layout.type);
  const std::string expected_text =
      expected > std::numeric_limits<uint64_t>::max() ? "more than 2^64" : std::to_string(uint64_t(expected));
  const std::string shape = dims_text(d) + " " + to_string(layout.type) +
                            (layout.offset ? " after " + std::to_string(layout.offset) + " header bytes" : "");
  if (actual < expected)
    throw Error(layout.label + ": '" + layout.path + "' is truncated: expected " + expected_text + " bytes (" + shape +
                "), the file has " + std::to_string(actual) + " bytes");
  // A longer file means the dimensions or the voxel type are wrong; rendering a prefix of it would show
  // a plausible but wrong picture, so refuse it too.
  if (actual > expected && !layout.allow_trailing)
    throw Error(layout.label + ": '" + layout.path + "' is larger than expected: expected " + expected_text +
                " bytes (" + shape + "), the file has " + std::to_string(actual) +
                " bytes; check bbox and voxel_format");
  return std::make_unique<RawSource>(layout);
}

std::optional<ScivisName> parse_scivis_name(const std::string& path) {
  // Case aside (SKULL_64x64x64_uint8.RAW from a Windows share is the same file).
  static const std::regex pattern(R"(.*_(\d+)x(\d+)x(\d+)_([a-z]+[0-9]+)\.raw$)", std::regex::icase);
  const std::string name = std::filesystem::path(path).filename().string();
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return std::nullopt;
  const std::string type = detail::lowercase(m[4]);
  FileType t;
  try {
    t = parse_file_type(type);
  } catch (const Error&) {
    throw Error("raw: '" + path + "': voxel type '" + type +
                "' from the file name is not supported (uint8, int8, uint16, int16, uint32, int32, float32, "
                "float64)");
  }
  Vec3i dims;
  for (int a = 0; a < 3; ++a) {
    const std::string digits = m[size_t(a) + 1];
    dims[a] = digits.size() > 9 ? 0 : std::stoi(digits); // nine digits fit an int
    if (dims[a] < 1)
      throw Error("raw: '" + path + "': size " + digits + " from the file name must be from 1 to 999999999");
  }
  return ScivisName{dims, t};
}

} // namespace libindex::io
