// SPDX-License-Identifier: Apache-2.0
#pragma once
// Byte swapping of voxel arrays read from files written on the other endianness.

#include <algorithm>
#include <cstddef>

namespace libindex::io::detail {

/// Reverses the bytes of each of `count` values of `size` bytes (1, 2, 4 or 8) in place.
inline void swap_bytes(std::byte* data, size_t count, int size) {
  if (size == 2) {
    for (size_t i = 0; i < count; ++i) std::swap(data[2 * i], data[2 * i + 1]);
  } else if (size == 4) {
    for (size_t i = 0; i < count; ++i) {
      std::swap(data[4 * i], data[4 * i + 3]);
      std::swap(data[4 * i + 1], data[4 * i + 2]);
    }
  } else if (size == 8) {
    for (size_t i = 0; i < count; ++i) std::reverse(data + 8 * i, data + 8 * (i + 1));
  }
}

} // namespace libindex::io::detail
