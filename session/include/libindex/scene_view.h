// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file From a parsed scene to what a frame needs: the volume to partition, the frame parameters
/// (camera, colormap, settings, canvas) and the scene's info. Shared by index-render and viewer.

#include <span>
#include <memory>
#include <optional>
#include <vector>

#include "libindex/frame.h"
#include "libindex/io/scene.h"

namespace libindex {

struct SceneView {
  io::SceneDescription scene;
  std::shared_ptr<io::VolumeSource> volume; ///< the rendered volume (the scene's first); null when empty
  FrameParams frame;
  Vec4f background{0, 0, 0, 0}; ///< straight RGBA
  Box3f volume_box;             ///< the volume's box in scene space (empty without one)
  /// Each volume's compiled sample program (null: none, or it did not compile), by volume index.
  std::vector<std::shared_ptr<const SampleProgram>> programs;
  /// The planes' compiled surface sample programs, as scene.surface_programs (null: it did not compile).
  std::vector<std::shared_ptr<const SampleProgram>> surface_programs;
};

/// Compiles the sample program of every volume that has one (kernels/sample_program.h) into
/// `view.programs`, and gives the first volume's to view.frame; and the planes' surface programs
/// into view.surface_programs. A program that does not compile is left out: the volume (its planes)
/// renders with its colormap, and a warning with the compiler's message joins view.scene.warnings.
void compile_programs(SceneView& view);

/// Several volumes in one scene (io::SceneDescription::volumes): each is rendered as a volume of its
/// own over every rank, and the head blends their images front to back in volume_order. Exact for
/// volumes whose boxes do not overlap. Overlapping volumes without sample programs are mixed per
/// sample into one image instead (io::mix_leads, kernels/mix.h), on one grid or several; those left
/// out of a mix are blended in that order too (the scene warns). MIP: each volume's classified
/// maximum, blended the same way.

/// The frame of volume `index`: `shown`'s camera, canvas and scene-wide settings (mode, jitter,
/// early termination, skipping, filtering, the region of interest), with the volume's own colormap,
/// sampling distance, shading and placement. Index 0 is `shown` itself.
FrameParams volume_frame(const SceneView& view, size_t index, const FrameParams& shown);
/// The compiled surface program plane `plane` runs (an index into view.surface_programs): the one in
/// scope at its node, or for a plane beyond the scene's (a client's) the first scene plane's; none
/// when there is none or it did not compile.
std::optional<size_t> surface_program_of(const SceneView& view, size_t plane);
/// Sets how the planes look in `frame`, the frame of volume `index`:
/// - plane_colormaps: each plane's colormap in the scene when it is another node than the volume's
///   colormap (with the volume's domain where that node gives none); else none, so the plane
///   follows the volume's colormap as a client edits it. A plane beyond the scene's (a client's)
///   takes the first scene plane's;
/// - plane_programs: each plane's surface program, its colormap slots, and a slot mapped to volume
///   `index` itself (a slot mapped to another volume is left to the session, which reads that
///   volume's voxels under each rank's leaf: Follower::map_plane_slots).
void set_plane_appearance(const SceneView& view, size_t index, FrameParams& frame);
/// Sets frame.scene_scaling and scene_translation: where the scene's index::scaling and
/// index::translation place its own space (what sample programs get as XAC's scene-to-world).
void set_scene_placement(const SceneView& view, FrameParams& frame);
/// The scene-space box of volume `index` (its voxels placed by its bbox, spacing and the scene's scaling).
Box3f volume_scene_box(const SceneView& view, size_t index);
/// The volumes, nearest first, as seen by `camera`: when two boxes are apart along an axis that
/// the eye is not between, the one on the eye's side comes first; otherwise the nearer centre.
/// `image_of[i]`, when given, is the volume whose image holds volume i's samples (its mix's first
/// volume, io::mix_leads): then only those volumes are ordered, each by the hull of its mix's boxes.
std::vector<size_t> volume_order(const SceneView& view, const Camera& camera, std::span<const size_t> image_of = {});

/// The view of a scene: its first volume, its camera (or fitted_camera), the volume's colormap and
/// rendering properties, the canvas resolution.
SceneView make_scene_view(io::SceneDescription scene);

/// Whether the view frames its volume itself: its scene names no camera, and there is a volume box.
bool fits_own_camera(const SceneView& view);
/// The camera that frames the view's volume box (inside the scene's region of interest, when they
/// meet) on a canvas of `aspect` (width / height): default_camera's.
Camera fitted_camera(const SceneView& view, float aspect);

} // namespace libindex
