// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Sort-last compositing over an MPI communicator: every rank's partial image, merged with
/// `over` in visibility order (or `max` for MIP), arrives on one rank. MPI types appear in this
/// module's headers only, never in core.

#include <mpi.h>

#include <span>
#include <string>

#include "libindex/image.h"

namespace libindex::compositing {

/// How the ranks exchange image pieces. Each strategy works for any rank count.
enum class Strategy { automatic, direct_send, binary_swap, radix_k };
/// Format of pixels on the wire. Blending is always in float; f16 and u8 round each time they travel.
enum class PixelFormat { f32, f16, u8 };
/// over: premultiplied front-to-back; max: per-channel maximum (maximum intensity projection) of
/// the pixels present (alpha > 0), so signed MIP values survive. u8 clamps to [0, 1]: send MIP
/// values outside that range as f32 or f16.
enum class Operator { over, max };

struct Options {
  Strategy strategy = Strategy::automatic;
  PixelFormat format = PixelFormat::f32;
  Operator op = Operator::over;
  int radix_k = 4; ///< target group size of a radix-k round (>= 2)
  int root = 0;    ///< rank of `comm` that receives the image
};

/// Counters of one composite() call on the calling rank.
struct Stats {
  Strategy used = Strategy::automatic; ///< never `automatic`: the strategy that ran
  double milliseconds = 0;             ///< wall time of the call on this rank
  long long bytes_sent = 0;            ///< image messages, gather included
  long long bytes_received = 0;
  int rounds = 0; ///< exchange rounds of the strategy (a fold counts as one), the final gather not counted
};

/// Every rank passes its local full-size image (premultiplied RGBA float, transparent outside `active`),
/// the rectangle of pixels it may have written, and the visibility order: `order[i]` is the rank of the
/// i-th nearest subdomain (identical on all ranks, a permutation of 0..size-1).
/// Returns the composited full image on `root`, an empty Image elsewhere. Collective over comm.
/// Pixels outside `active` are never read. `local` is not modified. Results are bit-identical from
/// run to run (a fixed blending sequence, whatever order messages arrive in). Throws
/// libindex::Error on bad arguments (on every rank alike) and on MPI failures.
Image composite(ImageView local, Rect active, std::span<const int> order, MPI_Comm comm, const Options& = {},
                Stats* stats = nullptr);

/// composite() into the caller's `result` (full size, on root; ignored elsewhere, may be empty
/// there), for frame loops that keep their output: every pixel of `result` is written, so it may
/// hold the last frame. A fresh full-size Image costs its page faults every frame, which dominate
/// at 2048x2048 on small machines. `result` must not share pixels with `local`.
void composite_into(ImageView result, ImageView local, Rect active, std::span<const int> order, MPI_Comm comm,
                    const Options& = {}, Stats* stats = nullptr);

/// The automatic rule: direct send up to 4 ranks, and up to 8 for images of at most 256x256
/// pixels; beyond that binary swap for powers of two, radix-k otherwise.
Strategy choose_strategy(int ranks, int width, int height);

/// "auto", "direct-send", "binary-swap", "radix-k".
std::string to_string(Strategy);
/// The inverse of to_string; throws libindex::Error naming the bad value.
Strategy parse_strategy(const std::string&);

} // namespace libindex::compositing
