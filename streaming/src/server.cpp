// SPDX-License-Identifier: Apache-2.0
// Server lifetime and the thread-safe public API. Other threads only touch Impl state under
// Impl::mutex and wake the service thread with lws_cancel_service(), the one libwebsockets call
// that is safe from another thread (libwebsockets READMEs/README.coding.md).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <sys/resource.h>

#include "auth.h"
#include "libindex/config.h"
#include "libindex/error.h"
#include "net.h"
#include "server_impl.h"

namespace libindex::streaming {
namespace {

// While a vhost is being made, lws's lines are kept here instead of printed: a failure is then one
// line of ours that says it all (with lws's own reason for a TLS file), not three.
// Per thread: lws_create_vhost logs on the thread that calls it, and another server's service
// thread logging meanwhile keeps printing its own lines.
thread_local std::string* g_capture = nullptr; // where log_line writes while set

// libwebsockets logs through one process-wide function: keep errors and warnings, tagged as ours.
void log_line(int level, const char* line) {
  if (g_capture) {
    g_capture->append(line);
    return;
  }
  std::fprintf(stderr, "[viewer] %s: %s", level == LLL_ERR ? "error" : "warning", line);
}

/// The first line lws logged (the cause; later ones report its consequences), without its timestamp
/// and bracketed tags, or "".
std::string first_reason(const std::string& captured) {
  std::string line = captured.substr(0, captured.find('\n'));
  if (const size_t tags = line.find_last_of(']'); tags != std::string::npos) line = line.substr(tags + 1);
  while (!line.empty() && (line.front() == ' ')) line.erase(0, 1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

/// How many sockets lws may hold (fd_limit_per_thread, one service thread). At that many it stops
/// accepting, and the kernel queues new connections, instead of failing accept() with EMFILE in a
/// busy loop (one log line each, hundreds of thousands a second) once the process runs out of
/// descriptors. A few over the connection limit are still taken, to be told so (503); a part of the
/// descriptors stays for the rest of the process (MPI, data files, the attach port).
unsigned socket_limit(size_t max_connections) {
  rlimit r{};
  const rlim_t open_files =
      getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY ? r.rlim_cur : rlim_t(1) << 20;
  const rlim_t spare = std::min<rlim_t>(64, open_files / 2);
  const rlim_t wanted = rlim_t(max_connections) + 16;
  return unsigned(std::clamp<rlim_t>(std::min(wanted, open_files - spare), 8, 1 << 20));
}

void quiet_libwebsockets() {
  static std::once_flag once;
  std::call_once(once, [] { lws_set_log_level(LLL_ERR | LLL_WARN, log_line); });
}

// MIME types lws 4.1 does not know, or that must be exactly these (ES modules need a JavaScript
// type; "*" is the fallback, so an unknown extension is still served).
constexpr const char* kMimeTypes[][2] = {
    {".js", "text/javascript"},    {".mjs", "text/javascript"},   {".css", "text/css"},
    {".html", "text/html"},        {".json", "application/json"}, {".map", "application/json"},
    {".wasm", "application/wasm"}, {".svg", "image/svg+xml"},     {".png", "image/png"},
    {".jpg", "image/jpeg"},        {".ico", "image/x-icon"},      {".webp", "image/webp"},
    {".woff2", "font/woff2"},      {".txt", "text/plain"},        {"*", "application/octet-stream"},
};

bool readable(const std::string& path) { return std::ifstream(path).good(); }

} // namespace

OutPtr make_text_message(std::string_view text) {
  auto m = std::make_shared<OutMessage>();
  m->storage.resize(kWsHeadroom + text.size());
  std::memcpy(m->storage.data() + kWsHeadroom, text.data(), text.size());
  return m;
}

Endpoint endpoint_of_path(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/index_command_client") return Endpoint::command;
  if (path == "/index_video_client") return Endpoint::video;
  return Endpoint::none;
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& s = *impl_;
  const ServerOptions& o = s.options;
  const std::string where = (o.bind.empty() ? std::string("0.0.0.0") : o.bind) + ":" + std::to_string(o.port);
  require(o.port >= 0 && o.port <= 65535, "cannot listen on " + where + ": port out of range");
  require(o.max_message_bytes > 0, "server: max_message_bytes must be positive");
  require(o.max_pending_commands > 0, "server: max_pending_commands must be positive");
  require(o.max_connections > 0, "server: max_connections must be positive");
  require(o.ping_seconds >= 1 && o.ping_seconds <= UINT16_MAX, "server: ping_seconds must be 1 to 65535");
  if (!o.basic_auth.empty()) check_basic_auth(o.basic_auth);
  require(std::all_of(o.token.begin(), o.token.end(),
                      [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) ||
                               std::string_view("-._~").find(c) != std::string_view::npos;
                      }),
          "--token may hold only letters, digits and -._~");
  for (const std::string& origin : o.allowed_origins)
    require(auth::valid_origin_pattern(origin),
            "--allow-origin '" + origin + "' is not an origin: give http(s)://host[:port], null or *");
  const std::string address = o.bind.empty() ? std::string("0.0.0.0") : o.bind;
  const bool open_to_network = !net::is_loopback(o.bind) && o.basic_auth.empty() && o.token.empty();
  require(!open_to_network || o.insecure,
          "refusing to serve " + address + " without --auth or --token; pass --insecure to do it anyway");
  require(o.tls_cert.empty() == o.tls_key.empty(), "server: TLS needs both a certificate and a key");
  s.tls = !o.tls_cert.empty();
  require(!s.tls || LIBINDEX_WITH_TLS, "server: this build has no TLS (configured with -DLIBINDEX_WITH_TLS=OFF)");
  if (s.tls) {
    require(readable(o.tls_cert), "cannot read TLS certificate '" + o.tls_cert + "'");
    require(readable(o.tls_key), "cannot read TLS key '" + o.tls_key + "'");
  }
  if (!o.web_root.empty()) {
    std::error_code ec;
    require(std::filesystem::is_directory(o.web_root, ec), "web root '" + o.web_root + "' is not a folder");
    s.web_root = std::filesystem::absolute(o.web_root).lexically_normal().string();
  }

  quiet_libwebsockets();

  // One protocol for HTTP and both WebSocket endpoints: browsers open the endpoints by path
  // without a subprotocol, so lws binds them all to protocol 0 and ESTABLISHED sorts them by path.
  s.protocols[0] = {};
  s.protocols[0].name = "libindex";
  s.protocols[0].callback = server_callback;
  s.protocols[0].per_session_data_size = sizeof(SessionData);
  s.protocols[0].rx_buffer_size = 64 * 1024;

  for (const auto& [ext, type] : kMimeTypes) s.mimetypes.push_back({nullptr, nullptr, ext, type});
  for (size_t i = 0; i + 1 < s.mimetypes.size(); ++i) s.mimetypes[i].next = &s.mimetypes[i + 1];
  s.mount.mountpoint = "/";
  s.mount.mountpoint_len = 1;
  s.mount.origin = s.web_root.c_str();
  s.mount.def = "index.html";
  s.mount.origin_protocol = LWSMPRO_FILE;
  s.mount.extra_mimetypes = s.mimetypes.data();

  // Ping a socket after ping_seconds of silence: proxies that cut idle connections (nginx's default
  // is 60 s) see traffic. A client that does not read (a notebook between cells, a script that
  // sleeps) cannot answer the ping, yet is alive: it is not hung up on for that (the longest wait
  // lws allows, 18 h). TCP keepalive finds the peers that are gone (a host that died or left the
  // network: ~2 min), and a client whose replies pile up unread is cut off by its outbox limit.
  s.retry.secs_since_valid_ping = uint16_t(o.ping_seconds);
  s.retry.secs_since_valid_hangup = UINT16_MAX;

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  // VALIDATE_UTF8: a text frame (or close reason) that is not UTF-8 fails the connection with close
  // code 1007, as RFC 6455 section 8.1 requires; lws checks it as the frame arrives.
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                 (s.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
  // An IPv4 bind ("0.0.0.0" included) gets an IPv4 socket: no dependence on the host having IPv6.
  if (net::is_ipv4(o.bind)) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.user = &s;
  info.max_http_header_data = 8192; // browsers send more than the 1 KiB default (cookies, auth)
  info.pt_serv_buf_size = 64 * 1024;
  info.fd_limit_per_thread = socket_limit(o.max_connections);
  info.ka_time = 60, info.ka_probes = 4, info.ka_interval = 15; // TCP keepalive: see the retry policy
  s.context = lws_create_context(&info);
  require(s.context != nullptr, "cannot listen on " + where + ": libwebsockets cannot create its context");

  lws_context_creation_info vhost;
  std::memset(&vhost, 0, sizeof(vhost));
  vhost.options = info.options;
  vhost.vhost_name = "libindex";
  vhost.port = o.port;
  vhost.iface = net::is_wildcard(o.bind) ? nullptr : o.bind.c_str();
  vhost.protocols = s.protocols;
  vhost.mounts = s.web_root.empty() ? nullptr : &s.mount;
  vhost.retry_and_idle_policy = &s.retry;
  vhost.alpn = "http/1.1"; // no h2: WebSocket upgrades and the 401 replies stay plain HTTP/1.1
  if (s.tls) {
    vhost.ssl_cert_filepath = o.tls_cert.c_str();
    vhost.ssl_private_key_filepath = o.tls_key.c_str();
  }
  std::string captured;
  g_capture = &captured;
  s.vhost = lws_create_vhost(s.context, &vhost);
  g_capture = nullptr;
  if (!s.vhost) {
    lws_context_destroy(s.context);
    s.context = nullptr;
    const std::string why = net::why_listen_fails(o.bind, o.port);
    const std::string lws_says = first_reason(captured);
    throw Error("cannot listen on " + where + ": " +
                (s.tls && why.rfind("libwebsockets", 0) == 0
                     ? "TLS setup failed (check '" + o.tls_cert + "' and '" + o.tls_key + "'" +
                           (lws_says.empty() ? std::string() : ": " + lws_says) + ")"
                     : why));
  }
  if (!captured.empty()) std::fprintf(stderr, "[viewer] warning: %s", captured.c_str()); // made, but said something
  s.port = lws_get_vhost_listen_port(s.vhost);
  if (open_to_network)
    std::fprintf(stderr,
                 "[viewer] warning: serving %s:%d without --auth or --token (--insecure): whoever reaches it "
                 "drives the viewer\n",
                 address.c_str(), s.port);
}

Server::~Server() {
  stop();
  // Destroying the context closes every connection; their CLOSED callbacks still use *impl_.
  if (impl_->context) lws_context_destroy(impl_->context);
}

void Server::start() {
  Impl& s = *impl_;
  if (s.thread.joinable()) return;
  s.stopping = false;
  s.thread = std::thread([&s] {
    while (!s.stopping.load()) {
      if (lws_service(s.context, 0) < 0) break;
    }
  });
}

void Server::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  s.stopping = true;
  lws_cancel_service(s.context);
  s.thread.join();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  return std::string(impl_->tls ? "https://" : "http://") + net::usable_host(impl_->options.bind) + ":" +
         std::to_string(impl_->port) + "/";
}

std::vector<Server::Command> Server::take_commands() {
  Impl& s = *impl_;
  std::vector<Command> taken;
  {
    std::lock_guard lock(s.mutex); // guards inbox, outboxes, inbox_drained
    taken.swap(s.inbox);
    if (taken.empty()) return taken;
    for (auto& [id, box] : s.outboxes) box.pending_commands = box.pending_bytes = 0;
    s.inbox_drained = true;
  }
  lws_cancel_service(s.context); // resume reading from clients paused for sending too much
  return taken;
}

bool Server::wait_for_commands(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex); // guards inbox
  return s.commands_waiting.wait_for(lock, timeout, [&] { return !s.inbox.empty(); });
}

void Server::reply(uint64_t connection, std::string text) {
  Impl& s = *impl_;
  OutPtr m = make_text_message(text);
  {
    std::lock_guard lock(s.mutex); // guards outboxes, dirty
    const auto it = s.outboxes.find(connection);
    if (it == s.outboxes.end()) return; // the client has gone
    Impl::Outbox& box = it->second;
    if (box.bytes + m->size() > kMaxOutboxBytes)
      box.overflowed = true; // it stopped reading: drop it
    else
      box.bytes += m->size(), box.queue.push_back(std::move(m));
    s.dirty.push_back(connection);
  }
  lws_cancel_service(s.context);
}

void Server::broadcast_text(std::string text) {
  Impl& s = *impl_;
  OutPtr m = make_text_message(text); // one buffer shared by every connection
  {
    std::lock_guard lock(s.mutex); // guards outboxes, dirty
    if (s.outboxes.empty()) return;
    for (auto& [id, box] : s.outboxes) {
      if (!box.notifications) continue;
      if (box.bytes + m->size() > kMaxOutboxBytes)
        box.overflowed = true;
      else
        box.bytes += m->size(), box.queue.push_back(m);
      s.dirty.push_back(id);
    }
  }
  lws_cancel_service(s.context);
}

void Server::publish_frame(std::shared_ptr<const std::vector<uint8_t>> header_and_payload) {
  require(header_and_payload != nullptr, "publish_frame: no frame");
  unpack(*header_and_payload); // throws on a message the browser could not read
  auto m = std::make_shared<OutMessage>();
  m->storage.resize(kWsHeadroom + header_and_payload->size());
  std::memcpy(m->storage.data() + kWsHeadroom, header_and_payload->data(), header_and_payload->size());
  impl_->publish(std::move(m));
}

void Server::publish_encoded(VideoHeader header, EncodedFrame&& frame) {
  header.encoding = frame.encoding;
  header.width = uint32_t(frame.width);
  header.height = uint32_t(frame.height);
  auto m = std::make_shared<OutMessage>();
  if (frame.prefix >= kVideoMessagePrefix) { // room for header and headroom: use the buffer as it is
    m->offset = frame.prefix - kVideoHeaderSize;
    m->storage = std::move(frame.buffer);
  } else {
    const auto image = frame.image();
    m->storage.resize(kVideoMessagePrefix + image.size());
    std::memcpy(m->storage.data() + kVideoMessagePrefix, image.data(), image.size());
  }
  pack(header, std::span<uint8_t, kVideoHeaderSize>(m->data(), kVideoHeaderSize));
  impl_->publish(std::move(m));
}

void Server::publish_frame_buffer(std::vector<uint8_t>&& buffer) {
  try {
    require(buffer.size() >= kWsHeadroom, "buffer shorter than its headroom");
    unpack(std::span<const uint8_t>(buffer).subspan(kWsHeadroom));
  } catch (const Error& e) {
    throw Error(std::string("publish_frame_buffer: ") + e.what() +
                " (expected kWsHeadroom spare bytes, then the header: encode with prefix kVideoMessagePrefix and "
                "pack at kWsHeadroom, or use publish_encoded)");
  }
  auto m = std::make_shared<OutMessage>();
  m->storage = std::move(buffer);
  impl_->publish(std::move(m));
}

void Server::Impl::publish(OutPtr frame) {
  {
    std::lock_guard lock(mutex);     // guards latest_frame, latest_seq
    latest_frame = std::move(frame); // the previous frame lives on only where a client is sending it
    ++latest_seq;
  }
  lws_cancel_service(context);
}

Server::ClientStats Server::stats() const {
  const Impl& s = *impl_;
  return {s.command_clients.load(), s.video_clients.load(), s.frames_sent.load(), s.frames_skipped.load(),
          s.connection_count.load()};
}

} // namespace libindex::streaming
