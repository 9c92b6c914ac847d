// SPDX-License-Identifier: Apache-2.0
#include "attached_serve.h"

#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "libindex/follower.h"
#include "../op_channel.h"
#include "job_image.h"
#include "job_link.h"
#include "libindex/error.h"
#include "rank_info_json.h"

namespace libindex::cluster {

namespace {

/// host:port -> {host, port}; throws libindex::Error naming the text.
std::pair<std::string, int> split_address(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  try {
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("no port");
    size_t used = 0;
    port = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1 || port < 1 || port > 65535) throw std::invalid_argument("bad port");
  } catch (const std::exception&) {
    throw Error("--attach " + address + ": expected host:port");
  }
  return {address.substr(0, colon), port};
}

/// Connects and presents the token; returns the link once the session welcomed this job.
Link join(const ServeOptions& o, const std::vector<std::string>& hosts) {
  const auto [host, port] = split_address(o.attach_to);
  Link link = Link::connect(host, port, 10.0);
  link.send(
      Message::hello,
      nlohmann::json{{"token", o.attach_token}, {"job", o.job_name}, {"ranks", int(hosts.size())}, {"hosts", hosts}}
          .dump());
  const std::optional<Received> reply = link.receive(15.0);
  if (!reply) throw Error("the session at " + o.attach_to + " did not answer within 15 s");
  if (reply->type == Message::refused)
    throw Error("the session at " + o.attach_to + " refused this job: " + reply->text());
  if (reply->type != Message::welcome)
    throw Error("the session at " + o.attach_to + " answered " + to_string(reply->type) + " instead of welcome");
  return link;
}

} // namespace

void serve_attached(MPI_Comm comm, const ServeOptions& o, const std::vector<std::string>& hosts,
                    const std::function<bool()>& stopping) {
  Session session(comm, o.session); // collective with the other ranks' follow_ops
  OpChannel channel(session.comm());
  Follower follower(session, o.session.backend);
  const auto release_ranks = [&] {
    Op quit;
    quit.kind = Op::Kind::quit;
    channel.send(quit);
  };
  std::optional<Link> link;
  try {
    link.emplace(join(o, hosts));
  } catch (...) {
    release_ranks();
    throw;
  }
  std::cout << "[viewer] job " << o.job_name << " attached to the session at " << o.attach_to << " with "
            << hosts.size() << (hosts.size() == 1 ? " rank" : " ranks") << std::endl;
  for (;;) {
    if (stopping()) {
      try {
        link->send(Message::bye, std::string("the job was stopped (SIGTERM)"));
      } catch (const std::exception&) { // the session is gone too
      }
      release_ranks();
      std::cout << "[viewer] job " << o.job_name << " left the session" << std::endl;
      return;
    }
    try {
      const std::optional<Received> m = link->receive(0.2);
      if (!m) continue;
      if (m->type == Message::bye) {
        std::cout << "[viewer] the session let job " << o.job_name << " go: " << m->text() << std::endl;
        release_ranks();
        return;
      }
      if (m->type != Message::op) throw Error("the session sent " + to_string(m->type) + " where an op belongs");
      const Op op = decode(m->payload);
      channel.send(op); // the job's ranks follow it as in any session
      if (op.kind == Op::Kind::quit) return;
      try {
        if (op.kind == Op::Kind::rank_info) {
          follower.follow(op);
          link->send(Message::rank_info, to_json(follower.rank_info()).dump());
        } else if (op.kind == Op::Kind::statistics || op.kind == Op::Kind::statistics_over) {
          follower.follow(op);
          const ValueStatistics& s = follower.statistics();
          nlohmann::json values{{"count", s.count}, {"non_finite", s.non_finite}};
          if (!s.empty()) values["min"] = s.min, values["max"] = s.max;
          if (op.kind == Op::Kind::statistics_over) values["histogram"] = s.histogram;
          link->send(Message::statistics, values.dump());
        } else if (op.kind == Op::Kind::frame) {
          follower.follow(op);
          link->send(Message::image, encode_job_images(follower.take_part_images()));
        } else {
          follower.follow(op);
        }
      } catch (const Error& e) { // agreed on by this job's ranks: the session reports it
        link->send(Message::failed, std::string(e.what()));
      }
    } catch (const std::exception& e) {
      release_ranks();
      throw Error("job " + o.job_name + ": the session's head is gone or broke the link (" + e.what() + ")");
    }
  }
}

} // namespace libindex::cluster
