// SPDX-License-Identifier: Apache-2.0
#pragma once
// Converting a file's voxels to the type libindex renders them as (raw_reader.h FileType).

#include <cstddef>
#include <string>

#include "libindex/io/raw_reader.h"

namespace libindex::io::detail {

/// Writes `n` voxels read as `from` (native byte order) at `out` as rendered_type(from).
void convert_voxels(const std::byte* in, FileType from, std::byte* out, size_t n);

/// Whether a file of type `t` is read into memory as it is (no conversion).
inline bool stored_as_rendered(FileType t) { return file_type(rendered_type(t)) == t; }

/// "256x256x113": a volume's size as the readers' messages and Open SciVis names write it.
inline std::string dims_text(Vec3i d) {
  return std::to_string(d.x) + "x" + std::to_string(d.y) + "x" + std::to_string(d.z);
}

} // namespace libindex::io::detail
