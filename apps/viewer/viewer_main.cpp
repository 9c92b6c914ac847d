// SPDX-License-Identifier: Apache-2.0
// viewer: `mpirun -np N viewer [--add scene.prj]`, then a browser on the printed URL. Rank 0 serves
// the page, the video stream and the JSON-RPC API; every rank renders its leaf of the volume.
#include <mpi.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "../app_options.h"
#include "libindex/config.h"
#include "libindex/io/project_file.h"
#include "viewer_app.h"

using namespace libindex;

namespace {

int run(int argc, char** argv) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const auto overrides = io::parse_command_line_overrides(argc, argv);
  apps::SceneArgs scene_args;
  viewer::ViewerOptions options;
  std::string auth, backend = "auto", strategy = "auto";
  options.server.web_root = LIBINDEX_WEB_ROOT;

  CLI::App app{"viewer: serve a volume scene to browsers (add `mpirun -np N` or `srun` to render on N ranks)"};
  app.set_version_flag("--version", LIBINDEX_VERSION);
  apps::add_scene_options(app, scene_args);
  app.add_option("--port", options.server.port, "HTTP/WebSocket port (0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--bind", options.server.bind, "address to listen on; 0.0.0.0 to open it to the network");
  app.add_option("--auth", auth, "HTTP Basic credentials user:password, or 'generate' for a one-time password");
  app.add_option("--token", options.server.token, "also accept ?token=TOKEN in the URL");
  app.add_option("--allow-origin", options.server.allowed_origins, "Origin allowed to open the sockets (repeatable)");
  app.add_option("--tls-cert", options.server.tls_cert, "PEM certificate: serve https/wss")->check(CLI::ExistingFile);
  app.add_option("--tls-key", options.server.tls_key, "PEM private key")->check(CLI::ExistingFile);
  app.add_option("--data-root", options.data_roots,
                 "folder the API may load scenes and data from (repeatable; "
                 "default: the working directory)");
  app.add_option("--web-root", options.server.web_root, "folder of the browser viewer's files");
  app.add_option("--quality", options.jpeg_quality, "JPEG quality of the stream")->check(CLI::Range(1, 100));
  app.add_option("--backend", backend, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--strategy", strategy, "compositing: auto, direct-send, binary-swap or radix-k")
      ->check(CLI::IsMember({"auto", "direct-send", "binary-swap", "radix-k"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return rank == 0 ? app.exit(e) : e.get_exit_code();
  }
  options.session.backend = kernels::parse_backend_kind(backend);
  options.session.compositing.strategy = compositing::parse_strategy(strategy);
  options.session.log = rank == 0;

  if (rank != 0) {
    viewer::run_worker(MPI_COMM_WORLD, options.session);
    return 0;
  }
  viewer::SceneSpec spec;
  spec.use_default = scene_args.add.empty() && scene_args.synthetic.empty();
  for (const std::string& f : scene_args.add) spec.layers.push_back({std::filesystem::absolute(f).string(), "", ""});
  if (!scene_args.synthetic.empty())
    spec.layers.push_back({"", apps::synthetic_project(scene_args.synthetic, scene_args.size), "--synthetic"});
  spec.overrides = overrides;
  if (options.data_roots.empty()) options.data_roots.push_back(std::filesystem::current_path().string());
  if (auth == "generate") {
    auth = "index:" + streaming::generate_password();
    std::cout << "[viewer] credentials " << auth << std::endl;
  }
  options.server.basic_auth = auth;
  viewer::Head head(MPI_COMM_WORLD, options, std::move(spec));
  head.run();
  return 0;
}

} // namespace

int main(int argc, char** argv) { return apps::run_mpi_main(argc, argv, "viewer", run); }
