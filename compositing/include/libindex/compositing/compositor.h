// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Sort-last compositing over an MPI communicator: every rank's partial image, merged with
/// `over` in visibility order (or `max` for MIP), arrives on one rank. MPI types appear in this
/// module's headers only, never in core.

#include <mpi.h>

#include <memory>
#include <span>
#include <string>

#include "libindex/image.h"
#include "libindex/mpi/agreement.h"

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

/// Compositing over one communicator, frame after frame: made once (one MPI_Comm_dup), it keeps
/// its private communicator and every buffer a frame needs (messages, partial tiles, scratch), so
/// that a steady frame loop allocates nothing and pays for the image exchange plus, at most, one
/// small collective. Results are bit-identical to a fresh Compositor's (and the free functions').
///
/// A frame is checked collectively before any pixel moves, so that bad or mismatched arguments
/// throw on every rank instead of leaving some waiting. Either composite() checks itself (one
/// MPI_Allreduce on the private communicator), or the caller puts the checks into its own
/// per-frame mpi::Agreement (add_checks) and passes `checked = true`: then the frame's only
/// collective is the caller's agree(), shared with whatever else the frame must settle.
///
/// Not thread-safe; collective calls must be made by every rank of the communicator, in the
/// same order. If a frame fails after its check (an MPI error, a malformed message: messages of
/// that frame may still be in flight), it takes no further frame: add_checks reports that as
/// this rank's failure, so every rank throws at the next frame. Make a new one.
class Compositor {
 public:
  /// Collective over comm: duplicates it once (MPI_ERRORS_RETURN on the duplicate). Throws
  /// libindex::Error when MPI is not initialized, comm is MPI_COMM_NULL, or the duplicate fails.
  explicit Compositor(MPI_Comm comm);
  /// Frees the duplicate (collective, like MPI_Comm_free: every rank destroys its Compositor).
  ~Compositor();
  /// Moves keep the communicator and buffers; a moved-from Compositor may only be destroyed or
  /// assigned to.
  Compositor(Compositor&&) noexcept;
  Compositor& operator=(Compositor&&) noexcept;
  Compositor(const Compositor&) = delete;
  Compositor& operator=(const Compositor&) = delete;

  /// Adds this frame's argument checks to the caller's agreement: this rank's own checks as a
  /// failure ("compositing: ..."), and what every rank must pass alike (image size, strategy,
  /// format, operator, root, radix_k, visibility order, frame count) as same() slots, so that
  /// they ride on the caller's one collective. `result` as composite_into's (checked on root).
  /// Local; makes no MPI call. Then agree() over comm() or any communicator of the same ranks.
  void add_checks(mpi::Agreement& agreement, ImageView local, std::span<const int> order, const Options& options,
                  const ImageView* result = nullptr) const;

  /// Composites this frame into `result` (see the free composite_into for the arguments).
  /// `checked`: the caller has run add_checks with exactly these arguments and an agree() that
  /// succeeded, on every rank, after the previous frame of this Compositor returned; no
  /// collective then happens here besides the image exchange and the gather (that agree() also
  /// keeps frames apart: messages of two frames never meet). Otherwise it checks by itself, with
  /// one MPI_Allreduce. Collective over comm().
  void composite_into(ImageView result, ImageView local, Rect active, std::span<const int> order,
                      const Options& options, Stats* stats = nullptr, bool checked = false);
  /// As composite_into, into a fresh image returned on root (an empty Image elsewhere).
  Image composite(ImageView local, Rect active, std::span<const int> order, const Options& options,
                  Stats* stats = nullptr, bool checked = false);

  /// The private duplicate. Collectives on it are fine (e.g. the frame's agree()); never send
  /// point-to-point messages on it.
  MPI_Comm comm() const;
  /// This rank in comm(), and its size.
  int rank() const;
  int size() const;

  struct State; ///< opaque: the communicator, the buffers kept between frames

 private:
  std::unique_ptr<State> state_;
};

/// Every rank passes its local full-size image (premultiplied RGBA float, transparent outside `active`),
/// the rectangle of pixels it may have written, and the visibility order: `order[i]` is the rank of the
/// i-th nearest subdomain (identical on all ranks, a permutation of 0..size-1).
/// Returns the composited full image on `root`, an empty Image elsewhere. Collective over comm.
/// Pixels outside `active` are never read. `local` is not modified. Results are bit-identical from
/// run to run (a fixed blending sequence, whatever order messages arrive in). Throws
/// libindex::Error on bad arguments (on every rank alike) and on MPI failures.
///
/// One frame of a temporary Compositor: an MPI_Comm_dup, one MPI_Allreduce and an MPI_Comm_free
/// besides the exchange, and buffers allocated afresh. Frame loops keep a Compositor instead.
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
