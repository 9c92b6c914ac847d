// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Ghost voxels for a decomposition given as one box per rank (decomposition.h): each rank
/// gets the voxels around its box from the ranks that own them, point to point.

#include <mpi.h>

#include <vector>

#include "libindex/box.h"
#include "libindex/volume.h"

namespace libindex::mpi {

/// Collective over comm. boxes[r] is rank r's box of `global` (empty: a rank without data), the
/// same list on every rank, and the boxes must tile `global` (check_decomposition()). `mine` holds
/// exactly this rank's box (mine.box == boxes[rank], x-fastest) in any voxel format; a rank without
/// data passes any empty brick (Brick() will do; its format is not compared).
///
/// Returns the brick of grow(boxes[rank], ghost, global): its interior is `mine`, each ghost voxel
/// is the value the rank owning that voxel holds. A rank without data gets an empty brick over its
/// (empty) box, in the other ranks' format.
///
/// Communication: an MPI_Comm_dup of comm (so no message can match the caller's receives), one
/// MPI_Allreduce that settles errors first, then one MPI_Isend of the voxels of boxes[rank] inside
/// each neighbour's grown box and one MPI_Irecv from each neighbour whose box meets this rank's
/// grown box, straight between the bricks through MPI subarray datatypes (no packing), and
/// MPI_Comm_free. Only neighbours exchange data. O(ranks) box arithmetic per rank.
///
/// Errors throw the same libindex::Error on every rank, before any voxel moves, so no rank waits
/// for another that gave up: a rank's own fault as "rank R: exchange_ghosts: ..." (the lowest
/// failing rank's message: boxes.size() != ranks, ghost < 0, a decomposition check_decomposition()
/// rejects, mine.box != boxes[rank], a byte count that does not match the box, an invalid format),
/// "exchange_ghosts: ghost width differs across ranks", "exchange_ghosts: the decomposition (global
/// box and boxes) differs across ranks", and for ranks whose bricks disagree on the voxel format
/// "exchange_ghosts: the ranks' bricks differ in voxel format: rank 0 has uint16, rank 1 has float32"
/// (the lowest rank with each format, in the order of DType).
/// A failing MPI call throws as LIBINDEX_MPI_CHECK does (check.h), on the ranks where it failed.
Brick exchange_ghosts(MPI_Comm comm, const Box3i& global, const std::vector<Box3i>& boxes, const Brick& mine,
                      int ghost);

} // namespace libindex::mpi
