// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Server internals shared by server.cpp (lifetime, public API), server_ws.cpp (WebSocket
/// connections) and server_http.cpp (static files, authentication). Includes libwebsockets: never
/// include it from a public header.

#include <libwebsockets.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "libindex/streaming/server.h"

namespace libindex::streaming {

static_assert(LWS_PRE <= kWsHeadroom, "kWsHeadroom must leave room for libwebsockets' LWS_PRE");

/// Bytes to write, after kWsHeadroom spare bytes that lws_write fills with the WebSocket frame
/// header. One message may go to many connections: only the service thread touches it once queued,
/// and every connection writes the same header bytes, so sharing it needs no copy and no lock.
struct OutMessage {
  std::vector<uint8_t> storage;
  size_t offset = kWsHeadroom; // where the message starts; at least LWS_PRE
  uint8_t* data() { return storage.data() + offset; }
  size_t size() const { return storage.size() - offset; }
};
using OutPtr = std::shared_ptr<OutMessage>;

/// A text message with headroom, made by the caller's thread (one copy of the text).
OutPtr make_text_message(std::string_view text);

enum class Endpoint : uint8_t { none, command, video };
/// Which WebSocket endpoint a request path names ("/index_command_client", "/index_video_client").
Endpoint endpoint_of_path(std::string_view path);

/// One WebSocket connection. Service thread only.
struct Connection {
  uint64_t id = 0;
  lws* wsi = nullptr;
  Endpoint endpoint = Endpoint::none;
  // Command endpoint: the message being reassembled from fragments.
  std::string rx;
  size_t rx_bytes = 0; // bytes of the current message so far, kept or not
  bool rx_in_message = false;
  bool rx_binary = false;
  bool rx_too_large = false; // over max_message_bytes: the rest is counted and dropped
  bool rx_throttled = false; // reading paused until the session drains its commands
  // Video endpoint: the frame being sent in chunks, and the newest frame number started.
  OutPtr frame;
  size_t frame_offset = 0;
  uint64_t last_seq = 0;
};

/// libwebsockets' per-session data (zero-filled by lws): a pointer, so C++ state lives in Connection.
struct SessionData {
  Connection* connection;
};

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  // --- set up once, read by every thread ---
  ServerOptions options;
  bool tls = false;
  lws_context* context = nullptr;
  lws_vhost* vhost = nullptr;
  int port = 0;
  std::string web_root; // absolute
  // libwebsockets keeps pointers to these for the context's lifetime.
  lws_protocols protocols[2] = {};
  lws_http_mount mount = {};
  std::vector<lws_protocol_vhost_options> mimetypes;
  lws_retry_bo_t retry = {};

  std::thread thread;
  std::atomic<bool> stopping{false};

  // --- shared between the service thread and callers ---
  struct Outbox {
    std::deque<OutPtr> queue;
    size_t bytes = 0;            // queued reply bytes; over kMaxOutboxBytes the client is dropped
    size_t pending_commands = 0; // received, not yet taken by the session
    size_t pending_bytes = 0;
    bool overflowed = false;
    bool notifications = false; // asked for them with ?notify=1 (broadcast_text)
  };
  mutable std::mutex mutex; // guards inbox, outboxes, dirty, inbox_drained, latest_frame, latest_seq
  std::condition_variable commands_waiting;
  std::vector<Command> inbox;
  std::unordered_map<uint64_t, Outbox> outboxes; // one per command connection
  std::vector<uint64_t> dirty;                   // command connections with new output
  bool inbox_drained = false;                    // take_commands ran: throttled clients may send again
  OutPtr latest_frame;
  uint64_t latest_seq = 0;

  // --- statistics, written by the service thread ---
  std::atomic<int> command_clients{0}, video_clients{0};
  std::atomic<uint64_t> frames_sent{0}, frames_skipped{0};
  std::atomic<int> connection_count{0}; // connections.size()

  // --- service thread only ---
  std::unordered_map<uint64_t, Connection*> commands;
  std::unordered_set<Connection*> videos;
  std::unordered_set<lws*> connections; // every accepted TCP connection, until lws frees it
  uint64_t seen_seq = 0;
  uint64_t next_id = 1;

  // server.cpp
  void publish(OutPtr frame);
  // server_ws.cpp: WebSocket connections
  int on_established(lws* wsi, SessionData* session);
  void on_closed(SessionData* session);
  int on_receive(lws* wsi, Connection* c, const void* in, size_t len);
  int on_writeable(lws* wsi, Connection* c);
  void on_wake();
  void queue_from_service(Connection* c, std::string_view text);
  void on_accepted(lws* wsi);
  void on_destroyed(lws* wsi);
  // server_http.cpp: HTTP and the checks before an upgrade
  bool too_many_connections() const;
  int send_too_many_connections(lws* wsi);
  bool authenticated(lws* wsi) const;
  bool token_in_url(lws* wsi) const;
  bool wants_notifications(lws* wsi) const;
  bool origin_allowed(lws* wsi) const;
  int on_filter_http(lws* wsi);
  int on_confirm_upgrade(lws* wsi, const char* protocol);
  int on_http_not_found(lws* wsi);
  using Header = std::pair<lws_token_indexes, std::string>;
  /// A complete short reply (status, headers, one-line text body) in one write.
  int send_status(lws* wsi, unsigned code, const char* text, const std::vector<Header>& headers = {});
  int send_unauthorized(lws* wsi);
};

/// Tunables of the service thread. Limits keep memory bounded whatever clients do.
inline constexpr size_t kVideoChunkBytes = size_t(128) << 10; // one lws_write per WRITEABLE
inline constexpr size_t kMaxOutboxBytes = size_t(16) << 20;   // replies a client does not read

/// The one libwebsockets callback of the server (all endpoints share protocol 0).
int server_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

/// Copy of request header `token` ("" when absent).
std::string header(lws* wsi, lws_token_indexes token);

} // namespace libindex::streaming
