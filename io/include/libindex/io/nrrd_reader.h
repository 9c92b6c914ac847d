// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file NRRD volumes (`.nrrd` with attached data, `.nhdr` with a detached data file).
/// Types uchar/ushort/short/float (and their NRRD aliases), encodings raw and gzip, either endian.
/// The source also implements SpacedVolume: `spacings` or the lengths of `space directions`.

#include <memory>
#include <string>
#include <vector>

#include "libindex/io/path_policy.h"
#include "libindex/io/volume_source.h"

namespace libindex::io {

/// Opens a NRRD file: parses the header and checks the data file; reads no voxels. Raw-encoded data
/// is read box by box like a raw file; gzip data must be inflated from its start, so a read inflates
/// up to the box's last row and keeps only the box's rows. Throws Error naming the file and field.
/// With a `policy` (a header named over the network), a detached data file must lie inside its
/// roots, symbolic links followed. `space directions` that rotate or flip the axes add a line to
/// `warnings` (libindex takes their lengths as spacings and lays the axes as they are).
std::unique_ptr<VolumeSource> open_nrrd(const std::string& path, const PathPolicy* policy = nullptr,
                                        std::vector<std::string>* warnings = nullptr);

} // namespace libindex::io
