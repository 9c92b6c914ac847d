// SPDX-License-Identifier: Apache-2.0
#include "libindex/head.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <iostream>

#include "cluster/attached_jobs.h"
#include "cluster/job_image.h"
#include "cluster/rank_info_json.h"
#include "libindex/follower.h"
#include "libindex/error.h"
#include "op_channel.h"

namespace libindex {

Head::Head(MPI_Comm comm, SessionOptions options, SceneSpec scene, std::vector<std::string> data_roots) {
  session_ = std::make_unique<Session>(comm, options); // collective with follow_ops'
  channel_ = std::make_unique<OpChannel>(session_->comm());
  follower_ = std::make_unique<Follower>(*session_, options.backend);
  backend_name_ = session_->backend_name();
  log_ = options.log;
  state_.backend = options.backend;
  state_.data_roots = std::move(data_roots);
  count_ranks();
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
  op.fit_domain = state_.fit_domain;
  op.frame.cancel = cancel_; // the head's own copy only: the op's binary form never carries it
  op.frame.progress = &progress_;
  op.background = state_.view.background;
  for (const auto& [index, other] : state_.other_colormaps)
    op.other_colormaps.emplace_back(uint32_t(index), other.colormap);
  // A session spanning several jobs: this job's ranks render their part (the same part in every op,
  // or the ranks would re-partition back and forth).
  if (jobs_ && !jobs_->jobs().empty() && state_.view.volume) {
    // Fewer voxels than jobs (a tiny volume) leave the parts empty: this job renders it alone.
    if (jobs_->assign_parts(io::partition_box(state_.view.scene, 0), session_->size())) op.part = jobs_->own_part();
  }
  return op;
}

void Head::send(Op& op) {
  const Colormap& m = op.frame.colormap;
  op.has_colormap = !sent_colormap_ || *sent_colormap_ != m;
  if (op.has_colormap) sent_colormap_ = m;
  channel_->send(op);
  ++ops_sent_;
}

Image Head::render(const FrameParams& frame, std::optional<Vec4f> background) {
  const auto start = std::chrono::steady_clock::now();
  const int scene_before = follower_->scene_version();
  progress_.reset();
  Image image = render_with_jobs(frame, background); // may throw: the statistics stay the last good frame's
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(state_mutex_);
  if (follower_->scene_version() == state_.scene_version) {
    // With jobs attached this job holds a part of the volume: the statistics are all jobs'.
    state_.statistics = rendered_with_jobs_ && jobs_statistics_ ? jobs_statistics_->second : follower_->statistics();
    state_.other_statistics = follower_->other_statistics();
    if (state_.fit_domain && follower_->fitted_domain()) { // the ranks used the data range: keep it
      const auto [lo, hi] = *follower_->fitted_domain();
      state_.frame.colormap.domain_min = lo, state_.frame.colormap.domain_max = hi;
      state_.fit_domain = false;
      if (log_) std::cerr << "[libindex] " << fitted_domain_message(state_.view, lo, hi) << std::endl;
    }
  }
  last_stats_ = session_->last_stats();
  stats_scene_version_ = follower_->scene_version();
  backend_name_ = session_->backend_name();         // the frame may have switched it
  if (follower_->scene_version() != scene_before) { // this frame read the scene's data
    frame_seconds_.clear();
    seconds = std::max(last_stats_.render_ms, 1.0) / 1000.0;
  }
  frame_seconds_.push_back(seconds);
  if (frame_seconds_.size() > 10) frame_seconds_.pop_front();
  return image;
}

namespace {
ClusterEvent to_event(const cluster::Event& e) {
  const char* kind = e.kind == cluster::Event::Kind::joined ? "joined"
                     : e.kind == cluster::Event::Kind::left ? "left"
                                                            : "lost";
  return {kind, e.job, e.ranks, e.hosts, e.why, e.describe()};
}
} // namespace

void Head::send_to_jobs(const Op& op, const SceneSpec& spec) {
  auto send_op = [&](cluster::Job& job) {
    Op for_job = op;
    for_job.part = job.part;
    for_job.other_grids = false; // volumes on other grids: this job's ranks draw them whole
    if (job.scene_version != op.scene_version) for_job.scene = spec; // a job builds each scene once
    job.scene_version = op.scene_version;
    for_job.has_colormap = true; // a job's ranks keep their own last colormap: send it whole
    job.link.send(cluster::Message::op, encode(for_job));
  };
  for (const cluster::Event& e : jobs_->for_each_job(send_op)) events_.push_back(to_event(e));
}

Image Head::render_with_jobs(const FrameParams& frame, std::optional<Vec4f> background) {
  for (;;) {
    count_ranks(); // a job lost since the last frame, or during this one, holds no part any more
    Op op;
    SceneSpec spec;
    // What the jobs' parts divide, read with the op: a client may load another scene while this frame
    // renders (the responder answers scene.load mid-frame), and the frame composites the op's parts.
    Box3i parted;
    {
      std::lock_guard lock(state_mutex_);
      // The scene was checked against the ranks it was loaded on; a job lost since (killed, its link
      // broken) leaves its part to ranks that may not hold it. Fail the frame with why, before any
      // rank allocates its larger part and the out-of-memory killer ends the whole session.
      state_.check_memory();
      op = make_op(Op::Kind::frame, frame);
      if (background) op.background = *background;
      spec = state_.spec;
      if (!op.part.empty()) parted = io::partition_box(state_.view.scene, 0);
    }
    const bool with_jobs = jobs_ && !jobs_->jobs().empty() && !op.part.empty();
    rendered_with_jobs_ = with_jobs;
    if (!with_jobs) {
      send(op);
      return follower_->follow(op);
    }
    // Each job knows the values of its own part only: the volume's statistics (and the domain a
    // scene without one is fitted to) come from all of them, once per volume and time step.
    const std::pair key{op.scene_version, op.time_step};
    if (op.fit_domain || !jobs_statistics_ || jobs_statistics_->first != key) {
      jobs_statistics_.reset();
      const ValueStatistics all = statistics_of_all_jobs(op, spec);
      if (!jobs_ || jobs_->jobs().empty()) continue; // every job left meanwhile: render alone
      jobs_statistics_ = {key, all};
    }
    if (op.fit_domain) {
      std::lock_guard lock(state_mutex_); // state_.view says whether the volume is a level set
      if (const auto range = data_domain_of(state_.view, 0, jobs_statistics_->second)) {
        op.frame.colormap.domain_min = range->first, op.frame.colormap.domain_max = range->second;
        op.fit_domain = false;
        if (state_.fit_domain && follower_->scene_version() == state_.scene_version) {
          state_.frame.colormap.domain_min = range->first, state_.frame.colormap.domain_max = range->second;
          state_.fit_domain = false;
          if (log_)
            std::cerr << "[libindex] " << fitted_domain_message(state_.view, range->first, range->second) << " of all "
                      << jobs_->jobs().size() + 1 << " jobs" << std::endl;
        }
      }
    }
    // Every job renders its part and composites its ranks; this head composites the jobs' images
    // front to back. MIP: every job hands back maxima of values, classified once at the end.
    op.frame.mip_output_values = op.frame.settings.mode == RenderMode::maximum_intensity;
    send(op);
    const size_t sent_to = jobs_->jobs().size();
    send_to_jobs(op, spec);
    bool lost = jobs_->jobs().size() != sent_to;
    std::vector<Image> own;
    std::string error;
    const auto sent = std::chrono::steady_clock::now();
    try {
      follower_->follow(op);
      own = follower_->take_part_images();
    } catch (const std::exception& e) {
      error = e.what();
    }
    // A job's part is about as much work as this job's: one that has not answered by hung_seconds
    // (10 s) plus five times this job's own time is hung (stopped, swapping, stuck), and is dropped
    // like a lost one.
    const double own_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    const double wait_seconds = acceptance_.hung_seconds + 5.0 * own_seconds;
    const auto deadline = sent + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(wait_seconds));
    // Every job's answer, also when this job's part failed: the next frame must not read this one's.
    std::vector<std::vector<Image>> images;
    const std::string late =
        "no image within " + std::to_string(int(std::ceil(wait_seconds))) + " s of the frame's start (hung?)";
    auto take_images = [&](cluster::Job& job, const cluster::Received& reply) {
      if (reply.type == cluster::Message::image) {
        images.push_back(cluster::decode_job_images(reply.payload, op.frame.width, op.frame.height));
        if (error.empty() && images.back().size() != own.size())
          error = "job " + job.id + " sent " + std::to_string(images.back().size()) + " images of its part, " +
                  std::to_string(own.size()) + " expected";
      } else if (reply.type == cluster::Message::failed) {
        if (error.empty()) error = "job " + job.id + ": " + reply.text();
        images.emplace_back();
      } else {
        throw Error("it sent " + cluster::to_string(reply.type) + " for a frame");
      }
    };
    for (const cluster::Event& e : jobs_->for_each_reply(deadline, late, take_images)) {
      events_.push_back(to_event(e));
      lost = true;
    }
    if (lost) continue; // re-partition over the jobs that remain and render the frame again
    if (!error.empty()) throw Error(error);
    const RenderSettings& st = op.frame.settings;
    const Vec3f eye = (op.frame.camera.from - st.translation) / st.scaling;
    const Vec3f dir = op.frame.camera.dir / st.scaling;
    const KdTree* tree = jobs_->assign_parts(parted, session_->size()); // the op's parts: cached
    require(tree != nullptr, "the volume's parts changed during the frame");
    const std::vector<int> order = visibility_order(*tree, eye, dir, op.frame.camera.orthographic);
    // Each image of the first grid composited over the jobs, front to back (leaf 0: this job).
    std::vector<Image> first_grid(own.size());
    for (size_t k = 0; k < own.size(); ++k)
      for (int leaf : order) {
        Image& part = leaf == 0 ? own[k] : images[size_t(leaf - 1)][k];
        if (first_grid[k].width() == 0)
          first_grid[k] = std::move(part);
        else
          cluster::blend_behind(first_grid[k], part, op.frame.mip_output_values);
      }
    return follower_->finish_parted_frame(op, std::move(first_grid));
  }
}

int Head::accept_jobs(JobAcceptance acceptance) {
  require(acceptance.hung_seconds > 0, "the time after which an attached job is hung must be positive");
  jobs_ = std::make_unique<cluster::AttachedJobs>(acceptance.bind, acceptance.port, acceptance.token);
  acceptance_ = std::move(acceptance);
  return jobs_->port();
}

std::vector<ClusterEvent> Head::poll_jobs() {
  std::vector<ClusterEvent> events = std::move(events_);
  events_.clear();
  if (!jobs_) return events;
  for (const cluster::Event& e : jobs_->poll()) events.push_back(to_event(e));
  count_ranks();
  return events;
}

void Head::count_ranks() {
  int ranks = session_->size();
  if (jobs_)
    for (const cluster::Job& j : jobs_->jobs()) ranks += j.ranks;
  std::lock_guard lock(state_mutex_);
  state_.ranks = ranks;
}

std::vector<JobInfo> Head::jobs() const {
  std::vector<JobInfo> out;
  if (!jobs_) return out;
  out.push_back({acceptance_.name, session_->size(), acceptance_.hosts, session_->part()});
  for (const cluster::Job& j : jobs_->jobs()) out.push_back({j.id, j.ranks, j.hosts, j.part});
  return out;
}

bool Head::detach(const std::string& id) {
  if (!jobs_) return false;
  std::vector<cluster::Job>& jobs = jobs_->jobs();
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].id != id) continue;
    try {
      jobs[i].link.send(cluster::Message::bye, std::string("cluster.detach"));
    } catch (const std::exception&) { // gone already: dropped either way
    }
    events_.push_back(to_event(jobs_->drop(i, cluster::Event::Kind::left, "cluster.detach")));
    count_ranks();
    return true;
  }
  return false;
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

namespace {

/// A job's answer to a statistics op (job_link.h `Message::statistics`).
ValueStatistics parse_statistics(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  ValueStatistics s;
  s.count = j.at("count").get<long long>();
  s.non_finite = j.value("non_finite", 0LL);
  if (s.count > 0) s.min = j.at("min").get<double>(), s.max = j.at("max").get<double>();
  if (j.contains("histogram")) {
    const auto bins = j.at("histogram").get<std::vector<long long>>();
    if (bins.size() != s.histogram.size())
      throw Error("it sent a histogram of " + std::to_string(bins.size()) + " bins");
    std::copy(bins.begin(), bins.end(), s.histogram.begin());
  }
  return s;
}

} // namespace

void Head::ask_all_jobs(Op& op, const SceneSpec& spec, const std::function<void(const ValueStatistics&)>& take) {
  send(op);
  send_to_jobs(op, spec);
  // This job's part, over its ranks. Should it fail, the jobs' answers are still taken, or the next
  // op would read them.
  std::exception_ptr failure;
  try {
    follower_->follow(op);
    take(follower_->statistics());
  } catch (...) {
    failure = std::current_exception();
  }
  auto take_reply = [&](cluster::Job&, const cluster::Received& reply) {
    if (reply.type == cluster::Message::failed) return; // its frame will say what went wrong
    if (reply.type != cluster::Message::statistics)
      throw Error("it sent " + cluster::to_string(reply.type) + " for statistics");
    take(parse_statistics(reply.text()));
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (const cluster::Event& e :
       jobs_->for_each_reply(deadline, "no value statistics within 120 s (hung?)", take_reply))
    events_.push_back(to_event(e));
  if (failure) std::rethrow_exception(failure);
}

ValueStatistics Head::statistics_of_all_jobs(const Op& frame_op, const SceneSpec& spec) {
  // First the range of all parts, then every job bins its values over it: their histograms add up.
  Op op = frame_op;
  op.kind = Op::Kind::statistics;
  ValueStatistics all;
  ask_all_jobs(op, spec, [&](const ValueStatistics& job) {
    if (!job.empty()) all.min = std::min(all.min, job.min), all.max = std::max(all.max, job.max);
  });
  op.kind = Op::Kind::statistics_over;
  op.value_range[0] = all.min, op.value_range[1] = all.max;
  ask_all_jobs(op, spec, [&](const ValueStatistics& job) { all.add(job); }); // binned over all's range
  return all;
}

std::vector<RankInfo> Head::rank_info() {
  Op op;
  SceneSpec spec;
  {
    std::lock_guard lock(state_mutex_);
    op = make_op(Op::Kind::rank_info, state_.frame);
    spec = state_.spec;
  }
  send(op);
  const bool with_jobs = jobs_ && !jobs_->jobs().empty() && !op.part.empty();
  if (with_jobs) send_to_jobs(op, spec);
  follower_->follow(op); // the head's part of the gather; it returns nothing
  std::vector<RankInfo> out = follower_->rank_info();
  if (!jobs_) return out;
  for (RankInfo& r : out) r.job = acceptance_.name;
  if (!with_jobs) return out;
  auto take_ranks = [&](cluster::Job& job, const cluster::Received& reply) {
    if (reply.type != cluster::Message::rank_info)
      throw Error("it sent " + cluster::to_string(reply.type) + " for rank_info");
    for (RankInfo& r : cluster::rank_info_from_json(nlohmann::json::parse(reply.text()), job.id))
      out.push_back(std::move(r));
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const cluster::Event& e : jobs_->for_each_reply(deadline, "no rank list within 30 s (hung?)", take_ranks))
    events_.push_back(to_event(e));
  return out;
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
  if (jobs_) jobs_->release_all(); // attached jobs end with the session
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
