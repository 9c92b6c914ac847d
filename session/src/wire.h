// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Little helpers to write and read plain values as bytes, for messages between ranks of the
/// same build (native byte order; the op's format version guards the layout).

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "libindex/error.h"

namespace libindex::wire {

class Writer {
 public:
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& v) { append(&v, sizeof(T)); }
  void put(const std::string& s) {
    put(uint64_t(s.size()));
    append(s.data(), s.size());
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    put(uint64_t(v.size()));
    for (const T& x : v) put(x);
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  void append(const void* p, size_t n) {
    const size_t at = bytes_.size();
    bytes_.resize(at + n);
    if (n > 0) std::memcpy(bytes_.data() + at, p, n);
  }
  std::vector<uint8_t> bytes_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const char* what) : bytes_(bytes), what_(what) {}
  template <class T>
  requires std::is_trivially_copyable_v<T> T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const uint64_t n = get<uint64_t>();
    need(n);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + at_), size_t(n));
    at_ += size_t(n);
    return s;
  }
  /// A count of items of at least `min_item_bytes` each, checked against the bytes left so that a
  /// corrupt count cannot make the reader allocate without bound.
  size_t get_count(size_t min_item_bytes) {
    const uint64_t n = get<uint64_t>();
    if (min_item_bytes > 0 && n > (bytes_.size() - at_) / min_item_bytes) truncated();
    return size_t(n);
  }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) truncated();
  }
  [[noreturn]] void truncated() const {
    throw Error(std::string(what_) + ": truncated message (" + std::to_string(bytes_.size()) + " bytes)");
  }
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
  const char* what_;
};

} // namespace libindex::wire
