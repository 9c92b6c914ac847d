// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The op the head sends every rank at each frame boundary. Every rank follows the same ops in
/// the same order, so their collectives always match and no rank but the head ever waits on a socket.
/// It is a small typed message with a versioned binary form, not JSON: a frame costs a few hundred
/// bytes on the wire; the scene spec and the colormap travel only in the op after they changed.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "libindex/frame.h"
#include "libindex/kernels/backend.h"
#include "libindex/scene_spec.h"

namespace libindex {

struct Op {
  /// Bumped whenever the binary form changes; a rank refuses an op of another version.
  /// 3: the job's part of the volume; 4: fit_domain; 5: planes; 6: other volumes' colormaps;
  /// 7: other_grids; 8: the statistics kind; 9: the statistics_over kind and value_range;
  /// 10: colormaps' NaN colour
  static constexpr uint32_t kFormatVersion = 10;

  enum class Kind : uint8_t {
    frame = 1,     ///< sync scene and time step, then render `frame` (collective)
    rebalance = 2, ///< sync scene and time step, then re-partition by the work `frame` makes
    rank_info = 3, ///< gather every rank's RankInfo on the head
    quit = 4,      ///< leave the loop
    /// sync scene, time step and part, then compute the first volume's value statistics over this
    /// job's ranks (collective): a session spanning several jobs fits the colormap to all of them
    statistics = 5,
    /// the same, binning the values over `value_range` (the range of all jobs' parts), so that the
    /// jobs' histograms add up to the histogram of the whole volume
    statistics_over = 6,
  };
  Kind kind = Kind::frame;
  int scene_version = 0;          ///< the scene every rank must show
  std::optional<SceneSpec> scene; ///< its spec, only when some rank may not have built it yet
  int time_step = 0;              ///< the time step to show (time series)
  int next_step = -1;             ///< the step to read ahead while playing, -1 for none
  kernels::BackendKind backend = kernels::BackendKind::automatic;
  /// The box of the volume this job's ranks render when the session spans several jobs (each its
  /// own MPI world, composited by the session head); empty: the whole volume.
  Box3i part;
  /// With a part: whether these ranks also draw the scene's volumes on other grids than the first
  /// volume's, whole (the session's own job; an attached job draws only its part of the first grid).
  bool other_grids = true;
  /// Whether frame.colormap travels. A table of 256 entries is 4 KiB, 20 times the rest of a frame
  /// op: it travels only when it changed, and every rank keeps the last one it was sent.
  bool has_colormap = true;
  /// The scene sets no colormap domain: every rank maps the volume's data range (Session::statistics,
  /// the same on every rank) instead of frame.colormap's domain, until the head sends one.
  bool fit_domain = false;
  FrameParams frame; ///< its colormap is empty when !has_colormap
  /// Colormaps clients set for the scene's other volumes, by volume index (1..); the rest keep the
  /// scene's. Rare and small next to the voxels: they travel in every op.
  std::vector<std::pair<uint32_t, Colormap>> other_colormaps;
  Vec4f background{0, 0, 0, 0};   ///< straight RGBA under the image
  double value_range[2] = {0, 0}; ///< statistics_over: the range to bin over (travels only then)
};

/// The op's binary form: "LXOP", the format version, then every field.
std::vector<uint8_t> encode(const Op& op);
/// The inverse of encode. Throws libindex::Error for another format version ("op format version 7,
/// this rank speaks 1: every rank must run the same libindex"), a bad magic or a truncated message.
Op decode(std::span<const uint8_t> bytes);

std::string to_string(Op::Kind kind);

} // namespace libindex
