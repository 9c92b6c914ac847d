// SPDX-License-Identifier: Apache-2.0
/// \file Voxels in device memory (device_memory.h): strided-box copies, value ranges and the skip
/// grid's cell ranges, all computed where the voxels are.
#include <cuda_runtime.h>

#include <cmath>
#include <vector>

#include "cuda_check.cuh"
#include "render_device.h"
#include "libindex/kernels/device_memory.h"

namespace libindex::kernels {
namespace {

constexpr int kThreads = 256;
/// Everything here runs on the calling thread's own stream, so an in-situ copy on the simulation's
/// thread never waits for a frame rendering on another thread (nor the other way round).
const cudaStream_t kStream = cudaStreamPerThread;

/// Blocks for a grid-stride loop over `count` items (enough to fill any current GPU, no more).
unsigned blocks_for(long long count) { return unsigned(std::min<long long>((count + kThreads - 1) / kThreads, 65535)); }

/// Element offsets of one voxel step along x, y and z; {0, 0, 0} means dense over `stored`.
struct Steps {
  long long x, y, z;
};
Steps steps_of(const Box3i& stored, ElementStrides s) {
  if (s[0] == 0 && s[1] == 0 && s[2] == 0) {
    const Vec3i n = stored.size();
    return {1, n.x, (long long)n.x * n.y};
  }
  return {s[0], s[1], s[2]};
}

template <class T>
__global__ void gather_box(const T* src, Vec3i stored_lo, Steps step, Box3i box, T* dst) {
  const Vec3i n = box.size();
  const long long count = (long long)n.x * n.y * n.z;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count;
       i += (long long)gridDim.x * blockDim.x) {
    const long long x = i % n.x, y = (i / n.x) % n.y, z = i / ((long long)n.x * n.y);
    dst[i] = src[(box.lo.x - stored_lo.x + x) * step.x + (box.lo.y - stored_lo.y + y) * step.y +
                 (box.lo.z - stored_lo.z + z) * step.z];
  }
}

/// Floats as ints that order the same way, so atomicMin/atomicMax on ints reduce floats.
__host__ __device__ int ordered(float f) {
  int i = 0;
  memcpy(&i, &f, sizeof i);
  return i >= 0 ? i : i ^ 0x7fffffff;
}
float unordered(int i) {
  i = i >= 0 ? i : i ^ 0x7fffffff;
  float f = 0;
  memcpy(&f, &i, sizeof f);
  return f;
}

template <class T>
__global__ void value_range_kernel(const T* data, Box3i stored, Box3i box, int* lo_hi) {
  const Vec3i n = box.size(), s = stored.size();
  const long long count = (long long)n.x * n.y * n.z;
  float lo = INFINITY, hi = -INFINITY;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count;
       i += (long long)gridDim.x * blockDim.x) {
    const long long x = box.lo.x - stored.lo.x + i % n.x, y = box.lo.y - stored.lo.y + (i / n.x) % n.y,
                    z = box.lo.z - stored.lo.z + i / ((long long)n.x * n.y);
    const float v = normalize_voxel(data[(z * s.y + y) * s.x + x]);
    if (isfinite(v)) lo = fminf(lo, v), hi = fmaxf(hi, v);
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    lo = fminf(lo, __shfl_down_sync(0xffffffffu, lo, offset));
    hi = fmaxf(hi, __shfl_down_sync(0xffffffffu, hi, offset));
  }
  if ((threadIdx.x & 31) == 0) atomicMin(&lo_hi[0], ordered(lo)), atomicMax(&lo_hi[1], ordered(hi));
}

/// MacroCellGrid::build's ranges, one thread per cell: the cell grown by kMacroCellReach, clipped to
/// what is stored; a NaN makes the cell's range everything, so it is never skipped.
template <class T>
__global__ void cell_ranges_kernel(const T* data, Box3i stored, Vec3i origin, Vec3i dims, int m, float* mn, float* mx) {
  const long long cells = (long long)dims.x * dims.y * dims.z;
  const Vec3i s = stored.size();
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < cells;
       i += (long long)gridDim.x * blockDim.x) {
    const int c[3] = {int(i % dims.x), int((i / dims.x) % dims.y), int(i / ((long long)dims.x * dims.y))};
    int from[3], to[3];
    for (int a = 0; a < 3; ++a) {
      const int lo = max(stored.lo[a], origin[a] + c[a] * m - kMacroCellReach);
      const int hi = min(stored.hi[a], origin[a] + (c[a] + 1) * m + kMacroCellReach);
      from[a] = lo - stored.lo[a], to[a] = max(lo, hi) - stored.lo[a];
    }
    float lo = INFINITY, hi = -INFINITY;
    for (int z = from[2]; z < to[2]; ++z)
      for (int y = from[1]; y < to[1]; ++y) {
        const T* row = data + ((long long)z * s.y + y) * s.x;
        for (int x = from[0]; x < to[0]; ++x) {
          const float v = normalize_voxel(row[x]);
          if (v != v)
            lo = -INFINITY, hi = INFINITY;
          else
            lo = fminf(lo, v), hi = fmaxf(hi, v);
        }
      }
    mn[i] = lo, mx[i] = hi;
  }
}

template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  explicit DeviceArray(size_t n) { LIBINDEX_CUDA_CHECK(cudaMallocAsync(&ptr, n * sizeof(T), kStream)); }
  ~DeviceArray() { cudaFreeAsync(ptr, kStream); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
};

void require_device(const BrickView& b, const char* what) {
  if (!b.on_device || !b.data) throw Error(std::string(what) + ": the brick is not in device memory");
}

} // namespace

bool is_device_pointer(const void* p) {
  if (!p) return false;
  use_render_device(); // an in-situ publisher's thread, too (render_device.h)
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    cudaGetLastError(); // no device, or an unregistered host pointer on an old runtime: host memory
    return false;
  }
  return a.type == cudaMemoryTypeDevice;
}

DeviceBrick DeviceBrick::copy(const void* data, DType dtype, const Box3i& stored, ElementStrides strides,
                              const Box3i& box) {
  use_render_device();
  if (!(intersect(box, stored) == box))
    throw Error("device copy: " + to_string(box) + " is not inside the published " + to_string(stored));
  DeviceBrick out;
  out.box_ = box, out.dtype_ = dtype;
  if (box.empty()) return out;
  void* bytes = nullptr;
  // Stream-ordered: cudaMalloc and cudaFree would wait for every frame rendering on the device.
  LIBINDEX_CUDA_CHECK(cudaMallocAsync(&bytes, size_t(box.voxel_count()) * size_t(dtype_size(dtype)), kStream));
  out.bytes_ = std::shared_ptr<void>(bytes, [](void* p) { cudaFreeAsync(p, kStream); }); // its users are done

  const Steps step = steps_of(stored, strides);
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    gather_box<<<blocks_for(box.voxel_count()), kThreads, 0, kStream>>>(static_cast<const T*>(data), stored.lo, step,
                                                                        box, static_cast<T*>(bytes));
  });
  LIBINDEX_CUDA_CHECK(cudaGetLastError());
  LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(kStream)); // the simulation may overwrite its field once update returns
  return out;
}

DeviceBrick DeviceBrick::upload(const void* data, DType dtype, const Box3i& stored) {
  use_render_device();
  DeviceBrick out;
  out.box_ = stored, out.dtype_ = dtype;
  if (stored.empty()) return out;
  const size_t bytes = size_t(stored.voxel_count()) * size_t(dtype_size(dtype));
  void* device = nullptr;
  LIBINDEX_CUDA_CHECK(cudaMallocAsync(&device, bytes, kStream));
  out.bytes_ = std::shared_ptr<void>(device, [](void* p) { cudaFreeAsync(p, kStream); });
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(device, data, bytes, cudaMemcpyHostToDevice, kStream));
  LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(kStream)); // other streams may read it from now on
  return out;
}

Brick copy_to_host(const BrickView& b, const Box3i& box) {
  use_render_device();
  require_device(b, "copy_to_host");
  Brick out(box, b.dtype);
  if (box.empty()) return out;
  DeviceBrick dense; // only when `box` is part of the brick: gathered dense first
  const void* from = b.data;
  if (!(box == b.stored))
    dense = DeviceBrick::copy(b.data, b.dtype, b.stored, {}, box), from = dense.view(box, box).data;
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(out.bytes.data(), from, out.bytes.size(), cudaMemcpyDeviceToHost, kStream));
  LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(kStream));
  return out;
}

std::pair<double, double> device_value_range(const BrickView& b, const Box3i& box) {
  use_render_device();
  require_device(b, "device_value_range");
  if (box.empty()) return {INFINITY, -INFINITY};
  if (!(intersect(box, b.stored) == box))
    throw Error("device value range: " + to_string(box) + " is not inside " + to_string(b.stored));
  DeviceArray<int> lo_hi(2);
  const int init[2] = {ordered(INFINITY), ordered(-INFINITY)};
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(lo_hi.ptr, init, sizeof init, cudaMemcpyHostToDevice, kStream));
  visit_dtype(b.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    value_range_kernel<<<blocks_for(box.voxel_count()), kThreads, 0, kStream>>>(static_cast<const T*>(b.data), b.stored,
                                                                                box, lo_hi.ptr);
  });
  LIBINDEX_CUDA_CHECK(cudaGetLastError());
  int result[2] = {0, 0};
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(result, lo_hi.ptr, sizeof result, cudaMemcpyDeviceToHost, kStream));
  LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(kStream));
  return {double(unordered(result[0])), double(unordered(result[1]))};
}

MacroCellGrid build_grid_on_device(const BrickView& b, int cell_size) {
  use_render_device();
  require_device(b, "build_grid_on_device");
  MacroCellGrid g = MacroCellGrid::layout(b, cell_size);
  const size_t cells = size_t(g.cell_count());
  DeviceArray<float> mn(cells), mx(cells);
  visit_dtype(b.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cell_ranges_kernel<<<blocks_for((long long)cells), kThreads, 0, kStream>>>(
        static_cast<const T*>(b.data), b.stored, g.origin(), g.dims(), cell_size, mn.ptr, mx.ptr);
  });
  LIBINDEX_CUDA_CHECK(cudaGetLastError());
  std::vector<float> lo(cells), hi(cells);
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(lo.data(), mn.ptr, cells * sizeof(float), cudaMemcpyDeviceToHost, kStream));
  LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(hi.data(), mx.ptr, cells * sizeof(float), cudaMemcpyDeviceToHost, kStream));
  LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(kStream));
  g.set_ranges(std::move(lo), std::move(hi));
  return g;
}

} // namespace libindex::kernels
