// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Everything a frame needs beyond its images, kept by the Compositor from frame to frame:
/// message buffers, the tile's pixel blocks and the strategies' scratch. Each only grows, to the
/// largest a frame has needed, so frames of a steady loop allocate nothing. Slots are taken in
/// the same sequence every frame (messages by the order they are expected or sent, not by when
/// they arrive), so the same frame needs the same buffers every time.

#include <mpi.h>

#include <vector>

#include "sparse.h"
#include "tile.h"

namespace libindex::compositing::detail {

/// The messages of a Round (exchange.h). Only one Round exists at a time.
struct RoundStorage {
  struct Incoming {
    int source = -1;
    Rect region;
    Buffer buffer;
    int bytes = 0;
    bool arrived = false;
  };
  std::vector<Incoming> incoming; ///< the first `expected` are this round's
  std::vector<Buffer> outgoing;   ///< the first `sent` are this round's
  std::vector<MPI_Request> sends; ///< one per outgoing buffer sent
  std::vector<int> arrived;       ///< receive_some()'s answer
  bool in_use = false;
};

struct Workspace {
  RoundStorage round;
  TileStorage tile;
  std::vector<ChunkCount> chunk_counts; ///< encode()
  // composite_in_order()
  std::vector<Message> messages;
  std::vector<char> arrived, done;
  // The strategies
  std::vector<int> member_of, members, leaders, factors;
  // The argument check
  std::vector<char> seen;
};

} // namespace libindex::compositing::detail
