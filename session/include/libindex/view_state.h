// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the head knows about the view every client sees: the scene (spec, version, built view),
/// the current frame (camera, colormap, settings, canvas), the time step, and what the next frame
/// must be. The JSON-RPC methods read and change it; the frame loop turns it into ops.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libindex/frame.h"
#include "libindex/kernels/backend.h"
#include "libindex/scene_spec.h"
#include "libindex/scene_view.h"
#include "libindex/value_statistics.h"

namespace libindex {

/// What a client may ask of the renderer; every request beyond them is refused before it touches
/// the state, so the state never holds a frame the ranks cannot render in reasonable time and memory.
struct ViewLimits {
  int max_side = 16384;                 ///< pixels along either side of a frame or snapshot
  long long max_pixels = 4096LL * 4096; ///< pixels of one frame or snapshot (16 bytes each per rank)
  double max_samples_per_ray = 1e5;     ///< the volume's diagonal over the sampling distance
  /// Whether clients may set sample programs (program.set): a program is native code that runs in
  /// the server with its rights, so it is off unless the viewer is started with --allow-programs.
  /// Programs in scene files (inside the data roots) always run.
  bool client_programs = false;
  /// The least memory any rank has (memory_per_rank: its node's memory, or its cgroup's, over the
  /// ranks on the node); a scene whose volumes need more on every rank is refused. 0: not checked.
  long long memory_per_rank = 0;
};

struct ViewState {
  SceneSpec spec;
  int scene_version = 0;                            ///< bumped by every load_scene
  SceneView view;                                   ///< the built scene (the head's copy, for its info and defaults)
  FrameParams frame;                                ///< the current view: camera, colormap, settings, canvas
  Camera home_camera;                               ///< what camera.reset returns to
  std::string preset;                               ///< the preset the colormap came from, if any
  std::vector<std::array<float, 2>> opacity_points; ///< the opacity curve a client set ([x, alpha]; empty: none)
  /// The scene sets no colormap domain: the next frame maps the volume's data range, and the head
  /// keeps that domain (a client setting a domain first cancels it).
  bool fit_domain = false;
  /// A client's colormap for one of the scene's other volumes (index 1..), with its preset and curve.
  struct VolumeColormap {
    Colormap colormap;
    std::string preset;
    std::vector<std::array<float, 2>> opacity_points;
  };
  /// By volume index (1..): the colormaps clients set for volumes after the first; the others keep
  /// the scene's. Cleared when a scene loads.
  std::map<size_t, VolumeColormap> other_colormaps;
  /// What clients made of each volume's colormap, by volume id, as of the last scene edit: an edit
  /// that hides a volume and one that shows it again give it back. Cleared when a scene loads.
  struct RememberedColormap {
    VolumeColormap client;   ///< the colormap shown, with its preset and curve
    Colormap scene;          ///< the scene's colormap for the volume then
    bool client_set = false; ///< a client set it (for the first volume: always true, it is the frame's)
    bool fit_domain = false; ///< the first volume's: the data range was still to be fitted
  };
  std::map<std::string, RememberedColormap> remembered_colormaps;
  std::optional<ValueStatistics> statistics;     ///< of the volume shown, as of the last frame
  std::vector<ValueStatistics> other_statistics; ///< of the scene's other volumes by index ([0] unused)
  kernels::BackendKind backend = kernels::BackendKind::automatic;
  int time_step = 0;    ///< the shown step of a time series (its first step when loaded)
  bool playing = false; ///< advance time_step at play_fps, wrapping around
  float play_fps = 2.0f;
  bool dirty = true;                   ///< something changed: render a new frame
  bool interactive = false;            ///< the user is dragging: reduced resolution
  bool refine = false;                 ///< render full resolution once input stops
  std::vector<std::string> data_roots; ///< where API requests may read files from
  std::string output_root;             ///< where snapshot may write files; empty: snapshots come back as data
  ViewLimits limits;
  int ranks = 1; ///< that divide the volumes between them: the session's own and its attached jobs'

  /// Throws libindex::Error when a w x h frame is outside the limits.
  void check_size(int width, int height) const;
  /// Throws libindex::Error when `sampling_distance` is not positive or gives more samples per ray
  /// than the limits allow across the current volume.
  void check_sampling_distance(float sampling_distance) const;
  /// Throws libindex::Error when a volume of the scene, at the sampling distance it is rendered with
  /// and in the box it fills, gives more samples per ray than the limits allow: what a client's edit
  /// of the scene (a sampling distance, a bounding box) must not leave, or frames would take hours.
  void check_samples_per_ray() const;
  /// check_scene_memory() of the scene over `ranks` with limits.memory_per_rank.
  void check_memory() const;
  /// The current camera for a `width` x `height` canvas. A camera keeps its aperture across, so a
  /// wider canvas shows less height (IndeX's rule, which a scene's own camera follows); but the
  /// camera the view fitted to its volume itself (fits_own_camera), while no client has moved it,
  /// is fitted again, so that the whole volume stays in the picture at any size.
  Camera camera_for(int width, int height) const;
  /// Whether the current camera is the one the view fitted itself (fits_own_camera) and no client
  /// has moved it: camera_for and a scene edit fit it again.
  bool shows_own_fit() const;
  /// Makes the canvas `width` x `height` (checked by the caller), with camera_for's camera; a
  /// fitted home camera (camera.reset's) is fitted again too.
  void resize_canvas(int width, int height);

  /// Builds `next` (parse, open headers: throws libindex::Error naming the file at fault, with the
  /// state unchanged) and makes it current: its camera, colormap and settings, its first time step.
  void load_scene(SceneSpec next);
  /// load_scene() for an edit of the current scene (an element added, changed, hidden or removed):
  /// what clients made of the view stays where the edit leaves the scene's own value as it was:
  /// the canvas size always; the camera, each render setting and the slice planes when the scene's
  /// default for them did not change; each volume's colormap (by volume id, also across an edit that
  /// hid it) when the scene's colormap for that volume did not change; the time step within range.
  void edit_scene(SceneSpec next);
  /// [first, last] steps of the scene's time series ({0, 0} without one).
  std::pair<int, int> time_range() const;
  /// The step after the shown one while playing (wrapping around), -1 when not playing.
  int next_step() const;
  /// Advances the shown step while playing (wrapping around).
  void advance_time();
  /// A path or file:// URL from a client (relative ones against the first data root), made real
  /// (io::PathPolicy: symbolic links followed); throws libindex::Error when it lies outside every
  /// data root or is an http(s) URL.
  std::string resolve_data_path(const std::string& path_or_url) const;
  /// Where a snapshot named `path` by a client is written: inside the output root, a file that does
  /// not exist yet (never overwritten, never through a symbolic link). Throws libindex::Error.
  std::string snapshot_path(const std::string& path) const;
  /// The same for any file this viewer writes: `extension` (".prj") is required; `what` ("project")
  /// names what the client gets back instead when there is no output root ("": nothing).
  std::string output_path(const std::string& path, const std::string& extension, const std::string& what) const;

 private:
  /// load_scene(), printing only the scene's warnings that are not in `warnings_shown`.
  void replace_scene(SceneSpec next, const std::vector<std::string>& warnings_shown);
};

} // namespace libindex
