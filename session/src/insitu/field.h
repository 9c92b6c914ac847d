// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file One rank's part of a published field, and what update() does with it: copy it dense when
/// it cannot be borrowed.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "libindex/error.h"
#include "libindex/volume.h"

namespace libindex::insitu {

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, uint8_t>)
    return DType::uint8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return DType::uint16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return DType::int16;
  else
    return DType::float32;
}

struct Field {
  std::string name;
  DType dtype = DType::float32;
  const void* data = nullptr; ///< the simulation's memory: voxel stored().lo first
  Box3i local, global;
  int ghost = 0;
  std::array<long long, 3> strides{}; ///< elements; {0, 0, 0}: dense over stored()
  bool on_device = false;             ///< `data` is CUDA device memory: only the CUDA backend reads it

  /// The voxels at `data`: the local box and its ghost layers, inside the global box.
  Box3i stored() const { return grow(local, ghost, global); }
  bool dense() const {
    const Vec3i n = stored().size();
    return (strides[0] == 0 && strides[1] == 0 && strides[2] == 0) ||
           (strides[0] == 1 && strides[1] == n.x && strides[2] == (long long)n.x * n.y);
  }
  /// Element offset of voxel p (a voxel of stored()).
  long long offset(Vec3i p) const {
    const Box3i s = stored();
    const Vec3i n = s.size();
    const bool d = strides[0] == 0 && strides[1] == 0 && strides[2] == 0;
    const long long sx = d ? 1 : strides[0], sy = d ? n.x : strides[1], sz = d ? (long long)n.x * n.y : strides[2];
    return (p.x - s.lo.x) * sx + (p.y - s.lo.y) * sy + (p.z - s.lo.z) * sz;
  }
};

/// The field of `fields` named `name`, or fields.end().
template <class Fields>
auto field_named(Fields& fields, const std::string& name) {
  return std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; });
}

/// What is wrong with how a rank described its part of field `f`, or "": an empty name, negative
/// ghost layers, or strides that step backwards or make two voxels share an element (reading them
/// would leave the simulation's array). Any order of axes is a layout (a C array [x][y][z] has z
/// fastest), as are padding and interleaved components, as long as each axis steps past the whole
/// extent of the axes that step less.
inline std::string layout_problem(const Field& f) {
  if (f.name.empty()) return "a field needs a name (publish() was given an empty one)";
  const std::string what = "field '" + f.name + "'";
  if (f.ghost < 0) return what + ": ghost_layers " + std::to_string(f.ghost) + " is negative";
  if (f.local.empty()) return ""; // no data on this rank: nothing is read
  const auto& st = f.strides;
  if (st[0] == 0 && st[1] == 0 && st[2] == 0) return ""; // dense
  const Vec3i n = f.stored().size();
  const auto strides_text = [&] {
    return "strides {" + std::to_string(st[0]) + ", " + std::to_string(st[1]) + ", " + std::to_string(st[2]) +
           "} for its " + std::to_string(n.x) + "x" + std::to_string(n.y) + "x" + std::to_string(n.z) +
           " voxels (ghost layers included)";
  };
  std::array<int, 3> axes{0, 1, 2};
  std::sort(axes.begin(), axes.end(), [&](int a, int b) { return st[size_t(a)] < st[size_t(b)]; });
  // Offsets are distinct when each axis steps past the largest offset the axes stepping less reach:
  // span = 1 + the sum of s * (n - 1) over them (an x-subsampled section of an odd-sized array
  // steps exactly past it, not past s * n).
  long long span = 1;
  for (const int a : axes) {
    if (n[a] <= 1) continue; // one voxel along it: its stride is never used
    const long long s = st[size_t(a)];
    if (s < 1) return what + ": " + strides_text() + ": the stride along " + "xyz"[a] + " must be 1 or more";
    if (s < span)
      return what + ": " + strides_text() + " make voxels share elements: " + "xyz"[a] + " steps " + std::to_string(s) +
             " elements, less than the " + std::to_string(span) + " the axes that step less span";
    if (n[a] - 1 > (std::numeric_limits<long long>::max() - span) / s)
      return what + ": " + strides_text() + " reach past any array";
    span += s * (n[a] - 1);
  }
  return "";
}

/// The voxels of `box` (inside f.stored()) as a dense brick (host memory: f must be too). When
/// `reuse` holds as many bytes, they are overwritten instead of allocating a brick: the asynchronous
/// mode copies every frame, and a fresh brick costs zeroing it (and page faults where its block is
/// new) on the simulation's thread, which took more than the copy itself.
inline Brick dense_copy(const Field& f, const Box3i& box, Brick reuse = {}) {
  if (!(intersect(box, f.stored()) == box))
    throw Error("field '" + f.name + "': " + to_string(box) + " is not inside the published " + to_string(f.stored()));
  const size_t bytes = size_t(box.voxel_count()) * dtype_size(f.dtype);
  Brick b = reuse.bytes.size() == bytes ? std::move(reuse) : Brick(box, f.dtype);
  b.box = box, b.dtype = f.dtype;
  visit_dtype(f.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = static_cast<const T*>(f.data);
    T* out = b.data<T>();
    const long long row_stride = f.offset({box.lo.x + 1, box.lo.y, box.lo.z}) - f.offset(box.lo);
    const size_t row = size_t(box.hi.x - box.lo.x);
    for (int z = box.lo.z; z < box.hi.z; ++z)
      for (int y = box.lo.y; y < box.hi.y; ++y, out += row) {
        const T* first = in + f.offset({box.lo.x, y, z});
        if (row_stride == 1 || row == 1) // x contiguous: the usual case, one copy per row
          std::memcpy(out, first, row * sizeof(T));
        else
          for (size_t x = 0; x < row; ++x) out[x] = first[(long long)x * row_stride];
      }
  });
  return b;
}

} // namespace libindex::insitu
