// SPDX-License-Identifier: Apache-2.0
#include "libindex/decomposition.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <tuple>
#include <utility>

#include "libindex/error.h"

namespace libindex {
namespace {

std::string rank_box(int rank, const Box3i& b) { return "rank " + std::to_string(rank) + "'s box " + to_string(b); }

bool overlap_1d(int alo, int ahi, int blo, int bhi) { return std::max(alo, blo) < std::min(ahi, bhi); }

/// The lowest pair (i < j) of overlapping boxes among `ranks` (non-empty boxes), or {-1, -1}. Sweeps
/// along the axis with the most distinct box starts: each box is tested against the boxes whose
/// extent along that axis it overlaps.
std::pair<int, int> lowest_overlap(const std::vector<Box3i>& boxes, std::vector<int> ranks) {
  int axis = 0;
  size_t most = 0;
  for (int a = 0; a < 3; ++a) {
    std::vector<int> starts;
    starts.reserve(ranks.size());
    for (int r : ranks) starts.push_back(boxes[size_t(r)].lo[a]);
    std::sort(starts.begin(), starts.end());
    const size_t distinct = size_t(std::unique(starts.begin(), starts.end()) - starts.begin());
    if (distinct > most) most = distinct, axis = a;
  }
  std::sort(ranks.begin(), ranks.end(), [&](int a, int b) {
    return std::pair(boxes[size_t(a)].lo[axis], a) < std::pair(boxes[size_t(b)].lo[axis], b);
  });
  std::pair<int, int> best{-1, -1};
  std::vector<int> active;
  for (int r : ranks) {
    const Box3i& b = boxes[size_t(r)];
    std::erase_if(active, [&](int a) { return boxes[size_t(a)].hi[axis] <= b.lo[axis]; });
    for (int a : active)
      if (!intersect(boxes[size_t(a)], b).empty()) {
        const std::pair<int, int> pair{std::min(a, r), std::max(a, r)};
        if (best.first < 0 || pair < best) best = pair;
      }
    active.push_back(r);
  }
  return best;
}

/// Voxels of `box` covered by `boxes` (disjoint).
int64_t covered(const Box3i& box, const std::vector<Box3i>& boxes) {
  int64_t sum = 0;
  for (const Box3i& b : boxes) sum += intersect(b, box).voxel_count();
  return sum;
}

/// The first voxel of `global` in x-fastest order that no box covers (there is one; the boxes are
/// disjoint): halve along z while the box is thicker than one voxel, keeping the lower half when it
/// has an uncovered voxel, then along y, then x. Each step keeps only the boxes that still matter.
Vec3i first_uncovered(const Box3i& global, std::vector<Box3i> boxes) {
  Box3i box = global;
  for (int axis = 2; axis >= 0; --axis) {
    while (box.hi[axis] - box.lo[axis] > 1) {
      Box3i lower = box;
      lower.hi[axis] = box.lo[axis] + (box.hi[axis] - box.lo[axis]) / 2;
      if (covered(lower, boxes) < lower.voxel_count())
        box = lower;
      else
        box.lo[axis] = lower.hi[axis];
      std::erase_if(boxes, [&](const Box3i& b) { return intersect(b, box).empty(); });
    }
  }
  return box.lo;
}

} // namespace

void check_decomposition(const Box3i& global, const std::vector<Box3i>& boxes) {
  std::vector<int> ranks; // those with a box
  for (size_t i = 0; i < boxes.size(); ++i)
    if (!boxes[i].empty()) ranks.push_back(int(i));
  if (ranks.empty())
    throw Error(boxes.empty() ? "the decomposition has no box: no rank holds any of the global box " + to_string(global)
                              : "the decomposition has no box: " +
                                    (boxes.size() == 1 ? std::string("the only rank's box is")
                                                       : "all " + std::to_string(boxes.size()) + " ranks' boxes are") +
                                    " empty, none holds any of the global box " + to_string(global));
  for (int r : ranks)
    if (!global.contains(boxes[size_t(r)]))
      throw Error(rank_box(r, boxes[size_t(r)]) + " is not inside the global box " + to_string(global));
  const auto [a, b] = lowest_overlap(boxes, ranks);
  if (a >= 0)
    throw Error(rank_box(a, boxes[size_t(a)]) + " overlaps " + rank_box(b, boxes[size_t(b)]) + ": both hold " +
                to_string(intersect(boxes[size_t(a)], boxes[size_t(b)])));
  // Disjoint and inside: they tile the global box exactly when their volumes add up to it.
  int64_t sum = 0;
  std::vector<Box3i> held;
  held.reserve(ranks.size());
  for (int r : ranks) sum += boxes[size_t(r)].voxel_count(), held.push_back(boxes[size_t(r)]);
  const int64_t missing = global.voxel_count() - sum;
  if (missing > 0) {
    const Vec3i v = first_uncovered(global, std::move(held));
    throw Error("the boxes leave " + std::to_string(missing) + (missing == 1 ? " voxel" : " voxels") +
                " of the global box " + to_string(global) + " to no rank, e.g. voxel (" + std::to_string(v.x) + ", " +
                std::to_string(v.y) + ", " + std::to_string(v.z) + ")");
  }
}

std::vector<FaceContact> face_contacts(const std::vector<Box3i>& boxes) {
  struct Side {
    int plane;
    int ulo, uhi, vlo, vhi;
    int index;
    bool high; ///< the box lies above the plane (its lo is the plane)
  };
  std::vector<FaceContact> contacts;
  std::vector<Side> sides;
  std::vector<const Side*> active[2]; // [high]: boxes whose u extent may still overlap later starts
  for (int axis = 0; axis < 3; ++axis) {
    const int u = (axis + 1) % 3, v = (axis + 2) % 3;
    sides.clear();
    for (size_t i = 0; i < boxes.size(); ++i) {
      const Box3i& b = boxes[i];
      if (b.empty()) continue;
      sides.push_back({b.hi[axis], b.lo[u], b.hi[u], b.lo[v], b.hi[v], int(i), false});
      sides.push_back({b.lo[axis], b.lo[u], b.hi[u], b.lo[v], b.hi[v], int(i), true});
    }
    std::sort(sides.begin(), sides.end(), [](const Side& a, const Side& b) {
      return std::tie(a.plane, a.ulo, a.index, a.high) < std::tie(b.plane, b.ulo, b.index, b.high);
    });
    // Per plane, a sweep along u over both sides' faces: when a face starts, every face of the other
    // side still open along u overlaps it along u; those that also overlap along v are contacts.
    for (size_t first = 0; first < sides.size();) {
      size_t last = first;
      while (last < sides.size() && sides[last].plane == sides[first].plane) ++last;
      active[0].clear(), active[1].clear();
      for (size_t k = first; k < last; ++k) {
        const Side& s = sides[k];
        std::vector<const Side*>& others = active[s.high ? 0 : 1];
        std::erase_if(others, [&](const Side* o) { return o->uhi <= s.ulo; });
        for (const Side* o : others)
          if (overlap_1d(o->vlo, o->vhi, s.vlo, s.vhi))
            contacts.push_back({s.high ? o->index : s.index, s.high ? s.index : o->index, axis, s.plane});
        active[s.high ? 1 : 0].push_back(&s);
      }
      first = last;
    }
  }
  std::sort(contacts.begin(), contacts.end(), [](const FaceContact& a, const FaceContact& b) {
    return std::tie(a.axis, a.plane, a.low, a.high) < std::tie(b.axis, b.plane, b.low, b.high);
  });
  return contacts;
}

std::vector<int> visibility_order(const std::vector<Box3i>& boxes, Vec3f eye, Vec3f dir, bool orthographic,
                                  bool* exact) {
  return visibility_order(boxes, face_contacts(boxes), eye, dir, orthographic, exact);
}

std::vector<int> visibility_order(const std::vector<Box3i>& boxes, const std::vector<FaceContact>& contacts, Vec3f eye,
                                  Vec3f dir, bool orthographic, bool* exact) {
  const int n = int(boxes.size());
  // The directed graph "front before back" in compressed rows: out-edges of box i are
  // targets[first[i] .. first[i + 1]).
  std::vector<int> first(size_t(n) + 1, 0), targets, waiting(size_t(n), 0);
  std::vector<std::pair<int, int>> edges;
  edges.reserve(contacts.size());
  for (const FaceContact& c : contacts) {
    require(c.low >= 0 && c.low < n && c.high >= 0 && c.high < n,
            "visibility_order: a face contact names a box outside the " + std::to_string(n) + " boxes");
    // The low box is in front when the eye lies below the plane (orthographic: rays run up the axis).
    const float side = orthographic ? -dir[c.axis] : eye[c.axis] - float(c.plane);
    if (side < 0)
      edges.emplace_back(c.low, c.high);
    else if (side > 0)
      edges.emplace_back(c.high, c.low);
    // side == 0 (or NaN): no ray crosses this face, so it orders nothing.
  }
  for (const auto& [from, to] : edges) ++first[size_t(from) + 1], ++waiting[size_t(to)];
  for (int i = 0; i < n; ++i) first[size_t(i) + 1] += first[size_t(i)];
  targets.resize(edges.size());
  {
    std::vector<int> next(first.begin(), first.end() - 1);
    for (const auto& [from, to] : edges) targets[size_t(next[size_t(from)]++)] = to;
  }

  std::vector<int> order;
  order.reserve(size_t(n));
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  std::vector<char> placed(size_t(n), 0);
  int remaining = 0;
  for (int i = 0; i < n; ++i) {
    if (boxes[size_t(i)].empty()) continue;
    ++remaining;
    if (waiting[size_t(i)] == 0) ready.push(i);
  }
  bool cyclic = false;
  while (remaining > 0) {
    int next = -1;
    if (!ready.empty()) {
      next = ready.top();
      ready.pop();
    } else {
      // A cycle: every unplaced box waits for another. Take the one waiting for the fewest.
      cyclic = true;
      for (int i = 0; i < n; ++i)
        if (!placed[size_t(i)] && !boxes[size_t(i)].empty() && (next < 0 || waiting[size_t(i)] < waiting[size_t(next)]))
          next = i;
    }
    placed[size_t(next)] = 1;
    order.push_back(next);
    --remaining;
    for (int k = first[size_t(next)]; k < first[size_t(next) + 1]; ++k) {
      const int t = targets[size_t(k)];
      if (!placed[size_t(t)] && --waiting[size_t(t)] == 0) ready.push(t);
    }
  }
  for (int i = 0; i < n; ++i)
    if (boxes[size_t(i)].empty()) order.push_back(i);
  if (exact) *exact = !cyclic;
  return order;
}

} // namespace libindex
