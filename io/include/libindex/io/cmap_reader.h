// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file IndeX colormap files (`.cmap`): 256 lines of 4 integers r g b a in 0..65535.

#include <string>

#include "libindex/colormap.h"

namespace libindex::io {

/// Reads a .cmap file into a 256-entry colormap (entries divided by 65535, domain [0,1], clamp_to_edge).
/// Blank lines and `#` comments are skipped. Throws Error naming the file (and line) for a missing file,
/// a line that is not 4 integers in 0..65535, or an entry count other than 256.
Colormap read_cmap(const std::string& path);

/// Writes `colormap` as a .cmap file (256 entries, resampled if needed). Throws Error naming the path.
void write_cmap(const std::string& path, const Colormap& colormap);

} // namespace libindex::io
