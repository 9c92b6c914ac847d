// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The viewer's HTTP + WebSocket server (libwebsockets, kept out of this header).
///
/// One service thread owns every socket. Other threads only queue work under a mutex and wake it
/// (lws_cancel_service(), the one libwebsockets call that is safe from another thread):
///   - /index_command_client: JSON-RPC text messages in (take_commands), replies out (reply), and
///     notifications out (broadcast_text) to clients that opened it with ?notify=1.
///   - /index_video_client: binary frames out, latest frame wins (publish_frame); a slow client
///     skips to the newest frame and never holds the others or the caller back.
///   - every other path: static files from ServerOptions::web_root.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libindex/streaming/frame_encoder.h"
#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/streaming/video_header.h"

namespace libindex::streaming {

/// Default of ServerOptions::max_pending_commands.
inline constexpr size_t kDefaultMaxPendingCommands = 64;
/// Default of ServerOptions::max_connections.
inline constexpr size_t kDefaultMaxConnections = 256;

/// What the server listens on and whom it lets in; docs/security.md explains each choice.
struct ServerOptions {
  int port = 8080;                ///< 0: any free port (see Server::port())
  std::string bind = "127.0.0.1"; ///< address to listen on; "0.0.0.0" (or empty) for every interface
  std::string web_root;           ///< folder of static files served at "/", index.html by default
  /// "user:password" (both parts non-empty) for HTTP Basic on the page and both sockets; empty: none.
  std::string basic_auth;
  /// If set, "?token=..." (or the cookie the page gets) also authenticates. Letters, digits and
  /// "-._~" only (it travels in URLs and a cookie).
  std::string token;
  /// Serve a non-loopback bind without basic_auth or token; without it the constructor refuses.
  bool insecure = false;
  /// Origins, besides the page's own, whose pages may open the sockets: exact values such as
  /// "https://portal.example.org", or "*" for any. A socket request with an Origin header is refused
  /// (403) unless that Origin is the request's own (scheme per TLS, host:port equal to the Host
  /// header) or listed here; requests without Origin (scripts, notebooks) are not affected.
  std::vector<std::string> allowed_origins;
  std::string tls_cert, tls_key;                      ///< PEM files; both set: https/wss
  size_t max_message_bytes = kDefaultMaxMessageBytes; ///< longest command message accepted
  /// Command messages one client may have waiting for the session (received, not yet taken by
  /// take_commands()); a message beyond it is answered at once with -32029 "too many pending
  /// requests (limit N)" for each of its calls with an id (too_many_pending_reply), and never
  /// reaches the session.
  size_t max_pending_commands = kDefaultMaxPendingCommands;
  /// Open TCP connections (page loads and both sockets, all clients together); a request on a
  /// connection beyond it is answered "503 Service Unavailable: too many connections (limit N)".
  size_t max_connections = kDefaultMaxConnections;
  /// A socket quiet for this long is pinged, so that proxies which cut idle connections (nginx after
  /// 60 s) see traffic; 1 to 65535. Not answering is no reason to hang up (see server.cpp).
  int ping_seconds = 30;
};

/// Spare bytes in front of a buffer given to publish_frame_buffer(): libwebsockets' LWS_PRE, where
/// the WebSocket frame header is written (server.cpp checks the two agree).
inline constexpr size_t kWsHeadroom = 16;
/// Spare bytes to ask an encoder for so the video header and the WebSocket framing fit in front.
inline constexpr size_t kVideoMessagePrefix = kWsHeadroom + kVideoHeaderSize;

class Server {
 public:
  /// Creates the server and starts listening. Throws libindex::Error with one line naming what failed,
  /// e.g. "cannot listen on 127.0.0.1:8080: Address already in use", or "refusing to serve 0.0.0.0
  /// without --auth or --token; pass --insecure to do it anyway" for a non-loopback bind without
  /// credentials (with `insecure`, one warning line on stderr instead).
  explicit Server(ServerOptions options);
  /// Stops the service thread and closes every connection.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Starts the service loop in its own thread.
  void start();
  /// Stops the service loop and joins its thread; connections stay open until destruction.
  void stop();

  /// The port actually listened on (the chosen one when ServerOptions::port is 0).
  int port() const;
  /// http(s)://<address>:<port>/ to open in a browser; for a wildcard bind, the first non-loopback
  /// interface address (or the host name when there is none).
  std::string url() const;

  /// A message received on /index_command_client.
  struct Command {
    uint64_t connection;
    std::string text;
  };
  /// Takes every command received since the last call, in arrival order (session thread, at frame
  /// boundaries).
  std::vector<Command> take_commands();
  /// Sleeps until a command is waiting or `timeout` passes; true when one is waiting. Lets an idle
  /// session sleep instead of spinning.
  bool wait_for_commands(std::chrono::milliseconds timeout);
  /// Queues a text message to one command connection; dropped when that client has gone.
  void reply(uint64_t connection, std::string text);
  /// Queues a text message to every command connection that asked for notifications by opening
  /// the socket as /index_command_client?notify=1 (scene changes, frame progress). Other clients,
  /// such as NVIDIA IndeX's notebooks, read every message as the reply to their last request and
  /// would fail on a message without an id, so they get none.
  void broadcast_text(std::string text);

  /// Latest frame wins: replaces the pending frame; each video client gets the newest frame when its
  /// socket is ready, skipping any it had no time for. Never blocks, never queues. Copies the bytes
  /// once (for all clients) into a buffer with WebSocket headroom. Throws libindex::Error when the
  /// bytes do not start with a valid video header.
  void publish_frame(std::shared_ptr<const std::vector<uint8_t>> header_and_payload);
  /// The usual way: packs `header` in front of the encoded image and publishes it. `header`'s
  /// encoding, width and height are taken from `frame`. No copy when the frame was encoded with at
  /// least kVideoMessagePrefix spare bytes (e.g. jpeg.encode(px, w, h, q, kVideoMessagePrefix)).
  void publish_encoded(VideoHeader header, EncodedFrame&& frame);
  /// Zero-copy with a hand-made buffer: kWsHeadroom spare bytes, then the 36-byte header, then the
  /// payload. The server owns the buffer and writes WebSocket framing into it while sending. Throws
  /// libindex::Error when no valid video header follows the headroom.
  void publish_frame_buffer(std::vector<uint8_t>&& buffer);

  struct ClientStats {
    int command_clients = 0, video_clients = 0; ///< a browser on both endpoints counts once in each
    uint64_t frames_sent = 0;                   ///< complete frames written to video clients, summed over clients
    uint64_t frames_skipped = 0;                ///< frames a client never got because a newer one replaced them
    int connections = 0; ///< open TCP connections of any kind, as counted against max_connections
  };
  ClientStats stats() const;

  struct Impl; // libwebsockets state; defined in server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

/// Throws libindex::Error("--auth needs user:password with both parts non-empty") unless
/// `user_password` is "user:password" with both parts non-empty. The constructor checks a non-empty
/// ServerOptions::basic_auth with it; an app calls it itself for an --auth given with an empty value.
void check_basic_auth(const std::string& user_password);

/// 16 random characters from [A-Za-z0-9] read from /dev/urandom, for `--auth generate`.
/// Throws libindex::Error when /dev/urandom cannot be read.
std::string generate_password();

} // namespace libindex::streaming
