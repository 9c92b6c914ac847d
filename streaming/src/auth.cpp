// SPDX-License-Identifier: Apache-2.0
#include "auth.h"

#include <algorithm>
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

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host[:port]" in lower case without the scheme's default port; "" when it is no plain authority
// (user info, a path, a query, spaces...).
std::string normalize_host(std::string_view host, bool https) {
  std::string h = lower(host);
  if (h.empty() || h.find_first_of("/?#@ \t\\") != std::string::npos) return {};
  const std::string_view default_port = https ? ":443" : ":80";
  const size_t bracket = h.rfind(']'); // an IPv6 literal's colons are not a port
  if (h.size() > default_port.size() &&
      h.compare(h.size() - default_port.size(), default_port.size(), default_port) == 0 &&
      (bracket == std::string::npos || bracket < h.size() - default_port.size()))
    h.resize(h.size() - default_port.size());
  return h;
}

// "scheme://host[:port]" in lower case without a default port; "null" stays "null"; "" when `origin`
// is neither.
std::string normalize_origin(std::string_view origin) {
  while (!origin.empty() && origin.back() == '/') origin.remove_suffix(1); // "https://a.example/" as configured
  const std::string o = lower(origin);
  if (o == "null") return o;
  for (const bool https : {false, true}) {
    const std::string_view scheme = https ? "https://" : "http://";
    if (o.rfind(scheme, 0) != 0) continue;
    const std::string host = normalize_host(std::string_view(o).substr(scheme.size()), https);
    return host.empty() ? std::string() : std::string(scheme) + host;
  }
  return {};
}

} // namespace

std::optional<std::string> decode_basic(std::string_view header) {
  // RFC 7617: the scheme name is case-insensitive, then one or more spaces, then token68.
  constexpr std::string_view scheme = "basic";
  if (header.size() <= scheme.size() || lower(header.substr(0, scheme.size())) != scheme) return std::nullopt;
  std::string_view b64 = header.substr(scheme.size());
  if (!is_space(b64.front())) return std::nullopt;
  while (!b64.empty() && is_space(b64.front())) b64.remove_prefix(1);
  while (!b64.empty() && is_space(b64.back())) b64.remove_suffix(1);
  // Canonical base64: whole groups of four, '=' only as the padding of the last one.
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  const size_t padding = b64.substr(b64.size() - 2) == "==" ? 2 : b64.back() == '=' ? 1 : 0;
  const std::string_view digits = b64.substr(0, b64.size() - padding);

  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : digits) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt; // not base64, or junk after the first '=' or a space
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt; // bits the padding leaves over must be 0
  if (out.find(':') == std::string::npos) return std::nullopt;
  for (char c : out) // RFC 7617: no control characters in user-id or password
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  return out;
}

bool valid_origin_pattern(std::string_view pattern) { return pattern == "*" || !normalize_origin(pattern).empty(); }

bool origin_allowed(std::string_view origin, std::string_view host, bool tls, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true; // only browsers send Origin: a script or notebook has none
  const std::string given = normalize_origin(origin);
  if (given.empty()) return std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  const std::string own_host = normalize_host(host, tls);
  if (!own_host.empty() && given == (tls ? "https://" : "http://") + own_host) return true;
  for (const std::string& a : allowed)
    if (a == "*" || normalize_origin(a) == given) return true;
  return false;
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

void check_basic_auth(const std::string& user_password) {
  const size_t colon = user_password.find(':');
  require(colon != std::string::npos && colon > 0 && colon + 1 < user_password.size(),
          "--auth needs user:password with both parts non-empty");
}

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
