// SPDX-License-Identifier: Apache-2.0
#include "file_io.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libindex/error.h"

namespace libindex::io::detail {

std::string errno_text(int err) { return std::strerror(err); }

uint64_t regular_file_size(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(what + ": cannot open '" + path + "': " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw Error(what + ": '" + path + "' is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) throw Error(what + ": '" + path + "' is not a regular file");
  return uint64_t(st.st_size);
}

InputFile::InputFile(const std::string& path, const std::string& what) : path_(path), what_(what) {
  regular_file_size(path, what); // a directory opens fine with O_RDONLY; refuse it clearly first
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(what + ": cannot open '" + path + "': " + errno_text(errno));
}

InputFile::InputFile(InputFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), what_(std::move(o.what_)) {
  o.fd_ = -1;
}

InputFile& InputFile::operator=(InputFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_, path_ = std::move(o.path_), what_ = std::move(o.what_);
    o.fd_ = -1;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t InputFile::read_some_at(void* out, size_t size, uint64_t offset) const {
  size_t done = 0;
  auto* p = static_cast<char*>(out);
  while (done < size) {
    const ssize_t n = ::pread(fd_, p + done, size - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(what_ + ": reading '" + path_ + "' at byte " + std::to_string(offset + done) + ": " +
                  errno_text(errno));
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return done;
}

void InputFile::read_at(void* out, size_t size, uint64_t offset) const {
  const size_t got = read_some_at(out, size, offset);
  if (got != size)
    throw Error(what_ + ": '" + path_ + "' ends at byte " + std::to_string(offset + got) + ", expected " +
                std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                " (file changed after it was opened?)");
}

std::string read_text_file(const std::string& path, const std::string& what) {
  const uint64_t size = regular_file_size(path, what);
  // Scenes, colormaps and programs are kilobytes: a file of gigabytes given as one (a volume with
  // another extension, an archive) is refused before it is read, not held in memory several times.
  constexpr uint64_t kMaxText = uint64_t(64) << 20;
  if (size > kMaxText)
    throw Error(what + ": '" + path + "' is " + std::to_string(size >> 20) + " MiB, more than the " +
                std::to_string(kMaxText >> 20) + " MiB a " + what + " may be (is it the file you meant?)");
  InputFile f(path, what);
  std::string text(size, '\0');
  const size_t got = f.read_some_at(text.data(), text.size(), 0);
  text.resize(got);
  // Editors on Windows start UTF-8 text with a byte-order mark; it is no part of a scene, colormap
  // or program.
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  return text;
}

void write_file(const std::string& path, const void* data, size_t size, const std::string& what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(what + ": cannot write '" + path + "': " + errno_text(errno));
  const auto* p = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw Error(what + ": cannot write '" + path + "': " + errno_text(err));
    }
    done += size_t(n);
  }
  if (::close(fd) != 0) throw Error(what + ": cannot write '" + path + "': " + errno_text(errno));
}

} // namespace libindex::io::detail
