// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The record a served session leaves on disk while it runs, so that tools find it by job id:
/// `index-slurm --list` shows the user's sessions, `index-slurm -a <jobid>` finds the head to attach
/// to. `<runtime dir>/<id>/session.json` (directory 0700, file 0600: it holds the attach token),
/// written by the head once its server listens, removed when the session ends cleanly. A session
/// killed outright leaves it behind: check_alive() tells such a stale record from a running one.

#include <optional>
#include <string>
#include <vector>

namespace libindex {

struct SessionRecord {
  std::string id;      ///< the Slurm job id, or a generated one outside Slurm
  std::string job_id;  ///< $SLURM_JOB_ID; empty outside Slurm
  std::string url;     ///< what a browser opens (without credentials)
  std::string host;    ///< the head's host name
  int port = 0;        ///< the head's HTTP/WebSocket port
  long pid = 0;        ///< the head's process id on `host`
  std::string token;   ///< the secret an attaching job presents to the head
  int attach_port = 0; ///< where attaching jobs' heads connect (on `host`); 0: the session takes none
  int ranks = 1;
  std::vector<std::string> hosts; ///< every rank's host, by rank
  std::string started;            ///< UTC, ISO 8601
  std::string path;               ///< where it was read from (not stored)
};

/// $LIBINDEX_RUNTIME_DIR, else $HOME/.libindex/sessions.
std::string default_runtime_dir();
/// $SLURM_JOB_ID when set, else "local-<host>-<pid>".
std::string default_session_id();
/// 32 hex digits from the system's random source.
std::string generate_session_token();

/// Writes `record` under `dir`/<record.id>/ on construction (creating `dir` 0700 when missing) and
/// removes it on destruction. Throws libindex::Error saying which path could not be written.
class SessionRecordFile {
 public:
  SessionRecordFile(const std::string& dir, const SessionRecord& record);
  ~SessionRecordFile();
  SessionRecordFile(const SessionRecordFile&) = delete;
  SessionRecordFile& operator=(const SessionRecordFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string folder_, path_;
};

/// The records under `dir`, by id; an unreadable one is skipped and described in `problems`.
std::vector<SessionRecord> list_session_records(const std::string& dir, std::vector<std::string>* problems = nullptr);
/// The record of session `id` under `dir`; nullopt when there is none. Throws libindex::Error when
/// it exists but cannot be parsed.
std::optional<SessionRecord> find_session_record(const std::string& dir, const std::string& id);

/// Whether the head a record names still runs: on its own host, whether the process exists; on
/// another, whether its port accepts a TCP connection (within `timeout_s`). `why` says what was found.
struct Liveness {
  bool alive = false;
  std::string why;
};
Liveness check_alive(const SessionRecord& record, double timeout_s = 2.0);

} // namespace libindex
