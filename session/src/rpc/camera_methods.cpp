// SPDX-License-Identifier: Apache-2.0
// camera.*: get, set, orbit, pan, zoom, reset. Every camera the state takes is one the renderer can
// use: finite numbers, positive aperture and focal distance, dir and up neither zero nor parallel.
#include "libindex/default_view.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

namespace {

/// The largest coordinate or distance a camera may hold: far beyond any scene, far below where
/// float arithmetic on it overflows.
constexpr float kMaxExtent = 1e15f;

void check_camera(const Camera& c) {
  const Vec3f vectors[3] = {c.from, c.dir, c.up};
  for (const Vec3f& v : vectors)
    for (int a = 0; a < 3; ++a)
      if (!(std::abs(v[a]) <= kMaxExtent)) bad("camera coordinates must be finite and within +-1e15");
  if (!(c.aperture > 1e-12f && c.aperture <= kMaxExtent)) bad("'aperture' must be in (1e-12, 1e15]");
  if (!(c.focal > 1e-12f && c.focal <= kMaxExtent)) bad("'focal' must be in (1e-12, 1e15]");
  const float d = length(c.dir), u = length(c.up);
  if (!(d > 0) || !(u > 0) || !(length(cross(c.dir / d, c.up / u)) > 1e-6f))
    bad("'dir' and 'up' must be non-zero and not parallel");
}

/// Commits a checked camera and returns it as the reply.
json set_camera(ViewState& s, const Camera& c) {
  check_camera(c);
  s.frame.camera = c;
  s.dirty = true;
  return camera_to_json(c);
}

} // namespace

void add_camera_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  const json result = {{"type", "object"},
                       {"description", "the camera: from, dir, up, aperture, aspect, focal, orthographic, and its clip "
                                       "range clip_min, clip_max (null: none) as scene files set it"}};
  rpc.add({"camera.get", "The current camera.", json::object(), result, {}},
          [&s](const json&) { return camera_to_json(s.frame.camera); });
  rpc.add({"camera.set",
           "Sets any of the camera's fields.",
           {{"from", param_doc("number[3]", "eye position")},
            {"dir", param_doc("number[3]", "view direction")},
            {"up", param_doc("number[3]", "up vector")},
            {"aperture", param_doc("number", "image-plane width, > 0")},
            {"focal", param_doc("number", "focal distance, > 0")},
            {"orthographic", param_doc("boolean", "orthographic projection")}},
           result,
           {"-32602 when a field has the wrong type or is out of range"}},
          [&s](const json& q) {
            Camera c = s.frame.camera;
            if (q.contains("from")) c.from = vec3_param(q, "from");
            if (q.contains("dir")) c.dir = vec3_param(q, "dir");
            if (q.contains("up")) c.up = vec3_param(q, "up");
            c.aperture = param_or<float>(q, "aperture", c.aperture);
            c.focal = param_or<float>(q, "focal", c.focal);
            c.orthographic = param_or<bool>(q, "orthographic", c.orthographic);
            return set_camera(s, c);
          });
  rpc.add({"camera.orbit",
           "Rotates the camera around the region-of-interest centre.",
           {{"azimuth", param_doc("number", "degrees around the up vector")},
            {"elevation", param_doc("number", "degrees around the right vector")}},
           result,
           {"-32602 for a non-number"}},
          [&s](const json& q) {
            const Vec3f centre = view_centre(s.view.volume_box, s.frame.settings);
            return set_camera(s, orbit_camera(s.frame.camera, centre, param_or<float>(q, "azimuth", 0),
                                              param_or<float>(q, "elevation", 0)));
          });
  rpc.add({"camera.pan",
           "Moves the camera sideways by fractions of the view.",
           {{"dx", param_doc("number", "fraction of the view width")},
            {"dy", param_doc("number", "fraction of the view height")}},
           result,
           {"-32602 for a non-number, or a move that leaves the camera out of range"}},
          [&s](const json& q) {
            Camera c = s.frame.camera;
            const CameraFrame f = camera_frame(c);
            const Vec3f centre = view_centre(s.view.volume_box, s.frame.settings);
            const float distance = c.orthographic ? 1.0f : std::max(1e-6f, length(centre - c.from)) / c.focal;
            const float width = c.aperture * distance, height = width / c.aspect;
            c.from = c.from - f.right * (param_or<float>(q, "dx", 0) * width) +
                     f.up * (param_or<float>(q, "dy", 0) * height);
            return set_camera(s, c);
          });
  rpc.add({"camera.zoom",
           "Moves the camera toward the centre (factor > 1) or away (< 1).",
           {{"factor", param_doc("number", "> 0", true)}},
           result,
           {"-32602 when factor <= 0"}},
          [&s](const json& q) {
            const float k = param<float>(q, "factor");
            if (!(k > 0)) bad("'factor' must be > 0");
            Camera c = s.frame.camera;
            if (c.orthographic) {
              c.aperture /= k;
            } else {
              const Vec3f centre = view_centre(s.view.volume_box, s.frame.settings);
              c.from = centre + (c.from - centre) * (1.0f / k);
            }
            return set_camera(s, c);
          });
  rpc.add({"camera.reset", "Back to the scene's camera, at the canvas's aspect ratio.", json::object(), result, {}},
          [&s](const json&) {
            // The scene's camera was made for the scene's canvas; a client may have resized it since,
            // and an aspect other than the frame's would stretch the picture.
            Camera c = s.home_camera;
            c.aspect = float(s.frame.width) / float(s.frame.height);
            return set_camera(s, c);
          });
}

} // namespace libindex::rpc
