// SPDX-License-Identifier: Apache-2.0
// viewer: `mpirun -np N viewer [--add scene.prj]`, then a browser on the printed URL. Option parsing,
// then one call: libindex::serve() runs the session (rank 0 serves the page, the video stream and
// the JSON-RPC API; every rank renders its leaf of the volume).
#include <mpi.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "../app_options.h"
#include "libindex/config.h"
#include "libindex/io/project_file.h"
#include "libindex/serve.h"
#include "libindex/session_record.h"

using namespace libindex;

namespace {

int run(int argc, char** argv) {
  const int rank = apps::world_rank(); // 0 without MPI: --help
  const auto overrides = io::parse_command_line_overrides(argc, argv);
  apps::SceneArgs scene_args;
  ServeOptions options;
  streaming::ServerOptions& server = options.server;
  std::string auth, backend = "auto", strategy = "auto";
  server.web_root = LIBINDEX_WEB_ROOT;

  CLI::App app{"viewer: serve a volume scene to browsers (add `mpirun -np N` or `srun` to render on N ranks)"};
  app.set_version_flag("--version", LIBINDEX_VERSION);
  apps::add_scene_options(app, scene_args);
  app.add_option("--port", server.port, "HTTP/WebSocket port (default 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--bind", server.bind,
                 "address to listen on (default 127.0.0.1); 0.0.0.0 opens it to the network and needs --auth, "
                 "--token or --insecure");
  auto* auth_option =
      app.add_option("--auth", auth, "HTTP Basic credentials user:password, or 'generate' for a one-time password");
  app.add_option("--token", server.token, "also accept ?token=TOKEN in the URL (letters, digits and -._~)");
  app.add_flag("--insecure", server.insecure, "serve a non-loopback address without credentials");
  app.add_option("--allow-origin", server.allowed_origins,
                 "Origin besides the page's own allowed to open the sockets (repeatable; * for any)");
  app.add_option("--max-connections", server.max_connections, "open connections at once")
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  app.add_option("--max-pending", server.max_pending_commands, "commands a client may have waiting")
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  app.add_option("--max-message-bytes", server.max_message_bytes, "longest JSON-RPC message")
      ->check(CLI::Range(size_t(1024), size_t(1) << 30));
  app.add_option("--max-batch", options.rpc.max_batch_calls, "longest JSON-RPC batch")
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  app.add_option("--ping-seconds", server.ping_seconds,
                 "ping a socket quiet this long, for proxies that cut idle connections (default 30)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--tls-cert", server.tls_cert, "PEM certificate: serve https/wss")->check(CLI::ExistingFile);
  app.add_option("--tls-key", server.tls_key, "PEM private key")->check(CLI::ExistingFile);
  app.add_option("--data-root", options.data_roots,
                 "folder the API may load scenes and data from (repeatable; default: the working directory)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--output-root", options.output_root,
                 "folder where snapshot, session.save and movie.record may write new files (default: none; "
                 "snapshots come back as data)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--web-root", server.web_root, "folder of the browser viewer's files");
  options.runtime_dir = default_runtime_dir();
  bool no_record = false;
  app.add_option("--runtime-dir", options.runtime_dir,
                 "where the head leaves its session record for index-slurm (default $LIBINDEX_RUNTIME_DIR, else "
                 "~/.libindex/sessions)");
  app.add_option("--session-id", options.session_id, "the session record's id (default $SLURM_JOB_ID, else generated)");
  app.add_flag("--no-session-record", no_record, "leave no session record (and take no attaching jobs)");
  app.add_option("--attach-port", options.attach_port, "port for jobs attaching to this session (default: any free)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--job-timeout", options.hung_job_seconds,
                 "an attached job whose image of a frame has not come this many seconds, plus five times this "
                 "job's own time for it, is dropped as hung (default 10)")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--attach", options.attach_to,
                 "HOST:PORT: render for the session listening there instead of serving one (what index-slurm -a "
                 "runs)");
  app.add_option("--attach-token", options.attach_token, "the attached session's token (from its record)");
  app.add_option("--job-name", options.job_name,
                 "this job's name in the session it attaches to (default $SLURM_JOB_ID)");
  app.add_option("--quality", options.jpeg_quality, "JPEG quality of the stream")->check(CLI::Range(1, 100));
  app.add_option("--max-pixels", options.limits.max_pixels, "largest frame or snapshot a client may ask for")
      ->check(CLI::Range(1LL, 1LL << 30));
  app.add_option("--max-samples-per-ray", options.limits.max_samples_per_ray,
                 "finest sampling a client may ask for, as samples across the volume's diagonal")
      ->check(CLI::Range(1.0, 1e9));
  app.add_flag("--allow-programs", options.limits.client_programs,
               "let clients set volume sample programs (program.set): native code that runs in this server with its "
               "rights; programs in scene files always run");
  app.add_option("--backend", backend, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--strategy", strategy, "compositing: auto, direct-send, binary-swap or radix-k")
      ->check(CLI::IsMember({"auto", "direct-send", "binary-swap", "radix-k"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return apps::parse_failure(app, e, "viewer", rank);
  }
  if (no_record) options.runtime_dir.clear();
  if (!options.attach_to.empty() && options.job_name.empty()) options.job_name = default_session_id();
  options.session.backend = kernels::parse_backend_kind(backend);
  options.session.compositing.strategy = compositing::parse_strategy(strategy);
  options.session.log = rank == 0;
  if (options.data_roots.empty()) options.data_roots.push_back(std::filesystem::current_path().string());
  options.rpc.max_message_bytes = server.max_message_bytes;
  if (auth_option->count() > 0) {
    if (auth == "generate") {
      auth = "index:" + (rank == 0 ? streaming::generate_password() : std::string("-"));
      if (rank == 0) std::cout << "[viewer] credentials " << auth << std::endl;
    }
    streaming::check_basic_auth(auth); // --auth '' or 'user:' is an error, not "no auth"
    server.basic_auth = auth;
  }
  serve(MPI_COMM_WORLD, options, apps::scene_spec(scene_args, overrides));
  return 0;
}

} // namespace

int main(int argc, char** argv) { return apps::run_mpi_main(argc, argv, "viewer", run); }
