// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Answers clients while the head renders: a long frame, snapshot or movie delays no reply.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/streaming/server.h"

namespace libindex {

/// The rule of order both of the head's threads keep: each client's replies come in the order it
/// asked, and no client waits for another's collective call. Moves out of `queue` (in arrival order)
/// the commands that can be answered now, in order: those that run nothing collective
/// (`collective(command)` false) from a connection that is not `blocked` and has no earlier command
/// left in the queue. The connections of the commands left are added to `blocked`.
std::vector<streaming::Server::Command>
take_answerable(std::deque<streaming::Server::Command>& queue, std::set<uint64_t>& blocked,
                const std::function<bool(const streaming::Server::Command&)>& collective);

/// A thread of the head's that answers commands between begin_frame() and end_frame(), while the
/// main thread renders a frame or runs a method marked waits_for_frame (a snapshot, a movie, a
/// cluster query). MPI stays on the main thread (MPI_THREAD_FUNNELED), so a command calling such a
/// method is handed back to it, and so is every later command of the same connection, which keeps
/// each client's replies in the order it asked.
class FrameTimeResponder {
 public:
  using Command = streaming::Server::Command;
  /// Answers one command and sends what it owes. It takes the session state's lock itself, for
  /// each call that reads or changes the state, and never across a collective step.
  using Answer = std::function<void(const Command&)>;
  /// Called at least every 20 ms while a frame renders, with the time since it began (progress).
  using Tick = std::function<void(std::chrono::steady_clock::duration)>;

  FrameTimeResponder(streaming::Server& server, const streaming::RpcDispatcher& rpc, Answer answer, Tick tick = {});
  ~FrameTimeResponder();
  FrameTimeResponder(const FrameTimeResponder&) = delete;
  FrameTimeResponder& operator=(const FrameTimeResponder&) = delete;

  /// The main thread starts a frame: commands are answered from now on, but those of the `held`
  /// connections are handed back (the main thread still has earlier commands of theirs to answer).
  void begin_frame(std::set<uint64_t> held = {});
  /// The frame is done: returns once no command is being answered, with the commands left for the
  /// main thread, in arrival order.
  std::vector<Command> end_frame();

 private:
  void run();
  /// Answers or hands back each of `commands` (holding busy_).
  void take(std::vector<Command> commands);

  streaming::Server& server_;
  const streaming::RpcDispatcher& rpc_;
  Answer answer_;
  Tick tick_;
  std::chrono::steady_clock::time_point frame_start_; ///< written before active_ is set

  std::mutex wake_mutex_; ///< guards the sleep between frames
  std::condition_variable wake_;
  std::atomic<bool> active_{false}, quit_{false};
  std::mutex busy_; ///< held from taking commands to answering them; guards the two below
  std::vector<Command> handed_back_;
  std::set<uint64_t> handed_back_connections_;
  std::thread thread_; ///< last: starts once everything above exists
};

} // namespace libindex
