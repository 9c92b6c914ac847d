// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The one wrapper of libpng in the tree: 8-bit RGBA images to PNG files in memory and back.
/// io's image writer and streaming's frame encoder both use it; libpng stays private to this target.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace libindex::png {

/// zlib's default trade-off between size and speed (libpng's default level).
inline constexpr int kDefaultCompression = 6;

/// A decoded PNG: width x height 8-bit RGBA pixels, rows packed, row 0 at the top.
struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba8;
};

/// Encodes width x height 8-bit RGBA pixels (rows packed, row 0 at the top) as a PNG file.
/// `compression_level` is zlib's 0 (fastest) .. 9 (smallest); levels 0..2 also fix the row filter to
/// SUB (several times faster than libpng's choice per row and still compact on smooth renderings),
/// 3..9 let libpng choose per row. The result starts with `prefix_bytes` zero bytes, then the file:
/// a caller that frames the image writes its header there without copying the image.
/// Throws libindex::Error ("png: ...", one line) for null pixels, an empty image, a level outside
/// 0..9, or when libpng fails (an image over its size limits, out of memory).
std::vector<uint8_t> encode(const uint8_t* rgba8, int width, int height, int compression_level,
                            size_t prefix_bytes = 0);

/// Decodes a PNG file of any colour type and bit depth to 8-bit RGBA. Throws libindex::Error
/// "png: cannot decode <name>: <libpng's reason>" for anything that is not a valid PNG.
Decoded decode(std::span<const uint8_t> file, std::string_view name = "png data");

} // namespace libindex::png
