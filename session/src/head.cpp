// SPDX-License-Identifier: Apache-2.0
#include "libindex/head.h"

#include <iostream>

#include "follower.h"
#include "op_channel.h"

namespace libindex {

Head::Head(MPI_Comm comm, SessionOptions options, SceneSpec scene, std::vector<std::string> data_roots) {
  session_ = std::make_unique<Session>(comm, options); // collective with follow_ops'
  channel_ = std::make_unique<OpChannel>(session_->comm());
  follower_ = std::make_unique<Follower>(*session_, options.backend);
  backend_name_ = session_->backend_name();
  state_.backend = options.backend;
  state_.data_roots = std::move(data_roots);
  try {
    state_.load_scene(std::move(scene));
  } catch (...) {
    quit(); // the others wait for an op: release them before reporting the error
    throw;
  }
}

Head::~Head() {
  if (!quit_sent_) {
    try {
      quit();
    } catch (const std::exception& e) {
      std::cerr << "[libindex] could not tell the ranks to quit: " << e.what() << std::endl;
    }
  }
}

Op Head::make_op(Op::Kind kind, const FrameParams& frame) const {
  Op op;
  op.kind = kind;
  op.scene_version = state_.scene_version;
  // The spec travels only when some rank has not built this version: the head's own applied
  // version stands for every rank, since scene errors are agreed on.
  if (follower_->scene_version() != state_.scene_version) op.scene = state_.spec;
  op.time_step = state_.time_step;
  op.next_step = state_.next_step();
  op.backend = state_.backend;
  op.frame = frame;
  op.frame.cancel = cancel_; // the head's own copy only: the op's binary form never carries it
  op.background = state_.view.background;
  return op;
}

void Head::send(Op& op) {
  const Colormap& m = op.frame.colormap;
  op.has_colormap = !sent_colormap_ || sent_colormap_->entries != m.entries ||
                    sent_colormap_->domain_min != m.domain_min || sent_colormap_->domain_max != m.domain_max ||
                    sent_colormap_->mode != m.mode;
  if (op.has_colormap) sent_colormap_ = m;
  channel_->send(op);
  ++ops_sent_;
}

Image Head::render(const FrameParams& frame) {
  Op op;
  {
    std::lock_guard lock(state_mutex_);
    op = make_op(Op::Kind::frame, frame);
  }
  send(op);
  const auto start = std::chrono::steady_clock::now();
  Image image = follower_->follow(op); // may throw: the statistics stay the last good frame's
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(state_mutex_);
  last_stats_ = session_->last_stats();
  backend_name_ = session_->backend_name(); // the frame may have switched it
  frame_seconds_.push_back(seconds);
  if (frame_seconds_.size() > 10) frame_seconds_.pop_front();
  return image;
}

Image Head::render_view(int interactive_divisor, bool* reduced) {
  FrameParams f;
  bool smaller = false;
  {
    std::lock_guard lock(state_mutex_);
    smaller = state_.interactive && interactive_divisor > 1;
    f = state_.frame;
    if (smaller) {
      f.width = std::max(1, f.width / interactive_divisor);
      f.height = std::max(1, f.height / interactive_divisor);
    }
    state_.dirty = false;
    state_.refine = smaller; // a reduced frame is followed by a full one once input stops
  }
  if (reduced) *reduced = smaller;
  return render(f);
}

std::vector<RankInfo> Head::rank_info() {
  Op op;
  {
    std::lock_guard lock(state_mutex_);
    op = make_op(Op::Kind::rank_info, state_.frame);
  }
  send(op);
  follower_->follow(op); // the head's part of the gather; it returns nothing
  return follower_->rank_info();
}

bool Head::rebalance() {
  Op op;
  {
    std::lock_guard lock(state_mutex_);
    op = make_op(Op::Kind::rebalance, state_.frame);
  }
  send(op);
  bool moved = false;
  follower_->follow(op, &moved);
  std::lock_guard lock(state_mutex_);
  state_.dirty = state_.dirty || moved;
  return moved;
}

void Head::quit() {
  if (quit_sent_) return;
  quit_sent_ = true;
  Op op;
  op.kind = Op::Kind::quit;
  send(op);
}

int Head::ranks() const { return session_->size(); }
long long Head::op_broadcasts() const { return channel_->broadcasts(); }

double Head::frames_per_second() const {
  double seconds = 0;
  for (double s : frame_seconds_) seconds += s;
  return seconds > 0 ? double(frame_seconds_.size()) / seconds : 0.0;
}

void follow_ops(MPI_Comm comm, const SessionOptions& options) {
  Session session(comm, options);
  OpChannel channel(session.comm());
  Follower follower(session, options.backend);
  for (;;) {
    Op op;
    try {
      op = channel.receive();
    } catch (const std::exception& e) {
      std::cerr << "[libindex] rank " << session.rank() << ": " << e.what() << "; aborting the job" << std::endl;
      MPI_Abort(comm, 1);
    }
    if (op.kind == Op::Kind::quit) return;
    try {
      follower.follow(op);
    } catch (const std::exception&) {
      // Every rank agreed on the error and the head reports it. Keep following.
    }
  }
}

} // namespace libindex
