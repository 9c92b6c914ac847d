// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the volume file targets share: a read of a box, checked.

#include <cstdlib>

#include "fuzz_util.h"
#include "libindex/error.h"
#include "libindex/io/volume_source.h"

namespace libindex::fuzz {

/// Reads `box` from `source`: the brick must be the box's part inside the volume, of exactly its
/// size. A libindex::Error is an allowed outcome unless `must_succeed` (the data is known to be there).
inline void check_read(const io::VolumeSource& source, const Box3i& box, bool must_succeed = false) {
  try {
    const Brick brick = source.read(box);
    const Box3i expected = intersect(box, source.box());
    if (!(brick.box == expected)) std::abort();
    if (brick.bytes.size() != size_t(expected.voxel_count()) * dtype_size(source.dtype())) std::abort();
  } catch (const Error& e) {
    expected_error(e);
    if (must_succeed) std::abort(); // the header was accepted, the data is there, yet it cannot be read
  }
}

} // namespace libindex::fuzz
