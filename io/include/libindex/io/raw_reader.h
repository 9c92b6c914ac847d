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

/// What a raw or NRRD file's voxels are. uint8, uint16, int16 and float32 are rendered as they are;
/// the others become float32 while they are read: int8 normalized like int16 (-127..127 to -1..1,
/// -128 as -127), uint32, int32 and float64 as their values (the nearest float: integers beyond
/// 2^24 and doubles lose digits).
enum class FileType { uint8, int8, uint16, int16, uint32, int32, float32, float64 };
/// Bytes a voxel of `t` takes in the file.
int file_type_size(FileType t);
/// The type a file's voxels become in memory.
DType rendered_type(FileType t);
/// The file type that holds `t` as it is.
FileType file_type(DType t);
std::string to_string(FileType t);
/// uint8, int8, uint16, int16 (also IndeX's sint16), uint32, int32, float32 (float), float64
/// (double); Error naming them otherwise.
FileType parse_file_type(const std::string& name);

/// How voxels lie in a raw file.
struct RawLayout {
  std::string path;
  Vec3i dims; ///< voxels along x, y, z
  FileType type = FileType::uint8;
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
  FileType type;
};

/// Parses the Open SciVis naming convention (e.g. `skull_256x256x256_uint8.raw`). Returns nullopt for
/// names that do not follow it; throws Error for a name that does but has a type libindex cannot
/// read (e.g. int64).
std::optional<ScivisName> parse_scivis_name(const std::string& path);

} // namespace libindex::io
