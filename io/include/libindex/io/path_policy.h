// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Which files a request from the network may name. A path is resolved against the roots
/// (relative paths against the first), every symbolic link on it is followed — a dangling one and
/// those in parent folders too — and the real path must lie inside a root. What is refused is
/// refused with one line naming the path and the roots.

#include <string>
#include <vector>

namespace libindex::io {

class PathPolicy {
 public:
  PathPolicy() = default;
  /// Roots are made absolute and real (symbolic links resolved) once, here. `what` names them in
  /// messages ("the data roots", "the output root").
  explicit PathPolicy(const std::vector<std::string>& roots, std::string what = "the data roots");

  bool empty() const { return roots_.empty(); }
  const std::vector<std::string>& roots() const { return roots_; }

  /// The real path of `path_or_url` (a path, relative or absolute, or a file:// URL) when it lies
  /// inside a root; throws libindex::Error otherwise ("'x' is outside the data roots (...)"), and
  /// for http(s) URLs. The file need not exist.
  std::string resolve(const std::string& path_or_url) const;
  /// Whether the real path of `absolute_path` lies inside a root.
  bool allows(const std::string& absolute_path) const;

 private:
  std::vector<std::string> roots_;
  std::string what_;
};

/// `path` (absolute or relative to the working directory) with every symbolic link followed,
/// including a dangling last one and links in its parents, and "." and ".." removed. Throws
/// libindex::Error on a loop of links.
std::string real_path(const std::string& path);

} // namespace libindex::io
