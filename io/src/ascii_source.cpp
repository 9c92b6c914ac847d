// SPDX-License-Identifier: Apache-2.0
#include "ascii_source.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "file_io.h"
#include "file_types.h"
#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io::detail {
namespace {

// Whether `v` is a value of the integer type T (exactly: 3.5 in a uchar volume is a mistake).
template <class T>
bool holds(double v) {
  return v == std::floor(v) && v >= double(std::numeric_limits<T>::lowest()) &&
         v <= double(std::numeric_limits<T>::max());
}

// Stores `v` as the file's type would hold it, at voxel i of `out` (file_type_size bytes a voxel).
bool store(FileType type, double v, std::byte* out, size_t i) {
  auto put = [&](auto x) {
    std::memcpy(out + i * sizeof x, &x, sizeof x);
    return true;
  };
  switch (type) {
  case FileType::uint8:
    return holds<uint8_t>(v) && put(uint8_t(v));
  case FileType::int8:
    return holds<int8_t>(v) && put(int8_t(v));
  case FileType::uint16:
    return holds<uint16_t>(v) && put(uint16_t(v));
  case FileType::int16:
    return holds<int16_t>(v) && put(int16_t(v));
  case FileType::uint32:
    return holds<uint32_t>(v) && put(uint32_t(v));
  case FileType::int32:
    return holds<int32_t>(v) && put(int32_t(v));
  case FileType::float32:
    return put(float(v));
  case FileType::float64:
    return put(v);
  }
  return false;
}

class AsciiSource final : public VolumeSource {
 public:
  AsciiSource(RawLayout layout, Brick all) : layout_(std::move(layout)), all_(std::move(all)) {}

  Box3i box() const override { return all_.box; }
  DType dtype() const override { return all_.dtype; }
  std::string describe() const override {
    return layout_.label + " " + layout_.path + " " + dims_text(layout_.dims) + " " + to_string(layout_.type) +
           (stored_as_rendered(layout_.type) ? "" : " (as " + to_string(dtype()) + ")") + " ascii";
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i r = intersect(wanted, box());
    Brick brick(r, dtype());
    if (r.empty()) return brick;
    const size_t sz = dtype_size(dtype()), row = size_t(r.size().x) * sz;
    const Vec3i n = all_.box.hi;
    std::byte* out = brick.bytes.data();
    for (int z = r.lo.z; z < r.hi.z; ++z)
      for (int y = r.lo.y; y < r.hi.y; ++y, out += row)
        std::memcpy(out, all_.bytes.data() + ((size_t(z) * n.y + y) * n.x + r.lo.x) * sz, row);
    return brick;
  }

 private:
  RawLayout layout_;
  Brick all_; // every voxel, as rendered
};

} // namespace

std::unique_ptr<VolumeSource> open_ascii_volume(const RawLayout& layout) {
  const std::string where = layout.label + ": '" + layout.path + "'";
  const uint64_t size = regular_file_size(layout.path, layout.label);
  if (size < layout.offset) throw Error(where + ": the data starts past the end of the file");
  std::string text(size_t(size - layout.offset), '\0');
  InputFile file(layout.path, layout.label);
  text.resize(file.read_some_at(text.data(), text.size(), layout.offset));

  const Vec3i n = layout.dims;
  // Each number takes a character and all but the last a separator: a header that promises more
  // voxels than its text can hold (or more than 64 bits count: 2^30 x 2^30 x 16 wraps to 0) is
  // refused before anything is allocated for them.
  uint64_t voxels = 0;
  const bool wraps = __builtin_mul_overflow(uint64_t(n.x) * uint64_t(n.y), uint64_t(n.z), &voxels);
  if (wraps || text.size() / 2 + 1 < voxels)
    throw Error(where + " is truncated: expected " + (wraps ? dims_text(n) : std::to_string(voxels)) + " numbers (" +
                dims_text(n) + " " + to_string(layout.type) + "), the text has " + std::to_string(text.size()) +
                " characters");
  BrickBytes staging(voxels * size_t(file_type_size(layout.type)));
  ProgressMeter meter(where + " ascii", text.size());
  const char* p = text.c_str();
  const char* counted = p; // the text the meter has been told of
  auto separator = [](char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); };
  for (size_t i = 0; i < voxels; ++i) {
    while (*p && separator(*p)) ++p;
    if (!*p)
      throw Error(where + " is truncated: expected " + std::to_string(voxels) + " numbers (" + dims_text(n) + " " +
                  to_string(layout.type) + "), the text has " + std::to_string(i));
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(p, &end);
    const char* word_end = p;
    while (*word_end && !separator(*word_end)) ++word_end;
    const std::string word(p, size_t(word_end - p));
    if (end != word_end || (errno == ERANGE && std::isinf(v)))
      throw Error(where + ": number " + std::to_string(i + 1) + " is '" + word + "', not a number");
    if (!store(layout.type, v, staging.data(), i))
      throw Error(where + ": number " + std::to_string(i + 1) + " is " + word + ", not a value of type " +
                  to_string(layout.type));
    p = word_end;
    if ((i & 0xffff) == 0xffff) meter.add(uint64_t(p - counted)), counted = p;
  }
  Brick all({{0, 0, 0}, n}, rendered_type(layout.type));
  convert_voxels(staging.data(), layout.type, all.bytes.data(), voxels);
  meter.finish();
  return std::make_unique<AsciiSource>(layout, std::move(all));
}

} // namespace libindex::io::detail
