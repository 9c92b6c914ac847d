// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What every rank needs to build the same scene: the built-in default (or not), project files,
/// command-line overrides and the scene edits made through the API, applied in that order as layers.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libindex/io/project_file.h"
#include "libindex/io/raw_reader.h"
#include "libindex/scene_view.h"
#include "libindex/value_statistics.h"

namespace libindex {

/// A layer of the scene: a project file, project text (a synthetic scene), or key/value assignments
/// (a scene edit made through the API: data, never text pasted into a project and parsed again).
struct SceneLayer {
  std::string file;       ///< a .prj path, or empty
  std::string text, name; ///< project text and the name its messages use
  /// key = value, in order; a key ending in "::*" (erase_element) removes every key under that
  /// prefix instead, from the layers below.
  std::vector<std::pair<std::string, std::string>> assignments;
  /// Not empty for layers that came over the network: every file they name must lie inside these
  /// roots (io::PathPolicy), also the ones a loaded .prj names.
  std::vector<std::string> roots;
  /// The text is volume_file_project()'s: messages about it say the reader's words, not its lines.
  bool generated = false;

  /// The assignment that removes every attribute element `id` had in the layers below: an element
  /// created again after its removal starts from IndeX's defaults, not from what the old one set.
  static std::pair<std::string, std::string> erase_element(const std::string& id) {
    return {"app::scene::" + id + "::*", ""};
  }

  static SceneLayer from_file(std::string path) {
    SceneLayer l;
    l.file = std::move(path);
    return l;
  }
  static SceneLayer from_text(std::string text, std::string name) {
    SceneLayer l;
    l.text = std::move(text);
    l.name = std::move(name);
    return l;
  }
  /// The one-volume scene around volume file `path` (volume_file_project's `text`).
  static SceneLayer for_volume_file(std::string text, std::string path) {
    SceneLayer l = from_text(std::move(text), std::move(path));
    l.generated = true;
    return l;
  }
  friend bool operator==(const SceneLayer&, const SceneLayer&) = default;
};

struct SceneSpec {
  bool use_default = true; ///< start from the built-in default scene
  std::vector<SceneLayer> layers;
  std::vector<std::pair<std::string, std::string>> overrides; ///< -key value from the command line
  std::vector<SceneLayer> edits; ///< scene edits from the API: later than (so over) the command line
  friend bool operator==(const SceneSpec&, const SceneSpec&) = default;
};

/// How to read a volume file that says less than it should: a raw file's size and type (when its
/// name is not an Open SciVis name), an OpenVDB/NanoVDB file's grid (default: its first float grid).
struct VolumeFileOptions {
  std::optional<Vec3i> dims;
  std::optional<io::FileType> type; ///< a raw file's voxel type (--type)
  std::string grid;
  std::string unit; ///< the unit of the values (--unit), for the colour legend
};

/// What a file holds, for the files a user names: a scene, or one of the volume formats.
enum class FileKind { scene, raw, nrrd, openvdb, nanovdb };

/// The kind of `path`: by its extension in any case (.prj; .raw, .bin, .dat; .nrrd, .nhdr; .vdb;
/// .nvdb), else by its first bytes (a project file's header, NRRD's, OpenVDB's and NanoVDB's magic
/// numbers), else raw when `options` or an Open SciVis name give a raw file's size and type. Throws
/// Error saying what libindex reads for anything else (a PNG, a missing file, a folder).
FileKind file_kind(const std::string& path, const VolumeFileOptions& options = {});

/// Project text of a one-volume scene around a volume file: its format from file_kind(), a raw
/// file's size and type from `options` or its Open SciVis name; the volume named after the file, the
/// viridis preset, no domain (the data range is used) and no camera (the default frames the volume).
/// Throws Error for a raw file nothing describes, or a file that holds no volume libindex reads.
std::string volume_file_project(const std::string& path, const VolumeFileOptions& options = {});
/// Whether `path` names a volume file volume_file_project() can open, by its extension alone (in any
/// case): what the API's file listings and loads go by, without opening files.
bool is_volume_file(const std::string& path);

/// The project the spec's layers make, in order (the built-in default, files and texts, command-line
/// overrides, API edits): what build_scene reads, and what session.save writes out.
io::ProjectFile merged_project(const SceneSpec& spec);

/// The domain volume `index` of the view is shown over when the scene sets none: data_domain() of
/// its `values`, as a level set when its source is one (an OpenVDB or NanoVDB level set: from its
/// inside to its surface, 0). An index past the scene's volumes (a scene without any): as any volume.
std::optional<std::pair<float, float>> data_domain_of(const SceneView& view, size_t index,
                                                      const ValueStatistics& values);

/// "the scene sets no colormap domain: using the data range [lo, hi]" (normalized values), with the
/// range in the first volume's stored numbers too when they are integers (a CT's Hounsfield units).
std::string fitted_domain_message(const SceneView& view, float lo, float hi);

/// Prints each of `warnings` that is not in `already_shown` as one "warning: ..." line on stderr.
void print_warnings(const std::vector<std::string>& warnings, const std::vector<std::string>& already_shown = {});

/// Builds the scene of a spec; every rank does it with the same spec and gets the same scene.
/// Throws libindex::Error naming the file and key at fault. `log`: print the scene's warnings.
SceneView build_scene(const SceneSpec& spec, bool log);

} // namespace libindex
