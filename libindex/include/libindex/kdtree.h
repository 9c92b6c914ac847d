// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The k-d tree that partitions a volume's voxel box into one leaf per rank, and the
/// front-to-back order of its leaves for an eye. Shared by partitioning and compositing.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libindex/box.h"
#include "libindex/camera.h"

namespace libindex {

struct KdNode {
  Box3i box;
  int axis = -1;           ///< split axis, -1 for a leaf
  int split = 0;           ///< split plane x[axis] = split, on a voxel boundary
  int child[2] = {-1, -1}; ///< child[0] holds x[axis] < split
  int leaf = -1;           ///< leaf index (= rank) for leaves
};

struct KdTree {
  std::vector<KdNode> nodes;  ///< nodes[0] is the root
  std::vector<int> leaf_node; ///< node index of leaf i
  const Box3i& leaf_box(int leaf) const { return nodes[leaf_node[leaf]].box; }
  int leaf_count() const { return int(leaf_node.size()); }
};

/// Work of a candidate box, for balancing; defaults to its voxel count.
using WorkFunction = std::function<double(const Box3i&)>;

/// Splits `volume` into `leaves` boxes (any count >= 1, not only powers of two): each node splits
/// its longest axis on a voxel boundary so the two sides' work is proportional to their leaf counts.
/// Where a box has fewer voxels than leaves along every axis (a tiny volume on many ranks), the
/// first leaves share its voxels and the others get empty boxes at its end: their ranks hold and
/// render nothing, and the leaves still tile the volume.
KdTree build_kdtree(const Box3i& volume, int leaves, const WorkFunction& work = {});

/// The same with a weight per leaf: each side of a split gets the share of the voxels its leaves'
/// weights add up to (jobs of a session, weighted by their rank counts). Weights must be positive.
/// Every leaf gets at least one voxel: nullopt when a box has to be split and cannot (a volume with
/// fewer voxels than leaves, or one so thin that a side's share runs out).
std::optional<KdTree> build_weighted_kdtree(const Box3i& volume, const std::vector<double>& leaf_weights);

/// Leaves front to back as seen from `camera` (in voxel space: pass the eye and direction already
/// mapped through the inverse scene transform). Exact for convex leaves separated by planes.
std::vector<int> visibility_order(const KdTree& tree, Vec3f eye_voxel, Vec3f dir_voxel, bool orthographic);

} // namespace libindex
