// SPDX-License-Identifier: Apache-2.0
#pragma once
// A volume stored as text, one number per voxel, x fastest: NRRD's ascii encoding (Teem writes it for
// small volumes and tests, and other tools write it to be read by people).

#include <memory>
#include <string>

#include "libindex/io/raw_reader.h"

namespace libindex::io::detail {

/// Parses the numbers of `layout.path` from byte `layout.offset` on (separated by white space or
/// commas, as Teem accepts) into memory once: a text volume is small, and its reads then copy boxes.
/// Throws Error naming the file, the number's position and the text for a word that is no number, a
/// value the file's type cannot hold, or too few numbers.
std::unique_ptr<VolumeSource> open_ascii_volume(const RawLayout& layout);

} // namespace libindex::io::detail
