// SPDX-License-Identifier: Apache-2.0
#include "auth.h"

#include <cctype>
#include <cstdint>
#include <fstream>

#include "libindex/error.h"
#include "libindex/streaming/server.h"

namespace libindex::streaming {
namespace auth {

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Loop over `expected` only; bytes past the end of `given` compare against 0 and the length
  // difference is folded into the result.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

std::optional<std::string> decode_basic(std::string_view header) {
  // RFC 7617: the scheme name is case-insensitive.
  constexpr std::string_view scheme = "basic ";
  if (header.size() < scheme.size()) return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (char(std::tolower(static_cast<unsigned char>(header[i]))) != scheme[i]) return std::nullopt;
  std::string_view b64 = header.substr(scheme.size());
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  while (!b64.empty() && (b64.back() == ' ' || b64.back() == '=')) b64.remove_suffix(1);

  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

} // namespace auth

std::string generate_password() {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  require(bool(urandom), "generate_password: cannot open /dev/urandom");
  std::string password;
  while (password.size() < 16) {
    unsigned char byte = 0;
    require(bool(urandom.read(reinterpret_cast<char*>(&byte), 1)), "generate_password: cannot read /dev/urandom");
    // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
    if (byte < 248) password.push_back(alphabet[byte % alphabet.size()]);
  }
  return password;
}

} // namespace libindex::streaming
