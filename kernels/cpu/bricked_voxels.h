// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A brick's voxels rearranged for the CPU's ray packets: cubes of 8^3 voxels, each stored with
/// a one-voxel apron on its upper side of every axis (9^3), so that the 2x2x2 corners of any trilinear
/// lookup lie in one cube, a few cache lines apart, whatever the view direction. In the linear
/// layout the corners' four rows are a row and a slice apart, and neighbouring lanes of a packet
/// rarely share a cache line once the samples are more than a voxel apart.

#include <cstdint>
#include <vector>

#include "libindex/box.h"
#include "libindex/volume.h"

namespace libindex::kernels {

struct BrickedVoxels {
  static constexpr int kEdge = 8;                     ///< voxels of a cube's own
  static constexpr int kSide = kEdge + 1;             ///< stored per axis: own + apron
  static constexpr int kCube = kSide * kSide * kSide; ///< voxels stored per cube
  std::vector<uint8_t> bytes;                         ///< cubes x-fastest, then 4 bytes of padding
  Vec3i cubes;                                        ///< cubes per axis
  Box3i stored;                                       ///< the linear brick's stored box
  DType dtype = DType::uint8;

  bool empty() const { return bytes.empty(); }
  long long voxel_count() const { return (long long)cubes.x * cubes.y * cubes.z * kCube; }
};

/// Copies the stored box of a host brick into cubes (apron voxels past the stored box repeat its
/// last voxel; they are never interpolated with). Parallel over cubes.
BrickedVoxels make_bricked_voxels(const BrickView& brick);

/// True when a brick's cubes can be addressed with 32-bit byte offsets.
bool bricked_addressable(const BrickView& brick);

} // namespace libindex::kernels
