// SPDX-License-Identifier: Apache-2.0
#pragma once
// Thin POSIX file helpers shared by the readers: errors carry the path and errno text, reads are
// positioned (pread) so concurrent reads of one source need no locking.

#include <cstddef>
#include <cstdint>
#include <string>

namespace libindex::io::detail {

/// The errno text of the last failed call, e.g. "No such file or directory".
std::string errno_text(int err);

/// Size of a regular file. Throws Error "<what>: '<path>': <reason>" for a missing file, a directory
/// or anything that is not a regular file.
uint64_t regular_file_size(const std::string& path, const std::string& what);

/// A read-only file descriptor, closed on destruction.
class InputFile {
 public:
  InputFile() = default;
  /// Opens `path` read-only. Throws Error "<what>: cannot open '<path>': <errno text>".
  InputFile(const std::string& path, const std::string& what);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  /// Reads exactly `size` bytes at `offset`. Throws Error naming the file when it ends early or fails.
  void read_at(void* out, size_t size, uint64_t offset) const;
  /// Reads up to `size` bytes at `offset`; returns the count (0 at the end of the file).
  size_t read_some_at(void* out, size_t size, uint64_t offset) const;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_, what_;
};

/// The whole file as text, without a leading UTF-8 byte-order mark. Throws Error naming the path and
/// errno text, or the size of a file over 64 MiB (no scene, colormap or program is that large).
std::string read_text_file(const std::string& path, const std::string& what);

/// Writes `size` bytes to `path` (replacing it). Throws Error naming the path and errno text.
void write_file(const std::string& path, const void* data, size_t size, const std::string& what);

} // namespace libindex::io::detail
