// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <memory>

#include "libindex/kernels/backend.h"

namespace libindex::kernels {
/// The CPU launcher: TBB over 16x16 pixel tiles of the active rectangle. Each tile is marched in
/// SIMD ray packets when the build has them (packets.h) and the running CPU supports them, else one
/// march_ray per pixel; both give the same image bit for bit. `ray_packets = false` forces the latter.
std::unique_ptr<Backend> make_cpu_backend(bool ray_packets = true);

/// The SIMD instruction set the CPU backend marches packets with here ("avx512", "avx2"), or
/// nullptr when it marches one ray at a time (built without, or this CPU lacks it).
const char* cpu_packet_isa();

/// True when the running CPU has the instruction set named "avx512" (F, BW, DQ, VL) or "avx2".
bool cpu_supports(const char* isa);
} // namespace libindex::kernels
