// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The CPU's ray-packet path, compiled for one SIMD instruction set chosen when the build is
/// configured (CMake LIBINDEX_CPU_SIMD: the build host's best by default, as GROMACS does).

#include "libindex/image.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/mix.h"
#include "libindex/volume.h"

namespace libindex::kernels {

/// "avx512" or "avx2": what packet_march.cpp was compiled for; nullptr when built without packets.
const char* packet_isa();

/// True when packets can march this brick (32-bit offsets, at least 4 bytes).
bool packet_path_fits(const BrickView& brick);

struct ProgramPlanes;

/// march_ray for every pixel of `tile`, simd width at a time, the same pixels bit for bit. Call only
/// when packet_isa() is non-null, the running CPU supports it and packet_path_fits(brick). `planes`:
/// the slice planes' surface program (null: the built-in planes).
unsigned long long march_packets(const MarchParams& params, const BrickView& brick, Rect tile, ImageView out,
                                 const ProgramPlanes* planes = nullptr);

/// march_ray_mixed for every pixel of `tile` in packets, bit for bit; `bricks[i]` is layer i's.
/// Call only when packet_isa() is non-null, the running CPU supports it and every brick fits.
/// `planes`: the slice planes' surface programs (null: the built-in planes).
unsigned long long march_mixed_packets(const MixParams& M, const BrickView* bricks, Rect tile, ImageView out,
                                       const ProgramPlanes* planes = nullptr);

} // namespace libindex::kernels
