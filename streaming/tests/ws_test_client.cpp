// SPDX-License-Identifier: Apache-2.0
#include "ws_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace libindex::streaming::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHandshakeWait = std::chrono::seconds(10);

int connect_local(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// Reads into `buffer` until it grows or the deadline passes; false on timeout, error or EOF.
bool read_more(int fd, std::string& buffer, Clock::time_point deadline, bool* eof = nullptr) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, int(left)) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
  if (n <= 0) {
    if (eof) *eof = true;
    return false;
  }
  buffer.append(chunk, size_t(n));
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parses a status line and headers from `buffer` (which holds them up to CRLFCRLF) and removes them.
bool parse_head(std::string& buffer, HttpResponse& r) {
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() >= 12) r.status = std::atoi(status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[lower(line.substr(0, colon))] = line.substr(v);
  }
  return true;
}

// Reads a response (head, then a Content-Length body) from fd; leftover bytes stay in `buffer`.
HttpResponse read_response(int fd, std::string& buffer, bool body) {
  HttpResponse r;
  const auto deadline = Clock::now() + kHandshakeWait;
  while (!parse_head(buffer, r))
    if (!read_more(fd, buffer, deadline)) return HttpResponse{};
  if (!body) return r;
  const auto cl = r.headers.find("content-length");
  if (cl != r.headers.end()) {
    const size_t want = std::stoul(cl->second);
    while (buffer.size() < want && read_more(fd, buffer, deadline)) {}
    r.body = buffer.substr(0, want);
    buffer.erase(0, std::min(want, buffer.size()));
  } else {
    while (read_more(fd, buffer, deadline)) {} // until the server closes
    r.body = std::move(buffer);
    buffer.clear();
  }
  return r;
}

std::string base64(const std::string& in) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(table[(v >> (6 * k)) & 63]);
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {table[(v >> 18) & 63], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
    out += {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

std::string request(const std::string& path, int port, const std::vector<std::string>& extra) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& h : extra) r += h + "\r\n";
  return r;
}

} // namespace

std::string basic_auth_header(const std::string& user_password) {
  return "Authorization: Basic " + base64(user_password);
}

HttpResponse http_get(int port, const std::string& path, const std::vector<std::string>& extra_headers) {
  const int fd = connect_local(port);
  if (fd < 0) return {};
  HttpResponse r;
  std::string buffer;
  if (send_all(fd, request(path, port, extra_headers) + "Connection: close\r\n\r\n"))
    r = read_response(fd, buffer, true);
  ::close(fd);
  return r;
}

WsClient::WsClient(int port, const std::string& path, const std::vector<std::string>& extra_headers) {
  fd_ = connect_local(port);
  if (fd_ < 0) return;
  const std::string upgrade = request(path, port, extra_headers) +
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!send_all(fd_, upgrade)) return;
  handshake_ = read_response(fd_, buffer_, false);
  if (handshake_.status == 101) return;
  // A refusal: read its body for the test's messages.
  const auto cl = handshake_.headers.find("content-length");
  if (cl != handshake_.headers.end()) {
    const size_t want = std::stoul(cl->second);
    const auto deadline = Clock::now() + kHandshakeWait;
    while (buffer_.size() < want && read_more(fd_, buffer_, deadline)) {}
    handshake_.body = buffer_.substr(0, want);
  }
  closed_ = true;
}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool WsClient::send_frame(int opcode, bool fin, const std::string& payload) {
  std::string f;
  f.push_back(char((fin ? 0x80 : 0x00) | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    f.push_back(char(0x80 | n));
  } else if (n < 65536) {
    f.push_back(char(0x80 | 126));
    f.push_back(char(n >> 8));
    f.push_back(char(n & 0xff));
  } else {
    f.push_back(char(0x80 | 127));
    for (int k = 7; k >= 0; --k) f.push_back(char((uint64_t(n) >> (8 * k)) & 0xff));
  }
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78}; // clients must mask; the key's value does not matter
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(char(uint8_t(payload[i]) ^ mask[i % 4]));
  return send_all(fd_, f);
}

bool WsClient::send_text(const std::string& text, int fragments) {
  if (!open()) return false;
  fragments = std::max(1, std::min<int>(fragments, int(std::max<size_t>(1, text.size()))));
  const size_t piece = (text.size() + size_t(fragments) - 1) / size_t(fragments);
  for (int i = 0; i < fragments; ++i) {
    const size_t start = std::min(text.size(), size_t(i) * piece);
    const std::string part = text.substr(start, std::min(piece, text.size() - start));
    if (!send_frame(i == 0 ? 1 : 0, i == fragments - 1, part)) return false;
  }
  return true;
}

bool WsClient::send_binary(const std::string& bytes) { return open() && send_frame(2, true, bytes); }

bool WsClient::fill(Clock::time_point deadline) {
  bool eof = false;
  const bool got = read_more(fd_, buffer_, deadline, &eof);
  if (eof) closed_ = true;
  return got;
}

std::optional<WsClient::Message> WsClient::receive(std::chrono::milliseconds timeout) {
  if (handshake_.status != 101) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Parse one frame if a whole one is buffered.
    if (buffer_.size() >= 2) {
      const auto* b = reinterpret_cast<const uint8_t*>(buffer_.data());
      const bool fin = b[0] & 0x80;
      const int opcode = b[0] & 0x0f;
      const bool masked = b[1] & 0x80;
      uint64_t len = b[1] & 0x7f;
      size_t head = 2;
      if (len == 126 && buffer_.size() >= 4)
        len = uint64_t(b[2]) << 8 | b[3], head = 4;
      else if (len == 127 && buffer_.size() >= 10) {
        len = 0;
        for (int k = 0; k < 8; ++k) len = len << 8 | b[2 + k];
        head = 10;
      } else if (len >= 126) {
        head = 0; // length not complete yet
      }
      if (head && masked) head += 4;
      if (head && buffer_.size() >= head + len) {
        std::string payload = buffer_.substr(head, size_t(len));
        if (masked)
          for (size_t i = 0; i < payload.size(); ++i) payload[i] = char(payload[i] ^ b[head - 4 + i % 4]);
        buffer_.erase(0, head + size_t(len));
        if (opcode == 8) { // close
          closed_ = true;
          return std::nullopt;
        }
        if (opcode == 9) { // ping
          send_frame(10, true, payload);
          continue;
        }
        if (opcode == 10) continue; // pong
        if (opcode != 0) partial_opcode_ = opcode, partial_.clear();
        partial_ += payload;
        if (fin) {
          Message m{partial_opcode_ == 2, std::move(partial_)};
          partial_.clear();
          return m;
        }
        continue;
      }
    }
    if (closed_ || !fill(deadline)) return std::nullopt;
  }
}

} // namespace libindex::streaming::testing
