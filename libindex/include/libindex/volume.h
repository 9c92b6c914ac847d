// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Voxel types, bricks (flat buffers of a sub-box) and the views kernels sample from.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "libindex/frame_memory.h"
#include "libindex/box.h"

namespace libindex {

/// Voxel formats. Integer voxels are normalized before the colormap: unsigned to [0,1], signed to [-1,1].
enum class DType : int { uint8 = 0, uint16 = 1, int16 = 2, float32 = 3 };

LIBINDEX_HOST_DEVICE constexpr int dtype_size(DType t) { return t == DType::uint8 ? 1 : (t == DType::float32 ? 4 : 2); }

/// Throws Error naming a DType value outside the enum (out of line: this header stays free of <stdexcept>).
[[noreturn]] void throw_invalid_dtype(DType t);

/// The one switch over voxel types: calls f(std::type_identity<T>{}) with T = uint8_t, uint16_t,
/// int16_t or float for `t` and returns what f returns (every instantiation must return the same
/// type). Throws Error for a value outside the enum. Host code only (CUDA host code included):
///   visit_dtype(b.dtype, [&](auto tag) { using T = typename decltype(tag)::type; ... });
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
  case DType::uint8:
    return std::forward<F>(f)(std::type_identity<uint8_t>{});
  case DType::uint16:
    return std::forward<F>(f)(std::type_identity<uint16_t>{});
  case DType::int16:
    return std::forward<F>(f)(std::type_identity<int16_t>{});
  case DType::float32:
    return std::forward<F>(f)(std::type_identity<float>{});
  }
  throw_invalid_dtype(t);
}

/// Parses "uint8", "uint16", "sint16"/"int16", "float32"/"float"; throws Error naming the text otherwise.
DType parse_dtype(const std::string& text);
std::string to_string(DType t);

/// The normalized value of one stored voxel (DESIGN.md, Values).
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float normalize_voxel(uint8_t v) { return float(v) * (1.0f / 255.0f); }
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float normalize_voxel(uint16_t v) { return float(v) * (1.0f / 65535.0f); }
/// int16: -32768 counts as -32767, so the range is [-1, 1] exactly, as GPU texture units read it.
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float normalize_voxel(int16_t v) {
  return float(v < -32767 ? int16_t(-32767) : v) * (1.0f / 32767.0f);
}
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float normalize_voxel(float v) { return v; }

/// A stored voxel as the samplers interpolate it, before voxel_scale (int16's -32768 as -32767):
/// normalize_voxel(v) == raw_voxel(v) * voxel_scale<T>().
template <class T>
LIBINDEX_HOST_DEVICE LIBINDEX_FORCEINLINE float raw_voxel(T v) {
  if constexpr (std::is_same_v<T, int16_t>)
    return float(v < -32767 ? int16_t(-32767) : v);
  else
    return float(v);
}

/// The factor normalize_voxel multiplies by: linear, so interpolation may run on raw values first.
template <class T>
LIBINDEX_HOST_DEVICE constexpr float voxel_scale() {
  if constexpr (sizeof(T) == 1)
    return 1.0f / 255.0f;
  else if constexpr (sizeof(T) == 4)
    return 1.0f;
  else if constexpr (T(-1) < T(0))
    return 1.0f / 32767.0f;
  else
    return 1.0f / 65535.0f;
}

/// A box of voxels held in one flat, x-fastest buffer: the same bytes are read from disk, uploaded to
/// the GPU and sent over MPI without conversion.
/// A brick's voxels. Kept in frame_memory: the next brick of the same size (the next time step's,
/// a re-read leaf) reuses the block, already mapped, instead of faulting in a fresh one a page at a
/// time (a 64 MiB brick: about 16 thousand page faults, which cost a VM more than reading it).
/// New bytes are left as the memory held them (UninitializedAllocator): Brick's constructor zeroes
/// them unless told not to, and a staging buffer is written whole before it is read.
using BrickBytes = std::vector<std::byte, UninitializedAllocator<FrameAllocator<std::byte>>>;

struct Brick {
  Box3i box; ///< the voxels stored, in global voxel coordinates (ghosts included)
  DType dtype = DType::uint8;
  BrickBytes bytes;

  /// Asks Brick's constructor to leave the voxels as the memory held them: for a reader that writes
  /// every voxel itself. A brick of gigabytes is then not zeroed first on one thread (faulting its
  /// pages in one at a time there): the reader's threads fault them in as they write.
  struct Unset {};

  Brick() = default;
  /// Every voxel 0.
  Brick(const Box3i& b, DType t) : Brick(b, t, Unset{}) { std::fill(bytes.begin(), bytes.end(), std::byte{0}); }
  Brick(const Box3i& b, DType t, Unset) : box(b), dtype(t), bytes(size_t(b.voxel_count()) * dtype_size(t)) {}

  template <class T>
  T* data() {
    return reinterpret_cast<T*>(bytes.data());
  }
  template <class T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  /// Normalized value of voxel v (global coordinates, inside `box`). For tests and tools, not hot paths.
  float value(Vec3i v) const;
};

/// What a backend renders: a brick's bytes plus the boxes that say which samples are its own.
struct BrickView {
  const void* data = nullptr; ///< x-fastest voxels of `stored`
  DType dtype = DType::uint8;
  Box3i stored;            ///< voxels present in `data` (owned box plus ghosts, clipped to `volume`)
  Box3i owned;             ///< the half-open box whose samples this brick takes
  Box3i volume;            ///< the whole volume's voxel box; sampling clamps to its outermost voxel centres
  uint64_t generation = 0; ///< bump when the bytes behind `data` change (in-situ), so caches refresh
  bool on_device = false;  ///< `data` is CUDA device memory (a simulation's GPU field): the CUDA backend only
};
static_assert(std::is_trivially_copyable_v<BrickView>);

/// A view of a whole brick that owns everything it stores (the one-rank case).
inline BrickView whole_view(const Brick& b) { return {b.bytes.data(), b.dtype, b.box, b.box, b.box, 0}; }

} // namespace libindex
