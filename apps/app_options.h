// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Command-line pieces shared by index-render and viewer: which scene, how to view it, and the
/// MPI main that turns every error into one line on stderr and a non-zero exit.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libindex/scene_spec.h"

namespace libindex::apps {

struct SceneArgs {
  std::vector<std::string> files; ///< positional: .prj files, or one volume file (raw, NRRD, OpenVDB, NanoVDB)
  std::vector<std::string> add;   ///< .prj files, layered in order (after `files`)
  std::string synthetic;          ///< a synthetic volume instead of (or over) the scene
  int size = 256;
  std::optional<std::vector<int>> dims; ///< a raw file's size, when its name does not say
  std::optional<std::string> type;      ///< a raw file's voxel type, when its name does not say
  std::string grid;                     ///< the grid of an OpenVDB/NanoVDB file (default: its first float grid)
  std::string unit;                     ///< the unit of a volume file's values (the colour legend's)
};

struct ViewArgs {
  std::optional<int> width, height;
  std::optional<std::vector<float>> from, dir, up, domain, background;
  std::optional<float> aperture, focal, opacity, sampling_distance;
  std::optional<std::string> colormap;
  bool ortho = false, shading = false, no_shading = false, jitter = false, mip = false, no_skip = false,
       no_early_termination = false, software_filtering = false;
};

/// What --dims, --type and --grid say about a volume file (for volume_file_project).
VolumeFileOptions volume_file_options(const SceneArgs& args);

/// Project text of a one-volume scene around a synthetic generator (no camera: the default frames it).
std::string synthetic_project(const std::string& name, int size);

void add_scene_options(CLI::App& app, SceneArgs& args);
void add_view_options(CLI::App& app, ViewArgs& args);

/// The scene the options name: the built-in default when no --add and no --synthetic, else the files
/// layered (absolute paths), then `-key value` overrides. build_scene() makes it.
SceneSpec scene_spec(const SceneArgs& args, std::vector<std::pair<std::string, std::string>> overrides);
/// Applies camera/colormap/settings options over the scene's own.
void apply_view_options(const ViewArgs& args, SceneView& view);
/// Throws Error naming the path when a file cannot be created there.
void check_writable(const std::string& path);

/// What a failed CLI11 parse returns: for --help and --version the text (exit 0); for a mistake one
/// line on the head's stderr, "<program>: error: <what> (see --help)", and exit code 2, the usual
/// code of a usage error. Only the head prints (every rank parses the same arguments).
int parse_failure(const CLI::App& app, const CLI::ParseError& error, const char* program, int rank);

/// MPI_Init, run `body`, MPI_Finalize. Errors become "<program>: error: <message>" on the head (or on
/// the rank that failed alone) and exit code 1. `--help`, `-h` and `--version` outside a parallel
/// launch skip MPI: a singleton MPI_Init starts a daemon, half a second before the text shows, so
/// `body` must parse its options before its first MPI call but for world_rank().
int run_mpi_main(int argc, char** argv, const char* program, const std::function<int(int, char**)>& body);
/// This process's rank in MPI_COMM_WORLD; 0 where MPI is not initialized (run_mpi_main's --help).
int world_rank();

} // namespace libindex::apps
