// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A domain decomposition given by its owner (a simulation, in situ) instead of our k-d tree:
/// rank i holds the half-open voxel box boxes[i] of a global box, or nothing (an empty box: some
/// hi <= lo). Checking that the boxes tile the global box, and the front-to-back order of the boxes
/// for an eye, which the k-d tree gives for its own leaves (kdtree.h).

#include <vector>

#include "libindex/box.h"
#include "libindex/vec.h"

namespace libindex {

/// Throws Error, one line naming the ranks and boxes at fault, unless the non-empty boxes tile
/// `global` exactly (every voxel of `global` in exactly one box). Checked in this order:
///  - no box at all (`boxes` empty, or every box empty);
///  - a box not inside `global`: the lowest such rank,
///    "rank 2's box [0 0 0 .. 40 32 32) is not inside the global box [0 0 0 .. 32 32 32)";
///  - two boxes that overlap: the lowest pair (i < j),
///    "rank 0's box [..) overlaps rank 1's box [..): both hold [..)";
///  - a gap: "the boxes leave N voxels of the global box [..) to no rank, e.g. voxel (x, y, z)",
///    the voxel being the first uncovered one in x-fastest order (lowest z, then y, then x).
/// Cost for n boxes: O(n log n + P), P the pairs of boxes whose extents overlap along the sweep
/// axis (the axis with the most distinct box starts; for a p x q x r grid swept along x, P = n*q*r);
/// the gap's example voxel by bisection, O(n) per halving, at most log2 of the extents halvings.
void check_decomposition(const Box3i& global, const std::vector<Box3i>& boxes);

/// Two boxes that share a face of positive area: boxes[low].hi[axis] == boxes[high].lo[axis] == plane.
struct FaceContact {
  int low = -1, high = -1; ///< indices into the boxes
  int axis = 0;
  int plane = 0;
  friend bool operator==(const FaceContact&, const FaceContact&) = default;
};

/// Every pair of boxes that share a face of positive area (empty boxes share none), sorted by
/// (axis, plane, low, high). Does not depend on the eye: compute it once per decomposition and pass
/// it to visibility_order() every frame. Cost: O(n log n + C), C the pairs on either side of a
/// common plane whose extents overlap along one in-plane axis (for a grid, n times its extent along
/// the other in-plane axis).
std::vector<FaceContact> face_contacts(const std::vector<Box3i>& boxes);

/// The boxes front to back as seen from the eye: order[0] is the rank whose box is nearest, the
/// order the compositor takes (compositor.h) and the k-d tree's visibility_order() gives, in the
/// same space (voxel space: eye and dir already mapped through the inverse scene transform).
/// Perspective: rays start at `eye` (anywhere, inside the global box too), `dir` is unused.
/// Orthographic: every ray runs along `dir`, `eye` is unused. Ranks with empty boxes come last, by
/// rank.
///
/// Precondition: the non-empty boxes tile a box (check_decomposition() accepts them). Any tiling,
/// not only the k-d tree's guillotine cuts (e.g. a pinwheel of four boxes round a fifth).
///
/// Algorithm: only boxes that share a face are ordered directly. For a face on the plane
/// x[axis] = c, the box on the eye's side (orthographic: the side `dir` leaves) goes first; no edge
/// when the eye lies on the plane (dir[axis] == 0): no ray crosses that face. The order is a
/// topological sort of this directed graph (Kahn's algorithm, lowest rank first among the ready
/// boxes, so the result is deterministic). Why it is exact for tilings: every edge is a real
/// occlusion (the ray from the eye through the middle of the shared face passes the front box,
/// then the back box), and when a ray passes box A, then box B, the segment between lies in the
/// tiled box, so (moved off edges and corners) it crosses a chain of shared faces from A to B, each
/// from the eye's side: a path A -> ... -> B in the graph. So the graph orders exactly the pairs
/// that some ray orders, and it has a cycle exactly when no order can be right.
///
/// Such cycles exist, so a tiling does NOT always have a right order: the pinwheel (four boxes round
/// a centre square) seen from any eye over the open centre square, each arm hiding part of the
/// next; three interlocked rods (one along each axis) seen along (1, 1, 1), even orthographically;
/// and about a quarter of the views of random non-guillotine tilings in the tests. Guillotine
/// tilings (the k-d tree's, p x q x r grids, any recursive cuts) never have one: the k-d order is
/// right for every ray. On a cycle the sort goes on with the waiting box that has the fewest
/// unplaced boxes in front of it (lowest rank on ties), the image is wrong where boxes of the cycle
/// overlap on screen, and `*exact` (when given) is set to false; otherwise it is set to true.
///
/// Cost: face_contacts() (above) plus O(n log n + E) for E contacts; for a k-d tiling or a grid,
/// E < 3n. A cycle adds O(n) per box taken out of turn.
std::vector<int> visibility_order(const std::vector<Box3i>& boxes, Vec3f eye, Vec3f dir, bool orthographic,
                                  bool* exact = nullptr);

/// The same with the face contacts computed beforehand (face_contacts(boxes)): O(n log n + E) a call.
std::vector<int> visibility_order(const std::vector<Box3i>& boxes, const std::vector<FaceContact>& contacts, Vec3f eye,
                                  Vec3f dir, bool orthographic, bool* exact = nullptr);

} // namespace libindex
