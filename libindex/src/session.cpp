// SPDX-License-Identifier: Apache-2.0
#include "libindex/session.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>

#include "libindex/error.h"
#include "mpi_check.h"

namespace libindex {

struct Session::State {
  MPI_Comm comm = MPI_COMM_NULL;
  SessionOptions options;
  std::unique_ptr<kernels::Backend> backend;
  std::shared_ptr<io::VolumeSource> source;
  KdTree tree;
  Box3i leaf, stored;
  int ghost = 0;
  Brick brick;
  uint64_t generation = 0;
  FrameStats stats;
  // A time step read ahead: its source, the box being read and the read itself.
  std::shared_ptr<io::VolumeSource> prefetch_source;
  Box3i prefetch_box;
  std::future<Brick> prefetched;
  // This rank's render target, kept between frames: backends write every pixel of the active
  // rectangle and compositing reads nothing outside it, so it is never cleared.
  Image local;
};

Session::Session(MPI_Comm comm, SessionOptions options) : state_(std::make_unique<State>()) {
  LIBINDEX_MPI_CHECK(MPI_Comm_dup(comm, &state_->comm));
  LIBINDEX_MPI_CHECK(MPI_Comm_set_errhandler(state_->comm, MPI_ERRORS_RETURN));
  state_->options = options;
  std::string error;
  try {
    state_->backend = kernels::make_backend(options.backend, options.log && rank() == 0);
  } catch (const std::exception& e) {
    error = e.what();
  }
  agree_on_errors(state_->comm, error);
}

Session::~Session() {
  if (state_ && state_->prefetched.valid()) state_->prefetched.wait();
  if (state_ && state_->comm != MPI_COMM_NULL) MPI_Comm_free(&state_->comm);
}

int Session::rank() const {
  int r = 0;
  MPI_Comm_rank(state_->comm, &r);
  return r;
}
int Session::size() const {
  int n = 1;
  MPI_Comm_size(state_->comm, &n);
  return n;
}
MPI_Comm Session::comm() const { return state_->comm; }
const FrameStats& Session::last_stats() const { return state_->stats; }
const KdTree& Session::partition() const { return state_->tree; }
long long Session::resident_bytes() const { return (long long)state_->brick.bytes.size(); }
Box3i Session::leaf() const { return state_->leaf; }
Box3i Session::stored() const { return state_->stored; }
std::string Session::backend_name() const { return state_->backend->name(); }
const io::VolumeSource* Session::volume() const { return state_->source.get(); }

void Session::set_volume(std::shared_ptr<io::VolumeSource> source) {
  State& s = *state_;
  // Time steps of one series share the volume box: keep the partition (and the ghost width, so a
  // prefetched leaf fits) when the box is unchanged.
  const bool same_box = s.source && source && s.source->box() == source->box() && s.tree.leaf_count() == size();
  s.source = std::move(source);
  s.brick = Brick();
  if (!same_box) s.ghost = 0, s.tree = {};
  std::string error;
  if (s.source && !same_box) {
    try {
      s.tree = build_kdtree(s.source->box(), size());
      s.leaf = s.tree.leaf_box(rank());
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  agree_on_errors(s.comm, error);
}

void Session::prefetch(std::shared_ptr<io::VolumeSource> next) {
  State& s = *state_;
  if (!next || !s.source || !(next->box() == s.source->box()) || s.ghost == 0) return;
  if (s.prefetched.valid()) s.prefetched.wait(); // one read ahead at a time
  s.prefetch_source = next;
  s.prefetch_box = grow(s.leaf, s.ghost, next->box());
  s.prefetched = std::async(std::launch::async, [next, box = s.prefetch_box] { return next->read(box); });
}

void Session::set_backend(kernels::BackendKind kind) {
  std::string error;
  try {
    auto backend = kernels::make_backend(kind, state_->options.log && rank() == 0);
    state_->backend = std::move(backend);
  } catch (const std::exception& e) {
    error = e.what();
  }
  agree_on_errors(state_->comm, error);
}

namespace {

/// Ghost voxels a leaf needs: 1 for trilinear interpolation across its faces, 2 for the central
/// differences of gradient shading.
int ghost_width(const FrameParams& f) { return f.settings.shading.enabled ? 2 : 1; }

void classify_max_values(Image& image, const Colormap& colormap) {
  const ColormapView view = colormap.view();
  for (Vec4f& p : image.pixels()) {
    if (p.w <= 0) continue;
    const Vec4f c = view.lookup(p.x);
    p = {c.x * c.w, c.y * c.w, c.z * c.w, c.w};
  }
}

} // namespace

Image Session::render_frame(const FrameParams& frame, Vec4f background) {
  State& s = *state_;
  const int ranks = size(), me = rank();
  if (s.local.width() != frame.width || s.local.height() != frame.height) s.local = Image(frame.width, frame.height);
  Image& local = s.local;
  RenderStats rs;
  std::string error;
  const bool distributed_mip = frame.settings.mode == RenderMode::maximum_intensity && ranks > 1;
  try {
    if (s.source) {
      // (Re)load this rank's leaf when the volume changed or shading needs a wider ghost layer.
      const int ghost = ghost_width(frame);
      if (s.brick.bytes.empty() || ghost != s.ghost) {
        s.stored = grow(s.leaf, ghost, s.source->box());
        if (s.prefetched.valid() && s.prefetch_source == s.source && s.prefetch_box == s.stored) {
          s.brick = s.prefetched.get(); // read while the previous step was shown
        } else {
          s.brick = s.source->read(s.stored);
        }
        s.prefetch_source.reset();
        s.ghost = ghost;
        ++s.generation;
      }
      FrameParams f = frame;
      f.mip_output_values = distributed_mip;
      const BrickView view{s.brick.bytes.data(), s.brick.dtype, s.brick.box, s.leaf, s.source->box(), s.generation};
      rs = s.backend->render(view, f, local.view());
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  agree_on_errors(s.comm, error);

  // Visibility order from the k-d tree and the eye, in voxel space.
  std::vector<int> order(ranks);
  for (int i = 0; i < ranks; ++i) order[i] = i;
  if (s.source && s.tree.leaf_count() == ranks) {
    const RenderSettings& st = frame.settings;
    const Vec3f eye = (frame.camera.from - st.translation) / st.scaling;
    const Vec3f dir = frame.camera.dir / st.scaling;
    order = visibility_order(s.tree, eye, dir, frame.camera.orthographic);
  }
  compositing::Options copt = s.options.compositing;
  if (distributed_mip) copt.op = compositing::Operator::max;
  compositing::Stats cs;
  Image image;
  try {
    image = compositing::composite(local.view(), rs.active, order, s.comm, copt, &cs);
  } catch (const std::exception& e) {
    throw Error(std::string("compositing failed on rank ") + std::to_string(me) + ": " + e.what());
  }

  // Frame statistics, reduced onto the head.
  long long counts[3] = {rs.samples, cs.bytes_sent, rs.active.empty() ? 0 : 1}, sums[3] = {0, 0, 0};
  double times[2] = {rs.milliseconds, cs.milliseconds}, maxima[2] = {0, 0};
  LIBINDEX_MPI_CHECK(MPI_Reduce(counts, sums, 3, MPI_LONG_LONG, MPI_SUM, 0, s.comm));
  LIBINDEX_MPI_CHECK(MPI_Reduce(times, maxima, 2, MPI_DOUBLE, MPI_MAX, 0, s.comm));
  s.stats = {sums[0], maxima[0], maxima[1], sums[1], ranks, int(sums[2]), cs.used};

  if (me != 0) return {};
  if (distributed_mip) classify_max_values(image, frame.colormap);
  apply_background(image, background);
  return image;
}

std::vector<RankInfo> Session::gather_rank_info() const {
  const State& s = *state_;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
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
  std::copy(host, host + 256, mine.host);
  std::copy(backend.begin(), backend.end(), mine.backend);
  std::vector<Packed> all(rank() == 0 ? size() : 0);
  LIBINDEX_MPI_CHECK(MPI_Gather(&mine, sizeof(Packed), MPI_BYTE, all.data(), sizeof(Packed), MPI_BYTE, 0, s.comm));
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

void agree_on_errors(MPI_Comm comm, const std::string& local_error) {
  int me = 0;
  MPI_Comm_rank(comm, &me);
  // The lowest failing rank wins; every rank learns who failed and why.
  const int mine = local_error.empty() ? INT32_MAX : me;
  int first = INT32_MAX;
  LIBINDEX_MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == INT32_MAX) return;
  std::string message = me == first ? local_error : std::string();
  broadcast_string(message, comm, first);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  throw Error(ranks > 1 ? "rank " + std::to_string(first) + ": " + message : message);
}

void broadcast_string(std::string& text, MPI_Comm comm, int root) {
  long long n = (long long)text.size();
  LIBINDEX_MPI_CHECK(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm));
  text.resize(size_t(n));
  if (n > 0) LIBINDEX_MPI_CHECK(MPI_Bcast(text.data(), int(n), MPI_CHAR, root, comm));
}

} // namespace libindex
