// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What every rank, the head included, does with an op: bring its scene and time step in line
/// with the op (collectively, only when they changed), then render, re-partition or report.

#include <memory>
#include <vector>
#include <optional>
#include <utility>

#include "libindex/frame_op.h"
#include "libindex/session.h"

namespace libindex {

class Follower {
 public:
  Follower(Session& session, kernels::BackendKind backend) : session_(session), backend_(backend) {}

  /// Collective over the session's ranks, which all follow the same op. Returns the image on the
  /// head for a frame op (empty elsewhere and for other ops). `rebalanced`: whether a rebalance op
  /// moved the leaves. Errors are agreed on: every rank throws the same Error. A frame op with a
  /// part (a session spanning several jobs) returns no image: the head takes the part's images with
  /// take_part_images and, on the session's head, finishes the frame with finish_parted_frame.
  Image follow(const Op& op, bool* rebalanced = nullptr);

  /// After a frame op with a part, on this job's head: the images of the volumes on the first
  /// volume's grid over the part, premultiplied and unfinished, in the order finish_parted_frame
  /// takes them (one image, their mix, in direct volume rendering; one per volume in MIP).
  std::vector<Image> take_part_images() { return std::move(part_images_); }
  /// On the session's head, after a frame op with a part: `first_grid` (take_part_images' images,
  /// each composited over every job) finished, blended front to back with the volumes on other
  /// grids that this job drew whole, on the op's background.
  Image finish_parted_frame(const Op& op, std::vector<Image> first_grid);

  int scene_version() const { return scene_version_; }
  /// Every rank's RankInfo from the last rank_info op, on the head (empty elsewhere).
  const std::vector<RankInfo>& rank_info() const { return rank_info_; }
  /// The values of the volume shown by the last frame op (the same on every rank).
  const ValueStatistics& statistics() const { return statistics_; }
  /// Those of the scene's other volumes, by index (1.. of the scene's volumes; [0] unused), as of
  /// the last frame op that drew them.
  const std::vector<ValueStatistics>& other_statistics() const { return other_statistics_; }
  /// The domain the last frame op used in place of its colormap's, when it had fit_domain.
  std::optional<std::pair<float, float>> fitted_domain() const { return fitted_domain_; }

 private:
  void sync_scene(const Op& op);
  /// Shows `step` (collective): the source read ahead when it is that step, else the step opened now.
  void sync_time(int step);
  /// Re-partitions over the op's part of the volume when it changed (a job joined or left).
  void sync_part(const Box3i& part);
  /// After a frame: opens step `next` and has the session read this rank's part of it in the
  /// background (nothing when it is the step read ahead already; errors wait until it is shown).
  void read_ahead(int next);
  bool is_time_series() const;
  /// The first volume's compiled sample program in this rank's scene (null: none).
  std::shared_ptr<const SampleProgram> first_program() const;

  /// Renders every volume of the scene (each its own Session over the same ranks; volumes on one
  /// grid mixed per sample into one image) and blends the images front to back on the head
  /// (scene_view.h says how). With a part: the first grid's volumes over the part only, kept in
  /// part_images_, and the rest whole when the op says these ranks draw them.
  Image render_volumes(const Op& op);
  /// The finished images of volume_images_ blended front to back on the op's background.
  Image blend_volumes(const Op& op);
  /// Whether volume `index` is mapped to a slot of another volume's compiled sample program, which
  /// then draws it (in direct volume rendering; under MIP every volume is drawn on its own).
  bool drawn_by_program(size_t index) const;
  /// The scene elements mapped to volume `index`'s program slots: colormaps into its frame,
  /// volumes as `partners` that read their voxels under its leaves.
  void map_program_slots(size_t index, std::vector<FrameParams>& frames, std::vector<Session::MixPartner>& partners);
  /// The volumes other than `index` mapped to slots of its planes' surface programs, as `partners`
  /// that read their voxels under its leaves (the program's own volume is its brick).
  void map_plane_slots(size_t index, std::vector<FrameParams>& frames, std::vector<Session::MixPartner>& partners);
  /// The session of volume `index`: session_ for the first, others_ for the rest.
  Session& volume_session(size_t index);
  /// The box of volume `index` that these ranks partition (Session::set_volume's part): the job's
  /// part on the first volume's grid; else, for the lead of a mix with volumes on other grids, the
  /// hull of the mix (io::partition_box); else none (its own box).
  Box3i part_of(size_t index) const;

  Session& session_;
  kernels::BackendKind backend_;
  std::vector<std::unique_ptr<Session>> others_; ///< volumes 1.. of the scene, when it has several
  std::vector<size_t> mix_lead_;                 ///< per volume: the volume its samples mix into (io::mix_leads)
  std::vector<bool> on_first_grid_;              ///< per volume: on the first volume's grid (what a part divides)
  std::vector<FrameParams> frames_;              ///< per volume: what the last frame op drew it with
  std::vector<Image> volume_images_;             ///< per volume, on the head: its finished image (empty: mixed)
  std::vector<size_t> part_leads_;               ///< the volumes whose images part_images_ holds
  std::vector<Image> part_images_;               ///< see take_part_images
  int scene_version_ = -1;
  SceneView view_;
  int step_ = 0;       ///< the time step shown
  int next_step_ = -1; ///< the step read ahead, and its source
  std::shared_ptr<io::VolumeSource> next_source_;
  std::shared_ptr<io::VolumeSource> source_; ///< the step shown
  Box3i part_;                               ///< of the volume, that this job renders
  std::vector<RankInfo> rank_info_;
  Colormap colormap_; ///< the last colormap an op carried
  ValueStatistics statistics_;
  std::vector<ValueStatistics> other_statistics_;
  std::optional<std::pair<float, float>> fitted_domain_;
};

} // namespace libindex
