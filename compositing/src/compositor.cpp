// SPDX-License-Identifier: Apache-2.0
/// \file The Compositor: checks a frame's arguments alike on every rank (in the caller's agreement
/// or its own), picks the strategy, runs it on its private communicator with the buffers it keeps,
/// and gathers the result on root. The free functions make a Compositor for one frame.
#include "libindex/compositing/compositor.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <climits>
#include <cstdint>
#include <vector>

#include "communicator.h"
#include "libindex/error.h"
#include "sparse.h"
#include "strategies.h"
#include "workspace.h"

namespace libindex::compositing {

struct Compositor::State {
  explicit State(MPI_Comm parent) : comm(parent) {}

  detail::Communicator comm;
  detail::Workspace work;
  mpi::Agreement agreement; ///< the check of an unchecked frame
  long long frames = 0;     ///< frames composited; the same on every rank
  std::string broken;       ///< why no further frame can run; empty while fine
};

namespace detail {
namespace {

/// The rank-local half of the argument check: an error message, or empty when fine. `result` is
/// checked on root when there is one (composite_into). `seen` is scratch.
std::string check_local(ImageView local, std::span<const int> order, int rank, int size, const Options& o,
                        const ImageView* result, std::vector<char>& seen) {
  if (local.width < 0 || local.height < 0) return "negative image size";
  if (local.pixels == nullptr && local.width > 0 && local.height > 0) return "image without pixels";
  if (result && rank == o.root &&
      (result->width != local.width || result->height != local.height ||
       (result->pixels == nullptr && local.width > 0 && local.height > 0)))
    return "result image is " + std::to_string(result->width) + "x" + std::to_string(result->height) + " for a " +
           std::to_string(local.width) + "x" + std::to_string(local.height) + " frame";
  if (result && rank == o.root && result->pixels && result->pixels == local.pixels)
    return "result image and local image share their pixels";
  if (message_capacity(Rect{0, 0, local.width, local.height}, o.format) > size_t(INT_MAX))
    return "image of " + std::to_string(local.width) + "x" + std::to_string(local.height) +
           " too large for one MPI message";
  if (int(order.size()) != size)
    return "visibility order has " + std::to_string(order.size()) + " entries for " + std::to_string(size) + " ranks";
  seen.assign(size_t(size), 0);
  for (int r : order) {
    if (r < 0 || r >= size || seen[size_t(r)]) return "visibility order is not a permutation of the ranks";
    seen[size_t(r)] = 1;
  }
  if (o.root < 0 || o.root >= size) return "root " + std::to_string(o.root) + " is not a rank";
  if (o.radix_k < 2) return "radix_k " + std::to_string(o.radix_k) + " is below 2";
  if (int(o.strategy) < 0 || int(o.strategy) > int(Strategy::radix_k)) return "unknown strategy";
  if (int(o.format) < 0 || int(o.format) > int(PixelFormat::u8)) return "unknown pixel format";
  if (int(o.op) < 0 || int(o.op) > int(Operator::max)) return "unknown operator";
  return {};
}

Strategy resolve(Strategy s, int ranks, ImageView local) {
  return s == Strategy::automatic ? choose_strategy(ranks, local.width, local.height) : s;
}

/// One frame whose arguments every rank has agreed on: `result` is the caller's image
/// (composite_into), or null to return a fresh one, which then also serves as root's working
/// storage.
Image run(Compositor::State& s, ImageView local, Rect active, std::span<const int> order, const Options& options,
          Stats* stats, const ImageView* result, std::chrono::steady_clock::time_point start) {
  Context ctx;
  ctx.comm = s.comm.get();
  ctx.work = &s.work;
  ctx.rank = s.comm.rank();
  ctx.size = s.comm.size();
  ctx.order = order;
  ctx.position = int(std::find(order.begin(), order.end(), ctx.rank) - order.begin());
  ctx.format = options.format;
  ctx.op = options.op;
  ctx.radix_k = options.radix_k;
  const Strategy used = resolve(options.strategy, ctx.size, local);

  // Root composites straight into its output, so its part needs no buffer and no final copy.
  const bool root = ctx.rank == options.root;
  Image image = root && !result ? Image(local.width, local.height) : Image();
  const ImageView out = !root ? ImageView{} : (result ? *result : image.view());
  Tile tile(local, active, out, &s.work.tile);
  switch (used) {
  case Strategy::binary_swap:
    binary_swap(ctx, tile);
    break;
  case Strategy::radix_k:
    radix_k(ctx, tile);
    break;
  case Strategy::direct_send:
  case Strategy::automatic:
    direct_send(ctx, tile);
    break;
  }
  gather(ctx, tile, options.root, out, /*result_is_clear=*/!result);
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  if (stats) *stats = {used, elapsed.count(), ctx.bytes_sent, ctx.bytes_received, ctx.rounds};
  return image;
}

} // namespace
} // namespace detail

Compositor::Compositor(MPI_Comm comm) : state_(std::make_unique<State>(comm)) {}
Compositor::~Compositor() = default;
Compositor::Compositor(Compositor&&) noexcept = default;
Compositor& Compositor::operator=(Compositor&&) noexcept = default;

MPI_Comm Compositor::comm() const { return state_->comm.get(); }
int Compositor::rank() const { return state_->comm.rank(); }
int Compositor::size() const { return state_->comm.size(); }

void Compositor::add_checks(mpi::Agreement& agreement, ImageView local, std::span<const int> order, const Options& o,
                            const ImageView* result) const {
  State& s = *state_;
  if (!s.broken.empty()) agreement.fail("compositing: " + s.broken);
  const std::string error = detail::check_local(local, order, s.comm.rank(), s.comm.size(), o, result, s.work.seen);
  if (!error.empty()) agreement.fail("compositing: " + error);
  uint32_t hash = 2166136261u; // FNV-1a of the order
  for (int r : order) hash = (hash ^ uint32_t(r)) * 16777619u;
  // Literal names: the agreement copies them into storage it keeps, so a frame allocates nothing.
  agreement.same(local.width, "compositing: image width");
  agreement.same(local.height, "compositing: image height");
  agreement.same(int(detail::resolve(o.strategy, s.comm.size(), local)), "compositing: strategy");
  agreement.same(int(o.format), "compositing: pixel format");
  agreement.same(int(o.op), "compositing: operator");
  agreement.same(o.root, "compositing: root");
  agreement.same(o.radix_k, "compositing: radix_k");
  agreement.same(hash, "compositing: visibility order");
  agreement.same(s.frames, "compositing: frame count of the Compositor");
}

namespace {

/// A frame of `c`: its check (unless the caller's agreement made it), then the compositing.
Image frame(const Compositor& c, Compositor::State& s, ImageView local, Rect active, std::span<const int> order,
            const Options& options, Stats* stats, const ImageView* result, bool checked) {
  const auto start = std::chrono::steady_clock::now();
  if (!checked) {
    s.agreement.clear();
    c.add_checks(s.agreement, local, order, options, result);
    s.agreement.agree(s.comm.get());
  } else {
    // The caller's agreement has checked every rank; this rank's own part again, locally, so that
    // a caller who skipped it gets an error (on this rank) rather than undefined behaviour.
    if (!s.broken.empty()) throw Error("compositing: " + s.broken);
    const std::string error =
        detail::check_local(local, order, s.comm.rank(), s.comm.size(), options, result, s.work.seen);
    if (!error.empty()) throw Error("compositing: " + error);
  }
  ++s.frames;
  try {
    return detail::run(s, local, active, order, options, stats, result, start);
  } catch (const std::exception& e) {
    // Messages of this frame may still be in flight on the communicator: no frame may follow.
    s.broken = std::string("an earlier frame failed (") + e.what() + "); make a new Compositor";
    throw;
  }
}

} // namespace

void Compositor::composite_into(ImageView result, ImageView local, Rect active, std::span<const int> order,
                                const Options& options, Stats* stats, bool checked) {
  frame(*this, *state_, local, active, order, options, stats, &result, checked);
}

Image Compositor::composite(ImageView local, Rect active, std::span<const int> order, const Options& options,
                            Stats* stats, bool checked) {
  return frame(*this, *state_, local, active, order, options, stats, nullptr, checked);
}

Image composite(ImageView local, Rect active, std::span<const int> order, MPI_Comm comm, const Options& options,
                Stats* stats) {
  const auto start = std::chrono::steady_clock::now();
  Compositor compositor(comm);
  Image image = compositor.composite(local, active, order, options, stats);
  // The time includes the duplicate, as it did when every call made its own.
  if (stats)
    stats->milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return image;
}

void composite_into(ImageView result, ImageView local, Rect active, std::span<const int> order, MPI_Comm comm,
                    const Options& options, Stats* stats) {
  const auto start = std::chrono::steady_clock::now();
  Compositor compositor(comm);
  compositor.composite_into(result, local, active, order, options, stats);
  if (stats)
    stats->milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

Strategy choose_strategy(int ranks, int width, int height) {
  // Direct send is one round of n-1 messages per rank. Measured on a 2-core VM with the bench's
  // brick workload: at 2 ranks every strategy is this same exchange; at 4 ranks it beat binary
  // swap (2 rounds) at 1024^2 and 2048^2 in f32/f16/u8 by 0-15% and sent 13% fewer bytes. For
  // small images per-message latency, not bandwidth, sets the time, so it holds up to 8 ranks.
  const long long pixels = (long long)std::max(width, 0) * std::max(height, 0);
  if (ranks <= 4 || (pixels <= 256 * 256 && ranks <= 8)) return Strategy::direct_send;
  // Beyond that n-1 messages per rank stop paying off. Powers of two: binary swap, log2(n) rounds
  // of one message each (IceT's classic choice; not measured here beyond 4 ranks). Other counts:
  // radix-k, whose mixed radices need no fold for counts like 6 or 12, where binary swap folds.
  if (std::has_single_bit(unsigned(ranks))) return Strategy::binary_swap;
  return Strategy::radix_k;
}

std::string to_string(Strategy s) {
  switch (s) {
  case Strategy::automatic:
    return "auto";
  case Strategy::direct_send:
    return "direct-send";
  case Strategy::binary_swap:
    return "binary-swap";
  case Strategy::radix_k:
    return "radix-k";
  }
  return "strategy(" + std::to_string(int(s)) + ")";
}

Strategy parse_strategy(const std::string& name) {
  for (Strategy s : {Strategy::automatic, Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k})
    if (name == to_string(s)) return s;
  throw Error("unknown compositing strategy '" + name + "' (expected auto, direct-send, binary-swap or radix-k)");
}

} // namespace libindex::compositing
