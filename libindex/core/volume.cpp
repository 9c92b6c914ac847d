// SPDX-License-Identifier: Apache-2.0
#include "libindex/volume.h"

#include "libindex/error.h"

namespace libindex {

DType parse_dtype(const std::string& t) {
  if (t == "uint8") return DType::uint8;
  if (t == "uint16") return DType::uint16;
  if (t == "sint16" || t == "int16") return DType::int16;
  if (t == "float32" || t == "float") return DType::float32;
  throw Error("unknown voxel format '" + t + "' (expected uint8, uint16, sint16 or float32)");
}

std::string to_string(DType t) {
  switch (t) {
  case DType::uint8:
    return "uint8";
  case DType::uint16:
    return "uint16";
  case DType::int16:
    return "sint16";
  case DType::float32:
    return "float32";
  }
  return "?";
}

float Brick::value(Vec3i v) const {
  require(box.contains(v), "Brick::value: voxel outside the brick");
  const Vec3i s = box.size();
  const size_t i = (size_t(v.z - box.lo.z) * s.y + (v.y - box.lo.y)) * s.x + (v.x - box.lo.x);
  return visit_dtype(dtype, [&](auto tag) { return normalize_voxel(data<typename decltype(tag)::type>()[i]); });
}

void throw_invalid_dtype(DType t) {
  throw Error("invalid voxel format (DType value " + std::to_string(int(t)) +
              "; expected uint8, uint16, sint16 or float32)");
}

} // namespace libindex
