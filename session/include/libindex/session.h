// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The session: rank roles, the per-frame pipeline (partition -> each rank reads and renders its
/// leaf -> sort-last compositing -> image on the head). Nothing below it holds a communicator or a rank
/// count: the session hands the current ones to each frame, so ranks can join or leave between frames.

#include <mpi.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "libindex/compositing/compositor.h"
#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/io/volume_source.h"
#include "libindex/kdtree.h"
#include "libindex/kernels/backend.h"
#include "libindex/value_statistics.h"

namespace libindex {

struct SessionOptions {
  kernels::BackendKind backend = kernels::BackendKind::automatic;
  compositing::Options compositing;
  bool log = true; ///< progress and backend lines on stderr (the head's only, unless per-rank)
};

/// What one frame cost, as the head sees it after the frame's reductions.
struct FrameStats {
  long long samples = 0;    ///< all ranks together
  double render_ms = 0;     ///< slowest rank
  double composite_ms = 0;  ///< slowest rank, of the previous frame (known only after the exchange)
  long long bytes_sent = 0; ///< compositing traffic, all ranks, of the previous frame
  int ranks = 1;
  int contributing_leaves = 0; ///< leaves with at least one active pixel (IndeX's nb_subcubes_rendered)
  compositing::Strategy strategy = compositing::Strategy::direct_send;
  /// This rank's compositing of this very frame; on the head, which receives last, close to the
  /// frame's whole compositing time (what a one-frame run such as index-render can report).
  double own_composite_ms = 0;
};

/// One rank's view of where it stands (for cluster status).
struct RankInfo {
  std::string job; ///< the job the rank belongs to, when the session spans several (else empty)
  int rank = 0;
  std::string host;
  Box3i leaf, stored;
  long long resident_bytes = 0;
  std::string backend;
};

/// What render_frame(finish = true) does last on the head: a MIP image's maxima through the colormap,
/// then the straight-alpha background under it.
void finish_image(Image& image, const FrameParams& frame, Vec4f background);

class Session {
 public:
  /// Collective over `comm` (duplicated; the caller keeps its own).
  explicit Session(MPI_Comm comm, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const;
  int size() const;
  bool is_head() const { return rank() == 0; }
  MPI_Comm comm() const;

  /// Collective. Every rank passes a source for the same volume (or nullptr for an empty scene); the
  /// k-d partition is rebuilt and each rank reads only its leaf plus ghost voxels, lazily at the next frame.
  /// `part`: the box of the volume's voxel space these ranks render (a job's share of a session that
  /// spans several jobs, or the hull of volumes mixed into this one, which may reach past its own
  /// box); empty: the volume's box. Ghost voxels come from the whole volume, also across the part's
  /// faces; a leaf reads only the voxels the volume has.
  void set_volume(std::shared_ptr<io::VolumeSource> source, const Box3i& part = {});
  /// Collective: set_volume with the same source and another part.
  void set_part(const Box3i& part);
  /// The box the ranks partition: set_volume's part, or the whole volume.
  Box3i part() const;
  const io::VolumeSource* volume() const;

  /// A volume the caller distributed already (in situ): every rank's leaf is `leaves[rank]` (they
  /// tile `global`; an empty box is a rank without data), and this rank's voxels are `brick`: its
  /// leaf plus the ghost voxels it has, borrowed, not copied — they must stay valid and unchanged
  /// until the next frame ends. Replaces set_volume()'s source and k-d partition; compositing
  /// follows the leaves' visibility order; rebalance() and prefetch() do nothing. Not collective,
  /// but every rank passes the same `global` and `leaves`. Each call counts as new data (caches refresh).
  void set_distributed_volume(const Box3i& global, std::vector<Box3i> leaves, const BrickView& brick);

  /// Collective: the range and histogram of the volume's normalized values (each rank counts its
  /// own leaf; one MPI_Allreduce for the range, one for the counts), for the current volume and
  /// time step. Reads this rank's leaf first when it is not resident (with the ghost layers `frame`
  /// needs, so the frame that follows reads nothing more). Kept until the volume changes. In situ,
  /// a field in GPU memory counts as empty here.
  const ValueStatistics& statistics(const FrameParams& frame);
  /// Collective: as statistics(), but over a range given by the caller (a session spanning several
  /// jobs bins every job's values over the range of all of them): min and max are `min` and `max`,
  /// the histogram bins this job's values over them; the counts are statistics()'s. Not kept.
  ValueStatistics statistics_over(const FrameParams& frame, double min, double max);

  /// Collective. Re-partitions the volume so each rank gets a similar share of the work `frame` makes
  /// (voxels in macro cells its colormap can show), not just of voxels: once a colormap makes bricks
  /// empty, voxel-count balance leaves some ranks idle. Returns true when the leaves changed (each
  /// rank then reads its new leaf at the next frame). Images do not change, only who renders what.
  bool rebalance(const FrameParams& frame);

  /// Starts reading, in the background, this rank's leaf (plus ghosts) of `next` — the next time step
  /// while the current one is shown. A later set_volume(next) uses those bytes instead of reading
  /// again. Not collective; a read error surfaces (on every rank) at the frame that needs it.
  void prefetch(std::shared_ptr<io::VolumeSource> next);

  /// Another volume mixed per sample into this one's frames (kernels/mix.h): its session, over the
  /// same ranks, and its own frame (colormap, shading, opacity reference, placement; the camera,
  /// canvas and sample lattice are this one's). On this volume's grid or another (other voxel size
  /// or placement); this volume's partition should then span both (set_volume's part).
  struct MixPartner {
    Session* session = nullptr;
    FrameParams frame;
    /// 0 or more: not mixed but mapped to this slot of `frame`'s sample program (the program reads
    /// the partner's voxels under this session's leaf, and looks them up in the partner's colormap).
    int program_slot = -1;
    /// With program_slot: the slot of plane `plane`'s surface program (FrameParams::plane_programs)
    /// instead; -1: of `frame`'s volume program.
    int plane = -1;
  };
  /// render_frame() with `partners` mixed in per sample (direct volume rendering; at most
  /// kernels::kMaxMixedVolumes - 1 partners). Collective like render_frame(). Each rank's partners
  /// read the voxels under this session's leaf (on another grid: the leaf's scene box, rounded out),
  /// so the samples are this session's and compositing stays as it is.
  Image render_mixed_frame(const FrameParams& frame, std::span<const MixPartner> partners,
                           Vec4f background = {0, 0, 0, 0}, bool finish = true);

  /// Collective: renders one frame. Returns the image on the head, over `background` (straight RGBA),
  /// and an empty Image elsewhere. A failure on any rank throws on every rank, naming the rank.
  /// The same as composite(frame, render_local(frame), background).
  /// `finish` false: the head gets the composited image as it is, premultiplied, without the
  /// background and (MIP) without the colormap, for compositing with other jobs' images (finish_image).
  Image render_frame(const FrameParams& frame, Vec4f background = {0, 0, 0, 0}, bool finish = true);

  /// This rank's part of a frame, rendered and not yet composited.
  struct LocalFrame {
    RenderStats stats;
    std::string error; ///< why this rank's part failed; empty when it did not
  };
  /// render_frame()'s first half: this rank renders its leaf. Makes no MPI call, so it may run on
  /// another thread while the caller's thread goes on (in situ, asynchronous), as long as nothing
  /// else uses the session meanwhile. Never throws: a failure is kept in the result.
  LocalFrame render_local(const FrameParams& frame);
  /// render_local() with other volumes mixed in per sample (render_mixed_frame()).
  LocalFrame render_local(const FrameParams& frame, std::span<const MixPartner> partners);
  /// render_frame()'s second half, collective, on the thread that makes MPI calls: settles every
  /// rank's failure and composites the parts that render_local() made with the same `frame`.
  Image composite(const FrameParams& frame, const LocalFrame& part, Vec4f background = {0, 0, 0, 0},
                  bool finish = true);

  const FrameStats& last_stats() const;
  const KdTree& partition() const;
  /// Bytes of voxel data this rank holds now: its leaf plus ghosts, never more.
  long long resident_bytes() const;
  Box3i leaf() const;
  Box3i stored() const;
  std::string backend_name() const;
  /// cpu or cuda: what every rank renders with (agreed when the backend was made).
  kernels::BackendKind backend_kind() const;
  /// Collective: switches every rank's backend (auto, cpu, cuda); errors name the rank.
  void set_backend(kernels::BackendKind kind);
  /// Collective: every rank's RankInfo, on the head (empty elsewhere).
  std::vector<RankInfo> gather_rank_info() const;

  struct State; ///< opaque: the rank's volume, partition, brick and backend

 private:
  std::unique_ptr<State> state_;
};

} // namespace libindex
