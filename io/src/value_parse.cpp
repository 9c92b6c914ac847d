// SPDX-License-Identifier: Apache-2.0
// Typed conversions of project-file values; every failure names origin, key and value.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <sstream>

#include "libindex/error.h"
#include "libindex/io/project_file.h"
#include "lowercase.h"

namespace libindex::io {

std::string Origin::to_string() const {
  if (file.empty()) return label;
  return file + ":" + std::to_string(line);
}

std::string Origin::directory() const {
  if (file.empty()) return "";
  return std::filesystem::path(file).parent_path().string();
}

std::string Value::where() const { return origin.to_string() + ": " + key + " = '" + text + "'"; }

void fail(const Value& value, const std::string& problem) {
  if (value.origin.generated) throw Error(problem); // the reader's message names the file
  throw Error(value.where() + ": " + problem);
}

std::vector<std::string> as_words(const Value& value) {
  std::vector<std::string> words;
  std::istringstream in(value.text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

namespace {

// from_chars rejects a leading '+', which people write in coordinates; accept it.
std::string_view strip_plus(std::string_view w) { return (w.size() > 1 && w[0] == '+') ? w.substr(1) : w; }

// Finite numbers only: "nan" or "inf" in a coordinate is a mistake, not a value.
bool parse_float(std::string_view w, float& out) {
  w = strip_plus(w);
  auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
  return ec == std::errc() && end == w.data() + w.size() && std::isfinite(out);
}

bool parse_int(std::string_view w, int& out) {
  w = strip_plus(w);
  auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
  return ec == std::errc() && end == w.data() + w.size();
}

std::string count_text(size_t count, const char* what) {
  return count == 1 ? std::string("1 ") + what : std::to_string(count) + " " + what + "s";
}

} // namespace

bool as_bool(const Value& value) {
  const std::string t = detail::lowercase(value.text);
  if (t == "true" || t == "yes" || t == "1") return true;
  if (t == "false" || t == "no" || t == "0") return false;
  fail(value, "expected a boolean (true/false, yes/no, 1/0)");
}

std::vector<float> as_floats(const Value& value, size_t count) {
  const auto words = as_words(value);
  std::vector<float> out(words.size());
  for (size_t i = 0; i < words.size(); ++i)
    if (!parse_float(words[i], out[i]))
      fail(value, (count ? "expected " + count_text(count, "number") : std::string("expected numbers")) + ", '" +
                      words[i] + "' is not a number");
  if (count && out.size() != count)
    fail(value, "expected " + count_text(count, "number") + ", got " + std::to_string(out.size()));
  return out;
}

std::vector<int> as_ints(const Value& value, size_t count) {
  const auto words = as_words(value);
  std::vector<int> out(words.size());
  for (size_t i = 0; i < words.size(); ++i)
    if (!parse_int(words[i], out[i]))
      fail(value, (count ? "expected " + count_text(count, "integer") : std::string("expected integers")) + ", '" +
                      words[i] + "' is not an integer");
  if (count && out.size() != count)
    fail(value, "expected " + count_text(count, "integer") + ", got " + std::to_string(out.size()));
  return out;
}

int as_int(const Value& value) { return as_ints(value, 1)[0]; }
float as_float(const Value& value) { return as_floats(value, 1)[0]; }

Vec3f as_vec3f(const Value& value) {
  const auto v = as_floats(value, 3);
  return {v[0], v[1], v[2]};
}

Vec3i as_vec3i(const Value& value) {
  const auto v = as_ints(value, 3);
  return {v[0], v[1], v[2]};
}

Box3f as_box3f(const Value& value) {
  const auto v = as_floats(value, 6);
  const Box3f b{{v[0], v[1], v[2]}, {v[3], v[4], v[5]}};
  if (b.hi.x < b.lo.x || b.hi.y < b.lo.y || b.hi.z < b.lo.z)
    fail(value, "the upper corner must not be below the lower corner");
  return b;
}

Box3i as_box3i(const Value& value) {
  const auto v = as_ints(value, 6);
  const Box3i b{{v[0], v[1], v[2]}, {v[3], v[4], v[5]}};
  if (b.hi.x < b.lo.x || b.hi.y < b.lo.y || b.hi.z < b.lo.z)
    fail(value, "the upper corner must not be below the lower corner");
  // Box3i::size() is hi - lo in int: -2147483648 .. 2147483647 would overflow it.
  for (int a = 0; a < 3; ++a)
    if (int64_t(v[size_t(a) + 3]) - v[size_t(a)] > std::numeric_limits<int>::max())
      fail(value, "the box is more than " + std::to_string(std::numeric_limits<int>::max()) + " voxels wide");
  return b;
}

} // namespace libindex::io
