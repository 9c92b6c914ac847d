// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Everything one composite() call hands its strategy: the communicator, the visibility order
/// and the wire settings, plus the counters it fills. Lives for one call only: no state survives
/// between frames, so the communicator and rank count may change every frame.

#include <mpi.h>

#include <span>

#include "libindex/compositing/compositor.h"

namespace libindex::compositing::detail {

struct Context {
  MPI_Comm comm = MPI_COMM_NULL; ///< the call's private duplicate, MPI_ERRORS_RETURN
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
