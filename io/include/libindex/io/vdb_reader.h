// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file OpenVDB (`.vdb`) and NanoVDB (`.nvdb`) float grids as volumes.
///
/// The source's box() is the grid's active-voxel bounding box shifted to start at 0 (the shift is
/// index_offset()); read() densifies a box with the grid's value at every voxel, active or not, as
/// OpenVDB's own samplers read it: a level set's inside is negative (its inactive tiles hold minus
/// the background), not the background. Both sources implement SparseVolume (region_empty: topology
/// only), SpacedVolume (the voxel size) and LevelSetVolume (the grid's class).

#include <memory>
#include <string>
#include <vector>

#include "libindex/io/volume_properties.h"
#include "libindex/io/volume_source.h"

namespace libindex::io {

/// What a VDB source adds to VolumeSource.
class VdbVolume : public VolumeSource, public SparseVolume, public SpacedVolume, public LevelSetVolume {
 public:
  /// Index-space coordinate of box().lo: voxel v of this source is VDB voxel v + index_offset().
  virtual Vec3i index_offset() const = 0;
  /// The grid's name in the file.
  virtual std::string grid_name() const = 0;
};

/// Opens grid `grid` (empty: the first float grid) of an OpenVDB file. Reads the grid's metadata only;
/// topology and voxels are loaded (delayed, memory-mapped) on the first read or region_empty.
/// Throws Error naming the file when it has no float grid or no grid of that name (listing the grids),
/// or when libindex was built without OpenVDB, when the grid has no active voxel, or when its active
/// box is beyond what libindex renders densely (4 TiB of float32). A grid transform that rotates or
/// flips the axes is not applied: `warnings` (when given) says so.
std::unique_ptr<VdbVolume> open_openvdb(const std::string& path, const std::string& grid = "",
                                        std::vector<std::string>* warnings = nullptr);

/// Opens grid `grid` (empty: the first float grid) of a NanoVDB file. Reads the file's grid table only;
/// the grid, one flat buffer, is loaded whole on the first read or region_empty.
/// The same errors and warnings as open_openvdb (a rotation is seen in the grid's world box).
std::unique_ptr<VdbVolume> open_nanovdb(const std::string& path, const std::string& grid = "",
                                        std::vector<std::string>* warnings = nullptr);

} // namespace libindex::io
