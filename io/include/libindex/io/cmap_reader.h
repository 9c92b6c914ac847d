// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file IndeX colormap files: `.cmap` text, a line of 4 numbers r g b a on the 0..65535 scale an
/// entry (256 in IndeX's samples; IndeX writes as many as a colormap has), or a PPM image whose
/// pixels are the entries (IndeX's viewer reads every other extension so).

#include <string>

#include "libindex/colormap.h"

namespace libindex::io {

/// Reads a .cmap file into a colormap of as many entries (divided by 65535 and clamped to [0,1], as
/// IndeX's reader does; domain [0,1], clamp_to_edge). Blank lines and `#` comments are skipped; one
/// entry makes a constant table of two. A file starting with a PPM magic number (P6, or plain P3)
/// is an image: its pixels row by row, each channel over its maxval, alpha 1 (as IndeX's loader).
/// Throws Error naming the file (and line) for a missing file, a line that is not 4 finite numbers,
/// no entry or more than 65536, and a PPM image with a bad header or fewer pixels than it says.
Colormap read_cmap(const std::string& path);

/// Writes `colormap` as a .cmap file (256 entries, resampled if needed). Throws Error naming the path.
void write_cmap(const std::string& path, const Colormap& colormap);

} // namespace libindex::io
