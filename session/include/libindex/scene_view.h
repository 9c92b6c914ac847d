// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file From a parsed scene to what a frame needs: the volume to partition, the frame parameters
/// (camera, colormap, settings, canvas) and the scene's info. Shared by index-render and viewer.

#include <memory>

#include "libindex/frame.h"
#include "libindex/io/scene.h"

namespace libindex {

struct SceneView {
  io::SceneDescription scene;
  std::shared_ptr<io::VolumeSource> volume; ///< the rendered volume (the scene's first); null when empty
  FrameParams frame;
  Vec4f background{0, 0, 0, 0}; ///< straight RGBA
  Box3f volume_box;             ///< the volume's box in scene space (empty without one)
};

/// The view of a scene: its first volume, its camera (or a default one framing the volume), the
/// volume's colormap and rendering properties, the canvas resolution.
SceneView make_scene_view(io::SceneDescription scene);

} // namespace libindex
