// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Opening a volume file by its name alone (for `viewer file.nrrd` and tools).

#include <memory>
#include <optional>
#include <string>

#include "libindex/io/volume_source.h"

namespace libindex::io {

/// Opens `path` by its extension: .nrrd/.nhdr (NRRD), .vdb (OpenVDB, `grid` or the first float grid),
/// .nvdb (NanoVDB), .raw named after the Open SciVis convention (`name_XxYxZ_type.raw`, little endian).
/// Reads headers only. Throws Error naming the path when the kind cannot be told or the file is bad.
std::shared_ptr<VolumeSource> open_volume_file(const std::string& path, const std::string& grid = "");

/// The importer a file extension names, in any case: ".raw" raw, ".nrrd" and ".nhdr" nrrd, ".vdb"
/// openvdb, ".nvdb" nanovdb; nullopt for any other (a scene's node then needs its `importer`).
std::optional<std::string> importer_for_extension(std::string extension);

} // namespace libindex::io
