// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The exchanges every strategy is built from: a round of messages in flight, the swap round
/// (direct send among a group), and the fold that brings any rank count down to a count a strategy
/// likes. Groups are always runs of consecutive positions in the visibility order, listed nearest
/// first, so `over` (associative, not commutative) is only ever applied to neighbours.

#include <mpi.h>

#include <span>
#include <vector>

#include "context.h"
#include "sparse.h"
#include "tile.h"
#include "workspace.h"

namespace libindex::compositing::detail {

/// The messages of one round in flight. A receive is sized from its probe, so a buffer holds
/// exactly what arrived; the round's own tag keeps other rounds' messages apart. Buffers come from
/// the Compositor's workspace (RoundStorage) and stay there for the next round and frame. Send
/// buffers are not touched until the sends complete. Counts bytes into the context.
class Round {
 public:
  Round(Context& ctx, int tag);
  ~Round();
  Round(const Round&) = delete;
  Round& operator=(const Round&) = delete;

  /// Expects one message from `source` about `region`, and makes room for `room` bytes of it
  /// (by default a dense `region`: sparse.h `dense_message_bytes`); returns its index.
  int expect(int source, const Rect& region, size_t room = 0);
  /// The buffer the next send() sends: encode the message into it first.
  Buffer& next_message();
  /// Sends next_message() to `dest`, without waiting.
  void send(int dest);
  /// Blocks until at least one expected message has arrived, takes every one that has; returns
  /// their indices.
  std::span<const int> receive_some();
  /// The checked message `index`, once arrived. Valid until the round ends.
  Message message(int index) const;
  /// Waits until every send has completed.
  void finish();

 private:
  void take(MPI_Message& handle, const MPI_Status& status);

  Context& ctx_;
  RoundStorage& s_;
  int tag_;
  int pending_ = 0;
  size_t expected_ = 0, sent_ = 0;
};

/// Blends the messages of `round` into the tile in visibility order. The group has `k` members,
/// this rank is member `me`, message i comes from member `member_of[i]`. The tile holds members
/// [lo, hi] composited: a message from hi+1 goes behind, from lo-1 in front; farther members are
/// taken first, then nearer ones, always in the same sequence so that results are bit-identical
/// from run to run. Under `max` (exact, order-free) each is taken as it arrives.
void composite_in_order(Context& ctx, Tile& tile, Round& round, std::span<const int> member_of, int me, int k);

/// One round of direct send inside a group: `members` (ranks, nearest first) all hold the same
/// region; member d ends up with part d of it (rect_ops.h `split`), composited over the group.
/// This rank is member `me`. k-1 messages out and in; a group of one does nothing.
void swap_round(Context& ctx, Tile& tile, std::span<const int> members, int me, int tag);

/// Folds the ranks into m <= size groups of consecutive positions, for strategies that need a
/// rank count of some shape (IceT's binary swap does the same): for i < size - m, position 2i+1
/// sends its whole tile to position 2i, which composites it behind its own; every other position
/// is a group of one. Returns the groups' leaders (ranks), nearest group first, and sets `group`
/// to this rank's group index, or to -1 when it gave its pixels away and sits the rest out. The
/// leaders live in the workspace until the next fold.
std::span<const int> fold(Context& ctx, Tile& tile, int m, int& group);

} // namespace libindex::compositing::detail
