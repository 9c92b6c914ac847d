// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The GPU's samplers for march_ray. Both read one 3D CUDA array holding the brick.

#include <cuda_runtime.h>

#include "libindex/colormap.h"
#include "libindex/kernels/sampler.h"

namespace libindex::kernels {

/// Hardware trilinear: the texture unit's linear filter (texel centres at i + 1/2 in unnormalized
/// coordinates, clamp addressing) is exactly the conventions' sampling, with 8-bit weights.
struct HardwareSampler {
  cudaTextureObject_t texture;
  Vec3f stored_lo;
  __device__ LIBINDEX_FORCEINLINE float value(Vec3f p) const {
    return tex3D<float>(texture, p.x - stored_lo.x, p.y - stored_lo.y, p.z - stored_lo.z);
  }
};

/// Exact software trilinear: the CPU's DenseSampler arithmetic over point-sampled fetches of the
/// stored voxels (T as stored: the texture reads elements, not normalized floats), interpolated raw
/// and normalized once, so a sample is the CPU's bit for bit.
template <class T>
struct SoftwareSampler {
  cudaTextureObject_t texture; ///< point filtering, element reads, same array
  Vec3i stored_lo;
  Vec3f centre_min, centre_max;
  __device__ LIBINDEX_FORCEINLINE float voxel(float x, float y, float z) const {
    return raw_voxel(tex3D<T>(texture, x, y, z));
  }
  __device__ LIBINDEX_FORCEINLINE float value(Vec3f p) const {
    return voxel_scale<T>() *
           trilinear(p, centre_min, centre_max, [this](int ix, int iy, int iz, int dx, int dy, int dz, float* c) {
             const float x = float(ix - stored_lo.x) + 0.5f, y = float(iy - stored_lo.y) + 0.5f,
                         z = float(iz - stored_lo.z) + 0.5f;
             c[0] = voxel(x, y, z), c[1] = voxel(x + dx, y, z);
             c[2] = voxel(x, y + dy, z), c[3] = voxel(x + dx, y + dy, z);
             c[4] = voxel(x, y, z + dz), c[5] = voxel(x + dx, y, z + dz);
             c[6] = voxel(x, y + dy, z + dz), c[7] = voxel(x + dx, y + dy, z + dz);
           });
  }
  /// The CPU's gradient stencil (trilinear_gradient) over the same point fetches, normalized like value().
  __device__ LIBINDEX_FORCEINLINE Vec3f gradient(Vec3f p) const {
    const Vec3f g =
        trilinear_gradient(p, centre_min, centre_max, [this](int xa, int xb, int y, int z, float& a, float& b) {
          const float fy = float(y - stored_lo.y) + 0.5f, fz = float(z - stored_lo.z) + 0.5f;
          a = voxel(float(xa - stored_lo.x) + 0.5f, fy, fz);
          b = voxel(float(xb - stored_lo.x) + 0.5f, fy, fz);
        });
    return g * voxel_scale<T>();
  }
};

/// The colormap through the texture unit: a 1D float4 texture with linear filtering reads the table
/// between entries (texel i centred at i + 1/2) with 8-bit weights; the boundary modes stay in code.
struct TextureClassifier {
  cudaTextureObject_t table;
  ColormapView map; ///< domain, size and boundary mode (its entries are not read here)
  __device__ LIBINDEX_FORCEINLINE Vec4f operator()(float v) const {
    if (map.has_nan_color && v != v) return map.nan_color; // as colormap_lookup
    float u = map.to_unit(v);
    if (!(u >= 0.0f && u <= 1.0f)) {
      if (map.mode == BoundaryMode::clamp_to_transparent) return {0, 0, 0, 0};
      u = u > 0.5f ? 1.0f : 0.0f;
    }
    const float4 c = tex1D<float4>(table, u * float(map.size - 1) + 0.5f);
    return {c.x, c.y, c.z, c.w};
  }
};

} // namespace libindex::kernels
