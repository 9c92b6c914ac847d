// SPDX-License-Identifier: Apache-2.0
#include "job_link.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "libindex/error.h"

namespace libindex::cluster {
namespace {

constexpr uint64_t kMaxPayload = uint64_t(1) << 32; // 4 GiB: a 16K x 16K float image
constexpr size_t kReadChunk = size_t(16) << 20;     // a payload grows as it arrives, not as announced
constexpr double kMessageGrace = 5.0;               // the least time the rest of a begun message gets

/// Keepalive after 2 s idle, then a probe a second, dropped after 3 unanswered: a lost node ends a
/// link in about 5 s, while a long frame (data flowing or not) does not.
void tune(int fd) {
  const int on = 1, idle = 2, interval = 1, count = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

std::string peer_name(int fd) {
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return "?";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&a), n, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return std::string(host) + ":" + port;
}

/// Waits for `events` on fd; false on timeout (timeout_s < 0: no timeout).
bool wait_for(int fd, short events, double timeout_s) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = poll(&p, 1, timeout_s < 0 ? -1 : int(timeout_s * 1000));
    if (rc >= 0) return rc > 0;
    if (errno != EINTR) return true; // let the read or write report it
  }
}

using Clock = std::chrono::steady_clock;

/// Seconds left until `deadline` (nullopt: none), at least 0; -1 for no deadline.
double seconds_left(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  return std::max(0.0, std::chrono::duration<double>(*deadline - Clock::now()).count());
}

/// Reads `n` bytes by `deadline`: a peer that stops in the middle of a message (stopped, swapping,
/// cut off by the network while its socket stays open) fails the read instead of holding this side.
void read_exactly(int fd, uint8_t* out, size_t n, const std::string& peer, std::optional<Clock::time_point> deadline) {
  while (n > 0) {
    const ssize_t got = ::recv(fd, out, n, MSG_DONTWAIT);
    if (got == 0) throw Error("the link to " + peer + " was closed by the other side");
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) { // nothing there yet: wait, until the deadline
        if (!wait_for(fd, POLLIN, seconds_left(deadline)))
          throw Error("the link to " + peer + " stalled in the middle of a message (" + std::to_string(n) +
                      " bytes still to come)");
        continue;
      }
      throw Error("the link to " + peer + " failed: " + std::strerror(errno));
    }
    out += got, n -= size_t(got);
  }
}

} // namespace

std::string to_string(Message m) {
  switch (m) {
  case Message::hello:
    return "hello";
  case Message::welcome:
    return "welcome";
  case Message::refused:
    return "refused";
  case Message::op:
    return "op";
  case Message::image:
    return "image";
  case Message::rank_info:
    return "rank_info";
  case Message::failed:
    return "failed";
  case Message::bye:
    return "bye";
  case Message::statistics:
    return "statistics";
  }
  return "message " + std::to_string(uint32_t(m));
}

Link::Link(int fd) : fd_(fd), peer_(peer_name(fd)) { tune(fd_); }
Link::~Link() {
  if (fd_ >= 0) ::close(fd_);
}
Link::Link(Link&& o) noexcept : fd_(o.fd_), peer_(std::move(o.peer_)), send_stall_s_(o.send_stall_s_) { o.fd_ = -1; }
Link& Link::operator=(Link&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_, peer_ = std::move(o.peer_), send_stall_s_ = o.send_stall_s_;
    o.fd_ = -1;
  }
  return *this;
}

Link Link::connect(const std::string& host, int port, double timeout_s) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC, hints.ai_socktype = SOCK_STREAM;
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    throw Error("cannot reach " + where + ": " + gai_strerror(rc));
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_for(fd, POLLOUT, timeout_s)) {
        why = "no answer within " + std::to_string(int(timeout_s)) + " s";
        ::close(fd);
        continue;
      }
      int error = 0;
      socklen_t n = sizeof error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &n);
      rc = error ? -1 : 0;
      errno = error;
    }
    if (rc == 0) {
      freeaddrinfo(found);
      return Link(fd);
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  throw Error("cannot reach " + where + ": " + why);
}

void Link::send(Message type, std::span<const uint8_t> payload) {
  uint8_t header[12];
  const uint32_t t = uint32_t(type);
  const uint64_t n = payload.size();
  std::memcpy(header, &t, 4), std::memcpy(header + 4, &n, 8);
  const std::span<const uint8_t> parts[2] = {{header, 12}, payload};
  for (std::span<const uint8_t> part : parts) {
    const uint8_t* p = part.data();
    size_t left = part.size();
    while (left > 0) {
      const ssize_t sent = ::send(fd_, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!wait_for(fd_, POLLOUT, send_stall_s_))
            throw Error("the link to " + peer_ + " took nothing for " + std::to_string(int(send_stall_s_)) +
                        " s (the other side stopped reading)");
          continue;
        }
        throw Error("the link to " + peer_ + " failed: " + std::strerror(errno));
      }
      p += sent, left -= size_t(sent);
    }
  }
}

void Link::send(Message type, const std::string& text) {
  send(type, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<Received> Link::receive(double timeout_s, uint64_t max_payload) {
  const Clock::time_point start = Clock::now();
  if (!wait_for(fd_, POLLIN, timeout_s)) return std::nullopt;
  // Once a message began, all of it comes by the caller's deadline, or within a grace for a message
  // that began at its end.
  std::optional<Clock::time_point> deadline;
  if (timeout_s >= 0)
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(std::max(timeout_s, kMessageGrace)));
  uint8_t header[12];
  read_exactly(fd_, header, 12, peer_, deadline);
  uint32_t t = 0;
  uint64_t n = 0;
  std::memcpy(&t, header, 4), std::memcpy(&n, header + 4, 8);
  if (t < uint32_t(Message::hello) || t > uint32_t(Message::statistics) || n > kMaxPayload) {
    // A web server's answer, typically: the viewer's HTTP port given where its attach port belongs.
    if (std::all_of(header, header + 12, [](uint8_t c) { return std::isprint(c) || std::isspace(c); })) {
      std::string text(header, header + 12);
      std::replace_if(
          text.begin(), text.end(), [](char c) { return std::isspace(uint8_t(c)); }, ' ');
      throw Error(peer_ + " is not a libindex session's attach port: it answered in text (\"" + text +
                  "...\"), as a web server does; the attach port is in the session's record (index-slurm --list)");
    }
    throw Error("the link to " + peer_ + " carried a message this side does not speak (type " + std::to_string(t) +
                ", " + std::to_string(n) + " bytes): both jobs must run the same libindex");
  }
  if (n > max_payload)
    throw Error("the link to " + peer_ + " announced a " + to_string(Message(t)) + " of " + std::to_string(n) +
                " bytes, more than the " + std::to_string(max_payload) + " taken here");
  Received r{Message(t), {}};
  while (r.payload.size() < n) { // grown as the bytes come: an announced size costs nothing until sent
    const size_t at = r.payload.size(), part = size_t(std::min<uint64_t>(n - at, kReadChunk));
    r.payload.resize(at + part);
    read_exactly(fd_, r.payload.data() + at, part, peer_, deadline);
  }
  return r;
}

bool Link::broken() {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP)) return true;
  uint8_t byte;
  const ssize_t got = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

Listener::Listener(const std::string& bind, int port) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC, hints.ai_socktype = SOCK_STREAM, hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  const std::string address = bind.empty() ? "127.0.0.1" : bind;
  if (const int rc = getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    throw Error("attach listener: bad address " + address + ": " + gai_strerror(rc));
  fd_ = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const int on = 1;
  if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const bool ok = fd_ >= 0 && ::bind(fd_, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd_, 16) == 0;
  freeaddrinfo(found);
  if (!ok) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw Error("attach listener: cannot listen on " + address + ":" + std::to_string(port) + ": " + why);
  }
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
  port_ = a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port)
                                  : ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Link> Listener::accept(double timeout_s) {
  if (!wait_for(fd_, POLLIN, timeout_s)) return std::nullopt;
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return std::nullopt;
  return Link(fd);
}

} // namespace libindex::cluster
