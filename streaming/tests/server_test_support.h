// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the server tests share: options for a server on a free loopback port, a bounded wait for
// something that must happen, and the session's side of the command socket.
#include <atomic>
#include <chrono>
#include <thread>

#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/streaming/server.h"

namespace libindex::streaming::testing {

/// For something that must come; fails a test only if it never does.
inline constexpr std::chrono::seconds kWait{10};

inline ServerOptions local_options() {
  ServerOptions o;
  o.port = 0;
  o.bind = "127.0.0.1";
  o.web_root = LIBINDEX_STREAMING_TEST_WWW;
  return o;
}

template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// The session's side of the command socket: drains commands through a dispatcher, as the frame
/// loop does at frame boundaries.
class SessionPump {
 public:
  SessionPump(Server& server, RpcDispatcher& rpc)
      : thread_([this, &server, &rpc] {
          while (!stop_) {
            server.wait_for_commands(std::chrono::milliseconds(20));
            for (auto& c : server.take_commands())
              if (auto r = rpc.handle(c.text)) server.reply(c.connection, std::move(*r));
          }
        }) {}
  ~SessionPump() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace libindex::streaming::testing
