// SPDX-License-Identifier: Apache-2.0
// The .prj syntax: header line, comments, `key = value`, heredocs, layering and ${VAR} expansion.
#include <cstdlib>
#include <sstream>

#include "file_io.h"
#include "libindex/error.h"
#include "libindex/io/project_file.h"

namespace libindex::io {
namespace {

constexpr const char* kHeader = "#! index_app_project 0";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back(); // files written on Windows
    lines.push_back(line);
  }
  return lines;
}

bool valid_key(const std::string& key) { return !key.empty() && key.find_first_of(" \t") == std::string::npos; }

} // namespace

void ProjectFile::add_file(const std::string& path, std::shared_ptr<const PathPolicy> policy) {
  add_text(detail::read_text_file(path, "project file"), path, std::move(policy));
}

namespace {
/// At most 60 characters of `line` as one printable line: a binary file's bytes would garble the
/// terminal that shows the error.
std::string shown(const std::string& line) {
  std::string out;
  for (char c : line.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
  return line.size() > 60 ? out + "..." : out;
}
} // namespace

void ProjectFile::add_text(const std::string& text, const std::string& name, std::shared_ptr<const PathPolicy> policy,
                           bool generated) {
  const auto lines = split_lines(text);
  auto where = [&](size_t i) { return name + ":" + std::to_string(i + 1); };
  if (lines.empty() || trim(lines[0]) != kHeader)
    throw Error(where(0) + ": not an IndeX project file: the first line must be '" + kHeader + "'" +
                (lines.empty() ? std::string(" (the file is empty)") : ", got '" + shown(trim(lines[0])) + "'"));

  // Parse everything before storing anything, so a syntax error leaves the store unchanged.
  std::vector<Value> parsed;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    const Origin origin{name, int(i + 1), "", policy, generated};
    const auto eq = line.find('=');
    const auto heredoc = line.find("<<");
    if (heredoc != std::string::npos && (eq == std::string::npos || heredoc < eq)) {
      // key << (END) ... (END): the value is the lines in between, verbatim.
      const std::string key = trim(line.substr(0, heredoc));
      std::string terminator = trim(line.substr(heredoc + 2));
      if (!valid_key(key) || terminator.empty())
        throw Error(where(i) + ": expected 'key << (END)', got '" + line + "'");
      std::string body;
      size_t j = i + 1;
      for (; j < lines.size(); ++j) {
        if (trim(lines[j]) == terminator) break;
        if (j > i + 1) body += '\n';
        body += lines[j];
      }
      if (j == lines.size())
        throw Error(where(i) + ": " + key + " << " + terminator + ": no closing line '" + terminator +
                    "' before the end of the file");
      parsed.push_back({key, body, origin});
      i = j;
      continue;
    }
    if (eq == std::string::npos)
      throw Error(where(i) + ": expected 'key = value' or 'key << (END)', got '" + line + "'");
    const std::string key = trim(line.substr(0, eq));
    if (!valid_key(key))
      throw Error(where(i) + ": expected 'key = value', got '" + line + "' (" +
                  (key.empty() ? "the key is empty" : "a key has no spaces") + ")");
    parsed.push_back({key, trim(line.substr(eq + 1)), origin});
  }
  for (auto& v : parsed) values_[v.key] = std::move(v);
  files_.push_back(name);
}

void ProjectFile::set(const std::string& key, const std::string& text, const Origin& origin) {
  require(valid_key(key), origin.to_string() + ": invalid key '" + key + "'");
  values_[key] = Value{key, text, origin};
}

void ProjectFile::erase_prefix(const std::string& prefix) {
  auto it = values_.lower_bound(prefix);
  while (it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = values_.erase(it);
}

void ProjectFile::add_overrides(const std::vector<std::pair<std::string, std::string>>& overrides) {
  for (const auto& [key, text] : overrides) set(key, text, Origin{});
}

bool ProjectFile::has(const std::string& key) const { return values_.count(key) != 0; }

Value ProjectFile::expanded(const Value& value) const {
  // Only names with IndeX's prefixes are expanded: other ${...} text (shell snippets in descriptions,
  // IndeX's own placeholders) passes through untouched, as IndeX does.
  const auto flag = values_.find("app::variable_expansion");
  if (flag == values_.end() || !as_bool(flag->second) || value.key == "app::variable_expansion") return value;
  Value out = value;
  std::string& t = out.text;
  size_t pos = 0;
  while ((pos = t.find("${", pos)) != std::string::npos) {
    const auto close = t.find('}', pos + 2);
    if (close == std::string::npos) break;
    const std::string name = t.substr(pos + 2, close - pos - 2);
    if (name.rfind("NVINDEX_", 0) != 0 && name.rfind("INDEX_", 0) != 0) {
      pos = close + 1;
      continue;
    }
    const char* env = std::getenv(name.c_str());
    if (!env) fail(value, "environment variable " + name + " is not set (app::variable_expansion is on)");
    t.replace(pos, close + 1 - pos, env);
    pos += std::string(env).size(); // never re-expand what the environment supplied
  }
  return out;
}

std::optional<Value> ProjectFile::find(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return expanded(it->second);
}

Value ProjectFile::at(const std::string& key) const {
  if (auto v = find(key)) return *v;
  std::string files;
  for (const auto& f : files_) files += (files.empty() ? "" : ", ") + f;
  throw Error("missing key '" + key + "'" + (files.empty() ? std::string() : " (read " + files + ")"));
}

std::string ProjectFile::get_string(const std::string& key, const std::string& fallback) const {
  const auto v = find(key);
  return v ? v->text : fallback;
}
bool ProjectFile::get_bool(const std::string& key, bool fallback) const {
  const auto v = find(key);
  return v ? as_bool(*v) : fallback;
}
int ProjectFile::get_int(const std::string& key, int fallback) const {
  const auto v = find(key);
  return v ? as_int(*v) : fallback;
}
float ProjectFile::get_float(const std::string& key, float fallback) const {
  const auto v = find(key);
  return v ? as_float(*v) : fallback;
}
Vec3f ProjectFile::get_vec3f(const std::string& key, Vec3f fallback) const {
  const auto v = find(key);
  return v ? as_vec3f(*v) : fallback;
}
Vec3i ProjectFile::get_vec3i(const std::string& key, Vec3i fallback) const {
  const auto v = find(key);
  return v ? as_vec3i(*v) : fallback;
}
Box3f ProjectFile::get_box3f(const std::string& key, const Box3f& fallback) const {
  const auto v = find(key);
  return v ? as_box3f(*v) : fallback;
}
Box3i ProjectFile::get_box3i(const std::string& key, const Box3i& fallback) const {
  const auto v = find(key);
  return v ? as_box3i(*v) : fallback;
}

std::vector<Value> ProjectFile::entries() const { return entries_with_prefix(""); }

std::vector<Value> ProjectFile::entries_with_prefix(const std::string& prefix) const {
  std::vector<Value> out;
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out.push_back(expanded(it->second));
  return out;
}

} // namespace libindex::io
