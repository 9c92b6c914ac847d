// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A volume whose slabs of slices are stored in separate files, one reader each: NRRD's
/// multi-file data (`data file: LIST` or a numbered name pattern), a slice per file or several.

#include <memory>
#include <vector>

#include "libindex/io/volume_source.h"

namespace libindex::io::detail {

/// Stacks `slabs` along z in order: slab k holds slices [k * depth, (k + 1) * depth) of the whole.
/// Every slab must have the same x and y size, the same depth and the same voxel type (throws
/// Error otherwise). A read opens only the slabs its box reaches.
std::unique_ptr<VolumeSource> stack_slabs(std::vector<std::unique_ptr<VolumeSource>> slabs);

} // namespace libindex::io::detail
