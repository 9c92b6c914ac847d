// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Optional abilities of a VolumeSource, kept out of the VolumeSource interface itself: sparse
/// sources say which boxes hold nothing (for empty-space skipping without reading), sources with a
/// physical voxel size say it (NRRD spacings, OpenVDB voxel size), level sets say they are.

#include "libindex/io/volume_source.h"
#include "libindex/vec.h"

namespace libindex::io {

/// A source whose voxels are mostly inactive (OpenVDB, NanoVDB).
class SparseVolume {
 public:
  virtual ~SparseVolume() = default;
  /// True when every voxel of `region` (in box() coordinates) is inactive, i.e. read() would return
  /// only the background value there. Reads topology only, never voxel values.
  virtual bool region_empty(const Box3i& region) const = 0;
};

/// A source that knows the size of its voxels.
class SpacedVolume {
 public:
  virtual ~SpacedVolume() = default;
  /// Voxel size along x, y, z in the file's units (NRRD `spacings` / `space directions`).
  virtual Vec3f spacing() const = 0;
};

/// A source that says what its values are: signed distances to a surface, negative inside (an
/// OpenVDB or NanoVDB level set), or anything else.
class LevelSetVolume {
 public:
  virtual ~LevelSetVolume() = default;
  virtual bool level_set() const = 0;
};

/// SparseVolume::region_empty when `source` is sparse; false (nothing known to be empty) otherwise.
bool region_empty(const VolumeSource& source, const Box3i& region);

/// SpacedVolume::spacing when `source` has one; {1, 1, 1} otherwise.
Vec3f voxel_spacing(const VolumeSource& source);

/// LevelSetVolume::level_set when `source` says; false otherwise.
bool is_level_set(const VolumeSource& source);

} // namespace libindex::io
