// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/open_volume.h"

#include <filesystem>

#include "libindex/error.h"
#include "libindex/io/nrrd_reader.h"
#include "libindex/io/raw_reader.h"
#include "libindex/io/vdb_reader.h"
#include "libindex/io/volume_properties.h"
#include "lowercase.h"

namespace libindex::io {

std::optional<std::string> importer_for_extension(std::string extension) {
  extension = detail::lowercase(std::move(extension));
  if (extension == ".raw") return "raw";
  if (extension == ".nrrd" || extension == ".nhdr") return "nrrd";
  if (extension == ".vdb") return "openvdb";
  if (extension == ".nvdb") return "nanovdb";
  return std::nullopt;
}

std::shared_ptr<VolumeSource> open_volume_file(const std::string& path, const std::string& grid) {
  const std::string ext = std::filesystem::path(path).extension().string();
  const std::string importer = importer_for_extension(ext).value_or("");
  if (importer == "nrrd") return open_nrrd(path);
  if (importer == "openvdb") return open_openvdb(path, grid);
  if (importer == "nanovdb") return open_nanovdb(path, grid);
  if (importer == "raw") {
    if (const auto name = parse_scivis_name(path)) {
      RawLayout layout;
      layout.path = path;
      layout.dims = name->dims;
      layout.type = name->type;
      return open_raw(layout);
    }
    throw Error("'" + path +
                "': a raw file needs its size and type, either in its name (name_XxYxZ_type.raw, e.g. "
                "skull_256x256x256_uint8.raw) or in a project file (bbox, voxel_format)");
  }
  throw Error("'" + path + "': unknown volume file type '" + ext + "' (.raw, .nrrd, .nhdr, .vdb, .nvdb)");
}

bool region_empty(const VolumeSource& source, const Box3i& region) {
  const auto* sparse = dynamic_cast<const SparseVolume*>(&source);
  return sparse ? sparse->region_empty(region) : false;
}

Vec3f voxel_spacing(const VolumeSource& source) {
  const auto* spaced = dynamic_cast<const SpacedVolume*>(&source);
  return spaced ? spaced->spacing() : Vec3f{1, 1, 1};
}

bool is_level_set(const VolumeSource& source) {
  const auto* distances = dynamic_cast<const LevelSetVolume*>(&source);
  return distances && distances->level_set();
}

} // namespace libindex::io
