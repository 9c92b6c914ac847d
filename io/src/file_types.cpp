// SPDX-License-Identifier: Apache-2.0
// The voxel types files hold, and their conversion to the types libindex renders.
#include <cstring>

#include "file_types.h"
#include "libindex/error.h"
#include "libindex/io/raw_reader.h"

namespace libindex::io {

int file_type_size(FileType t) {
  switch (t) {
  case FileType::uint8:
  case FileType::int8:
    return 1;
  case FileType::uint16:
  case FileType::int16:
    return 2;
  case FileType::uint32:
  case FileType::int32:
  case FileType::float32:
    return 4;
  case FileType::float64:
    return 8;
  }
  throw Error("invalid file voxel type " + std::to_string(int(t)));
}

DType rendered_type(FileType t) {
  switch (t) {
  case FileType::uint8:
    return DType::uint8;
  case FileType::uint16:
    return DType::uint16;
  case FileType::int16:
    return DType::int16;
  case FileType::int8:
  case FileType::uint32:
  case FileType::int32:
  case FileType::float32:
  case FileType::float64:
    return DType::float32;
  }
  throw Error("invalid file voxel type " + std::to_string(int(t)));
}

FileType file_type(DType t) {
  return visit_dtype(t, [](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, uint8_t>) return FileType::uint8;
    if constexpr (std::is_same_v<T, uint16_t>) return FileType::uint16;
    if constexpr (std::is_same_v<T, int16_t>) return FileType::int16;
    return FileType::float32;
  });
}

std::string to_string(FileType t) {
  static const char* const names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"};
  return names[file_type_size(t) ? int(t) : 0];
}

FileType parse_file_type(const std::string& name) {
  if (name == "uint8") return FileType::uint8;
  if (name == "int8" || name == "sint8") return FileType::int8;
  if (name == "uint16") return FileType::uint16;
  if (name == "int16" || name == "sint16") return FileType::int16;
  if (name == "uint32") return FileType::uint32;
  if (name == "int32" || name == "sint32") return FileType::int32;
  if (name == "float32" || name == "float") return FileType::float32;
  if (name == "float64" || name == "double") return FileType::float64;
  throw Error("unknown voxel type '" + name + "' (uint8, int8, uint16, int16, uint32, int32, float32 or float64)");
}

namespace detail {
namespace {

template <class From, class Map>
void convert(const std::byte* in, std::byte* out, size_t n, Map map) {
  for (size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, in + i * sizeof(From), sizeof(From)); // the file's bytes need not be aligned
    const float w = map(v);
    std::memcpy(out + i * sizeof(float), &w, sizeof(float));
  }
}

} // namespace

void convert_voxels(const std::byte* in, FileType from, std::byte* out, size_t n) {
  switch (from) {
  case FileType::int8: // normalized like int16 (and a GPU's signed 8-bit texture): -127..127 to -1..1
    return convert<int8_t>(in, out, n, [](int8_t v) { return float(v < -127 ? -127 : v) * (1.0f / 127.0f); });
  case FileType::uint32:
    return convert<uint32_t>(in, out, n, [](uint32_t v) { return float(v); });
  case FileType::int32:
    return convert<int32_t>(in, out, n, [](int32_t v) { return float(v); });
  case FileType::float64:
    return convert<double>(in, out, n, [](double v) { return float(v); });
  default:
    std::memcpy(out, in, n * size_t(file_type_size(from)));
  }
}

} // namespace detail
} // namespace libindex::io
