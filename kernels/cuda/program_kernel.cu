// SPDX-License-Identifier: Apache-2.0
// march_ray for a volume with a sample program, on the GPU. The program's entry point
// (xac_entry.h, compiled by NVRTC from the scene's source) is declared here and resolved when
// nvJitLink links this file's relocatable PTX, embedded in the library, with the program's
// (sample_program_nvrtc.cpp). Never linked into the library itself.
#include "gpu_program.h"
#include "libindex/kernels/march.h"

extern "C" __device__ int libindex_xac_execute(const LibindexXacFrame* frame, const LibindexXacSample* sample,
                                               float* rgba);

namespace libindex::kernels {
namespace {

/// xac_abi.h's fetch, as the CPU's ProgramVolume::fetch: the value at an object-space point
/// (nearest: at its voxel's centre), clamped to the stored box's voxel centres.
template <class T>
__device__ float program_fetch(const void* self, float x, float y, float z, int nearest) {
  const GpuProgramFrame& f = *static_cast<const GpuProgramFrame*>(self);
  Vec3f p{x, y, z};
  if (nearest) p = {floorf(x) + 0.5f, floorf(y) + 0.5f, floorf(z) + 0.5f};
  for (int a = 0; a < 3; ++a) p[a] = p[a] >= f.lo[a] ? (p[a] <= f.hi[a] ? p[a] : f.hi[a]) : f.lo[a]; // NaN: lo
  if constexpr (std::is_same_v<T, uint8_t>) return f.u8.value(p);
  if constexpr (std::is_same_v<T, uint16_t>) return f.u16.value(p);
  if constexpr (std::is_same_v<T, int16_t>) return f.i16.value(p);
  if constexpr (std::is_same_v<T, float>) return f.f32.value(p);
}

__device__ void program_lookup(const void* map, float value, float* rgba) {
  const Vec4f c = colormap_lookup(*static_cast<const ColormapView*>(map), value);
  rgba[0] = c.x, rgba[1] = c.y, rgba[2] = c.z, rgba[3] = c.w;
}

__device__ float unit(float c) { return c >= 0.0f ? (c <= 1.0f ? c : 1.0f) : 0.0f; } // NaN: 0

/// ProgramClassifier on the GPU: each sample's straight RGBA from the program, clamped to [0, 1].
struct DeviceProgramClassifier {
  const GpuProgramFrame* frame;
  __device__ Vec4f operator()(float v) const { return colormap_lookup(frame->colormap, v); }
  __device__ Vec4f sample(Vec3f p, float t, Vec3f dir) const {
    const Vec3f scene = p * frame->scaling + frame->translation;
    LibindexXacSample s;
    s.object[0] = p.x, s.object[1] = p.y, s.object[2] = p.z;
    s.scene[0] = scene.x, s.scene[1] = scene.y, s.scene[2] = scene.z;
    s.ray_direction[0] = dir.x, s.ray_direction[1] = dir.y, s.ray_direction[2] = dir.z;
    s.ray_t = t;
    float c[4] = {0, 0, 0, 0};
    if (libindex_xac_execute(&frame->abi, &s, c) != 0) return {0, 0, 0, 0}; // discarded
    return {unit(c[0]), unit(c[1]), unit(c[2]), unit(c[3])};
  }
};

template <class T>
__device__ Vec4f march(const MarchParams& params, const DenseSampler<T>& sampler, const GpuProgramFrame* f, int x,
                       int y, unsigned long long& n) {
  return march_ray(params, sampler, DeviceProgramClassifier{f}, x, y, n);
}

} // namespace
} // namespace libindex::kernels

using namespace libindex;
using namespace libindex::kernels;

/// One thread: the function pointers and handles of the frame's volume, which only device code can
/// take. Every sample's program then reads the same frame.
extern "C" __global__ void libindex_program_setup(GpuProgramFrame* f) {
  LibindexXacVolume& v = f->abi.volume;
  v.sampler = f;
  v.colormap = &f->colormap;
  v.lookup = program_lookup;
  switch (f->dtype) {
  case DType::uint8:
    v.fetch = program_fetch<uint8_t>;
    break;
  case DType::uint16:
    v.fetch = program_fetch<uint16_t>;
    break;
  case DType::int16:
    v.fetch = program_fetch<int16_t>;
    break;
  default:
    v.fetch = program_fetch<float>;
  }
}

/// march_kernel (cuda_backend.cu) with the program's classifier over the brick in device memory.
extern "C" __global__ void libindex_program_march(MarchParams params, const GpuProgramFrame* f, Rect rect, Vec4f* out,
                                                  unsigned long long* samples) {
  const int x = rect.x0 + int(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = rect.y0 + int(blockIdx.y * blockDim.y + threadIdx.y);
  unsigned long long n = 0;
  if (x < rect.x1 && y < rect.y1) {
    Vec4f c;
    switch (f->dtype) {
    case DType::uint8:
      c = march(params, f->u8, f, x, y, n);
      break;
    case DType::uint16:
      c = march(params, f->u16, f, x, y, n);
      break;
    case DType::int16:
      c = march(params, f->i16, f, x, y, n);
      break;
    default:
      c = march(params, f->f32, f, x, y, n);
    }
    out[(long long)(y - rect.y0) * rect.width() + (x - rect.x0)] = c;
  }
  for (int offset = 16; offset > 0; offset >>= 1) n += __shfl_down_sync(0xffffffffu, n, offset);
  if (((threadIdx.y * blockDim.x + threadIdx.x) & 31) == 0 && n) atomicAdd(samples, n);
}
