// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A served session in one call: on rank 0 the server (page, video stream, JSON-RPC API) and
/// the frame loop; on every other rank follow_ops(). What the viewer app is, and what a program of
/// one's own calls to serve its data to browsers.

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "libindex/scene_spec.h"
#include "libindex/session.h"
#include "libindex/streaming/server.h"
#include "libindex/view_state.h"

namespace libindex {

struct ServeOptions {
  streaming::ServerOptions server;
  streaming::RpcLimits rpc;            ///< batch length and message size the dispatcher accepts
  std::vector<std::string> data_roots; ///< where API requests may read files; empty: none
  std::string output_root;             ///< where snapshot may write new files; empty: none (PNG returned)
  ViewLimits limits;
  int jpeg_quality = 85;
  int interactive_divisor = 2; ///< reduced resolution while the user drags
  SessionOptions session;
  /// Where the head leaves its session record (libindex/session_record.h: URL, port, attach token,
  /// job id, hosts) while it serves, removed when it ends; empty: no record.
  std::string runtime_dir;
  std::string session_id; ///< the record's id; empty: default_session_id() ($SLURM_JOB_ID)
  /// With a record: other jobs may attach their ranks (docs/slurm.md); their heads connect to this
  /// port (0: any free one, written into the record) on the server's bind address.
  bool accept_jobs = true;
  int attach_port = 0;
  double hung_job_seconds = 10; ///< JobAcceptance::hung_seconds
  /// Instead of serving: this job attaches to the session whose attach listener is at
  /// `attach_to` (host:port), presenting `attach_token`, as job `job_name`, and renders its part of
  /// every frame until the session ends, drops it, or SIGTERM (then it says goodbye).
  std::string attach_to, attach_token, job_name;
  /// Called on the head once the server listens, with its URL (default: print the IndeX-style line).
  std::function<void(const std::string& url)> on_ready;
};

/// Collective over `comm`: serves `scene` until SIGINT or SIGTERM (or request_stop()), then every
/// rank returns. Rank 0 serves; it renders only when something changed (a command, a time step of
/// a playing series), and new clients get the last frame. Throws libindex::Error on the head when
/// the scene cannot be built or the server cannot listen (the other ranks then return at once).
void serve(MPI_Comm comm, const ServeOptions& options, const SceneSpec& scene);

/// Asks a running serve() to return (async-signal-safe; what SIGINT and SIGTERM do).
void request_stop();

} // namespace libindex
