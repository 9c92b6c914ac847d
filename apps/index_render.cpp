// SPDX-License-Identifier: Apache-2.0
// index-render: renders a scene to PNG, on one rank or under mpirun / srun (the head writes the file).
#include <mpi.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>
#include <memory>
#include <vector>

#include "app_options.h"
#include "libindex/config.h"
#include "libindex/default_view.h"
#include "libindex/io/image_writer.h"
#include "libindex/io/movie_writer.h"
#include "libindex/io/project_file.h"
#include "libindex/error.h"
#include "libindex/follower.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "libindex/rank_memory.h"
#include "libindex/session.h"

using namespace libindex;

namespace {

/// "movie.png", 3 -> "movie_0003.png": the number goes before the file name's extension, never into
/// a folder's name ("run.1/frame" -> "run.1/frame_0003").
std::string numbered(const std::string& path, int frame) {
  const std::filesystem::path p(path);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%04d", frame);
  return (p.parent_path() / (p.stem().string() + suffix + p.extension().string())).string();
}

/// Renders `op` `repeat` more times and prints the median wall time of a frame (render, composite
/// and finish, on the head): what a viewer pays per frame once the volume is uploaded and its skip
/// grid built. Run after the first frame's image is released, as a viewer releases each frame's.
void report_steady_state(Follower& follower, const Op& op, int repeat, int rank) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    follower.follow(op);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  if (rank != 0) return;
  std::printf("steady state: median %.1f ms/frame over %d frames (", sorted[sorted.size() / 2], repeat);
  for (size_t i = 0; i < ms.size(); ++i) std::printf(i ? ", %.0f" : "%.0f", ms[i]);
  std::printf(")\n");
}

int run(int argc, char** argv) {
  const int rank = apps::world_rank(); // 0 without MPI: --help
  apps::SceneArgs scene_args;
  apps::ViewArgs view_args;
  std::string output = "out.png";
  int orbit = 0;
  std::string movie;
  int fps = 24;
  int repeat = 0;
  std::optional<int> time_step;
  bool balance = false;
  std::string backend = "auto";
  std::string strategy = "auto";

  CLI::App app{"index-render: render a volume scene to PNG (add `mpirun -np N` to render on N ranks)"};
  app.set_version_flag("--version", LIBINDEX_VERSION);
  // IndeX-style `-key value` overrides first; CLI11 sees the rest.
  const auto overrides = io::parse_command_line_overrides(argc, argv);
  apps::add_scene_options(app, scene_args);
  apps::add_view_options(app, view_args);
  app.add_option("-o,--output", output, "PNG file to write (the head rank writes it; default out.png)")
      ->check([](const std::string& name) {
        // A picture named .jpg that is a PNG confuses every tool after us: say so instead.
        std::string ext = std::filesystem::path(name).extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        return ext.empty() || ext == ".png" ? std::string()
                                            : "index-render writes PNG images: name the file .png, not " + ext;
      });
  app.add_option("--orbit", orbit,
                 "render N frames on a circle around the region-of-interest centre into "
                 "OUTPUT_0000.png, ...")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--movie", movie,
                 "with --orbit N: encode the N frames as a video (.mp4, .mkv, .mov or .avi; H.264 when available); "
                 "PNGs are written too only when -o is given")
      ->needs("--orbit");
  app.add_option("--fps", fps, "frames per second of the --movie")->check(CLI::Range(1, 240));
  app.add_flag("--balance", balance,
               "re-partition by visible work (voxels the colormap shows) before rendering; "
               "same image, busier ranks");
  app.add_option("--repeat", repeat,
                 "time N more renders of the same frame after the first (which uploads and builds the skip "
                 "grid) and print their median: steady-state frame time, for benchmarks")
      ->check(CLI::NonNegativeNumber)
      ->excludes("--orbit");
  app.add_option("--time-step", time_step, "render this step of the scene's time series (default: its first)");
  app.add_option("--backend", backend, "auto (CUDA when a device answers, else CPU), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--strategy", strategy, "compositing: auto, direct-send, binary-swap or radix-k")
      ->check(CLI::IsMember({"auto", "direct-send", "binary-swap", "radix-k"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return apps::parse_failure(app, e, "index-render", rank);
  }

  const bool write_pngs = movie.empty() || app.count("--output") > 0;
  std::unique_ptr<io::MovieWriter> movie_writer; // the head's
  SessionOptions options;
  options.backend = kernels::parse_backend_kind(backend);
  options.compositing.strategy = compositing::parse_strategy(strategy);
  options.log = rank == 0;
  // Every rank builds the same view from the same arguments: no broadcast needed for a batch run.
  // A failure on any rank (a missing file, an unwritable output on the head) stops every rank.
  SceneView view;
  std::string error;
  const long long memory = memory_per_rank(MPI_COMM_WORLD);
  try {
    view = build_scene(apps::scene_spec(scene_args, overrides), rank == 0);
    check_scene_memory(view, mpi::comm_size(MPI_COMM_WORLD), memory); // said before any reading
    apps::apply_view_options(view_args, view);
    if (!time_step && view.scene.view.time_step) time_step = view.scene.view.time_step; // a saved session's step
    if (time_step) {
      require(!view.scene.volumes.empty(), "--time-step: the scene has no volume");
      const io::VolumeDesc& v = view.scene.volumes.front();
      require(v.time_last > v.time_first || *time_step == v.time_first,
              "--time-step " + std::to_string(*time_step) + ": the scene's volume is not a time series");
      view.volume = v.open_step(*time_step);
    }
    if (!movie.empty() && orbit < 1) throw Error("--movie needs --orbit N with N >= 1 frames");
    if (rank == 0 && (movie.empty() || write_pngs)) apps::check_writable(orbit > 0 ? numbered(output, 0) : output);
    if (rank == 0 && !movie.empty()) {
      // Opened now, so a bad name, folder or size fails before any frame renders.
      movie_writer = std::make_unique<io::MovieWriter>(movie, view.frame.width, view.frame.height, fps);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  mpi::agree_on_errors(MPI_COMM_WORLD, error);

  if (!view.volume && rank == 0)
    std::cerr << "[libindex] warning: the scene has no volume: the image shows only the background" << std::endl;
  // The viewer's frame pipeline, fed ops that every rank makes alike from the same arguments (no
  // broadcast): every volume of the scene, volumes on one grid mixed per sample, the data range
  // for a scene without a colormap domain.
  Session session(MPI_COMM_WORLD, options);
  Follower follower(session, options.backend);
  Op op;
  op.scene_version = 0;
  op.scene = apps::scene_spec(scene_args, overrides);
  op.backend = options.backend;
  op.time_step = time_step.value_or(view.scene.volumes.empty() ? 0 : view.scene.volumes.front().time_first);
  op.frame = view.frame;
  op.background = view.background;
  op.fit_domain =
      view.volume && !view_args.domain && !view.scene.volumes.empty() && !view.scene.volumes.front().domain_given;
  if (balance) {
    Op rebalance = op;
    rebalance.kind = Op::Kind::rebalance;
    follower.follow(rebalance);
  }
  const Vec3f centre = view_centre(view.volume_box, view.frame.settings);
  const int frames = std::max(1, orbit);
  for (int i = 0; i < frames; ++i) {
    Op frame_op = op;
    FrameParams& frame = frame_op.frame;
    if (orbit > 0) frame.camera = orbit_camera(view.frame.camera, centre, 360.0f * float(i) / float(orbit), 0.0f);
    Image image = follower.follow(frame_op);
    if (i == 0 && rank == 0)
      if (const auto d = follower.fitted_domain())
        std::cerr << "[libindex] " << fitted_domain_message(view, d->first, d->second) << std::endl;
    if (rank != 0) {
      if (repeat > 0) report_steady_state(follower, frame_op, repeat, rank);
      continue;
    }
    const FrameStats& s = session.last_stats();
    std::string path = orbit > 0 ? numbered(output, i) : output;
    if (write_pngs) io::write_png(path, image);
    if (movie_writer) {
      apply_background(image, {0, 0, 0, 1}); // video has no alpha: what is transparent shows black
      movie_writer->add(to_rgba8_premultiplied(image));
      path = write_pngs ? path + " and " + movie : movie + " (frame " + std::to_string(i + 1) + ")";
    }
    const double ms = s.render_ms + s.own_composite_ms;
    std::printf("%s, %d ranks, %dx%d, %lld samples, %.1f ms (render %.1f, composite %.1f), %.3g samples/s -> %s\n",
                session.backend_name().c_str(), s.ranks, frame.width, frame.height, s.samples, ms, s.render_ms,
                s.own_composite_ms, ms > 0 ? double(s.samples) / (ms / 1000.0) : 0.0, path.c_str());
    std::fflush(stdout);
    image = Image();
    if (repeat > 0) report_steady_state(follower, frame_op, repeat, rank);
  }
  if (movie_writer) {
    movie_writer->finish();
    std::printf("%s: %d frames at %d fps, %s\n", movie.c_str(), frames, fps, movie_writer->codec().c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) { return apps::run_mpi_main(argc, argv, "index-render", run); }
