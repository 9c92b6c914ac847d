// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What every marching kernel does per thread: its pixel of a rectangle, and the samples
/// counted with one atomic per warp.

#include "libindex/camera.h"
#include "libindex/vec.h"

namespace libindex::kernels {

/// This thread's pixel (x, y) of `rect` gets `march(x, y, n)` in `out` (rect's pixels, row by row),
/// and the warp's sample counts `n` go into *samples with one atomic, not one per thread.
template <class March>
__device__ __forceinline__ void march_pixel(const Rect& rect, Vec4f* out, unsigned long long* samples,
                                            const March& march) {
  const int x = rect.x0 + int(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = rect.y0 + int(blockIdx.y * blockDim.y + threadIdx.y);
  unsigned long long n = 0;
  if (x < rect.x1 && y < rect.y1) out[(long long)(y - rect.y0) * rect.width() + (x - rect.x0)] = march(x, y, n);
  for (int offset = 16; offset > 0; offset >>= 1) n += __shfl_down_sync(0xffffffffu, n, offset);
  if (((threadIdx.y * blockDim.x + threadIdx.x) & 31) == 0 && n) atomicAdd(samples, n);
}

} // namespace libindex::kernels
