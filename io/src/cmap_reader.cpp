// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/cmap_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include "file_io.h"
#include "libindex/error.h"

namespace libindex::io {
namespace {

constexpr size_t kMaxEntries = 65536; // as colormap.set takes

void check_entry_count(const std::string& path, size_t entries) {
  if (entries > kMaxEntries)
    throw Error("cmap: '" + path + "' has " + std::to_string(entries) + " entries, more than " +
                std::to_string(kMaxEntries));
}

/// IndeX's other colormap file (its viewer reads every extension but .cmap so): a PPM image whose
/// pixels, row by row, are the entries, opaque (IndeX's loader sets alpha to 1). IndeX reads binary
/// PPM (P6) of maxval 255; this reads any netpbm PPM, P6 or plain P3, each channel over its maxval.
Colormap read_ppm(const std::string& path, const std::string& bytes) {
  const bool plain = bytes[1] == '3';
  size_t at = 2;
  auto number = [&](const char* what, long least) {
    while (at < bytes.size() && (std::isspace(static_cast<unsigned char>(bytes[at])) || bytes[at] == '#')) {
      if (bytes[at] == '#')
        while (at < bytes.size() && bytes[at] != '\n') ++at; // a comment runs to the end of its line
      else
        ++at;
    }
    long value = 0;
    const auto [stop, ec] = std::from_chars(bytes.data() + at, bytes.data() + bytes.size(), value);
    if (ec != std::errc() || value < least ||
        (stop < bytes.data() + bytes.size() && !std::isspace(static_cast<unsigned char>(*stop))))
      throw Error("cmap: '" + path + "': a PPM image's " + what + " must be an integer of at least " +
                  std::to_string(least));
    at = size_t(stop - bytes.data());
    return value;
  };
  const long width = number("width", 1), height = number("height", 1), maxval = number("maxval", 1);
  if (maxval > 65535) throw Error("cmap: '" + path + "': a PPM image's maxval must be at most 65535");
  check_entry_count(path, size_t(std::min(width, 65537L) * std::min(height, 65537L)));
  const size_t count = size_t(width * height);
  auto sample = [&](long v) { // a channel's value over the maxval, which it may not exceed
    if (v > maxval)
      throw Error("cmap: '" + path + "': sample " + std::to_string(v) + " exceeds the PPM image's maxval " +
                  std::to_string(maxval));
    return float(v) / float(maxval);
  };
  std::vector<float> rgb(count * 3);
  if (plain) {
    for (size_t i = 0; i < count * 3; ++i) rgb[i] = sample(number("sample", 0));
  } else {
    ++at;                                           // the one whitespace after maxval
    const size_t bytes_each = maxval > 255 ? 2 : 1; // two bytes, most significant first
    const size_t need = count * 3 * bytes_each;
    if (at > bytes.size() || bytes.size() - at < need)
      throw Error("cmap: '" + path + "' is truncated: its " + std::to_string(width) + "x" + std::to_string(height) +
                  " PPM image needs " + std::to_string(need) + " bytes of pixels, and it has " +
                  std::to_string(at > bytes.size() ? 0 : bytes.size() - at));
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    for (size_t i = 0; i < count * 3; ++i, p += bytes_each) rgb[i] = sample(bytes_each == 2 ? p[0] << 8 | p[1] : p[0]);
  }
  Colormap map;
  map.entries.resize(count);
  for (size_t k = 0; k < count; ++k) map.entries[k] = {rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2], 1.0f};
  return map;
}

/// A .cmap file's text: a line of 4 numbers r g b a on the 0..65535 scale an entry.
Colormap read_cmap_text(const std::string& path, const std::string& text) {
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
  check_entry_count(path, map.entries.size());
  return map;
}

} // namespace

Colormap read_cmap(const std::string& path) {
  const std::string text = detail::read_text_file(path, "cmap");
  const bool ppm = text.size() >= 3 && text[0] == 'P' && (text[1] == '3' || text[1] == '6') &&
                   std::isspace(static_cast<unsigned char>(text[2]));
  Colormap map = ppm ? read_ppm(path, text) : read_cmap_text(path, text);
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
