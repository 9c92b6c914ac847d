// SPDX-License-Identifier: Apache-2.0
// Where relative file names in a scene point, and time-step file names.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "libindex/error.h"
#include "scene_internal.h"

namespace libindex::io::detail {

std::string resolve_input_path(const Value& value, const std::string& path) {
  return resolve_input_path(value, path, value.origin.directory());
}

std::string resolve_input_path(const Value& value, const std::string& path, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (const PathPolicy* policy = value.origin.policy.get()) {
    // A scene from the network: its own folder only, never the working directory, and inside the roots.
    const fs::path candidate = p.is_absolute() || dir.empty() ? p : fs::path(dir) / p;
    std::string roots;
    for (const std::string& r : policy->roots()) roots += (roots.empty() ? "" : ", ") + r;
    // An empty name (a scene with no folder of its own naming "") has no absolute form: refuse it
    // instead of letting filesystem_error escape (found by fuzz_project_file).
    const fs::path absolute = candidate.empty() ? fs::path() : fs::absolute(candidate, ec);
    if (absolute.empty()) fail(value, "'" + path + "' names no file");
    if (!policy->allows(absolute.string())) fail(value, "'" + path + "' is outside the data roots (" + roots + ")");
    if (!fs::exists(candidate, ec)) fail(value, "no such file '" + candidate.string() + "'");
    return candidate.string();
  }
  if (p.is_absolute()) {
    if (fs::exists(p, ec)) return path;
    fail(value, "no such file '" + path + "'");
  }
  // IndeX resolves against the working directory; projects are more portable resolved against their
  // own directory, so that is tried first.
  const fs::path beside = dir.empty() ? p : fs::path(dir) / p;
  if (fs::exists(beside, ec)) return beside.string();
  if (fs::exists(p, ec)) return p.string();
  const std::string cwd = fs::current_path(ec).string();
  if (dir.empty()) fail(value, "no such file '" + path + "' (in the working directory " + cwd + ")");
  fail(value, "no such file '" + beside.string() + "' (nor '" + path + "' in the working directory " + cwd + ")");
}

std::string format_step(const Value& value, const std::string& pattern, int step) {
  std::string out;
  bool replaced = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    const bool zero = j < pattern.size() && pattern[j] == '0';
    if (zero) ++j;
    // The width is capped while it is read (no int overflow) and refused above kMaxStepWidth: a
    // file name of a billion spaces is not a file name, and would be allocated.
    constexpr int kMaxStepWidth = 64;
    int width = 0;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j])))
      width = std::min(width * 10 + (pattern[j++] - '0'), kMaxStepWidth + 1);
    if (j >= pattern.size() || (pattern[j] != 'd' && pattern[j] != 'i'))
      fail(value, "unsupported step directive in '" + pattern + "' (use %d or %04d)");
    if (width > kMaxStepWidth)
      fail(value,
           "the step directive in '" + pattern + "' is wider than " + std::to_string(kMaxStepWidth) + " characters");
    if (replaced) fail(value, "more than one step directive in '" + pattern + "'");
    const std::string digits = std::to_string(step < 0 ? -(long long)step : (long long)step);
    const std::string sign = step < 0 ? "-" : "";
    const size_t used = sign.size() + digits.size();
    const std::string pad(size_t(width) > used ? size_t(width) - used : 0, zero ? '0' : ' ');
    out += zero ? sign + pad + digits : pad + sign + digits; // printf: "-007" and "  -7"
    replaced = true;
    i = j;
  }
  if (!replaced) fail(value, "time_steps needs a step number in the file name, e.g. step_%04d");
  return out;
}

} // namespace libindex::io::detail
