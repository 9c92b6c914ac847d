// SPDX-License-Identifier: Apache-2.0
#include "libindex/kdtree.h"

#include <cmath>

#include "libindex/error.h"

namespace libindex {
namespace {

struct Builder {
  KdTree& tree;
  const WorkFunction& work;
  const std::vector<double>* weights = nullptr; ///< per leaf; none: every leaf weighs 1
  bool empty_leaves = true;                     ///< whether leaves beyond the voxels get empty boxes
  bool unsplittable = false;                    ///< without empty_leaves: a box had to be split and could not be

  double weight_of(int first, int count) const {
    if (!weights) return count;
    double w = 0;
    for (int i = first; i < first + count; ++i) w += (*weights)[size_t(i)];
    return w;
  }

  double work_of(const Box3i& b) const { return work ? work(b) : double(b.voxel_count()); }

  /// Where to split `box` along `axis` (at least 2 voxels) so that the lower side's share of the
  /// work is that of its `left_leaves` of the `leaves`: bisection, the share grows with the split.
  int balanced_split(const Box3i& box, int axis, int first_leaf, int left_leaves, int leaves) const {
    const double target = weight_of(first_leaf, left_leaves) / weight_of(first_leaf, leaves);
    const double total = work_of(box);
    int lo = box.lo[axis] + 1, hi = box.hi[axis] - 1;
    while (lo < hi) {
      const int mid = lo + (hi - lo) / 2;
      Box3i left = box;
      left.hi[axis] = mid;
      if (total > 0 && work_of(left) / total < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }

  int build(const Box3i& box, int first_leaf, int leaves) {
    const int index = int(tree.nodes.size());
    tree.nodes.push_back({box});
    if (leaves == 1) {
      tree.nodes[index].leaf = first_leaf;
      tree.leaf_node[first_leaf] = index;
      return index;
    }
    const Vec3i size = box.size();
    int axis = 0;
    for (int a = 1; a < 3; ++a)
      if (size[a] > size[axis]) axis = a;
    const int left_leaves = leaves / 2;
    // A box too thin to split (a tiny volume on many ranks): the lower leaves share it and the upper
    // ones get the empty box at its end, so their ranks render nothing.
    int split = box.hi[axis];
    if (size[axis] >= 2) {
      split = balanced_split(box, axis, first_leaf, left_leaves, leaves);
    } else if (!empty_leaves) {
      unsplittable = true;
      return index;
    }
    Box3i left = box, right = box;
    left.hi[axis] = split;
    right.lo[axis] = split;
    tree.nodes[index].axis = axis;
    tree.nodes[index].split = split;
    const int c0 = build(left, first_leaf, left_leaves);
    const int c1 = build(right, first_leaf + left_leaves, leaves - left_leaves);
    tree.nodes[index].child[0] = c0;
    tree.nodes[index].child[1] = c1;
    return index;
  }
};

void order_from(const KdTree& t, int node, Vec3f eye, Vec3f dir, bool ortho, std::vector<int>& out) {
  const KdNode& n = t.nodes[node];
  if (n.axis < 0) {
    out.push_back(n.leaf);
    return;
  }
  // The child on the eye's side of the split plane is in front of the other for every ray.
  const bool lower_first = ortho ? dir[n.axis] >= 0.0f : eye[n.axis] < float(n.split);
  order_from(t, n.child[lower_first ? 0 : 1], eye, dir, ortho, out);
  order_from(t, n.child[lower_first ? 1 : 0], eye, dir, ortho, out);
}

} // namespace

KdTree build_kdtree(const Box3i& volume, int leaves, const WorkFunction& work) {
  require(leaves >= 1, "build_kdtree: need at least one leaf, got " + std::to_string(leaves));
  require(!volume.empty(), "build_kdtree: empty volume box " + to_string(volume));
  KdTree tree;
  tree.leaf_node.assign(leaves, -1);
  Builder{tree, work, nullptr, true}.build(volume, 0, leaves);
  return tree;
}

std::optional<KdTree> build_weighted_kdtree(const Box3i& volume, const std::vector<double>& leaf_weights) {
  require(!leaf_weights.empty(), "build_weighted_kdtree: need at least one leaf");
  for (double w : leaf_weights) require(w > 0, "build_weighted_kdtree: weights must be positive");
  require(!volume.empty(), "build_weighted_kdtree: empty volume box " + to_string(volume));
  KdTree tree;
  tree.leaf_node.assign(leaf_weights.size(), -1);
  const WorkFunction none;
  // A job's part may not be empty (an empty part means the whole volume to its session).
  Builder builder{tree, none, &leaf_weights, false};
  builder.build(volume, 0, int(leaf_weights.size()));
  if (builder.unsplittable) return std::nullopt;
  return tree;
}

std::vector<int> visibility_order(const KdTree& tree, Vec3f eye, Vec3f dir, bool orthographic) {
  std::vector<int> order;
  order.reserve(tree.leaf_count());
  if (!tree.nodes.empty()) order_from(tree, 0, eye, dir, orthographic, order);
  return order;
}

} // namespace libindex
