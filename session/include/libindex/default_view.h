// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Sensible defaults for a scene that does not say: a camera framing the volume, orbits.
#include "libindex/camera.h"
#include "libindex/frame.h"

namespace libindex {

/// A perspective camera (30 degree field of view) looking at the centre of `scene_box` from a
/// three-quarter view, far enough that the whole box fits in an image of aspect `aspect`.
Camera default_camera(const Box3f& scene_box, float aspect);

/// `camera` rotated about `centre`: `azimuth_deg` around the camera's up vector, then `elevation_deg`
/// around its right vector. Distance to the centre is kept.
Camera orbit_camera(const Camera& camera, Vec3f centre, float azimuth_deg, float elevation_deg);

/// Centre of the region the user looks at: the region of interest clipped to the volume's scene box.
Vec3f view_centre(const Box3f& scene_box, const RenderSettings& settings);

} // namespace libindex
