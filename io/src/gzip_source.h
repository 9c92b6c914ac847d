// SPDX-License-Identifier: Apache-2.0
#pragma once
// A volume stored as one gzip (or zlib) stream of x-fastest voxels, as NRRD's gzip encoding writes it.

#include <cstdint>
#include <memory>
#include <string>

#include "libindex/io/raw_reader.h"

namespace libindex::io::detail {

/// `layout.offset` is where the compressed stream starts in the file; `skip` is how many decompressed
/// bytes precede the voxels (NRRD `byte skip`). Checks the gzip magic; reads no voxels.
std::unique_ptr<VolumeSource> open_gzip_volume(const RawLayout& layout, uint64_t skip, const std::string& label);

} // namespace libindex::io::detail
