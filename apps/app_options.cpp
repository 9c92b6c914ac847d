// SPDX-License-Identifier: Apache-2.0
#include "app_options.h"

#include <algorithm>

#include <mpi.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <utility>

#include "libindex/error.h"
#include "libindex/io/synthetic.h"

namespace libindex::apps {
namespace {

Vec3f vec3(const std::vector<float>& v, const char* name) {
  require(v.size() == 3, std::string("--") + name + " needs 3 numbers");
  return {v[0], v[1], v[2]};
}

} // namespace

std::string synthetic_project(const std::string& name, int size) {
  io::make_synthetic(name, size); // validates name and size with a clear message
  const std::string n = std::to_string(size);
  const std::string preset = name == "supernova" ? "supernova" : (name == "sphere" ? "viridis" : "grayscale");
  const std::string domain = name == "supernova" ? "0.05 1" : (name == "sphere" ? "0.02 1" : "0 1");
  const std::pair<const char*, std::string> keys[] = {
      {"info::name", name + " (synthetic)"},
      {"root::children", "props cmap vol"},
      {"props::type", "sparse_volume_rendering_properties"},
      {"props::sampling_distance", "0.5"},
      {"props::sampling_distance_reference", std::to_string(std::max(1, size / 64))},
      {"cmap::type", "colormap"},
      {"cmap::preset", preset},
      {"cmap::domain", domain},
      {"cmap::domain_boundary_mode", "clamp_to_transparent"},
      {"vol::type", "sparse_volume"},
      {"vol::importer", "synthetic"},
      {"vol::generator", name},
      {"vol::size", n},
      {"vol::bbox", "0 0 0 " + n + " " + n + " " + n},
  };
  std::string text = "#! index_app_project 0\n";
  for (const auto& [key, value] : keys) text += std::string("app::scene::") + key + " = " + value + "\n";
  return text;
}

VolumeFileOptions volume_file_options(const SceneArgs& args) {
  VolumeFileOptions o;
  if (args.dims) {
    require(args.dims->size() == 3, "--dims needs 3 numbers");
    o.dims = Vec3i{(*args.dims)[0], (*args.dims)[1], (*args.dims)[2]};
  }
  if (args.type) o.type = io::parse_file_type(*args.type);
  o.grid = args.grid;
  o.unit = args.unit;
  return o;
}

void add_scene_options(CLI::App& app, SceneArgs& a) {
  app.add_option("files", a.files,
                 "what to show: .prj scene files (layered in order), or one volume file: .raw (size and type from "
                 "an Open SciVis name like head_256x256x113_uint16.raw, or --dims/--type), .nrrd/.nhdr, .vdb, .nvdb")
      ->check(CLI::ExistingFile);
  app.add_option("--dims", a.dims, "a raw file's size: X Y Z voxels (when its name does not say)")->expected(3);
  app.add_option("--type", a.type,
                 "a raw file's voxel type: uint8, uint16, int16 (sint16), float32; int8, uint32, int32 and float64 "
                 "become float32 as they are read")
      ->check(CLI::IsMember(
          {"uint8", "int8", "uint16", "sint16", "int16", "uint32", "int32", "float32", "float", "float64", "double"}));
  app.add_option("--grid", a.grid,
                 "the grid of an OpenVDB or NanoVDB file (default: its first float grid, else its first other scalar "
                 "grid, else its first vector grid, shown as the vectors' length)");
  app.add_option("--unit", a.unit, "the unit of a volume file's values, shown by the viewer's colour legend");
  app.add_option("--add", a.add,
                 "IndeX project file (.prj); repeat to layer several. Any key can also be "
                 "given as -key value, e.g. -index::canvas_resolution \"800 600\"")
      ->check(CLI::ExistingFile);
  app.add_option("--synthetic", a.synthetic, "render a synthetic volume: marschner-lobb, sphere or supernova");
  app.add_option("--size", a.size, "voxels per axis of the synthetic volume")->check(CLI::Range(1, 65536));
  app.footer("A scene's volume sample programs (IndeX XAC rendering_kernel_program nodes) are compiled at load time "
             "by $LIBINDEX_CXX (else $CXX, else c++) and kept in $LIBINDEX_CACHE_DIR (else ~/.cache/libindex); a "
             "compile stops after $LIBINDEX_XAC_COMPILE_SECONDS (default 120).\n\nA scene whose volumes cannot fit in "
             "the ranks' memory, evenly divided, is refused: each rank counts its share of its node's memory (or of "
             "its cgroup's limit); $LIBINDEX_MEMORY_PER_RANK (e.g. 6G) replaces that figure.");
}

void add_view_options(CLI::App& app, ViewArgs& a) {
  app.add_option("--width", a.width, "image width (default: the scene's canvas)")->check(CLI::Range(1, 32768));
  app.add_option("--height", a.height, "image height")->check(CLI::Range(1, 32768));
  app.add_option("--from", a.from, "camera position x y z (scene space)")->expected(3);
  app.add_option("--dir", a.dir, "camera view direction x y z")->expected(3);
  app.add_option("--up", a.up, "camera up vector x y z")->expected(3);
  app.add_option("--aperture", a.aperture, "image-plane width at the focal distance")->check(CLI::PositiveNumber);
  app.add_option("--focal", a.focal, "focal distance")->check(CLI::PositiveNumber);
  app.add_flag("--ortho", a.ortho, "orthographic camera");
  app.add_option("--colormap", a.colormap,
                 "colormap preset: viridis, magma, inferno, plasma, cool-warm, grayscale, supernova, jet");
  app.add_option("--domain", a.domain, "colormap domain: min max")->expected(2);
  app.add_option("--opacity", a.opacity, "maximum opacity of a preset's ramp (default 1)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--sampling-distance", a.sampling_distance, "distance between samples (scene space)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--shading", a.shading, "headlight gradient shading on");
  app.add_flag("--no-shading", a.no_shading, "gradient shading off");
  app.add_flag("--jitter", a.jitter, "per-pixel jitter of the sample lattice");
  app.add_flag("--mip", a.mip, "maximum intensity projection");
  app.add_flag("--no-skip", a.no_skip, "disable empty-space skipping (same image, more work)");
  app.add_flag("--no-early-termination", a.no_early_termination, "march every ray to its end");
  app.add_flag("--software-filtering", a.software_filtering, "CUDA: exact software trilinear instead of texture units");
  app.add_option("--background", a.background, "background r g b a in [0,1] (default transparent)")->expected(4);
}

SceneSpec scene_spec(const SceneArgs& args, std::vector<std::pair<std::string, std::string>> overrides) {
  SceneSpec spec;
  spec.use_default = args.files.empty() && args.add.empty() && args.synthetic.empty();
  int volume_files = 0;
  for (const std::string& f : args.files) {
    if (file_kind(f, volume_file_options(args)) == FileKind::scene) {
      spec.layers.push_back(SceneLayer::from_file(std::filesystem::absolute(f).string()));
    } else {
      require(++volume_files == 1, "one volume file at a time ('" + f +
                                       "' is the second); several volumes go in a "
                                       ".prj scene");
      spec.layers.push_back(SceneLayer::for_volume_file(volume_file_project(f, volume_file_options(args)), f));
    }
  }
  require(volume_files > 0 || (!args.dims && !args.type), "--dims and --type describe a raw volume file: name one");
  require(volume_files > 0 || args.unit.empty(), "--unit describes a volume file's values: name one");
  for (const std::string& f : args.add)
    spec.layers.push_back(SceneLayer::from_file(std::filesystem::absolute(f).string()));
  if (!args.synthetic.empty())
    spec.layers.push_back(SceneLayer::from_text(synthetic_project(args.synthetic, args.size), "--synthetic"));
  spec.overrides = std::move(overrides);
  return spec;
}

void apply_view_options(const ViewArgs& a, SceneView& v) {
  FrameParams& f = v.frame;
  if (a.width) f.width = *a.width;
  if (a.height) f.height = *a.height;
  if (a.width || a.height) {
    // As the viewer does for a canvas of another shape: a camera libindex fitted is fitted again.
    const float aspect = float(f.width) / float(f.height);
    if (fits_own_camera(v))
      f.camera = fitted_camera(v, aspect);
    else
      f.camera.aspect = aspect;
  }
  if (a.from) f.camera.from = vec3(*a.from, "from");
  if (a.dir) f.camera.dir = vec3(*a.dir, "dir");
  if (a.up) f.camera.up = vec3(*a.up, "up");
  if (a.aperture) f.camera.aperture = *a.aperture;
  if (a.focal) f.camera.focal = *a.focal;
  if (a.ortho) f.camera.orthographic = true;
  if (a.colormap) {
    const Colormap preset = colormap_preset(*a.colormap, a.opacity.value_or(1.0f));
    f.colormap.entries = preset.entries;
  } else if (a.opacity) {
    for (Vec4f& e : f.colormap.entries) e.w *= *a.opacity;
  }
  if (a.domain) {
    require((*a.domain)[0] != (*a.domain)[1], "--domain: min and max must differ");
    f.colormap.domain_min = (*a.domain)[0], f.colormap.domain_max = (*a.domain)[1];
  }
  if (a.sampling_distance) f.settings.sampling_distance = *a.sampling_distance;
  if (a.shading) f.settings.shading.enabled = true;
  if (a.no_shading) f.settings.shading.enabled = false;
  if (a.jitter) f.settings.jitter = true;
  if (a.mip) f.settings.mode = RenderMode::maximum_intensity;
  if (a.no_skip) f.settings.empty_space_skipping = false;
  if (a.no_early_termination) f.settings.early_termination = false;
  if (a.software_filtering) f.settings.hardware_filtering = false;
  if (a.background) v.background = {(*a.background)[0], (*a.background)[1], (*a.background)[2], (*a.background)[3]};
}

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (fs::is_directory(p)) throw Error("cannot write '" + path + "': it is a directory");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw Error("cannot write '" + path + "': directory '" + dir.string() + "' does not exist");
  std::error_code ec;
  const bool existed = fs::exists(p, ec); // through a symbolic link: is there a file to write over?
  FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) throw Error("cannot write '" + path + "': " + std::strerror(errno));
  std::fclose(f);
  // Tried, not kept: a run that fails later (out of memory, a bad file) leaves no empty image behind.
  // Where `path` is a link to a file that did not exist, the file made is the link's target: that
  // goes, and the user's link stays.
  if (!existed) fs::remove(fs::is_symlink(fs::symlink_status(p, ec)) ? fs::canonical(p, ec) : p, ec);
}

namespace {

/// Whether only text is asked for (--help, -h, --version) by a process that no parallel launcher
/// started (Open MPI's, a PMI or PMIx one, srun): one that would be an MPI singleton.
bool only_text_asked(int argc, char** argv) {
  for (const char* launched : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"})
    if (std::getenv(launched)) return false;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--version"))
      return true;
  return false;
}

} // namespace

int world_rank() {
  int initialized = 0, rank = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int parse_failure(const CLI::App& app, const CLI::ParseError& error, const char* program, int rank) {
  if (error.get_exit_code() == 0) return rank == 0 ? app.exit(error) : 0; // --help, --version
  if (rank == 0) {
    std::string what = error.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::cerr << program << ": error: " << what << " (see --help)" << std::endl;
  }
  return 2;
}

int run_mpi_main(int argc, char** argv, const char* program, const std::function<int(int, char**)>& body) {
  const bool with_mpi = !only_text_asked(argc, argv);
  int provided = 0;
  if (with_mpi) MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  const int rank = world_rank();
  int code = 0;
  try {
    code = body(argc, argv);
  } catch (const std::exception& e) {
    // Errors that every rank agreed on (agree_on_errors) are printed once, by the head.
    if (rank == 0) std::cerr << program << ": error: " << e.what() << std::endl;
    code = 1;
  }
  if (with_mpi) MPI_Finalize();
  return code;
}

} // namespace libindex::apps
