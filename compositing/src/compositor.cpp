// SPDX-License-Identifier: Apache-2.0
/// \file composite(): checks the arguments alike on every rank, picks the strategy, runs it on a
/// private communicator and gathers the result on root.
#include "libindex/compositing/compositor.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <climits>
#include <cstdint>
#include <vector>

#include "libindex/error.h"
#include "mpi_check.h"
#include "sparse.h"
#include "strategies.h"

namespace libindex::compositing {

namespace detail {
namespace {

/// The rank-local half of the argument check: an error message, or empty when fine. `result` is
/// checked on root when there is one (composite_into).
std::string check_local(ImageView local, std::span<const int> order, int rank, int size, const Options& o,
                        const ImageView* result) {
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
  std::vector<char> seen(size_t(size), 0);
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

/// Checks what every rank must pass alike with one allreduce, so a mismatch or a bad argument on
/// any rank throws on every rank instead of leaving the others waiting for it.
void check_arguments(const Communicator& comm, ImageView local, std::span<const int> order, Strategy used,
                     const Options& o, const ImageView* result) {
  const std::string local_error = check_local(local, order, comm.rank(), comm.size(), o, result);
  uint32_t hash = 2166136261u; // FNV-1a of the order
  for (int r : order) hash = (hash ^ uint32_t(r)) * 16777619u;
  constexpr int n = 9;
  const std::array<long long, n> values{local_error.empty() ? 0 : 1,
                                        local.width,
                                        local.height,
                                        int(used),
                                        int(o.format),
                                        int(o.op),
                                        o.root,
                                        o.radix_k,
                                        hash};
  const char* names[n] = {"arguments", "image width", "image height", "strategy",        "pixel format",
                          "operator",  "root",        "radix_k",      "visibility order"};
  // Max of v and of -v in one call: a value differs somewhere when max(v) != min(v).
  std::array<long long, 2 * n> in{}, out{};
  for (int i = 0; i < n; ++i) in[size_t(i)] = values[size_t(i)], in[size_t(n + i)] = -values[size_t(i)];
  LIBINDEX_MPI_CHECK(comm.get(), MPI_Allreduce(in.data(), out.data(), 2 * n, MPI_LONG_LONG, MPI_MAX, comm.get()));
  if (!local_error.empty()) throw Error("compositing: " + local_error);
  for (int i = 0; i < n; ++i)
    if (out[size_t(i)] != -out[size_t(n + i)])
      throw Error(std::string("compositing: ") +
                  (i == 0 ? "bad arguments on another rank" : std::string(names[i]) + " differs between ranks"));
}

/// Both entry points: `result` is the caller's image (composite_into), or null to return a fresh
/// one, which then also serves as root's working storage.
Image run(ImageView local, Rect active, std::span<const int> order, MPI_Comm comm, const Options& options, Stats* stats,
          const ImageView* result) {
  const auto start = std::chrono::steady_clock::now();
  Communicator communicator(comm);
  const Strategy used = options.strategy == Strategy::automatic
                            ? choose_strategy(communicator.size(), local.width, local.height)
                            : options.strategy;
  check_arguments(communicator, local, order, used, options, result);

  Context ctx;
  ctx.comm = communicator.get();
  ctx.rank = communicator.rank();
  ctx.size = communicator.size();
  ctx.order = order;
  ctx.position = int(std::find(order.begin(), order.end(), ctx.rank) - order.begin());
  ctx.format = options.format;
  ctx.op = options.op;
  ctx.radix_k = options.radix_k;

  // Root composites straight into its output, so its part needs no buffer and no final copy.
  const bool root = ctx.rank == options.root;
  Image image = root && !result ? Image(local.width, local.height) : Image();
  const ImageView out = !root ? ImageView{} : (result ? *result : image.view());
  Tile tile(local, active, out);
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

Image composite(ImageView local, Rect active, std::span<const int> order, MPI_Comm comm, const Options& options,
                Stats* stats) {
  return detail::run(local, active, order, comm, options, stats, nullptr);
}

void composite_into(ImageView result, ImageView local, Rect active, std::span<const int> order, MPI_Comm comm,
                    const Options& options, Stats* stats) {
  detail::run(local, active, order, comm, options, stats, &result);
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
