// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The jobs attached to a session, on the session's head: a thread accepts their heads'
/// connections (token checked, answered at once), and between frames the head admits them and
/// drops those that left or were lost. Which part of the volume each job renders follows from a
/// k-d split of the volume weighted by the jobs' rank counts, the session's own ranks first.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "job_link.h"
#include "libindex/kdtree.h"

namespace libindex::cluster {

struct Job {
  std::string id; ///< the attaching job's Slurm job id, or the name it gave
  int ranks = 1;
  std::vector<std::string> hosts;
  Link link;
  Box3i part;
  int scene_version = -1; ///< the scene whose spec it was sent last (it builds each version once)
};

/// What happened to the membership, for the log and the clients' session.changed notice.
struct Event {
  enum class Kind { joined, left, lost } kind;
  std::string job;
  int ranks = 0;
  std::vector<std::string> hosts;
  std::string why;
  std::string describe() const;
};

class AttachedJobs {
 public:
  /// Listens on `bind`:`port` (0: any free port); jobs must present `token`. Throws libindex::Error.
  AttachedJobs(const std::string& bind, int port, std::string token);
  ~AttachedJobs();
  int port() const { return listener_.port(); }

  /// Between frames, on the head's thread: admits the jobs that said hello since, drops those whose
  /// link broke or that said goodbye. Returns what changed (empty: nothing).
  std::vector<Event> poll();
  /// Drops job `index` (its link failed during a frame) and returns the event.
  Event drop(size_t index, Event::Kind kind, std::string why);
  /// Calls `use(job)` for every job, in order (sending each its op); a job for which it throws
  /// (its link failed) is dropped as lost. Returns the events of the dropped jobs.
  std::vector<Event> for_each_job(const std::function<void(Job&)>& use);
  /// One reply from every job, in order, handed to `handle(job, reply)`. A job is dropped when its
  /// reply has not come by `deadline` (lost, with `late` as the reason), when it says goodbye instead
  /// (left), or when its link fails or `handle` throws (lost). Returns the events of the dropped jobs.
  std::vector<Event> for_each_reply(std::chrono::steady_clock::time_point deadline, const std::string& late,
                                    const std::function<void(Job&, const Received&)>& handle);
  /// Asks every job to leave (the session ends) and forgets them.
  void release_all();

  std::vector<Job>& jobs() { return jobs_; }
  /// Divides `volume` between the session's own `own_ranks` and the jobs, by their rank counts: leaf 0
  /// is the session's part, leaf i + 1 job i's (also stored in jobs()[i].part). Returns the tree
  /// whose visibility order composites them, or nullptr with every part empty when the volume has
  /// fewer voxels than the jobs need (a job's part may not be empty: an empty part means the whole
  /// volume to its session).
  const KdTree* assign_parts(const Box3i& volume, int own_ranks);
  /// The part of the session's own ranks (empty when no job is attached: the whole volume).
  Box3i own_part() const { return own_part_; }

 private:
  void accept_loop();
  void greet(Link link);

  Listener listener_;
  std::string token_;
  std::vector<Job> jobs_;
  std::mutex mutex_;
  std::vector<Job> arriving_;  ///< greeted, not yet admitted (under mutex_)
  std::optional<KdTree> tree_; ///< of tree_volume_ and tree_weights_; none: not divisible
  Box3i tree_volume_, own_part_;
  std::vector<int> tree_weights_;
  std::atomic<bool> stop_{false};
  std::thread thread_; ///< last: uses everything above
};

} // namespace libindex::cluster
