// SPDX-License-Identifier: Apache-2.0
#pragma once
// Converting a file's voxels to the type libindex renders them as (raw_reader.h FileType).

#include <cstddef>

#include "libindex/io/raw_reader.h"

namespace libindex::io::detail {

/// Writes `n` voxels read as `from` (native byte order) at `out` as rendered_type(from).
void convert_voxels(const std::byte* in, FileType from, std::byte* out, size_t n);

/// Whether a file of type `t` is read into memory as it is (no conversion).
inline bool stored_as_rendered(FileType t) { return file_type(rendered_type(t)) == t; }

} // namespace libindex::io::detail
