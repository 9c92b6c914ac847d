// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Raw voxel files: dimensions and type come from the scene (or the Open SciVis file name);
/// every read is a set of positioned reads of exactly the requested box's bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "libindex/io/volume_source.h"

namespace libindex::io {

enum class Endian { little, big };

/// How voxels lie in a raw file.
struct RawLayout {
  std::string path;
  Vec3i dims; ///< voxels along x, y, z
  DType dtype = DType::uint8;
  Endian endian = Endian::little;
  bool z_fastest = false;      ///< IndeX `convert_zyx_to_xyz = true`: z varies fastest in the file
  uint64_t offset = 0;         ///< bytes before the first voxel (e.g. an attached NRRD header)
  bool allow_trailing = false; ///< accept a file longer than offset + voxels (NRRD); raw files must match exactly
  std::string label = "raw";   ///< names the format in describe() and errors ("nrrd" for NRRD data)
};

/// Opens a raw file: checks it is a readable regular file whose size is offset + dims x dtype bytes.
/// Reads no voxels. Throws Error naming the path and, for a size mismatch, the expected and actual
/// byte counts.
std::unique_ptr<VolumeSource> open_raw(const RawLayout& layout);

/// Dimensions and voxel type encoded in an Open SciVis file name `name_XxYxZ_type.raw`.
struct ScivisName {
  Vec3i dims;
  DType dtype;
};

/// Parses the Open SciVis naming convention (e.g. `skull_256x256x256_uint8.raw`). Returns nullopt for
/// names that do not follow it; throws Error for a name that does but has a type libindex cannot
/// hold (e.g. float64).
std::optional<ScivisName> parse_scivis_name(const std::string& path);

} // namespace libindex::io
