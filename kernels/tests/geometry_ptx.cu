// SPDX-License-Identifier: Apache-2.0
// Compiled to PTX only (never run): the geometry CPU and GPU ranks must agree on bit for bit, the
// primary ray, its entry into a brick and the lerps of the per-ray code, in one kernel, so that
// no_fma_in_ptx.cmake can check that nvcc contracted none of it into an FMA.
#include "libindex/camera.h"
#include "libindex/lanes.h"

__global__ void geometry_only(libindex::Camera camera, libindex::Box3f box, int width, int height, float* out) {
  const int px = int(blockIdx.x * blockDim.x + threadIdx.x), py = int(blockIdx.y);
  const libindex::Ray ray = libindex::camera_ray(camera, libindex::camera_frame(camera), px, py, width, height);
  float t0 = 0.0f, t1 = 1e30f;
  libindex::intersect_ray_box(ray, box, t0, t1);
  const float mid = libindex::lane_lerp(t0, t1, 0.5f);
  float* o = out + 8 * (py * width + px);
  o[0] = ray.origin.x, o[1] = ray.origin.y, o[2] = ray.origin.z;
  o[3] = ray.dir.x, o[4] = ray.dir.y, o[5] = ray.dir.z;
  o[6] = ray.origin.x + mid * ray.dir.x, o[7] = t1;
}
