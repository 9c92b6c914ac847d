// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Everything one frame hands its strategy: the communicator, the visibility order and the
/// wire settings, the counters it fills, and the Compositor's workspace (buffers kept between
/// frames). The context itself lives for one frame.

#include <mpi.h>

#include <span>

#include "libindex/compositing/compositor.h"

namespace libindex::compositing::detail {

struct Workspace;

struct Context {
  MPI_Comm comm = MPI_COMM_NULL; ///< the Compositor's private duplicate, MPI_ERRORS_RETURN
  Workspace* work = nullptr;     ///< the Compositor's buffers
  int rank = 0, size = 1;
  std::span<const int> order; ///< position -> rank, nearest first
  int position = 0;           ///< this rank's position in `order`
  PixelFormat format = PixelFormat::f32;
  Operator op = Operator::over;
  int radix_k = 4;

  long long bytes_sent = 0, bytes_received = 0;
  int rounds = 0;
};

/// Message tags: each round its own, so that no message can match another round's receive.
inline constexpr int fold_tag = 1;
inline constexpr int first_round_tag = 2;
inline constexpr int gather_tag = 1000;

} // namespace libindex::compositing::detail
