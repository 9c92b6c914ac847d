// SPDX-License-Identifier: Apache-2.0
#include "libindex/session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <optional>

#include "libindex/decomposition.h"
#include "libindex/error.h"
#include "libindex/kernels/local_values.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "libindex/mpi/gather.h"
#include "session_backend.h"

namespace libindex {

struct Session::State {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, ranks = 1; ///< of comm, kept: render_local() makes no MPI call
  int node_rank = 0;       ///< among comm's ranks on this node: which GPU this rank renders on
  SessionOptions options;
  std::unique_ptr<kernels::Backend> backend;
  std::shared_ptr<io::VolumeSource> source;
  Box3i part; ///< of source's box, that these ranks partition; empty: all of it
  KdTree tree;
  struct Distributed {
    Box3i global;
    std::vector<Box3i> leaves;
    std::vector<FaceContact> contacts; ///< of the leaves, for their visibility order each frame
    BrickView brick;                   ///< borrowed
    bool warned = false;               ///< that some view had no visibility order
  };
  std::optional<Distributed> distributed; ///< in situ: the caller's decomposition instead of source + tree
  Box3i leaf, stored;
  /// While this volume is mixed into a volume on another grid: the box of its voxels that the lead's
  /// leaf covers, which this rank reads instead of its own leaf (voxel_box_on_grid).
  std::optional<Box3i> reach;
  int ghost = 0;
  Brick brick;
  uint64_t generation = 0;
  /// Of the current volume, once asked for, and this rank's counts by stored value behind them
  /// (8- and 16-bit volumes), from which statistics_over bins again without a pass over the voxels.
  struct Counted {
    ValueStatistics all;
    std::optional<StoredValueCounts> stored;
  };
  std::optional<Counted> statistics;
  FrameStats stats;
  // A time step read ahead: its source, the box being read and the read itself.
  std::shared_ptr<io::VolumeSource> prefetch_source;
  Box3i prefetch_box;
  std::future<Brick> prefetched;
  std::unique_ptr<compositing::Compositor> compositor; ///< on its own duplicate of comm, kept across frames
  mpi::Agreement agreement;                            ///< the frame's one collective before compositing
  double last_composite_ms = 0;                        ///< this rank's previous compositing, reported
  long long last_bytes_sent = 0;                       ///< with the next frame's agreement
  // This rank's render target, kept between frames: backends write every pixel of the active
  // rectangle and compositing reads nothing outside it, so it is never cleared.
  Image local;
};

Session::Session(MPI_Comm comm, SessionOptions options) : state_(std::make_unique<State>()) {
  LIBINDEX_MPI_CHECK(comm, MPI_Comm_dup(comm, &state_->comm));
  LIBINDEX_MPI_CHECK(state_->comm, MPI_Comm_set_errhandler(state_->comm, MPI_ERRORS_RETURN));
  state_->rank = mpi::comm_rank(state_->comm), state_->ranks = mpi::comm_size(state_->comm);
  state_->options = options;
  state_->compositor = std::make_unique<compositing::Compositor>(state_->comm);
  state_->node_rank = mpi::node_rank(state_->comm).rank;
  state_->backend = make_session_backend(state_->comm, options.backend, options.log, state_->node_rank);
}

Session::~Session() {
  if (state_ && state_->prefetched.valid()) state_->prefetched.wait();
  if (state_) mpi::free_comm(state_->comm);
}

int Session::rank() const { return state_->rank; }
int Session::size() const { return state_->ranks; }
MPI_Comm Session::comm() const { return state_->comm; }
const FrameStats& Session::last_stats() const { return state_->stats; }
const KdTree& Session::partition() const { return state_->tree; }
long long Session::resident_bytes() const { return (long long)state_->brick.bytes.size(); }
Box3i Session::leaf() const { return state_->leaf; }
Box3i Session::stored() const { return state_->stored; }
std::string Session::backend_name() const { return state_->backend->name(); }
kernels::BackendKind Session::backend_kind() const { return state_->backend->kind(); }
const io::VolumeSource* Session::volume() const { return state_->source.get(); }

Box3i Session::part() const {
  const State& s = *state_;
  if (!s.source) return {};
  return s.part.empty() ? s.source->box() : s.part;
}

void Session::set_volume(std::shared_ptr<io::VolumeSource> source, const Box3i& part) {
  State& s = *state_;
  // Time steps of one series share the volume box: keep the partition (and the ghost width, so a
  // prefetched leaf fits) when the box and the part are unchanged.
  const bool same_box =
      s.source && source && s.source->box() == source->box() && s.part == part && s.tree.leaf_count() == size();
  s.distributed.reset();
  s.source = std::move(source);
  s.part = part;
  s.reach.reset();
  s.brick = Brick();
  s.statistics.reset();
  if (!same_box) s.ghost = 0, s.tree = {};
  std::string error;
  if (s.source && !same_box) {
    try {
      const Box3i box = this->part();
      if (box.empty())
        throw Error("the part " + to_string(part) + " of volume " + to_string(s.source->box()) + " is empty");
      s.tree = build_kdtree(box, size());
      s.leaf = s.tree.leaf_box(rank());
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  mpi::agree_on_errors(s.comm, error);
}

void Session::set_part(const Box3i& part) { set_volume(state_->source, part); }

void Session::set_distributed_volume(const Box3i& global, std::vector<Box3i> leaves, const BrickView& brick) {
  State& s = *state_;
  s.source.reset(), s.tree = {}, s.brick = Brick(), s.ghost = 0;
  s.statistics.reset();
  s.leaf = leaves.at(size_t(rank()));
  s.stored = brick.stored;
  BrickView view = brick;
  view.owned = s.leaf, view.volume = global, view.generation = ++s.generation;
  const bool same_leaves = s.distributed && s.distributed->leaves == leaves;
  std::vector<FaceContact> contacts = same_leaves ? std::move(s.distributed->contacts) : face_contacts(leaves);
  const bool warned = same_leaves && s.distributed->warned;
  s.distributed = State::Distributed{global, std::move(leaves), std::move(contacts), view, warned};
}

void Session::prefetch(std::shared_ptr<io::VolumeSource> next) {
  State& s = *state_;
  if (!next || !s.source || !(next->box() == s.source->box()) || s.ghost == 0) return;
  if (s.prefetched.valid()) s.prefetched.wait(); // one read ahead at a time
  s.prefetch_source = next;
  s.prefetch_box = grow(s.leaf, s.ghost, next->box());
  if (s.prefetch_box.empty()) return;
  s.prefetched = std::async(std::launch::async, [next, box = s.prefetch_box] { return next->read(box); });
}

void Session::set_backend(kernels::BackendKind kind) {
  // Throws on every rank alike, keeping the backend it had.
  state_->backend = make_session_backend(state_->comm, kind, state_->options.log, state_->node_rank);
}

namespace {

/// Ghost voxels a leaf needs: 1 for trilinear interpolation across its faces, 2 for the central
/// differences of gradient shading, 3 for a sample program (gradients up to 2 voxels wide).
int ghost_width(const FrameParams& f) {
  return f.program || f.first_plane_program() ? 3 : f.settings.shading.enabled ? 2 : 1;
}

/// Reads `reach` (a mix on another grid's) instead of the leaf from now on, or the leaf again (nullopt).
void set_reach(Session::State& s, std::optional<Box3i> reach) {
  if (s.reach == reach) return;
  s.reach = reach;
  s.brick = Brick(); // read at the next load
}

/// The voxels this rank renders: its leaf, or its reach while mixed into another grid's volume.
Box3i rendered_box(const Session::State& s) { return s.reach ? *s.reach : s.leaf; }

/// (Re)loads this rank's leaf when the volume or partition changed, or shading needs wider ghosts.
/// A leaf may lie partly or wholly outside the volume (a partition of several volumes' hull): only
/// the voxels the volume has are read.
void load_leaf(Session::State& s, int ghost) {
  if (!s.brick.bytes.empty() && ghost == s.ghost) return;
  s.stored = grow(rendered_box(s), ghost, s.source->box());
  if (s.stored.empty()) {
    s.brick = Brick();
    s.brick.box = s.stored, s.brick.dtype = s.source->dtype();
  } else if (s.prefetched.valid() && s.prefetch_source == s.source && s.prefetch_box == s.stored) {
    s.brick = s.prefetched.get(); // read while the previous step was shown
  } else {
    s.brick = s.source->read(s.stored);
  }
  s.prefetch_source.reset();
  s.ghost = ghost;
  ++s.generation;
}

/// This rank's leaf, loaded with `ghost` layers, as the backends see it.
BrickView resident_view(Session::State& s, int ghost) {
  load_leaf(s, ghost);
  return {s.brick.bytes.data(), s.brick.dtype, s.brick.box, rendered_box(s), s.source->box(), s.generation};
}

/// Another volume's voxels under `lead`'s leaf (on one grid: the leaf itself; on another, the leaf's
/// scene box rounded out to whole voxels), with `ghost` layers: a volume mixed into the lead's
/// samples, or one mapped to a slot of its program. `what` names the partner in the error when it
/// has no data.
BrickView partner_view(const Session::State& lead, const RenderSettings& lead_settings, Session::State& partner,
                       const RenderSettings& partner_settings, int ghost, const char* what) {
  if (!partner.source) throw Error(std::string(what) + " has no data source");
  set_reach(partner, voxel_box_on_grid(lead.leaf, lead_settings, partner_settings));
  return resident_view(partner, ghost);
}

/// The leaf's voxels that the volume has (the leaf of a hull's partition may hold none).
Box3i leaf_in_volume(const Session::State& s) { return intersect(s.leaf, s.source->box()); }

/// Voxels whose value the colormap shows (alpha > 0), counted per coarse cell of the whole volume
/// (cell edge `cell`); each rank counts its own leaf. Depends only on the data and the colormap, not
/// on where the leaves are, so rebalancing twice gives the same partition.
template <class T>
void count_visible(const Session::State& s, const ColormapView& colormap, int cell, Vec3i dims,
                   std::vector<double>& grid) {
  const T* data = s.brick.data<T>();
  const Box3i st = s.brick.box, leaf = s.leaf;
  const Vec3i size = st.size();
  for (int z = leaf.lo.z; z < leaf.hi.z; ++z)
    for (int y = leaf.lo.y; y < leaf.hi.y; ++y) {
      const T* row = data + (size_t(z - st.lo.z) * size.y + (y - st.lo.y)) * size.x - st.lo.x;
      double* cells = grid.data() + (size_t(z / cell) * dims.y + y / cell) * dims.x;
      for (int x = leaf.lo.x; x < leaf.hi.x; ++x)
        if (colormap.lookup(normalize_voxel(row[x])).w > 0) cells[x / cell] += 1;
    }
}

std::vector<double> local_work_grid(const Session::State& s, const ColormapView& colormap, int cell, Vec3i dims) {
  std::vector<double> grid(size_t(dims.x) * dims.y * dims.z, 0.0);
  visit_dtype(s.brick.dtype,
              [&](auto tag) { count_visible<typename decltype(tag)::type>(s, colormap, cell, dims, grid); });
  return grid;
}

void classify_max_values(Image& image, const Colormap& colormap) {
  const ColormapView view = colormap.view();
  for (Vec4f& p : image.pixels()) {
    if (p.w <= 0) continue;
    const Vec4f c = view.lookup(p.x);
    p = {c.x * c.w, c.y * c.w, c.z * c.w, c.w};
  }
}

} // namespace

namespace {

/// The voxels this rank counts in value statistics: its leaf inside the volume (read first when
/// not resident), or its in-situ box. Empty where there are none, or where they are in GPU memory.
struct CountedVoxels {
  BrickView view{};
  Box3i box;
};

/// Collective: this rank's counted voxels; an error on any rank throws on every rank.
CountedVoxels counted_voxels(Session::State& s, const FrameParams& frame) {
  CountedVoxels c;
  std::string error;
  try {
    if (s.source) {
      set_reach(s, std::nullopt);
      c.view = resident_view(s, ghost_width(frame));
      c.box = leaf_in_volume(s);
    } else if (s.distributed && !s.distributed->brick.on_device) {
      c.view = s.distributed->brick;
      c.box = s.leaf;
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  mpi::agree_on_errors(s.comm, error);
  return c;
}

/// Collective: counts the ranks' voxels into all.histogram over [all.min, all.max], and sums the
/// histogram and this rank's `local` counts over the ranks into `all` (one MPI_Allreduce).
void reduce_histogram(MPI_Comm comm, const CountedVoxels& c, const kernels::LocalValues& local, ValueStatistics& all) {
  all.histogram.fill(0);
  if (c.view.data && !c.box.empty() && all.min <= all.max) kernels::add_local_histogram(c.view, c.box, local, all);
  std::array<long long, ValueStatistics::kBins + 2> counts;
  std::copy(all.histogram.begin(), all.histogram.end(), counts.begin());
  counts[ValueStatistics::kBins] = local.range.count, counts[ValueStatistics::kBins + 1] = local.range.non_finite;
  LIBINDEX_MPI_CHECK(comm,
                     MPI_Allreduce(MPI_IN_PLACE, counts.data(), int(counts.size()), MPI_LONG_LONG, MPI_SUM, comm));
  std::copy(counts.begin(), counts.begin() + ValueStatistics::kBins, all.histogram.begin());
  all.count = counts[ValueStatistics::kBins], all.non_finite = counts[ValueStatistics::kBins + 1];
}

/// The first pass over this rank's counted voxels (nothing where it holds none).
kernels::LocalValues values_of(const CountedVoxels& c) {
  return c.view.data && !c.box.empty() ? kernels::local_values(c.view, c.box) : kernels::LocalValues{};
}

} // namespace

const ValueStatistics& Session::statistics(const FrameParams& frame) {
  State& s = *state_;
  if (s.statistics) return s.statistics->all;
  const CountedVoxels counted = counted_voxels(s, frame);
  kernels::LocalValues local = values_of(counted);
  double range[2] = {local.range.min, -local.range.max};
  LIBINDEX_MPI_CHECK(s.comm, MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_DOUBLE, MPI_MIN, s.comm));
  ValueStatistics all;
  all.min = range[0], all.max = -range[1];
  // The histogram needs the whole range first: a second pass, over memory for float32 voxels, over
  // the first pass's counts for the others.
  reduce_histogram(s.comm, counted, local, all);
  s.statistics = State::Counted{all, std::move(local.stored)};
  return s.statistics->all;
}

ValueStatistics Session::statistics_over(const FrameParams& frame, double min, double max) {
  State& s = *state_;
  // The counts are this job's, as statistics() found them (kept); only the histogram is binned
  // again, over the range given: from the kept counts by stored value, or a pass over float32 voxels.
  const ValueStatistics& own = statistics(frame);
  ValueStatistics all;
  all.min = min, all.max = max;
  kernels::LocalValues kept;
  kept.stored = s.statistics->stored;
  reduce_histogram(s.comm, counted_voxels(s, frame), kept, all);
  all.count = own.count, all.non_finite = own.non_finite;
  return all;
}

bool Session::rebalance(const FrameParams& frame) {
  State& s = *state_;
  // The work grid covers the volume: a partition of several volumes' hull stays as it is.
  if (!s.source || !(intersect(part(), s.source->box()) == part())) return false;
  set_reach(s, std::nullopt);
  const Box3i volume = s.source->box();
  // A coarse global grid (at most 64 cells an axis) of voxels the colormap shows.
  const Vec3i extent = volume.size();
  const int longest = std::max({extent.x, extent.y, extent.z});
  const int cell = std::max(8, (longest + 63) / 64);
  const Vec3i dims{(extent.x + cell - 1) / cell, (extent.y + cell - 1) / cell, (extent.z + cell - 1) / cell};
  std::vector<double> grid;
  std::string error;
  try {
    load_leaf(s, ghost_width(frame));
    grid = local_work_grid(s, frame.colormap.view(), cell, dims);
  } catch (const std::exception& e) {
    error = e.what();
  }
  mpi::agree_on_errors(s.comm, error);
  LIBINDEX_MPI_CHECK(s.comm, MPI_Allreduce(MPI_IN_PLACE, grid.data(), int(grid.size()), MPI_DOUBLE, MPI_SUM, s.comm));

  // Work of a box: its share of each coarse cell's contributing voxels (by overlap), plus a little
  // per voxel so that empty space is still split evenly among the ranks that get only empty space.
  double total = 0;
  for (double w : grid) total += w;
  if (total <= 0) return false; // nothing visible: voxel balance is as good as any
  const double per_voxel = 1e-3 * total / double(volume.voxel_count());
  const WorkFunction work = [&](const Box3i& b) {
    double w = per_voxel * double(b.voxel_count());
    const Box3i cells{{b.lo.x / cell, b.lo.y / cell, b.lo.z / cell},
                      {(b.hi.x + cell - 1) / cell, (b.hi.y + cell - 1) / cell, (b.hi.z + cell - 1) / cell}};
    for (int z = cells.lo.z; z < cells.hi.z; ++z)
      for (int y = cells.lo.y; y < cells.hi.y; ++y)
        for (int x = cells.lo.x; x < cells.hi.x; ++x) {
          const double g = grid[(size_t(z) * dims.y + y) * dims.x + x];
          if (g == 0) continue;
          const Box3i c =
              intersect({{x * cell, y * cell, z * cell}, {(x + 1) * cell, (y + 1) * cell, (z + 1) * cell}}, volume);
          w += g * double(intersect(c, b).voxel_count()) / double(c.voxel_count());
        }
    return w;
  };
  KdTree tree;
  try {
    tree = build_kdtree(part(), size(), work); // the same on every rank: same grid, same arithmetic
  } catch (const std::exception&) {
    return false; // keep the partition we have
  }
  // Moving leaves means reading them again: do it only when the busiest rank gains over 10 %.
  double busiest_now = work(s.leaf), busiest_next = 0;
  LIBINDEX_MPI_CHECK(s.comm, MPI_Allreduce(MPI_IN_PLACE, &busiest_now, 1, MPI_DOUBLE, MPI_MAX, s.comm));
  for (int leaf = 0; leaf < tree.leaf_count(); ++leaf) busiest_next = std::max(busiest_next, work(tree.leaf_box(leaf)));
  if (busiest_next > 0.9 * busiest_now) return false;
  s.tree = std::move(tree);
  s.leaf = s.tree.leaf_box(rank());
  s.brick = Brick(); // read the new leaf at the next frame
  return true;
}

Image Session::render_frame(const FrameParams& frame, Vec4f background, bool finish) {
  return composite(frame, render_local(frame), background, finish);
}

Image Session::render_mixed_frame(const FrameParams& frame, std::span<const MixPartner> partners, Vec4f background,
                                  bool finish) {
  return composite(frame, render_local(frame, partners), background, finish);
}

namespace {} // namespace

Session::LocalFrame Session::render_local(const FrameParams& frame) { return render_local(frame, {}); }

Session::LocalFrame Session::render_local(const FrameParams& frame, std::span<const MixPartner> partners) {
  State& s = *state_;
  const int ranks = size(), me = rank();
  if (s.local.width() != frame.width || s.local.height() != frame.height) s.local = Image(frame.width, frame.height);
  LocalFrame part;
  try {
    FrameParams f = frame;
    f.mip_output_values =
        frame.settings.mode == RenderMode::maximum_intensity && (ranks > 1 || frame.mip_output_values);
    const bool mixed = std::any_of(partners.begin(), partners.end(), [](const MixPartner& p) {
      return p.program_slot < 0; // mixed per sample, not mapped to a program's slot
    });
    if (s.source && !partners.empty() && (frame.program || !mixed)) {
      set_reach(s, std::nullopt);
      const BrickView own = resident_view(s, ghost_width(frame));
      for (const MixPartner& p : partners) {
        if (p.program_slot < 0) throw Error("a volume with a sample program is not mixed per sample");
        // The program's own volume may be mapped to a slot as well; another is read as far out as
        // the program reaches (its ghosts).
        const BrickView mapped = p.session == this
                                     ? own
                                     : partner_view(s, frame.settings, *p.session->state_, p.frame.settings,
                                                    ghost_width(frame), "a volume mapped to a sample program's slot");
        (p.plane >= 0 ? f.plane_programs.at(size_t(p.plane)).slots : f.program_slots)
            .push_back({p.program_slot, mapped, p.frame.colormap});
      }
      if (!leaf_in_volume(s).empty()) part.stats = s.backend->render(own, f, s.local.view());
    } else if (s.source && !partners.empty()) {
      set_reach(s, std::nullopt);
      std::vector<kernels::MixedLayer> layers{{resident_view(s, ghost_width(frame)), &f}};
      // Each partner's voxels under this leaf, read once: a volume of the mix may also be mapped to
      // a slot of a plane's surface program, which reaches as far as the lead's ghosts.
      std::map<const Session*, BrickView> views;
      const auto view_of = [&](const MixPartner& p) {
        auto it = views.find(p.session);
        if (it == views.end())
          it = views
                   .emplace(p.session, partner_view(s, frame.settings, *p.session->state_, p.frame.settings,
                                                    std::max(ghost_width(frame), ghost_width(p.frame)),
                                                    p.program_slot < 0 ? "a volume mixed per sample"
                                                                       : "a volume mapped to a surface program's slot"))
                   .first;
        return it->second;
      };
      for (const MixPartner& p : partners)
        if (p.program_slot < 0)
          layers.push_back({view_of(p), &p.frame});
        else // a plane's surface program reads it there, over the mix
          f.plane_programs.at(size_t(p.plane)).slots.push_back({p.program_slot, view_of(p), p.frame.colormap});
      part.stats = s.backend->render_mixed(layers, s.local.view());
    } else if (s.source) {
      set_reach(s, std::nullopt);
      // A leaf of several volumes' hull may hold none of this one: nothing to draw here.
      if (!leaf_in_volume(s).empty())
        part.stats = s.backend->render(resident_view(s, ghost_width(frame)), f, s.local.view());
    } else if (s.distributed && !s.leaf.empty()) {
      const BrickView& view = s.distributed->brick;
      const Box3i needs = grow(s.leaf, ghost_width(frame), view.volume);
      if (!(intersect(needs, view.stored) == needs))
        throw Error("rank " + std::to_string(me) + " holds " + to_string(view.stored) + " but this frame needs " +
                    to_string(needs) + " (" + std::to_string(ghost_width(frame)) + " ghost layers)");
      part.stats = s.backend->render(view, f, s.local.view());
    }
  } catch (const std::exception& e) {
    part.error = e.what();
    if (part.error.empty()) part.error = "rendering failed on rank " + std::to_string(me);
  }
  return part;
}

Image Session::composite(const FrameParams& frame, const LocalFrame& part, Vec4f background, bool finish) {
  State& s = *state_;
  const int ranks = size(), me = rank();
  Image& local = s.local;
  const RenderStats& rs = part.stats;
  mpi::Agreement& agreement = s.agreement;
  agreement.clear();
  if (!part.error.empty()) agreement.fail(part.error);
  // MIP over several ranks (or jobs: the caller asks for values) composites maxima of values and
  // classifies them at the end.
  const bool distributed_mip =
      frame.settings.mode == RenderMode::maximum_intensity && (ranks > 1 || frame.mip_output_values);
  if (local.width() != frame.width || local.height() != frame.height)
    agreement.fail("composite(): this frame's size differs from the one render_local() rendered");

  // Visibility order from the k-d tree and the eye, in voxel space.
  std::vector<int> order(ranks);
  for (int i = 0; i < ranks; ++i) order[i] = i;
  const RenderSettings& st = frame.settings;
  const Vec3f eye = (frame.camera.from - st.translation) / st.scaling;
  const Vec3f dir = frame.camera.dir / st.scaling;
  if (s.source && s.tree.leaf_count() == ranks)
    order = visibility_order(s.tree, eye, dir, frame.camera.orthographic);
  else if (s.distributed && int(s.distributed->leaves.size()) == ranks) {
    bool exact = true;
    order =
        visibility_order(s.distributed->leaves, s.distributed->contacts, eye, dir, frame.camera.orthographic, &exact);
    // Boxes that are not guillotine cuts may have no front-to-back order from some eyes.
    if (!exact && !s.distributed->warned && me == 0 && s.options.log) {
      std::cerr << "[libindex] these boxes have no front-to-back order from this view: the image is wrong where "
                   "they overlap on screen (decomposition.h says which tilings)"
                << std::endl;
      s.distributed->warned = true;
    }
  }
  compositing::Options copt = s.options.compositing;
  if (distributed_mip) copt.op = compositing::Operator::max;

  // One collective settles the whole frame before the image exchange: any rank's render error, the
  // compositing arguments every rank must pass alike, and the frame's statistics. A leaf
  // "contributed" when it shows anything at all (IndeX's nb_subcubes_rendered), not merely when its
  // box is on screen. Compositing's own cost is only known after the exchange: it rides on the
  // next frame's agreement, so the head reports the previous frame's compositing figures.
  bool shows_something = false;
  for (int y = rs.active.y0; y < rs.active.y1 && !shows_something; ++y)
    for (int x = rs.active.x0; x < rs.active.x1; ++x)
      if (local.at(x, y).w > 0) {
        shows_something = true;
        break;
      }
  s.compositor->add_checks(agreement, local.view(), order, copt);
  const int samples = agreement.sum(rs.samples), contributing = agreement.sum(shows_something ? 1 : 0);
  const int bytes_sent = agreement.sum(s.last_bytes_sent);
  const int render_ms = agreement.max(rs.milliseconds), composite_ms = agreement.max(s.last_composite_ms);
  agreement.agree(s.comm); // throws the same Error on every rank when any rank failed

  compositing::Stats cs;
  Image image;
  try {
    image = s.compositor->composite(local.view(), rs.active, order, copt, &cs, /*checked=*/true);
  } catch (const std::exception& e) {
    throw Error(std::string("compositing failed on rank ") + std::to_string(me) + ": " + e.what());
  }
  s.last_composite_ms = cs.milliseconds, s.last_bytes_sent = cs.bytes_sent;
  s.stats = {agreement.summed(samples),
             agreement.maximum(render_ms),
             agreement.maximum(composite_ms),
             agreement.summed(bytes_sent),
             ranks,
             int(agreement.summed(contributing)),
             cs.used,
             cs.milliseconds};

  if (me != 0) return {};
  if (finish) {
    FrameParams f = frame;
    f.mip_output_values = distributed_mip;
    finish_image(image, f, background);
  }
  return image;
}

void finish_image(Image& image, const FrameParams& frame, Vec4f background) {
  if (frame.settings.mode == RenderMode::maximum_intensity && frame.mip_output_values)
    classify_max_values(image, frame.colormap);
  apply_background(image, background);
}

std::vector<RankInfo> Session::gather_rank_info() const {
  const State& s = *state_;
  std::string host = mpi::processor_name();
  host.resize(256, '\0');
  std::string backend = s.backend->name();
  backend.resize(64, '\0');
  struct Packed {
    int rank;
    int boxes[12];
    long long resident;
    char host[256];
    char backend[64];
  } mine{};
  mine.rank = rank();
  const Box3i b[2] = {s.leaf, s.stored};
  for (int i = 0; i < 2; ++i)
    for (int a = 0; a < 3; ++a) mine.boxes[i * 6 + a] = b[i].lo[a], mine.boxes[i * 6 + 3 + a] = b[i].hi[a];
  mine.resident = resident_bytes();
  std::copy(host.begin(), host.end(), mine.host);
  std::copy(backend.begin(), backend.end(), mine.backend);
  std::vector<Packed> all(rank() == 0 ? size() : 0);
  LIBINDEX_MPI_CHECK(s.comm,
                     MPI_Gather(&mine, sizeof(Packed), MPI_BYTE, all.data(), sizeof(Packed), MPI_BYTE, 0, s.comm));
  std::vector<RankInfo> out;
  for (const Packed& p : all) {
    RankInfo r;
    r.rank = p.rank;
    r.host = std::string(p.host, strnlen(p.host, 256));
    r.backend = std::string(p.backend, strnlen(p.backend, 64));
    r.resident_bytes = p.resident;
    r.leaf = {{p.boxes[0], p.boxes[1], p.boxes[2]}, {p.boxes[3], p.boxes[4], p.boxes[5]}};
    r.stored = {{p.boxes[6], p.boxes[7], p.boxes[8]}, {p.boxes[9], p.boxes[10], p.boxes[11]}};
    out.push_back(r);
  }
  return out;
}

} // namespace libindex
