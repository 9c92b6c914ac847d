// SPDX-License-Identifier: Apache-2.0
#include "frame_time_responder.h"

#include <chrono>
#include <iostream>
#include <iterator>

namespace libindex {

FrameTimeResponder::FrameTimeResponder(streaming::Server& server, const streaming::RpcDispatcher& rpc, Answer answer,
                                       Tick tick)
    : server_(server), rpc_(rpc), answer_(std::move(answer)), tick_(std::move(tick)), thread_([this] { run(); }) {}

FrameTimeResponder::~FrameTimeResponder() {
  {
    std::lock_guard lock(wake_mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void FrameTimeResponder::begin_frame(std::set<uint64_t> held) {
  {
    std::lock_guard busy(busy_); // the thread is idle: nothing is being answered between frames
    handed_back_connections_ = std::move(held);
  }
  {
    std::lock_guard lock(wake_mutex_);
    frame_start_ = std::chrono::steady_clock::now();
    active_ = true;
  }
  wake_.notify_one();
}

std::vector<FrameTimeResponder::Command> FrameTimeResponder::end_frame() {
  active_ = false;
  std::lock_guard busy(busy_); // a command being answered finishes first
  handed_back_connections_.clear();
  return std::exchange(handed_back_, {});
}

void FrameTimeResponder::run() {
  for (;;) {
    {
      std::unique_lock lock(wake_mutex_);
      wake_.wait(lock, [this] { return active_ || quit_; });
      if (quit_) return;
    }
    std::chrono::steady_clock::time_point start;
    {
      std::lock_guard lock(wake_mutex_);
      start = frame_start_;
    }
    if (tick_ && active_) tick_(std::chrono::steady_clock::now() - start);
    // Short, so that the thread goes back to sleep soon after the frame ends.
    if (!server_.wait_for_commands(std::chrono::milliseconds(20))) continue;
    std::lock_guard busy(busy_);
    if (active_) take(server_.take_commands());
  }
}

std::vector<streaming::Server::Command>
take_answerable(std::deque<streaming::Server::Command>& queue, std::set<uint64_t>& blocked,
                const std::function<bool(const streaming::Server::Command&)>& collective) {
  std::vector<streaming::Server::Command> now;
  std::deque<streaming::Server::Command> left;
  for (streaming::Server::Command& c : queue) {
    if (blocked.count(c.connection) || collective(c)) {
      blocked.insert(c.connection);
      left.push_back(std::move(c));
    } else {
      now.push_back(std::move(c));
    }
  }
  queue = std::move(left);
  return now;
}

void FrameTimeResponder::take(std::vector<Command> commands) {
  std::deque<Command> queue(std::make_move_iterator(commands.begin()), std::make_move_iterator(commands.end()));
  // Between frames every command goes back to the main thread, which answers them in order.
  const std::vector<Command> now =
      active_ ? take_answerable(queue, handed_back_connections_,
                                [this](const Command& c) { return rpc_.waits_for_frame(c.text); })
              : std::vector<Command>{};
  for (Command& c : queue) {
    handed_back_connections_.insert(c.connection);
    handed_back_.push_back(std::move(c));
  }
  for (const Command& c : now) {
    try {
      answer_(c);
    } catch (const std::exception& e) { // the dispatcher never throws; a reply that cannot be queued may
      std::cerr << "[viewer] a command could not be answered: " << e.what() << std::endl;
    }
  }
}

} // namespace libindex
