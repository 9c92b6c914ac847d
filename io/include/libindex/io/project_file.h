// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file NVIDIA IndeX project files (`.prj`): layered `key = value` stores whose every value remembers
/// where it came from, so any later error can name file:line, key and value.
///
/// Format: first line `#! index_app_project 0`; `#` comments; `key = value` (value trimmed, may be
/// empty); `key << (END)` ... `(END)` for multi-line values. Later keys override earlier ones, later
/// files override earlier files, command-line `-key value` pairs override files.

#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <map>
#include <memory>

#include "libindex/box.h"
#include "libindex/io/path_policy.h"
#include "libindex/vec.h"

namespace libindex::io {

/// Where a value was set: a file and line, or a label such as "command line" or "JSON-RPC".
struct Origin {
  std::string file;                   ///< the path as it was given; empty when the value did not come from a file
  int line = 0;                       ///< 1-based line of the key in `file`
  std::string label = "command line"; ///< used when `file` is empty
  /// Set for values that came over the network (a scene loaded or edited through the API): files
  /// they name must lie inside its roots. Null: any file the process can read.
  std::shared_ptr<const PathPolicy> policy;
  /// The value is one libindex wrote into the scene it made around a volume file opened directly
  /// (`viewer FILE`): a message about it is the reader's own, which names the file, without a line
  /// of a scene the user never wrote.
  bool generated = false;

  /// "scene.prj:12", or the label.
  std::string to_string() const;
  /// The directory relative paths in this value are tried against first ("" for the working directory).
  std::string directory() const;
};

/// One value: the key it was set under (as written, e.g. `app::scene::vol::bbox`), its text and origin.
struct Value {
  std::string key;
  std::string text;
  Origin origin;

  /// "scene.prj:12: app::scene::vol::bbox = '0 0 x 1 1 1'", the prefix of every message about it.
  std::string where() const;
};

/// Throws Error "<where>: <problem>", e.g. "scene.prj:12: app::scene::vol::bbox = '0 0 x': expected 6 numbers".
[[noreturn]] void fail(const Value& value, const std::string& problem);

// Typed conversions. Each throws Error naming origin, key and value when the text does not fit.
/// `true/false`, `yes/no`, `1/0` (case-insensitive).
bool as_bool(const Value& value);
int as_int(const Value& value);
float as_float(const Value& value);
/// Exactly `count` whitespace-separated numbers (any count when `count` is 0).
std::vector<float> as_floats(const Value& value, size_t count = 0);
/// Exactly `count` whitespace-separated integers (any count when `count` is 0).
std::vector<int> as_ints(const Value& value, size_t count = 0);
Vec3f as_vec3f(const Value& value);
Vec3i as_vec3i(const Value& value);
/// Six numbers `x0 y0 z0 x1 y1 z1`; x1 >= x0 etc.
Box3f as_box3f(const Value& value);
/// Six integers `x0 y0 z0 x1 y1 z1`, half-open; x1 >= x0 etc.
Box3i as_box3i(const Value& value);
/// The whitespace-separated words of the value (an empty value gives none).
std::vector<std::string> as_words(const Value& value);

/// A layered key/value store read from project files and command-line overrides.
class ProjectFile {
 public:
  /// Parses `path` and lays its keys over the ones already present. Throws Error naming path:line.
  void add_file(const std::string& path, std::shared_ptr<const PathPolicy> policy = nullptr);
  /// Parses `text` as if it were the contents of a file called `name` (embedded defaults, uploads, tests).
  /// Relative paths in it resolve against the directory of `name`.
  /// `generated`: libindex wrote the text (Origin::generated).
  void add_text(const std::string& text, const std::string& name, std::shared_ptr<const PathPolicy> policy = nullptr,
                bool generated = false);
  /// Sets one key, overriding any earlier value.
  void set(const std::string& key, const std::string& text, const Origin& origin = Origin{});
  /// Removes every key that starts with `prefix` ("app::scene::cmap::": all of element cmap's).
  void erase_prefix(const std::string& prefix);
  /// Sets every (key, value) pair, in order, with origin "command line".
  void add_overrides(const std::vector<std::pair<std::string, std::string>>& overrides);

  bool has(const std::string& key) const;
  /// The value of `key`, `${NVINDEX_*}`/`${INDEX_*}` expanded when `app::variable_expansion` is true.
  std::optional<Value> find(const std::string& key) const;
  /// Like find(), but a missing key is an Error naming the key and the files read.
  Value at(const std::string& key) const;

  // Typed getters: `fallback` when the key is absent; Error naming file:line, key and value when malformed.
  std::string get_string(const std::string& key, const std::string& fallback = "") const;
  bool get_bool(const std::string& key, bool fallback) const;
  int get_int(const std::string& key, int fallback) const;
  float get_float(const std::string& key, float fallback) const;
  Vec3f get_vec3f(const std::string& key, Vec3f fallback) const;
  Vec3i get_vec3i(const std::string& key, Vec3i fallback) const;
  Box3f get_box3f(const std::string& key, const Box3f& fallback) const;
  Box3i get_box3i(const std::string& key, const Box3i& fallback) const;

  /// Every value (expanded), ordered by key.
  std::vector<Value> entries() const;
  /// The values whose key starts with `prefix` (expanded), ordered by key.
  std::vector<Value> entries_with_prefix(const std::string& prefix) const;
  /// The files added, in order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  Value expanded(const Value& value) const;
  std::map<std::string, Value> values_;
  std::vector<std::string> files_;
};

/// Removes IndeX-style overrides `-key value` (also `--key value`) whose key contains `::` from argv,
/// keeping the other arguments (for CLI11) in order, and returns the pairs in command-line order.
/// A value with spaces is one argv element: `-index::canvas_resolution "800 600"`.
/// Throws Error when such a key is the last argument (no value).
std::vector<std::pair<std::string, std::string>> parse_command_line_overrides(int& argc, char** argv);
/// The same on a vector of arguments (argv[0] excluded or not: only `-key` with `::` is touched).
std::vector<std::pair<std::string, std::string>> parse_command_line_overrides(std::vector<std::string>& args);

} // namespace libindex::io
