// SPDX-License-Identifier: Apache-2.0
#include "attached_jobs.h"

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "libindex/error.h"

namespace libindex::cluster {
using nlohmann::json;

namespace {
/// Compares without stopping at the first difference, so the time taken does not tell how much of
/// a guessed token was right.
bool same_secret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= uint8_t(given[i] ^ expected[i % std::max<size_t>(1, expected.size())]);
  return diff == 0 && !expected.empty();
}
} // namespace

std::string Event::describe() const {
  std::string hosts_text;
  for (const std::string& h : hosts) hosts_text += (hosts_text.empty() ? "" : ",") + h;
  const char* what = kind == Kind::joined ? "joined" : kind == Kind::left ? "left" : "was lost";
  return "job " + job + " (" + std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks") + " on " + hosts_text + ") " +
         what + (why.empty() ? "" : ": " + why);
}

AttachedJobs::AttachedJobs(const std::string& bind, int port, std::string token)
    : listener_(bind, port), token_(std::move(token)), thread_([this] { accept_loop(); }) {}

AttachedJobs::~AttachedJobs() {
  stop_.store(true);
  thread_.join();
  release_all();
}

void AttachedJobs::accept_loop() {
  while (!stop_.load()) {
    std::optional<Link> link = listener_.accept(0.2);
    if (!link) continue;
    try {
      greet(std::move(*link));
    } catch (const std::exception& e) {
      std::cerr << "[viewer] an attaching job was turned away: " << e.what() << std::endl;
    }
  }
}

/// Reads the job's hello (all of it within 5 s, at most 64 KiB: anyone who reaches the port may
/// send one, before any token is checked), checks its token and answers; a welcome job waits for the
/// next frame boundary in arriving_.
void AttachedJobs::greet(Link link) {
  const std::optional<Received> hello = link.receive(5.0, 64 * 1024);
  if (!hello || hello->type != Message::hello) throw Error("no hello from " + link.peer() + " within 5 s");
  link.set_send_stall(30.0);
  Job job{"", 1, {}, std::move(link), {}, -1};
  try {
    const json j = json::parse(hello->text());
    if (!same_secret(j.at("token").get<std::string>(), token_)) {
      job.link.send(Message::refused, std::string("wrong token: this session's record holds another"));
      throw Error("wrong token from " + job.link.peer());
    }
    job.id = j.at("job").get<std::string>();
    job.ranks = j.at("ranks").get<int>();
    job.hosts = j.at("hosts").get<std::vector<std::string>>();
    if (job.ranks < 1 || int(job.hosts.size()) != job.ranks)
      throw Error("a hello with " + std::to_string(job.ranks) + " ranks and " + std::to_string(job.hosts.size()) +
                  " hosts");
  } catch (const json::exception& e) {
    job.link.send(Message::refused, std::string("a malformed hello: ") + e.what());
    throw Error("a malformed hello from " + job.link.peer() + ": " + e.what());
  }
  job.link.send(Message::welcome, json{{"job", job.id}}.dump());
  std::lock_guard lock(mutex_);
  arriving_.push_back(std::move(job));
}

std::vector<Event> AttachedJobs::poll() {
  std::vector<Event> events;
  for (size_t i = 0; i < jobs_.size();) {
    Job& job = jobs_[i];
    if (!job.link.broken()) {
      // A goodbye between frames (the job was cancelled) is the only message an idle link carries.
      std::optional<Received> message;
      try {
        message = job.link.receive(0);
      } catch (const std::exception& e) {
        events.push_back(drop(i, Event::Kind::lost, e.what()));
        continue;
      }
      if (!message) {
        ++i;
        continue;
      }
      events.push_back(drop(i, message->type == Message::bye ? Event::Kind::left : Event::Kind::lost,
                            message->type == Message::bye ? message->text() : "it sent " + to_string(message->type)));
      continue;
    }
    events.push_back(drop(i, Event::Kind::lost, "its link closed"));
  }
  std::vector<Job> arrived;
  {
    std::lock_guard lock(mutex_);
    arrived.swap(arriving_);
  }
  for (Job& job : arrived) {
    for (const Job& other : jobs_)
      if (other.id == job.id) job.id += "+"; // two attaches from one job: keep both apart
    events.push_back({Event::Kind::joined, job.id, job.ranks, job.hosts, ""});
    jobs_.push_back(std::move(job));
  }
  return events;
}

Event AttachedJobs::drop(size_t index, Event::Kind kind, std::string why) {
  Job& job = jobs_.at(index);
  Event e{kind, job.id, job.ranks, job.hosts, std::move(why)};
  jobs_.erase(jobs_.begin() + long(index));
  return e;
}

std::vector<Event> AttachedJobs::for_each_job(const std::function<void(Job&)>& use) {
  std::vector<Event> dropped;
  for (size_t i = 0; i < jobs_.size();) {
    try {
      use(jobs_[i]);
      ++i;
    } catch (const std::exception& e) {
      dropped.push_back(drop(i, Event::Kind::lost, e.what()));
    }
  }
  return dropped;
}

std::vector<Event> AttachedJobs::for_each_reply(std::chrono::steady_clock::time_point deadline, const std::string& late,
                                                const std::function<void(Job&, const Received&)>& handle) {
  std::vector<Event> dropped;
  for (size_t i = 0; i < jobs_.size();) {
    try {
      const double left =
          std::max(0.0, std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
      const std::optional<Received> reply = jobs_[i].link.receive(left);
      if (!reply) throw Error(late);
      if (reply->type == Message::bye) {
        dropped.push_back(drop(i, Event::Kind::left, reply->text()));
        continue;
      }
      handle(jobs_[i], *reply);
      ++i;
    } catch (const std::exception& e) {
      dropped.push_back(drop(i, Event::Kind::lost, e.what()));
    }
  }
  return dropped;
}

void AttachedJobs::release_all() {
  for (Job& job : jobs_) {
    try {
      job.link.send(Message::bye, std::string("the session ended"));
    } catch (const std::exception&) { // already gone
    }
  }
  jobs_.clear();
}

const KdTree* AttachedJobs::assign_parts(const Box3i& volume, int own_ranks) {
  std::vector<int> weights{own_ranks};
  for (const Job& job : jobs_) weights.push_back(job.ranks);
  if (!(volume == tree_volume_) || weights != tree_weights_) {
    tree_volume_ = volume, tree_weights_ = weights;
    tree_ = volume.empty() ? std::nullopt
                           : build_weighted_kdtree(volume, std::vector<double>(weights.begin(), weights.end()));
  }
  own_part_ = Box3i{};
  for (Job& job : jobs_) job.part = Box3i{};
  if (!tree_) return nullptr;
  if (!jobs_.empty()) {
    own_part_ = tree_->leaf_box(0);
    for (size_t i = 0; i < jobs_.size(); ++i) jobs_[i].part = tree_->leaf_box(int(i) + 1);
  }
  return &*tree_;
}

} // namespace libindex::cluster
