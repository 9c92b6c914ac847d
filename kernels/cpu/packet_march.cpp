// SPDX-License-Identifier: Apache-2.0
// Compiled with the SIMD flags of LIBINDEX_CPU_SIMD (kernels/CMakeLists.txt); nothing else is.
#include "packets.h"

#include "libindex/config.h"
#include "../src/program_march.h"
#include "packet_march.h"

// The configured width (config.h) decides whether the backend has packets at all; the flags this unit
// is compiled with (simd.h's LIBINDEX_SIMD_WIDTH) must give at least that many lanes.
#if LIBINDEX_CPU_SIMD_WIDTH > 1 && LIBINDEX_SIMD_WIDTH < LIBINDEX_CPU_SIMD_WIDTH
#error "packet_march.cpp is compiled without the SIMD flags of LIBINDEX_CPU_SIMD"
#endif

namespace libindex::kernels {

#if LIBINDEX_CPU_SIMD_WIDTH > 1
const char* packet_isa() { return simd::kIsa; }

bool packet_path_fits(const BrickView& brick) { return simd::packet_addressable(brick); }

unsigned long long march_packets(const MarchParams& params, const BrickView& brick, Rect tile, ImageView out,
                                 const ProgramPlanes* planes) {
  const TableClassifier classify{params.colormap};
  return visit_dtype(brick.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (planes) return simd::march_tile(params, simd::make_packet_sampler<T>(brick), classify, tile, out, *planes);
    return simd::march_tile(params, simd::make_packet_sampler<T>(brick), classify, tile, out);
  });
}

unsigned long long march_mixed_packets(const MixParams& M, const BrickView* bricks, Rect tile, ImageView out,
                                       const ProgramPlanes* planes) {
  simd::PacketLayerSamplers S{};
  for (int i = 0; i < M.count; ++i)
    visit_dtype(bricks[i].dtype,
                [&](auto tag) { S.set(i, simd::make_packet_sampler<typename decltype(tag)::type>(bricks[i])); });
  if (planes) return simd::march_tile_mixed(M, S, tile, out, *planes);
  return simd::march_tile_mixed(M, S, tile, out);
}
#else
const char* packet_isa() { return nullptr; }
bool packet_path_fits(const BrickView&) { return false; }
unsigned long long march_packets(const MarchParams&, const BrickView&, Rect, ImageView, const ProgramPlanes*) {
  return 0;
}
unsigned long long march_mixed_packets(const MixParams&, const BrickView*, Rect, ImageView, const ProgramPlanes*) {
  return 0;
}
#endif

} // namespace libindex::kernels
