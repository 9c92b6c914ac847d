// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The frame loop. The head (rank 0) owns the view state; each collective step it takes
/// (render a frame, re-partition, gather rank info, quit) starts by sending one op that every other
/// rank, waiting in follow_ops(), follows in the same order. Only the head ever talks to clients.
/// Ranks other than the head sleep while they wait for the next op.
///
/// Threads: every collective step runs on the thread that initialized MPI. Another thread may read
/// and change state() while a step runs if it holds state_mutex(): the head holds it only while it
/// reads the state to start a step and while it records a frame's statistics, never while the
/// ranks render (serve() answers clients that way during long frames).

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libindex/frame_op.h"
#include "libindex/session.h"
#include "libindex/view_state.h"

namespace libindex {

class OpChannel;
class Follower;
namespace cluster {
class AttachedJobs;
}

/// A job joining, leaving or lost (a session spanning several jobs, docs/slurm.md).
struct ClusterEvent {
  std::string kind; ///< "joined", "left", "lost"
  std::string job;
  int ranks = 0;
  std::vector<std::string> hosts;
  std::string why;
  std::string text; ///< one line for the log
};

/// How a session takes other jobs' ranks (Head::accept_jobs).
struct JobAcceptance {
  std::string bind;               ///< address their heads connect to
  int port = 0;                   ///< 0: any free port
  std::string token;              ///< what they must present
  std::string name;               ///< this session's own job in cluster.status
  std::vector<std::string> hosts; ///< its ranks' hosts
  /// An attached job whose image of a frame has not come this many seconds, plus five times this
  /// job's own time for the frame, after the frame began is hung (stopped, swapping, stuck): dropped.
  double hung_seconds = 10;
};

/// An attached job as cluster.status shows it.
struct JobInfo {
  std::string id;
  int ranks = 0;
  std::vector<std::string> hosts;
  Box3i part;
};

class Head {
 public:
  /// Collective with follow_ops() on every other rank of `comm`. Builds `scene` on the head; when it
  /// cannot, tells the other ranks to quit and throws libindex::Error.
  Head(MPI_Comm comm, SessionOptions options, SceneSpec scene, std::vector<std::string> data_roots = {});
  /// Tells the other ranks to quit, if quit() was not called.
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  ViewState& state() { return state_; }
  const ViewState& state() const { return state_; }
  /// Guards state(), last_stats(), frames_per_second() and backend_name() against the thread running
  /// collective steps.
  std::mutex& state_mutex() const { return state_mutex_; }

  /// Renders `frame` on every rank with the current scene, time step and backend (collective).
  /// Errors on any rank throw here as one libindex::Error naming the rank. `background`: straight
  /// RGBA under the image instead of the scene's.
  Image render(const FrameParams& frame, std::optional<Vec4f> background = std::nullopt);
  /// The loop's next frame: the current view, at 1/`interactive_divisor` of the canvas while the
  /// user drags (`*reduced` says so). Clears `dirty`; sets `refine` after a reduced frame.
  Image render_view(int interactive_divisor, bool* reduced);
  /// Every rank's RankInfo (collective).
  std::vector<RankInfo> rank_info();
  /// Re-partitions by visible work under the current colormap (collective); true when leaves moved.
  bool rebalance();
  /// Tells every other rank to leave follow_ops(). Nothing collective may follow.
  void quit();
  /// Lets other jobs attach their ranks to this session as `acceptance` says. Returns the port.
  /// Throws libindex::Error when it cannot listen.
  int accept_jobs(JobAcceptance acceptance);
  /// Between steps, on this thread: admits jobs that arrived and drops those that left or whose link
  /// broke; also reports jobs a frame found lost. A change re-partitions at the next frame.
  std::vector<ClusterEvent> poll_jobs();
  /// The attached jobs, this session's own ranks first (cluster.status).
  std::vector<JobInfo> jobs() const;
  /// Asks attached job `id` to leave (cluster.detach); false when there is none.
  bool detach(const std::string& id);
  /// While `*cancel` is true the head's part of a frame stops early and the frame fails (SIGTERM).
  void set_cancel_flag(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  /// How far the frame rendering now (or the last one) is on this rank: any thread may read it.
  const FrameProgress& progress() const { return progress_; }
  /// A call rendering a series of frames (movie.record) says how far it is: `done` of `total`
  /// frames; total 0 when none is under way. Any thread may read it.
  void set_series_progress(int done, int total) { series_done_ = done, series_total_ = total; }
  std::pair<int, int> series_progress() const { return {series_done_.load(), series_total_.load()}; }

  const FrameStats& last_stats() const { return last_stats_; }
  /// Whether the last frame showed the scene as it is now: false from a scene change (a load, an
  /// element added or removed) until a frame of the new scene has rendered. IndeX's perflab values
  /// then describe no frame yet, not the scene that was replaced.
  bool stats_show_current_scene() const { return stats_scene_version_ == state_.scene_version; }
  /// Frames per second over the last ten frames of the current scene (IndeX's perflab
  /// frames_per_second). The frame that read a new scene's data counts its rendering only (the
  /// slowest rank's, at least 1 ms): a notebook that waits for the rate after a load, as IndeX's
  /// does, would otherwise wait for frames that an idle viewer never renders.
  double frames_per_second() const;
  /// The backend of the last frame (of the session's start before one).
  const std::string& backend_name() const { return backend_name_; }
  int ranks() const;
  /// Ops sent so far, and the broadcasts they took (an op longer than a block takes two).
  long long ops_sent() const { return ops_sent_.load(); }
  long long op_broadcasts() const;

 private:
  /// Sets state().ranks to the ranks that divide the volume now: this job's and the attached jobs'.
  void count_ranks();
  /// Sends `op`, leaving its colormap out when the ranks have it already (sets op.has_colormap).
  void send(Op& op);
  Op make_op(Op::Kind kind, const FrameParams& frame) const;
  /// render() when jobs are attached: every job renders its part, the head composites them.
  Image render_with_jobs(const FrameParams& frame, std::optional<Vec4f> background);
  /// The first volume's value statistics over every job's part, for a frame `op` while jobs are
  /// attached: a statistics op to all of them for the range, then a statistics_over op that has
  /// each bin its values over that range.
  ValueStatistics statistics_of_all_jobs(const Op& op, const SceneSpec& spec);
  /// Sends `op` (a statistics kind) to this job's ranks and to every attached job, and hands each
  /// job's statistics to `take`, this job's first. A job that failed is left out (its frame says
  /// why); one that does not answer within 120 s is dropped.
  void ask_all_jobs(Op& op, const SceneSpec& spec, const std::function<void(const ValueStatistics&)>& take);
  /// Sends `op` to every attached job; a job whose link fails is dropped (lost). Returns the jobs sent to.
  void send_to_jobs(const Op& op, const SceneSpec& spec);

  std::unique_ptr<Session> session_;
  std::unique_ptr<OpChannel> channel_;
  std::unique_ptr<Follower> follower_; ///< the head renders its own leaf like every rank
  ViewState state_;
  mutable std::mutex state_mutex_;
  bool quit_sent_ = false;
  bool log_ = true; ///< progress lines on stderr (SessionOptions::log)
  std::atomic<long long> ops_sent_{0};
  FrameStats last_stats_;                 ///< the last frame's, copied from the session under the mutex
  int stats_scene_version_ = -1;          ///< the scene version last_stats_ rendered, under the mutex
  std::deque<double> frame_seconds_;      ///< the last ten frames' times (frames_per_second), under the mutex
  std::string backend_name_;              ///< under the mutex
  std::optional<Colormap> sent_colormap_; ///< the colormap every rank keeps
  const std::atomic<bool>* cancel_ = nullptr;
  mutable FrameProgress progress_;                    ///< this rank's part of the current frame, reset as each starts
  std::atomic<int> series_done_{0}, series_total_{0}; ///< set_series_progress()
  std::unique_ptr<cluster::AttachedJobs> jobs_;       ///< when other jobs may attach
  JobAcceptance acceptance_;                          ///< this session's own job (name, hosts) and when a job is hung
  std::vector<ClusterEvent> events_;                  ///< found during frames, reported by poll_jobs()
  /// The first volume's statistics over all jobs, for (scene version, time step); kept while
  /// jobs come and go, since their parts always add up to the whole volume.
  std::optional<std::pair<std::pair<int, int>, ValueStatistics>> jobs_statistics_;
  bool rendered_with_jobs_ = false; ///< whether the last frame was rendered by several jobs
};

/// Every rank but the head: follows the head's ops until it quits. Collective with Head's constructor.
/// An op this rank cannot decode (another libindex on the head) aborts the job: a rank that cannot
/// follow would otherwise leave every other rank waiting forever.
void follow_ops(MPI_Comm comm, const SessionOptions& options);

} // namespace libindex
