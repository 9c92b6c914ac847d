// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/cmap_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "file_io.h"
#include "libindex/error.h"

namespace libindex::io {
namespace {

constexpr size_t kMaxEntries = 65536; // as colormap.set takes

} // namespace

Colormap read_cmap(const std::string& path) {
  const std::string text = detail::read_text_file(path, "cmap");
  // IndeX reads any other extension as a PPM image whose pixels are the entries.
  if (text.size() >= 2 && text[0] == 'P' && (text[1] == '3' || text[1] == '6'))
    throw Error("cmap: '" + path +
                "' is a PPM image: IndeX reads those as colormaps, libindex reads .cmap text "
                "(r g b a on the 0..65535 scale, a line an entry)");
  Colormap map;
  map.entries.clear();
  std::istringstream in(text);
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    // IndeX writes integers or floats on the 0..65535 scale ("42104.011719 0.000000 9695.968750 0.000000").
    const std::string where = "cmap: '" + path + ":" + std::to_string(line_no) + "': ";
    std::istringstream words(line);
    std::string word[4], extra;
    if (!(words >> word[0] >> word[1] >> word[2] >> word[3]) || (words >> extra))
      throw Error(where + "expected 4 numbers r g b a in 0..65535, got '" + line + "'");
    double v[4];
    for (int i = 0; i < 4; ++i) {
      const char* begin = word[i].data();
      const char* end = begin + word[i].size();
      const auto [stop, ec] = std::from_chars(begin, end, v[i]);
      if (ec != std::errc() || stop != end || !std::isfinite(v[i]))
        throw Error(where + "'" + word[i] + "' is not a number (expected 4 numbers r g b a in 0..65535)");
      v[i] = std::clamp(v[i] / 65535.0, 0.0, 1.0); // as IndeX's reader clamps
    }
    map.entries.push_back({float(v[0]), float(v[1]), float(v[2]), float(v[3])});
  }
  // IndeX writes and reads as many entries as the colormap has (256 in its samples).
  if (map.entries.empty()) throw Error("cmap: '" + path + "' holds no entries");
  if (map.entries.size() > kMaxEntries)
    throw Error("cmap: '" + path + "' has " + std::to_string(map.entries.size()) + " entries, more than " +
                std::to_string(kMaxEntries));
  if (map.entries.size() == 1) map.entries.push_back(map.entries.front()); // one colour: a constant table
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
