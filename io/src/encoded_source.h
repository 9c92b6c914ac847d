// SPDX-License-Identifier: Apache-2.0
#pragma once
// A volume stored as one gzip (or zlib), bzip2 or hex stream of x-fastest voxels, as NRRD's encodings
// of those names write it.

#include <cstdint>
#include <memory>
#include <string>

#include "libindex/io/raw_reader.h"
#include "stream_decoder.h"

namespace libindex::io::detail {

/// `layout.offset` is where the encoded stream starts in the file; `skip` is how many decoded bytes
/// precede the voxels (NRRD `byte skip`). Checks that the data starts as the encoding's does; reads no
/// voxels.
std::unique_ptr<VolumeSource> open_encoded_volume(const RawLayout& layout, uint64_t skip, StreamEncoding encoding,
                                                  const std::string& label);

} // namespace libindex::io::detail
