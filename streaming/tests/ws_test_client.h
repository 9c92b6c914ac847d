// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A small blocking HTTP/1.1 + WebSocket (RFC 6455) client on plain POSIX sockets, for the
/// server tests: independent of libwebsockets, so the tests do not share the server's assumptions.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace libindex::streaming::testing {

struct HttpResponse {
  int status = 0;                             ///< 0 when the connection closed without a response
  std::map<std::string, std::string> headers; ///< names in lower case
  std::string body;
};

/// One GET to 127.0.0.1:port. `extra_headers` are complete lines without CRLF ("Origin: x").
HttpResponse http_get(int port, const std::string& path, const std::vector<std::string>& extra_headers = {});

/// "Authorization: Basic <base64(user:password)>"
std::string basic_auth_header(const std::string& user_password);

class WsClient {
 public:
  /// Connects and sends the upgrade request; handshake().status is 101 when the socket is open.
  WsClient(int port, const std::string& path, const std::vector<std::string>& extra_headers = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  const HttpResponse& handshake() const { return handshake_; }
  bool open() const { return handshake_.status == 101 && !closed_; }

  /// Sends a text message as `fragments` frames (a first frame and continuations), masked.
  bool send_text(const std::string& text, int fragments = 1);
  /// Sends one binary message.
  bool send_binary(const std::string& bytes);

  struct Message {
    bool binary = false;
    std::string data;
  };
  /// The next complete message; nullopt when none arrives within `timeout` or the peer closed.
  /// Answers pings on the way.
  std::optional<Message> receive(std::chrono::milliseconds timeout);

 private:
  bool send_frame(int opcode, bool fin, const std::string& payload);
  bool fill(std::chrono::steady_clock::time_point deadline); // reads more bytes into buffer_

  int fd_ = -1;
  bool closed_ = false;
  HttpResponse handshake_;
  std::string buffer_;  // received, not yet parsed
  std::string partial_; // payload of a fragmented message so far
  int partial_opcode_ = 0;
};

} // namespace libindex::streaming::testing
