// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/path_policy.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "libindex/error.h"

namespace libindex::io {
namespace fs = std::filesystem;

std::string real_path(const std::string& path) {
  // Walk the path one name at a time, following each link as it comes. std::filesystem's
  // weakly_canonical stops at the first name that does not exist, and a dangling link does not
  // "exist": it would be kept as a name and a file written through it would land anywhere.
  std::vector<fs::path> pending;
  const fs::path absolute = fs::absolute(path);
  for (const fs::path& part : absolute.relative_path()) pending.push_back(part);
  std::reverse(pending.begin(), pending.end());
  fs::path done = absolute.root_path();
  int links = 0;
  while (!pending.empty()) {
    const fs::path name = pending.back();
    pending.pop_back();
    if (name == "." || name.empty()) continue;
    if (name == "..") {
      done = done.parent_path();
      continue;
    }
    const fs::path next = done / name;
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(next, ec))) {
      done = next;
      continue;
    }
    if (++links > 40) throw Error("'" + path + "': too many levels of symbolic links");
    const fs::path target = fs::read_symlink(next, ec);
    if (ec) throw Error("'" + path + "': cannot read the link " + next.string() + ": " + ec.message());
    std::vector<fs::path> parts;
    for (const fs::path& part : target.relative_path()) parts.push_back(part);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(*it);
    if (target.is_absolute()) done = target.root_path();
  }
  return done.lexically_normal().string();
}

PathPolicy::PathPolicy(const std::vector<std::string>& roots, std::string what) : what_(std::move(what)) {
  for (const std::string& r : roots) roots_.push_back(real_path(r));
}

bool PathPolicy::allows(const std::string& absolute_path) const {
  const fs::path real = real_path(absolute_path);
  for (const std::string& root : roots_) {
    const fs::path r(root);
    const auto mismatch = std::mismatch(r.begin(), r.end(), real.begin(), real.end());
    if (mismatch.first == r.end() || (std::next(mismatch.first) == r.end() && mismatch.first->empty())) return true;
  }
  return false;
}

std::string PathPolicy::resolve(const std::string& in) const {
  std::string path = in;
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0)
    throw Error("'" + in + "': http(s) URLs are not supported by this build; copy the file under a data root");
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  if (path.empty()) throw Error("an empty path names no file");
  if (path.find('\0') != std::string::npos) throw Error("a path may not hold a NUL character");
  std::string roots;
  for (const std::string& r : roots_) roots += (roots.empty() ? "" : ", ") + r;
  if (roots_.empty()) throw Error("'" + in + "': this server reads no files (it has no data roots)");
  const fs::path p(path);
  const std::string real = real_path(p.is_absolute() ? p.string() : (fs::path(roots_.front()) / p).string());
  if (!allows(real)) throw Error("'" + in + "' is outside " + what_ + " (" + roots + ")");
  return real;
}

} // namespace libindex::io
