// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The TCP connection between a session's head and the head of a job attached to it (each job
/// is an MPI world of its own: MPI cannot join two Slurm jobs, see docs/slurm.md). Messages are a
/// 4-byte type, an 8-byte length and the payload; sends wait while the peer reads, receives wait at most
/// a given time, and a message that began must end in it.
/// TCP keepalive probes an idle link, so a lost node is noticed within seconds, and a peer's process
/// dying closes the socket at once (the kernel does it).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace libindex::cluster {

enum class Message : uint32_t {
  hello = 1,     ///< job -> session: JSON {token, job, ranks, hosts}
  welcome = 2,   ///< session -> job: JSON {job}
  refused = 3,   ///< session -> job: the reason, text
  op = 4,        ///< session -> job: an encoded Op for the job's ranks
  image = 5,     ///< job -> session: the job's composited images of its part (encode_job_images)
  rank_info = 6, ///< job -> session: JSON array of the job's ranks
  failed = 7,    ///< job -> session: the op failed on the job; the text says why
  bye = 8,       ///< either way: this side is leaving
  /// job -> session: JSON {count, non_finite, min, max} of the values of the job's part (a
  /// statistics op; min and max only when count > 0), with "histogram" (256 counts) for a
  /// statistics_over op
  statistics = 9,
};
std::string to_string(Message m);

struct Received {
  Message type;
  std::vector<uint8_t> payload;
  std::string text() const { return {payload.begin(), payload.end()}; }
};

class Link {
 public:
  explicit Link(int fd); ///< takes ownership
  ~Link();
  Link(Link&& other) noexcept;
  Link& operator=(Link&& other) noexcept;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Connects to host:port within `timeout_s`; throws libindex::Error "cannot reach host:port: why".
  static Link connect(const std::string& host, int port, double timeout_s);

  /// Throws libindex::Error when the peer is gone, or took nothing for the send stall's time.
  void send(Message type, std::span<const uint8_t> payload);
  void send(Message type, const std::string& text);
  /// The next message, or nullopt when none began within `timeout_s` (< 0: wait as long as it
  /// takes; the link's keepalive still ends a wait on a lost peer). A message that began must be
  /// whole by then (at least 5 s after the call), and announce at most `max_payload` bytes. Throws
  /// libindex::Error when the peer closed the connection, it failed or stalled, naming what happened.
  std::optional<Received> receive(double timeout_s, uint64_t max_payload = UINT64_MAX);
  /// Without waiting: whether the peer closed the connection or it failed (an idle link's check).
  bool broken();
  std::string peer() const { return peer_; }
  /// How long a send waits for a peer that reads nothing (< 0, the default: as long as it takes).
  /// The session gives its jobs 30 s, as their loops read an op as soon as it comes; a job waits on
  /// a session whose head may be rendering its own part for longer.
  void set_send_stall(double seconds) { send_stall_s_ = seconds; }

 private:
  int fd_ = -1;
  std::string peer_;
  double send_stall_s_ = -1;
};

/// A listening socket for attaching jobs.
class Listener {
 public:
  /// Listens on `bind` (an address) and `port` (0: any free one); throws libindex::Error.
  Listener(const std::string& bind, int port);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }
  /// The next connection within `timeout_s`, or nullopt.
  std::optional<Link> accept(double timeout_s);

 private:
  int fd_ = -1, port_ = 0;
};

} // namespace libindex::cluster
