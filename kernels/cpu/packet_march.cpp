// SPDX-License-Identifier: Apache-2.0
// Compiled with the SIMD flags of LIBINDEX_CPU_SIMD (kernels/CMakeLists.txt); nothing else is.
#include "packets.h"

#include "packet_march.h"

namespace libindex::kernels {

#if LIBINDEX_SIMD_WIDTH
const char* packet_isa() { return simd::kIsa; }

bool packet_path_fits(const BrickView& brick) { return simd::packet_addressable(brick); }

unsigned long long march_packets(const MarchParams& params, const BrickView& brick, Rect tile, ImageView out) {
  const TableClassifier classify{params.colormap};
  switch (brick.dtype) {
  case DType::uint8:
    return simd::march_tile(params, simd::make_packet_sampler<uint8_t>(brick), classify, tile, out);
  case DType::uint16:
    return simd::march_tile(params, simd::make_packet_sampler<uint16_t>(brick), classify, tile, out);
  case DType::int16:
    return simd::march_tile(params, simd::make_packet_sampler<int16_t>(brick), classify, tile, out);
  case DType::float32:
    return simd::march_tile(params, simd::make_packet_sampler<float>(brick), classify, tile, out);
  }
  return 0;
}
#else
const char* packet_isa() { return nullptr; }
bool packet_path_fits(const BrickView&) { return false; }
unsigned long long march_packets(const MarchParams&, const BrickView&, Rect, ImageView) { return 0; }
#endif

} // namespace libindex::kernels
