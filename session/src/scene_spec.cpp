// SPDX-License-Identifier: Apache-2.0
#include "libindex/scene_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string_view>

#include "libindex/error.h"
#include "libindex/io/project_file.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/raw_reader.h"
#include "libindex/io/vdb_reader.h"
#include "libindex/io/volume_properties.h"

namespace libindex {

namespace {
void add_layers(io::ProjectFile& project, const std::vector<SceneLayer>& layers) {
  for (const SceneLayer& l : layers) {
    const auto policy = l.roots.empty() ? nullptr : std::make_shared<const io::PathPolicy>(l.roots);
    if (!l.file.empty())
      project.add_file(l.file, policy);
    else if (!l.text.empty())
      project.add_text(l.text, l.name, policy, l.generated);
    for (const auto& [key, value] : l.assignments) {
      if (key.ends_with("::*"))
        project.erase_prefix(key.substr(0, key.size() - 1));
      else
        project.set(key, value, io::Origin{"", 0, l.name, policy});
    }
  }
}

// The volume formats by the importer io names for an extension, plus what only files named on the
// command line may be: a scene, or raw data as .bin or .dat.
std::optional<FileKind> kind_by_extension(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (e == ".prj") return FileKind::scene;
  if (e == ".bin" || e == ".dat") return FileKind::raw;
  const std::string importer = io::importer_for_extension(e).value_or("");
  if (importer == "raw") return FileKind::raw;
  if (importer == "nrrd") return FileKind::nrrd;
  if (importer == "openvdb") return FileKind::openvdb;
  if (importer == "nanovdb") return FileKind::nanovdb;
  return std::nullopt;
}

// The formats that say what they are in their first bytes.
std::optional<FileKind> kind_by_content(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[32] = {};
  in.read(head, sizeof head);
  const std::string_view start(head, size_t(in.gcount()));
  if (start.starts_with("#! index_app_project")) return FileKind::scene;
  if (start.starts_with("NRRD000")) return FileKind::nrrd;
  if (start.starts_with("NanoVDB")) return FileKind::nanovdb; // NANOVDB_MAGIC_NUMBER and _FILE, little-endian
  if (start.starts_with(std::string_view(" BDV\0\0\0\0", 8))) return FileKind::openvdb; // 0x56444220 as int64
  return std::nullopt;
}

const char* importer_name(FileKind k) {
  switch (k) {
  case FileKind::raw:
    return "raw";
  case FileKind::nrrd:
    return "nrrd";
  case FileKind::openvdb:
    return "openvdb";
  case FileKind::nanovdb:
    return "nanovdb";
  case FileKind::scene:
    break;
  }
  throw Error("a scene file is not a volume file");
}

// Whether the grid a VDB file shows is a level set, from its metadata. A file that cannot be read
// is not one here: loading the scene says what is wrong with it.
bool holds_level_set(FileKind kind, const std::string& path, const std::string& grid) {
  try {
    if (kind == FileKind::openvdb) return io::open_openvdb(path, grid)->level_set();
    if (kind == FileKind::nanovdb) return io::open_nanovdb(path, grid)->level_set();
  } catch (const Error&) {}
  return false;
}

} // namespace

bool is_volume_file(const std::string& path) {
  const auto kind = kind_by_extension(path);
  return kind && *kind != FileKind::scene;
}

FileKind file_kind(const std::string& path, const VolumeFileOptions& o) {
  namespace fs = std::filesystem;
  if (const auto kind = kind_by_extension(path)) return *kind;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error("'" + path + "': " + (fs::exists(path, ec) ? "not a regular file" : "no such file"));
  if (const auto kind = kind_by_content(path)) return *kind;
  if ((o.dims && o.type) || io::parse_scivis_name(path)) return FileKind::raw;
  throw Error("'" + path +
              "': not a file libindex reads: a scene (.prj) or a volume (.raw/.bin/.dat with --dims and "
              "--type or an Open SciVis name, .nrrd/.nhdr, .vdb, .nvdb)");
}

std::string volume_file_project(const std::string& path, const VolumeFileOptions& o) {
  namespace fs = std::filesystem;
  const FileKind kind = file_kind(path, o);
  if (kind == FileKind::scene) throw Error("'" + path + "' is a scene file, not a volume file");
  const bool raw = kind == FileKind::raw;
  // Said in the words the user typed (--dims, --type), not in the project keys they become.
  const std::optional<io::ScivisName> named = raw ? io::parse_scivis_name(path) : std::nullopt;
  auto dims_text = [](Vec3i d) { return std::to_string(d.x) + "x" + std::to_string(d.y) + "x" + std::to_string(d.z); };
  if (named && o.dims && !(*o.dims == named->dims))
    throw Error("'" + path + "': --dims " + dims_text(*o.dims) + " does not match the file name's " +
                dims_text(named->dims));
  if (named && o.type && *o.type != named->type)
    throw Error("'" + path + "': --type " + to_string(*o.type) + " does not match the file name's " +
                to_string(named->type));
  if (raw && !named && !(o.dims && o.type))
    throw Error("'" + path +
                "': a raw file needs its size and voxel type: name it name_XxYxZ_type.raw (Open SciVis) "
                "or give --dims X Y Z --type uint8|uint16|int16|float32|...");
  std::vector<std::pair<std::string, std::string>> keys = {
      {"info::name", fs::path(path).filename().string()},
      {"root::children", "cmap vol"},
      {"cmap::type", "colormap"},
      {"cmap::preset", "viridis"},
      {"cmap::domain_boundary_mode", "clamp_to_transparent"},
      {"vol::type", "sparse_volume"},
      {"vol::name", fs::path(path).filename().string()}, // what the colour legend names
      {"vol::input_file", fs::absolute(path).string()},
  };
  keys.push_back({"vol::importer", importer_name(kind)}); // the file's name need not say
  if (!o.unit.empty()) {
    require(o.unit.find('\n') == std::string::npos, "--unit must be one line");
    keys.push_back({"vol::unit", o.unit});
  }
  if (o.dims) {
    require(o.dims->x > 0 && o.dims->y > 0 && o.dims->z > 0, "--dims needs 3 positive numbers");
    keys.push_back({"vol::bbox", "0 0 0 " + std::to_string(o.dims->x) + " " + std::to_string(o.dims->y) + " " +
                                     std::to_string(o.dims->z)});
  }
  if (o.type) keys.push_back({"vol::voxel_format", to_string(*o.type)});
  if (!o.grid.empty()) keys.push_back({"vol::grid", o.grid});
  if (holds_level_set(kind, path, o.grid)) { // a surface: a headlight shades it by the distances' gradient
    keys[1].second = "cmap light vol";
    keys.push_back({"light::type", "directional_headlight"});
    keys.push_back({"light::direction", "0 0 -1"});
  }
  std::string text = "#! index_app_project 0\n";
  for (const auto& [key, value] : keys) text += "app::scene::" + key + " = " + value + "\n";
  return text;
}

io::ProjectFile merged_project(const SceneSpec& spec) {
  io::ProjectFile project;
  if (spec.use_default) project = io::default_project();
  add_layers(project, spec.layers);
  project.add_overrides(spec.overrides);
  add_layers(project, spec.edits);
  return project;
}

namespace {
bool shows_level_set(const SceneView& view, size_t index) {
  const auto& volumes = view.scene.volumes;
  return index < volumes.size() && volumes[index].source && io::is_level_set(*volumes[index].source);
}
} // namespace

std::optional<std::pair<float, float>> data_domain_of(const SceneView& view, size_t index,
                                                      const ValueStatistics& values) {
  return data_domain(values, shows_level_set(view, index));
}

std::string fitted_domain_message(const SceneView& view, float lo, float hi) {
  std::ostringstream out;
  const auto& volumes = view.scene.volumes;
  if (shows_level_set(view, 0) && hi == 0) {
    out << "the scene sets no colormap domain and the volume is a level set: using [" << lo
        << ", 0], its inside up to the surface (values above 0, outside, are beyond the domain)";
    return out.str();
  }
  out << "the scene sets no colormap domain: using the data range [" << lo << ", " << hi << "]";
  if (!volumes.empty() && volumes.front().source && volumes.front().source->dtype() != DType::float32)
    visit_dtype(volumes.front().source->dtype(), [&](auto tag) {
      const float scale = voxel_scale<typename decltype(tag)::type>();
      out << " (stored values " << std::lround(lo / scale) << " to " << std::lround(hi / scale) << ")";
    });
  return out.str();
}

void print_warnings(const std::vector<std::string>& warnings, const std::vector<std::string>& already_shown) {
  for (const std::string& w : warnings)
    if (std::find(already_shown.begin(), already_shown.end(), w) == already_shown.end())
      std::cerr << "warning: " << w << "\n";
}

SceneView build_scene(const SceneSpec& spec, bool log) {
  SceneView view = make_scene_view(io::load_scene(merged_project(spec)));
  compile_programs(view);
  if (log) print_warnings(view.scene.warnings);
  return view;
}

} // namespace libindex
