// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/cmap_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "file_io.h"
#include "libindex/error.h"

namespace libindex::io {

Colormap read_cmap(const std::string& path) {
  const std::string text = detail::read_text_file(path, "cmap");
  Colormap map;
  map.entries.clear();
  std::istringstream in(text);
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream words(line);
    long v[4];
    std::string extra;
    if (!(words >> v[0] >> v[1] >> v[2] >> v[3]) || (words >> extra))
      throw Error("cmap: '" + path + ":" + std::to_string(line_no) + "': expected 4 integers r g b a, got '" + line +
                  "'");
    for (long c : v)
      if (c < 0 || c > 65535)
        throw Error("cmap: '" + path + ":" + std::to_string(line_no) + "': value " + std::to_string(c) +
                    " is outside 0..65535");
    map.entries.push_back(
        {float(v[0]) / 65535.0f, float(v[1]) / 65535.0f, float(v[2]) / 65535.0f, float(v[3]) / 65535.0f});
  }
  if (map.entries.size() != 256)
    throw Error("cmap: '" + path + "' has " + std::to_string(map.entries.size()) + " entries, expected 256");
  return map;
}

void write_cmap(const std::string& path, const Colormap& colormap) {
  require(!colormap.entries.empty(), "cmap: cannot write '" + path + "': the colormap has no entries");
  std::ostringstream out;
  const auto view = colormap.view();
  auto u16 = [](float c) { return long(std::lround(65535.0f * std::fmin(1.0f, std::fmax(0.0f, c)))); };
  for (int i = 0; i < 256; ++i) {
    // Resample by table position (not by value), so the written table equals the table for 256 entries.
    const float x = float(i) / 255.0f * float(view.size - 1);
    const int k = std::min(int(x), view.size - 1);
    const float f = x - float(k);
    const Vec4f a = view.entries[k], b = view.entries[std::min(k + 1, view.size - 1)];
    out << u16(lerpf(a.x, b.x, f)) << ' ' << u16(lerpf(a.y, b.y, f)) << ' ' << u16(lerpf(a.z, b.z, f)) << ' '
        << u16(lerpf(a.w, b.w, f)) << '\n';
  }
  const std::string s = out.str();
  detail::write_file(path, s.data(), s.size(), "cmap");
}

} // namespace libindex::io
