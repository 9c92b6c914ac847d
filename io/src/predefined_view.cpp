// SPDX-License-Identifier: Apache-2.0
// IndeX's viewer at start-up: app::examiner::predefined_view::startup_update replaces the file's
// camera by a predefined view (its own "top view" unless the project defines views), fitted to the
// region of interest when the view says view_all.
#include <cmath>
#include <optional>

#include "libindex/error.h"
#include "scene_internal.h"

namespace libindex::io::detail {
namespace {

/// A predefined view as IndeX's examiner holds it, with its defaults.
struct PredefinedView {
  Camera camera;
  bool view_all = false;
};

/// IndeX's "Default Top view": looking down -z with y up, fitted to the region of interest.
PredefinedView top_view() {
  PredefinedView v;
  v.camera.from = {0, 0, 0}, v.camera.dir = {0, 0, -1}, v.camera.up = {0, 1, 0};
  v.camera.aspect = 1, v.camera.aperture = 0.033f, v.camera.focal = 0.03f;
  v.camera.clip_min = 0.001f, v.camera.clip_max = 10000;
  v.view_all = true;
  return v;
}

/// View `i` of the project's app::examiner::predefined_view::<i>::* keys. As in IndeX's examiner, a
/// scalar not above 0 keeps its default, and so do both clip distances if either is not.
PredefinedView project_view(const ProjectFile& project, int i) {
  const std::string p = "app::examiner::predefined_view::" + std::to_string(i) + "::";
  PredefinedView v;
  Camera& c = v.camera;
  c.from = project.get_vec3f(p + "from", {0, 0, -5});
  c.dir = project.get_vec3f(p + "dir", {0, 0, 0});
  c.up = project.get_vec3f(p + "up", {0, 1, 0});
  c.aspect = 1, c.aperture = 0.033f, c.focal = 0.03f, c.clip_min = 0.01f, c.clip_max = 1000;
  for (auto [key, value] : {std::pair{"aspect", &c.aspect}, {"aperture", &c.aperture}, {"focal", &c.focal}})
    if (const float f = project.get_float(p + key, 0); f > 0) *value = f;
  const float near = project.get_float(p + "clip_min", 0), far = project.get_float(p + "clip_max", 0);
  if (near > 0 && far > near) c.clip_min = near, c.clip_max = far;
  c.orthographic = project.get_bool(p + "orthographic", false);
  v.view_all = project.get_bool(p + "view_all", false);
  return v;
}

/// The box a view fits: the region of interest, else the shown volumes' hull (scene space); none
/// when the scene shows no volume.
std::optional<Box3f> box_to_view(const SceneDescription& scene) {
  if (const auto roi = scene_region_of_interest(scene)) return roi;
  Box3f shown;
  for (const VolumeDesc& v : scene.volumes)
    if (v.enabled) shown = hull(shown, to_scene_box(v.source->box(), render_settings(scene, v)));
  if (shown.empty()) return std::nullopt;
  return shown;
}

} // namespace

void apply_predefined_view(const ProjectFile& project, SceneDescription& scene) {
  const std::string p = "app::examiner::predefined_view::";
  const auto update = project.find(p + "startup_update");
  if (!update || !as_bool(*update)) return;
  PredefinedView v = top_view();
  if (project.get_bool(p + "enable", false)) {
    const auto index = project.find(p + "view_index");
    const int count = project.get_int(p + "view_count", 0), i = index ? as_int(*index) : 0;
    if (i < 0 || i >= count) {
      scene.warnings.push_back((index ? *index : *update).where() + ": predefined view " + std::to_string(i) +
                               " is not defined (view_count = " + std::to_string(count) + "); the file's camera stays");
      return;
    }
    v = project_view(project, i);
  }
  if (!(length(v.camera.dir) > 0) || !(length(cross(v.camera.dir, v.camera.up)) > 0)) {
    scene.warnings.push_back(update->where() + ": the predefined view has no direction, or its up is along it; the "
                                               "file's camera stays");
    return;
  }
  Camera c = camera_in_scene_space(scene, v.camera); // the view is in world space
  const std::optional<Box3f> fitted = box_to_view(scene);
  if (v.view_all && fitted && fitted->lo.x <= fitted->hi.x) {
    const Box3f& box = *fitted;
    // IndeX's view_bbox_all: the box's bounding sphere in view, the eye back along dir (as given,
    // not normalized) from its centre; an orthographic view as wide as the sphere.
    const Vec3f centre = (box.lo + box.hi) * 0.5f;
    const float radius = 0.5f * length(box.hi - box.lo);
    const float tan_half_height = 0.5f * c.aperture / (c.aspect * c.focal);
    const float distance = c.orthographic ? radius : radius / tan_half_height;
    if (c.orthographic) c.aperture = 2 * radius;
    c.from = centre - c.dir * distance;
  }
  // The picture keeps the canvas's shape (the view's aspect framed it, as in IndeX).
  c.aspect = scene.canvas_aspect();
  scene.camera = c;
}

} // namespace libindex::io::detail
