// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The one case folding of the readers: file extensions, voxel type names, NRRD fields and
/// IndeX's importer class names compare without regard to case.

#include <algorithm>
#include <cctype>
#include <string>

namespace libindex::io::detail {

/// `s` with its ASCII letters in lower case (other bytes as they are).
inline std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

} // namespace libindex::io::detail
