// SPDX-License-Identifier: Apache-2.0
// march_ray for a volume with a sample program, on the GPU. The program's entry point
// (xac_entry.h, compiled by NVRTC from the scene's source) is declared here and resolved when
// nvJitLink links this file's relocatable PTX, embedded in the library, with the program's
// (sample_program_nvrtc.cpp). Never linked into the library itself.
#include "gpu_program.h"
#include "march_pixel.cuh"

extern "C" __device__ int libindex_xac_execute(const LibindexXacFrame* frame, const LibindexXacSample* sample,
                                               float* rgba);

namespace libindex::kernels {
namespace {

/// The linked program's entry point, as program_sample calls it.
struct LinkedEntry {
  __device__ int operator()(const LibindexXacFrame* frame, const LibindexXacSample* sample, float* rgba) const {
    return libindex_xac_execute(frame, sample, rgba);
  }
};

/// ProgramClassifier on the GPU: the same program_sample, through the linked entry point.
struct DeviceProgramClassifier {
  const GpuProgramFrame* frame;
  __device__ Vec4f operator()(float v) const { return colormap_lookup(frame->colormap, v); }
  __device__ Vec4f sample(Vec3f p, float t, Vec3f dir) const {
    return program_sample(LinkedEntry{}, &frame->abi, p, frame->scaling, frame->translation, t, dir);
  }
};

template <class T>
__device__ Vec4f march(const MarchParams& params, const ProgramVolume<T>& volume, const GpuProgramFrame* f, int x,
                       int y, unsigned long long& n) {
  return march_ray(params, volume.sampler, DeviceProgramClassifier{f}, x, y, n);
}

} // namespace
} // namespace libindex::kernels

using namespace libindex;
using namespace libindex::kernels;

namespace {

/// `v` reads `g`'s voxels: the fetch of its type, whose address only device code can take.
__device__ void bind_volume(LibindexXacVolume& v, const GpuProgramVolume& g) {
  switch (g.dtype) {
  case DType::uint8:
    v.sampler = &g.u8, v.fetch = ProgramVolume<uint8_t>::fetch;
    break;
  case DType::uint16:
    v.sampler = &g.u16, v.fetch = ProgramVolume<uint16_t>::fetch;
    break;
  case DType::int16:
    v.sampler = &g.i16, v.fetch = ProgramVolume<int16_t>::fetch;
    break;
  default:
    v.sampler = &g.f32, v.fetch = ProgramVolume<float>::fetch;
  }
}

} // namespace

/// One thread: the function pointers and handles of the frame's volume and of its mapped slots,
/// which only device code can take. Every sample's program then reads the same frame.
extern "C" __global__ void libindex_program_setup(GpuProgramFrame* f) {
  LibindexXacVolume& v = f->abi.volume;
  bind_volume(v, f->volume);
  v.colormap = &f->colormap;
  v.lookup = program_lookup;
  for (int slot = 0; slot < LIBINDEX_XAC_MAX_SLOTS; ++slot) {
    if (!((f->abi.mapped_slots >> slot) & 1u)) continue;
    LibindexXacVolume& m = f->abi.slots[slot];
    bind_volume(m, ((f->slot_volumes_mapped >> slot) & 1u) ? f->slot_volumes[slot] : f->volume);
    m.colormap = &f->slot_colormaps[slot];
    m.lookup = program_lookup;
  }
}

/// march_kernel (cuda_backend.cu) with the program's classifier over the brick in device memory.
extern "C" __global__ void libindex_program_march(MarchParams params, const GpuProgramFrame* f, Rect rect, Vec4f* out,
                                                  unsigned long long* samples) {
  const GpuProgramVolume& g = f->volume;
  march_pixel(rect, out, samples, [&](int x, int y, unsigned long long& n) {
    switch (g.dtype) {
    case DType::uint8:
      return march(params, g.u8, f, x, y, n);
    case DType::uint16:
      return march(params, g.u16, f, x, y, n);
    case DType::int16:
      return march(params, g.i16, f, x, y, n);
    default:
      return march(params, g.f32, f, x, y, n);
    }
  });
}
