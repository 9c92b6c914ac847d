// SPDX-License-Identifier: Apache-2.0
#include "libindex/serve.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <unistd.h>

#include "change_notice.h"
#include "cluster/attached_serve.h"
#include "frame_time_responder.h"
#include "libindex/head.h"
#include "libindex/mpi/gather.h"
#include "libindex/rank_memory.h"
#include "libindex/rpc_methods.h"
#include "libindex/session_record.h"
#include "libindex/streaming/frame_publisher.h"

namespace libindex {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Set by the signal handler, read by the main thread and the stop watchdog: an atomic, since
// volatile sig_atomic_t is safe only within the thread the signal interrupts.
std::atomic<bool> g_stop{false};
std::optional<SessionRecordFile> g_record; ///< the head's, while it serves; also removed by the watchdog's exit
std::mutex g_record_mutex;                 // guards g_record: the main thread and the watchdog may both remove it
void remove_record() {
  std::lock_guard lock(g_record_mutex);
  g_record.reset();
}
std::atomic<bool> g_cancel{false};                     // lock-free, so a signal handler may set it
static_assert(std::atomic<bool>::is_always_lock_free); // for both flags
void on_signal(int) {
  g_stop.store(true);
  g_cancel.store(true, std::memory_order_relaxed);
}

/// SIGTERM and SIGINT end the session within a second: the head's part of a frame in progress stops
/// at its next tile, and if the frame still waits on other ranks (a long frame of theirs, a rank
/// gone) after a second, the head exits and mpirun or srun ends the job. A follower waits twice as
/// long for the head's quit, so that the head has removed its record before any rank exits.
class StopWatchdog {
 public:
  enum class Role { head, follower };
  explicit StopWatchdog(Role role)
      : thread_([this, role] {
          while (!done_.load() && !g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
          const auto deadline = Clock::now() + std::chrono::seconds(role == Role::head ? 1 : 2);
          while (!done_.load() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          if (!done_.load()) {
            std::fprintf(stderr, role == Role::head
                                     ? "[viewer] stopping: a frame still runs on other ranks after 1 s; exiting\n"
                                     : "[viewer] stopping: no word from the head rank 2 s after the signal; exiting\n");
            remove_record();
            std::_Exit(143);
          }
        }) {}
  ~StopWatchdog() {
    done_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

/// The head's loop: commands in, frames out, sleeping whenever nothing changed. While a frame
/// renders, a FrameTimeResponder answers the commands that need no collective step.
class ServedHead {
 public:
  ServedHead(Head& head, const ServeOptions& options, std::vector<std::string> hosts)
      : head_(head), options_(options), hosts_(std::move(hosts)), server_(options.server),
        publisher_(server_, options.jpeg_quality), rpc_(options.rpc) {
    rpc::add_all_methods(rpc_, head_, [this] { return serving_stats(); });
    responder_.emplace(
        server_, rpc_,
        [this](const streaming::Server::Command& c) {
          json changed = json::array();
          answer(c, changed);
          announce(changed);
        },
        [this](std::chrono::steady_clock::duration elapsed) { report_progress(elapsed); });
  }

  void run() {
    server_.start();
    write_record(); // before the ready line: whoever sees it finds the record and the attach port
    if (options_.on_ready)
      options_.on_ready(server_.url());
    else
      std::cout << "[viewer] Application layer viewer server is running at " << server_.url() << std::endl;
    ViewState& s = head_.state();
    auto last_step = Clock::now();
    while (!g_stop) {
      if (!s.dirty && !refine_due()) server_.wait_for_commands(wait_time(last_step));
      answer_commands(server_.take_commands());
      report(head_.poll_jobs());
      // Playing a time series: the next step once per 1/fps (each rank has read it ahead).
      if (s.playing && Clock::now() - last_step >= std::chrono::duration<double>(1.0 / s.play_fps)) {
        s.advance_time();
        last_step = Clock::now();
        s.dirty = true;
      }
      // A change renders at once (reduced while a client drags); with none, a reduced frame is
      // refined at full resolution when it is due.
      if (s.dirty)
        render_and_publish(options_.interactive_divisor);
      else if (refine_due())
        render_and_publish(1);
    }
    server_.stop();
    remove_record();
  }

  ~ServedHead() { remove_record(); }

 private:
  /// The session record, so index-slurm finds this session by its job id; and the listener for
  /// jobs that attach to it, whose port and token the record holds.
  void write_record() {
    if (options_.runtime_dir.empty()) return;
    SessionRecord r;
    r.id = options_.session_id.empty() ? default_session_id() : options_.session_id;
    // A second session in the same job (two job steps) keeps the first one's record.
    if (const auto other = find_session_record(options_.runtime_dir, r.id); other && check_alive(*other, 0.5).alive) {
      const char* step = std::getenv("SLURM_STEP_ID");
      r.id += "." + (step && *step ? std::string(step) : std::to_string(getpid()));
    }
    if (const char* job = std::getenv("SLURM_JOB_ID")) r.job_id = job;
    r.url = server_.url(), r.port = server_.port(), r.pid = long(getpid());
    r.host = hosts_.empty() ? std::string() : hosts_[0];
    r.token = generate_session_token();
    r.ranks = int(hosts_.size()), r.hosts = hosts_;
    if (options_.accept_jobs)
      r.attach_port = head_.accept_jobs(
          {options_.server.bind, options_.attach_port, r.token, r.id, hosts_, options_.hung_job_seconds});
    const std::time_t now = std::time(nullptr);
    char started[32];
    std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    r.started = started;
    std::string path;
    {
      std::lock_guard lock(g_record_mutex);
      g_record.emplace(options_.runtime_dir, r);
      path = g_record->path();
    }
    std::cout << "[viewer] session " << r.id << ": record " << path << std::endl;
  }

  /// How long a view that a client still drags must stay unchanged before its reduced frame is
  /// refined: a hand held still mid-drag, or a page closed mid-drag that never says it stopped.
  static constexpr std::chrono::milliseconds kStillBeforeRefine{750};

  /// A reduced frame is refined at full resolution once input stops (view.interaction false), or
  /// once the view has stayed unchanged for kStillBeforeRefine while a client still drags: never
  /// frame after frame of the same reduced view (the loop spun at hundreds of frames a second).
  bool refine_due() const {
    const ViewState& s = head_.state();
    return s.refine && (!s.interactive || Clock::now() - last_frame_end_ >= kStillBeforeRefine);
  }

  /// How long to sleep on the command queue: until the next time step while playing, or the refine
  /// of a still view, else a while (a signal sets g_stop without waking the queue, so the loop
  /// checks it a few times a second).
  std::chrono::milliseconds wait_time(Clock::time_point last_step) const {
    using std::chrono::milliseconds;
    const ViewState& s = head_.state();
    auto until = [](Clock::time_point due) {
      return std::clamp(std::chrono::duration_cast<milliseconds>(due - Clock::now()), milliseconds(0),
                        milliseconds(200));
    };
    milliseconds wait(200);
    if (s.playing)
      wait = until(last_step +
                   std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / s.play_fps)));
    if (s.refine) wait = std::min(wait, until(last_frame_end_ + kStillBeforeRefine));
    return wait;
  }

  /// Between frames, on the main thread, in arrival order. A command calling a method that renders
  /// or runs something collective (a snapshot, a movie of minutes, cluster.status) runs with the
  /// responder answering the other clients meanwhile. The queued commands of other clients that
  /// need no collective step are answered before it; only a client with a command still queued
  /// behind its own collective call waits for it, so that each client's replies keep their order.
  /// (Holding every client with a queued command made a camera.get that arrived with another
  /// client's snapshot wait for the whole snapshot.)
  void answer_commands(std::vector<streaming::Server::Command> commands) {
    json changed = json::array();
    std::deque<streaming::Server::Command> queue(std::make_move_iterator(commands.begin()),
                                                 std::make_move_iterator(commands.end()));
    while (!queue.empty()) {
      const streaming::Server::Command c = std::move(queue.front());
      queue.pop_front();
      if (!rpc_.waits_for_frame(c.text)) {
        answer(c, changed);
        continue;
      }
      std::set<uint64_t> held{c.connection};
      for (const streaming::Server::Command& now :
           take_answerable(queue, held, [this](const auto& later) { return rpc_.waits_for_frame(later.text); }))
        answer(now, changed);
      for (streaming::Server::Command& handed_back : with_responder(std::move(held), [&] { answer(c, changed); }))
        queue.push_back(std::move(handed_back));
    }
    announce(changed);
  }

  /// Replies to one command, on either thread; the methods that changed the view go into `changed`.
  /// Each call that needs no collective step runs holding the state's lock; the others (marked
  /// waits_for_frame, always on the main thread) take it themselves for their reads of the state,
  /// never across a collective step, so that the responder answers other clients meanwhile.
  void answer(const streaming::Server::Command& c, json& changed) {
    const auto invoke = [this, &changed](const streaming::MethodInfo& method, const std::function<json()>& call) {
      if (method.waits_for_frame) return call();
      std::lock_guard lock(head_.state_mutex());
      ViewState& s = head_.state();
      const int was_version = s.scene_version;
      return detail::call_noting_change(s, method.name, changed, call, [&] { return s.scene_version != was_version; });
    };
    if (auto reply = rpc_.handle(c.text, invoke)) server_.reply(c.connection, std::move(*reply));
  }

  /// Jobs that joined, left or were lost: logged, announced to every client, and the next frame
  /// re-partitions over the jobs there are now.
  void report(const std::vector<ClusterEvent>& events) {
    for (const ClusterEvent& e : events) {
      std::cout << "[viewer] " << e.text << std::endl;
      head_.state().dirty = true;
      server_.broadcast_text(json{
          {"jsonrpc", "2.0"},
          {"method", "session.changed"},
          {"params",
           {{"methods", json::array({"cluster.status"})},
            {"cluster", {{"event", e.kind}, {"job", e.job}, {"ranks", e.ranks}, {"hosts", e.hosts}, {"why", e.why}}}}}}
                                 .dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }

  /// Commands that change what everyone sees are announced to every client, so other browsers and
  /// notebooks refresh their controls (IndeX clients ignore the notification).
  void announce(const json& changed) {
    if (!changed.empty()) server_.broadcast_text(rpc::session_changed(changed));
  }

  /// A frame that has rendered for 300 ms reports how far this rank is, every 250 ms
  /// (`frame.progress` {done, total}: tiles of the head's own part), so that the page shows
  /// "rendering… 40%" instead of a bare wait. Quick frames say nothing. A movie adds which of its
  /// frames renders (`series` {done, total}), so that the page shows "recording… frame 12 of 72".
  void report_progress(std::chrono::steady_clock::duration elapsed) {
    using namespace std::chrono;
    if (elapsed < milliseconds(300) || steady_clock::now() - last_progress_ < milliseconds(250)) return;
    last_progress_ = steady_clock::now();
    const FrameProgress& p = head_.progress();
    const long long total = p.total.load(), done = std::min(p.done.load(), total);
    json params{{"done", done}, {"total", total}};
    if (const auto [series_done, series_total] = head_.series_progress(); series_total > 0)
      params["series"] = {{"done", series_done}, {"total", series_total}};
    server_.broadcast_text(json{{"jsonrpc", "2.0"}, {"method", "frame.progress"}, {"params", params}}.dump());
  }

  /// Runs `collective` (a frame, or a method marked waits_for_frame) on this thread while the
  /// responder answers the clients, except the `held` connections; returns the commands it handed
  /// back. The jobs that `collective` found lost are announced before any of those is answered.
  template <class Collective>
  std::vector<streaming::Server::Command> with_responder(std::set<uint64_t> held, Collective collective) {
    rendering_ = true;
    responder_->begin_frame(std::move(held));
    collective();
    std::vector<streaming::Server::Command> handed_back = responder_->end_frame();
    rendering_ = false;
    report(head_.poll_jobs());
    return handed_back;
  }

  /// Renders and publishes the next frame (at 1/`interactive_divisor` of the canvas while a client
  /// drags) while the responder answers clients, then answers what it handed back (snapshots,
  /// cluster.*: collective, so on this thread).
  void render_and_publish(int interactive_divisor) {
    const bool fitting = head_.state().fit_domain; // the responder does not run yet
    auto handed_back = with_responder({}, [&] {
      try {
        bool reduced = false;
        const Image image = head_.render_view(interactive_divisor, &reduced);
        bool fitted = false;
        if (fitting) {
          std::lock_guard lock(head_.state_mutex()); // the responder answers clients meanwhile
          fitted = !head_.state().fit_domain;
        }
        // This frame set the colormap's domain to the data's range (a scene or file without one):
        // pages re-read it before the frame arrives, so their legend and fields show the data's values.
        if (fitted) announce(json::array({"colormap.set"}));
        const FrameStats& st = head_.last_stats(); // written by this thread only
        publisher_.publish(image, {st.render_ms, st.composite_ms}, reduced);
      } catch (const std::exception& e) {
        if (!g_stop) { // else SIGTERM or SIGINT cancelled it on the way out: nothing failed
          std::cerr << "[viewer] frame failed: " << e.what() << std::endl;
          server_.broadcast_text(
              json{{"jsonrpc", "2.0"}, {"method", "session.frame_failed"}, {"params", {{"message", e.what()}}}}.dump(
                  -1, ' ', false, json::error_handler_t::replace));
        }
      }
    });
    last_frame_end_ = Clock::now();
    answer_commands(std::move(handed_back));
  }

  json serving_stats() const {
    const auto clients = server_.stats();
    return {{"frame", publisher_.frames()},
            {"frame_in_progress", rendering_.load()},
            {"encode_ms", publisher_.last_encode_ms()},
            {"clients", {{"command", clients.command_clients}, {"video", clients.video_clients}}},
            {"frames_sent", clients.frames_sent},
            {"frames_skipped", clients.frames_skipped}};
  }

  Head& head_;
  const ServeOptions& options_;
  std::vector<std::string> hosts_; ///< every rank's host, by rank
  streaming::Server server_;
  streaming::FramePublisher publisher_;
  streaming::RpcDispatcher rpc_;
  std::atomic<bool> rendering_{false}; ///< while the responder answers: a frame renders or is published
  std::chrono::steady_clock::time_point last_progress_; ///< the responder's thread's own
  Clock::time_point last_frame_end_;                    ///< when the last frame was published
  std::optional<FrameTimeResponder> responder_;         ///< last: its thread uses everything above
};

} // namespace

void request_stop() { on_signal(0); }

void serve(MPI_Comm comm, const ServeOptions& options, const SceneSpec& scene) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<std::string> hosts = mpi::gather_strings(comm, mpi::processor_name());
  const long long memory = memory_per_rank(comm);
  // mpirun and srun pass a SIGINT or SIGTERM on to every rank at once. A follower that died of it
  // would make the launcher kill the head before it removed its session record: followers wait for
  // the head's quit instead, and leave on their own 2 s later if it never comes.
  g_stop.store(false);
  g_cancel.store(false);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (rank != 0) { // a follower of this job's head, whether it serves or attaches to another job's session
    StopWatchdog watchdog(StopWatchdog::Role::follower);
    follow_ops(comm, options.session);
    return;
  }
  if (!options.attach_to.empty()) { // this job renders its part of another job's session
    cluster::serve_attached(comm, options, hosts, [] { return g_stop.load(); });
    return;
  }
  Head head(comm, options.session, scene, options.data_roots); // quits the others when it throws
  head.set_cancel_flag(&g_cancel);
  head.state().limits = options.limits;
  head.state().limits.memory_per_rank = memory;
  head.state().check_memory(); // a volume that cannot fit: say so now, not in every frame
  head.state().output_root = options.output_root;
  ServedHead served(head, options, std::move(hosts)); // ~Head tells the others to quit, also when this throws
  StopWatchdog watchdog(StopWatchdog::Role::head);    // destroyed (stopped) before the quit op goes out
  served.run();
}

} // namespace libindex
