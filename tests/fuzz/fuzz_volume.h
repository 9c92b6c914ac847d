// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the volume file targets share: a read of a box, checked; a sparse volume file opened,
/// asked about a corner and read at both far corners.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_util.h"
#include "libindex/error.h"
#include "libindex/io/volume_properties.h"
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

/// Writes the input to `path`, opens it with `open` (path -> source), then asks whether a 16^3 corner
/// of its box is empty (topology only) and reads a small box at each far corner (the box may be
/// huge). Allowed outcomes: libindex::Error, or reads of exactly the box's voxels.
template <class Open>
void open_and_read_sparse_volume(const char* path, const uint8_t* data, size_t size, const Open& open) {
  write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const auto source = open(path);
    const Box3i box = source->box();
    const Vec3i n = box.size();
    if (n.x < 0 || n.y < 0 || n.z < 0) std::abort();
    (void)source->describe();
    const Vec3i e{std::min(n.x, 16), std::min(n.y, 16), std::min(n.z, 16)};
    (void)io::region_empty(*source, Box3i{box.lo, {box.lo.x + e.x, box.lo.y + e.y, box.lo.z + e.z}});
    const Vec3i d{std::min(n.x, 3), std::min(n.y, 3), std::min(n.z, 2)};
    check_read(*source, Box3i{box.lo, {box.lo.x + d.x, box.lo.y + d.y, box.lo.z + d.z}});
    check_read(*source, Box3i{{box.hi.x - d.x, box.hi.y - d.y, box.hi.z - d.z}, box.hi});
  } catch (const Error& e) {
    expected_error(e);
  }
  std::remove(path);
}

} // namespace libindex::fuzz
