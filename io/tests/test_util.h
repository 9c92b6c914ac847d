// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers for the io tests: a private temporary directory, file writers, error-message checks.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libindex/volume.h"

namespace libindex::io::test {

/// A fresh directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// path()/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_bytes(const std::string& path, const void* data, size_t size);
void write_text(const std::string& path, const std::string& text);
std::vector<uint8_t> gzip_bytes(const void* data, size_t size);
std::vector<uint8_t> bzip2_bytes(const void* data, size_t size);

/// The message of the libindex::Error `f` throws; a test failure (and "") when it throws nothing.
std::string error_of(const std::function<void()>& f);

/// Expects `message` to contain every one of `parts`.
#define EXPECT_CONTAINS_ALL(message, ...)                                                                              \
  do {                                                                                                                 \
    const std::string msg_ = (message);                                                                                \
    for (const std::string& part_ : std::initializer_list<std::string>{__VA_ARGS__})                                   \
      EXPECT_NE(msg_.find(part_), std::string::npos) << "'" << part_ << "' not in: " << msg_;                          \
  } while (0)

/// The voxels of `region` cut out of `whole` (which must contain it).
Brick cut(const Brick& whole, const Box3i& region);

/// Fills a float32 brick of `box` with NaN and frees it, so that frame_memory keeps its block (for a
/// box of a megabyte or more) for the next brick of that size; returns the block's address. A reader
/// whose brick starts as the memory held it (Brick::Unset) must then write every voxel.
const std::byte* poisoned_block(const Box3i& box);

/// True when both bricks hold the same box, type and bytes.
::testing::AssertionResult same_brick(const Brick& a, const Brick& b);

} // namespace libindex::io::test
