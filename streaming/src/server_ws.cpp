// SPDX-License-Identifier: Apache-2.0
// The service thread's side: the libwebsockets callback and the two WebSocket endpoints.
// Modelled on lws' minimal-ws-server-threads: callers queue under Impl::mutex and wake us; each
// WRITEABLE callback does exactly one lws_write from a buffer with LWS_PRE headroom.
#include <algorithm>
#include <cstring>
#include <utility>

#include "libindex/streaming/rpc_dispatcher.h"
#include "server_impl.h"

namespace libindex::streaming {

std::string header(lws* wsi, lws_token_indexes token) {
  const int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return {};
  std::string value(size_t(n) + 1, '\0');
  const int copied = lws_hdr_copy(wsi, value.data(), n + 1, token);
  value.resize(copied > 0 ? size_t(copied) : 0);
  return value;
}

int server_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* s = static_cast<Server::Impl*>(lws_context_user(lws_get_context(wsi)));
  auto* session = static_cast<SessionData*>(user);
  Connection* c = session ? session->connection : nullptr;
  switch (reason) {
  // Connection count (max_connections)
  case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
    s->on_accepted(wsi);
    return 0;
  case LWS_CALLBACK_WSI_DESTROY:
    s->on_destroyed(wsi);
    break;
  // HTTP (server_http.cpp)
  case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
    return s->on_filter_http(wsi);
  case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
    return s->on_confirm_upgrade(wsi, static_cast<const char*>(in));
  case LWS_CALLBACK_HTTP:
    return s->on_http_not_found(wsi); // no file matched the path
  // WebSocket
  case LWS_CALLBACK_ESTABLISHED:
    return s->on_established(wsi, session);
  case LWS_CALLBACK_CLOSED:
    s->on_closed(session);
    return 0;
  case LWS_CALLBACK_RECEIVE:
    return c ? s->on_receive(wsi, c, in, len) : -1;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    // A close body is empty or starts with a 2-byte code (RFC 6455 5.5.1): one byte fails the
    // connection (nonzero: lws closes without echoing it). lws itself answers the codes no endpoint
    // may send (below 1000, 1004-1006, 1016-2999) with 1002 and fails the connection on a reason that
    // is not UTF-8.
    return len == 1 ? -1 : 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return c ? s->on_writeable(wsi, c) : 0;
  case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
    s->on_wake();
    return 0;
  default:
    break;
  }
  // File transfers, keep-alive and the rest of HTTP: lws' stock handling.
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

namespace {
Endpoint endpoint_of(lws* wsi) { return endpoint_of_path(header(wsi, WSI_TOKEN_GET_URI)); }
} // namespace

void Server::Impl::on_accepted(lws* wsi) {
  connections.insert(wsi);
  connection_count = int(connections.size());
}

void Server::Impl::on_destroyed(lws* wsi) {
  if (connections.erase(wsi)) connection_count = int(connections.size());
}

int Server::Impl::on_established(lws* wsi, SessionData* session) {
  const Endpoint endpoint = endpoint_of(wsi);            // the request headers are still attached here
  if (endpoint == Endpoint::none || !session) return -1; // on_confirm_upgrade refused these already
  auto* c = new Connection;
  c->id = next_id++;
  c->wsi = wsi;
  c->endpoint = endpoint;
  session->connection = c;
  if (endpoint == Endpoint::command) {
    commands[c->id] = c;
    const bool notifications = wants_notifications(wsi);
    {
      std::lock_guard lock(mutex); // guards outboxes
      outboxes[c->id].notifications = notifications;
    }
    ++command_clients;
  } else {
    videos.insert(c);
    bool have_frame;
    {
      std::lock_guard lock(mutex); // guards latest_frame, latest_seq
      have_frame = latest_frame != nullptr;
      // A new viewer gets the current frame at once; frames before it are not "skipped".
      c->last_seq = have_frame ? latest_seq - 1 : latest_seq;
    }
    ++video_clients;
    if (have_frame) lws_callback_on_writable(wsi);
  }
  return 0;
}

void Server::Impl::on_closed(SessionData* session) {
  if (!session || !session->connection) return;
  Connection* c = session->connection;
  session->connection = nullptr;
  if (c->endpoint == Endpoint::command) {
    commands.erase(c->id);
    {
      std::lock_guard lock(mutex); // guards outboxes
      outboxes.erase(c->id);
    }
    --command_clients;
  } else {
    videos.erase(c);
    --video_clients;
  }
  delete c; // drops its share of the frame it was sending
}

void Server::Impl::queue_from_service(Connection* c, std::string_view text) {
  OutPtr m = make_text_message(text);
  {
    std::lock_guard lock(mutex); // guards outboxes
    Outbox& box = outboxes[c->id];
    if (box.bytes + m->size() > kMaxOutboxBytes)
      box.overflowed = true;
    else
      box.bytes += m->size(), box.queue.push_back(std::move(m));
  }
  lws_callback_on_writable(c->wsi);
}

int Server::Impl::on_receive(lws* wsi, Connection* c, const void* in, size_t len) {
  if (c->endpoint != Endpoint::command) return 0; // video clients have nothing to say
  const size_t limit = options.max_message_bytes;
  if (!c->rx_in_message) { // first piece of a message (lws hands over frames in pieces)
    c->rx_in_message = true;
    c->rx.clear();
    c->rx_bytes = 0;
    c->rx_too_large = false;
    c->rx_binary = lws_frame_is_binary(wsi);
  }
  c->rx_bytes += len;
  if (!c->rx_too_large) {
    if (c->rx_bytes > limit) { // stop keeping it, but read on to the end of the message
      c->rx_too_large = true;
      std::string().swap(c->rx);
    } else {
      c->rx.append(static_cast<const char*>(in), len);
    }
  }
  if (!lws_is_final_fragment(wsi)) return 0;

  c->rx_in_message = false;
  if (c->rx_too_large) {
    queue_from_service(c, message_too_large_reply(c->rx_bytes, limit));
    return 0;
  }
  if (c->rx_binary) {
    queue_from_service(c, error_reply(invalid_request, "Invalid Request: binary message; JSON-RPC is sent as text"));
    return 0;
  }
  bool pause = false, refuse = false;
  std::optional<std::string> refusal;
  {
    std::lock_guard lock(mutex); // guards inbox, outboxes
    Outbox& box = outboxes[c->id];
    refuse = box.pending_commands >= options.max_pending_commands;
    if (refuse) {
      refusal = too_many_pending_reply(c->rx, options.max_pending_commands);
    } else {
      box.pending_commands += 1;
      box.pending_bytes += c->rx.size();
      // A client sending big messages faster than the session takes them waits in TCP, not in our memory.
      pause = box.pending_bytes > 4 * limit;
      inbox.push_back({c->id, std::move(c->rx)});
    }
  }
  c->rx = std::string();
  if (refuse) { // answered here and now (a notification: not at all), the session never sees it
    if (refusal) queue_from_service(c, std::move(*refusal));
    return 0;
  }
  commands_waiting.notify_all(); // the session's main thread, or its responder during a frame
  if (pause && !c->rx_throttled) {
    c->rx_throttled = true;
    lws_rx_flow_control(wsi, 0);
  }
  return 0;
}

int Server::Impl::on_writeable(lws* wsi, Connection* c) {
  if (c->endpoint == Endpoint::command) {
    OutPtr m;
    bool more = false, overflowed = false;
    {
      std::lock_guard lock(mutex); // guards outboxes
      Outbox& box = outboxes[c->id];
      overflowed = box.overflowed;
      if (!overflowed && !box.queue.empty()) {
        m = std::move(box.queue.front());
        box.queue.pop_front();
        box.bytes -= m->size();
        more = !box.queue.empty();
      }
    }
    if (overflowed) {
      static const char why[] = "reply queue overflow: client does not read";
      lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char*)why, sizeof(why) - 1);
      return -1;
    }
    if (!m) return 0;
    // lws keeps whatever the socket does not take and calls WRITEABLE again only once it is sent.
    if (lws_write(wsi, m->data(), m->size(), LWS_WRITE_TEXT) < 0) return -1;
    if (more) lws_callback_on_writable(wsi);
    return 0;
  }

  // Video: start the newest frame if idle, then send one chunk of the frame in flight. Chunks keep
  // per-client memory at one chunk (lws copies what the socket does not take) instead of one frame.
  if (!c->frame) {
    uint64_t seq = 0;
    {
      std::lock_guard lock(mutex); // guards latest_frame, latest_seq
      if (latest_frame && latest_seq > c->last_seq) c->frame = latest_frame, seq = latest_seq;
    }
    if (!c->frame) return 0;
    frames_skipped += seq - c->last_seq - 1;
    c->last_seq = seq;
    c->frame_offset = 0;
  }
  OutMessage& f = *c->frame;
  const size_t n = std::min(kVideoChunkBytes, f.size() - c->frame_offset);
  const bool first = c->frame_offset == 0, last = c->frame_offset + n == f.size();
  uint8_t* p = f.data() + c->frame_offset;
  // A chunk after the first borrows the tail of the chunk before it as LWS_PRE headroom: save and
  // restore those bytes, since other clients still have to send them. lws_write is done with the
  // buffer when it returns, and nothing else touches the frame meanwhile (service thread only).
  uint8_t saved[LWS_PRE];
  std::memcpy(saved, p - LWS_PRE, LWS_PRE);
  const int flags = lws_write_ws_flags(LWS_WRITE_BINARY, first, last);
  const int written = lws_write(wsi, p, n, lws_write_protocol(flags));
  std::memcpy(p - LWS_PRE, saved, LWS_PRE);
  if (written < 0) return -1;
  c->frame_offset += n;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  c->frame.reset();
  ++frames_sent;
  bool newer;
  {
    std::lock_guard lock(mutex); // guards latest_seq
    newer = latest_seq > c->last_seq;
  }
  if (newer) lws_callback_on_writable(wsi);
  return 0;
}

void Server::Impl::on_wake() {
  std::vector<uint64_t> to_write;
  bool drained;
  uint64_t seq;
  {
    std::lock_guard lock(mutex); // guards dirty, inbox_drained, latest_seq
    to_write.swap(dirty);
    drained = std::exchange(inbox_drained, false);
    seq = latest_seq;
  }
  std::sort(to_write.begin(), to_write.end());
  to_write.erase(std::unique(to_write.begin(), to_write.end()), to_write.end());
  for (uint64_t id : to_write)
    if (const auto it = commands.find(id); it != commands.end()) lws_callback_on_writable(it->second->wsi);
  if (drained) {
    for (auto& [id, c] : commands) {
      if (!c->rx_throttled) continue;
      c->rx_throttled = false;
      lws_rx_flow_control(c->wsi, 1);
    }
  }
  if (seq != seen_seq) {
    seen_seq = seq;
    for (Connection* c : videos)
      if (!c->frame && c->last_seq < seq) lws_callback_on_writable(c->wsi);
  }
}

} // namespace libindex::streaming
