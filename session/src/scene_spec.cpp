// SPDX-License-Identifier: Apache-2.0
#include "libindex/scene_spec.h"

#include <iostream>

#include "libindex/io/project_file.h"

namespace libindex {

namespace {
void add_layers(io::ProjectFile& project, const std::vector<SceneLayer>& layers) {
  for (const SceneLayer& l : layers) {
    const auto policy = l.roots.empty() ? nullptr : std::make_shared<const io::PathPolicy>(l.roots);
    if (!l.file.empty())
      project.add_file(l.file, policy);
    else if (!l.text.empty())
      project.add_text(l.text, l.name, policy);
    for (const auto& [key, value] : l.assignments) project.set(key, value, io::Origin{"", 0, l.name, policy});
  }
}
} // namespace

io::ProjectFile merged_project(const SceneSpec& spec) {
  io::ProjectFile project;
  if (spec.use_default) project = io::default_project();
  add_layers(project, spec.layers);
  project.add_overrides(spec.overrides);
  add_layers(project, spec.edits);
  return project;
}

SceneView build_scene(const SceneSpec& spec, bool log) {
  io::SceneDescription scene = io::load_scene(merged_project(spec));
  if (log)
    for (const std::string& w : scene.warnings) std::cerr << "warning: " << w << "\n";
  return make_scene_view(std::move(scene));
}

} // namespace libindex
