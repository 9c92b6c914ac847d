// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Procedural volumes computed voxel by voxel for any sub-box: test data that needs no files.

#include <memory>
#include <string>
#include <vector>

#include "libindex/io/volume_source.h"

namespace libindex::io {

/// Names `make_synthetic` accepts: "marschner-lobb", "sphere", "supernova".
std::vector<std::string> synthetic_names();

/// A procedural volume of size^3 voxels over [-1,1]^3.
///  - marschner-lobb: the classic filter test signal (fM = 6, alpha = 0.25), float32 in [0,1].
///  - sphere: density 1 - r/0.8 inside radius 0.8, 0 outside, uint8.
///  - supernova: a turbulent shell with a hot core (value noise, 4 octaves), uint8.
/// Throws Error for an unknown name or a size < 1.
std::unique_ptr<VolumeSource> make_synthetic(const std::string& name, int size);

/// The continuous field behind a synthetic volume at a point of [-1,1]^3 (for analytic tests).
float synthetic_field(const std::string& name, float x, float y, float z);

} // namespace libindex::io
