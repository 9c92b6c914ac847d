// SPDX-License-Identifier: Apache-2.0
#include "test_util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <bzlib.h>
#include <zlib.h>

#include "libindex/error.h"

namespace libindex::io::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "libindex_io_test_XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Restore permissions a test may have removed, so everything can be deleted.
  for (auto& e : std::filesystem::recursive_directory_iterator(path_, ec))
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), std::streamsize(size));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_text(const std::string& path, const std::string& text) { write_bytes(path, text.data(), text.size()); }

std::vector<uint8_t> gzip_bytes(const void* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflate");
  std::vector<uint8_t> out(deflateBound(&z, uLong(size)) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<void*>(data));
  z.avail_in = uInt(size);
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<uint8_t> bzip2_bytes(const void* data, size_t size) {
  std::vector<uint8_t> out(size + size / 100 + 600); // bzip2's documented bound
  unsigned got = unsigned(out.size());
  if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &got, static_cast<char*>(const_cast<void*>(data)),
                               unsigned(size), 9, 0, 0) != BZ_OK)
    throw std::runtime_error("bzip2");
  out.resize(got);
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const libindex::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a libindex::Error";
  return "";
}

const std::byte* poisoned_block(const Box3i& box) {
  Brick poison(box, DType::float32);
  std::fill_n(poison.data<float>(), box.voxel_count(), std::numeric_limits<float>::quiet_NaN());
  return poison.bytes.data();
}

Brick cut(const Brick& whole, const Box3i& region) {
  Brick out(region, whole.dtype);
  const Vec3i s = region.size(), w = whole.box.size();
  const size_t sz = size_t(dtype_size(whole.dtype));
  for (int z = 0; z < s.z; ++z)
    for (int y = 0; y < s.y; ++y) {
      const size_t src = ((size_t(region.lo.z - whole.box.lo.z + z) * w.y + (region.lo.y - whole.box.lo.y + y)) * w.x +
                          (region.lo.x - whole.box.lo.x)) *
                         sz;
      std::memcpy(out.bytes.data() + (size_t(z) * s.y + y) * s.x * sz, whole.bytes.data() + src, size_t(s.x) * sz);
    }
  return out;
}

::testing::AssertionResult same_brick(const Brick& a, const Brick& b) {
  if (!(a.box == b.box))
    return ::testing::AssertionFailure() << "boxes differ: " << to_string(a.box) << " vs " << to_string(b.box);
  if (a.dtype != b.dtype) return ::testing::AssertionFailure() << "types differ";
  if (a.bytes != b.bytes) {
    size_t i = 0;
    while (a.bytes[i] == b.bytes[i]) ++i;
    return ::testing::AssertionFailure() << "bytes differ first at byte " << i;
  }
  return ::testing::AssertionSuccess();
}

} // namespace libindex::io::test
