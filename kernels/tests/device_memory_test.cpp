// SPDX-License-Identifier: Apache-2.0
/// \file Voxels in device memory (a simulation's GPU field): recognized as such, copied, reduced and
/// rendered on the GPU with the same results as their host copies; refused by the CPU backend. The
/// tests that need a device skip, saying why, where none answers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "../cpu/cpu_backend.h"
#include "libindex/config.h"
#include "libindex/error.h"
#include "libindex/kernels/device_memory.h"
#include "test_volumes.h"
#if LIBINDEX_WITH_CUDA
#include <cuda_runtime.h>
#endif

using namespace libindex;
using namespace libindex::test;

namespace {

FrameParams device_frame() {
  FrameParams f;
  f.width = 80, f.height = 64;
  f.camera.from = {-25, 40, 60};
  f.camera.dir = normalize(Vec3f{16, 16, 16} - f.camera.from);
  f.camera.focal = 1, f.camera.aperture = 0.8f, f.camera.aspect = 80.0f / 64.0f;
  f.colormap = colormap_preset("inferno", 0.4f);
  f.colormap.domain_min = -1;
  return f;
}

/// A smooth field over [-1, 1] with int16's minimum in one corner.
Brick signed_field(DType t, Vec3i size = {33, 29, 31}) {
  Brick b = make_volume(
      size, t, [](Vec3f c) { return std::sin(c.x * 0.29f) * std::cos(c.y * 0.21f) * std::sin(c.z * 0.17f + 0.5f); });
  if (t == DType::int16) b.data<int16_t>()[0] = -32768;
  return b;
}

} // namespace

TEST(DevicePointer, HostMemoryIsNotDeviceMemory) {
  std::vector<float> heap(64);
  float stack[4] = {};
  EXPECT_FALSE(kernels::is_device_pointer(heap.data()));
  EXPECT_FALSE(kernels::is_device_pointer(stack));
  EXPECT_FALSE(kernels::is_device_pointer(nullptr));
}

TEST(CpuBackend, RefusesVoxelsInDeviceMemory) {
  const Brick b = signed_field(DType::float32);
  BrickView view = whole_view(b);
  view.on_device = true; // what the CPU backend is told; it must not read the bytes
  auto cpu = kernels::make_cpu_backend();
  Image img(8, 8);
  FrameParams f = device_frame();
  f.width = f.height = 8;
  try {
    cpu->render(view, f, img.view());
    FAIL() << "the CPU backend rendered a device brick";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read voxels in GPU memory"), std::string::npos) << e.what();
  }
}

#if LIBINDEX_WITH_CUDA
namespace {

/// A host brick's bytes in device memory, as a simulation would hold its field.
struct OnDevice {
  void* ptr = nullptr;
  Box3i box;
  DType dtype;
  explicit OnDevice(const Brick& b) : box(b.box), dtype(b.dtype) {
    EXPECT_EQ(cudaMalloc(&ptr, b.bytes.size()), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(ptr, b.bytes.data(), b.bytes.size(), cudaMemcpyHostToDevice), cudaSuccess);
  }
  ~OnDevice() { cudaFree(ptr); }
  BrickView view(const Box3i& owned, const Box3i& volume) const { return {ptr, dtype, box, owned, volume, 0, true}; }
};

class DeviceMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    if (!kernels::cuda_device_available(&reason)) GTEST_SKIP() << "no CUDA device: " << reason;
    cuda_ = kernels::make_backend(kernels::BackendKind::cuda, false);
    cpu_ = kernels::make_cpu_backend();
  }
  std::unique_ptr<kernels::Backend> cuda_, cpu_;
};

} // namespace

TEST_F(DeviceMemory, ADevicePointerIsRecognized) {
  const OnDevice d(signed_field(DType::uint8));
  EXPECT_TRUE(kernels::is_device_pointer(d.ptr));
  EXPECT_TRUE(kernels::is_device_pointer(static_cast<char*>(d.ptr) + 100)); // inside the allocation too
}

TEST_F(DeviceMemory, AStridedBoxCopiedOnTheGpuHasTheRightVoxels) {
  // A 20 x 18 x 16 field inside an array padded to 24 x 20 x 16 (ghost-free, rows and slices apart).
  const Vec3i padded{24, 20, 16};
  Brick host({{0, 0, 0}, padded}, DType::float32);
  for (int i = 0; i < padded.x * padded.y * padded.z; ++i) host.data<float>()[i] = float(i);
  const OnDevice d(host);
  const Box3i stored{{10, 20, 30}, {30, 38, 46}}; // the field's voxels, in global coordinates
  const Box3i box{{12, 21, 33}, {29, 38, 40}};
  const kernels::DeviceBrick copy =
      kernels::DeviceBrick::copy(d.ptr, DType::float32, stored, {1, padded.x, (long long)padded.x * padded.y}, box);
  const Brick back = kernels::copy_to_host(copy.view(box, box), box);
  ASSERT_EQ(back.box, box);
  for (int z = box.lo.z; z < box.hi.z; ++z)
    for (int y = box.lo.y; y < box.hi.y; ++y)
      for (int x = box.lo.x; x < box.hi.x; ++x) {
        const float expected = float(((z - 30) * padded.y + (y - 20)) * padded.x + (x - 10));
        ASSERT_EQ(back.value({x, y, z}), expected) << x << " " << y << " " << z;
      }
}

TEST_F(DeviceMemory, ValueRangeIsTheHostsOnEveryType) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    Brick b = signed_field(t);
    if (t == DType::float32) b.data<float>()[5] = std::numeric_limits<float>::quiet_NaN(); // skipped, as on the host
    const OnDevice d(b);
    const Box3i box{{1, 0, 2}, {30, 29, 31}};
    double lo = INFINITY, hi = -INFINITY;
    for (int z = box.lo.z; z < box.hi.z; ++z)
      for (int y = box.lo.y; y < box.hi.y; ++y)
        for (int x = box.lo.x; x < box.hi.x; ++x)
          if (const double v = b.value({x, y, z}); std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const auto [dlo, dhi] = kernels::device_value_range(d.view(b.box, b.box), box);
    EXPECT_EQ(dlo, lo) << to_string(t);
    EXPECT_EQ(dhi, hi) << to_string(t);
  }
}

TEST_F(DeviceMemory, CellRangesBuiltOnTheGpuEqualTheCpus) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    Brick b = signed_field(t);
    if (t == DType::float32) b.data<float>()[700] = std::numeric_limits<float>::quiet_NaN(); // a never-empty cell
    const OnDevice d(b);
    const Box3i owned{{3, 2, 1}, {30, 27, 31}}; // a leaf with ghosts: cells start at its corner
    const kernels::MacroCellGrid cpu = kernels::MacroCellGrid::build({b.bytes.data(), t, b.box, owned, b.box, 0});
    const kernels::MacroCellGrid gpu = kernels::build_grid_on_device(d.view(owned, b.box));
    EXPECT_EQ(gpu.dims(), cpu.dims());
    EXPECT_EQ(gpu.origin(), cpu.origin());
    EXPECT_EQ(gpu.min(), cpu.min()) << to_string(t);
    EXPECT_EQ(gpu.max(), cpu.max()) << to_string(t);
  }
}

TEST_F(DeviceMemory, RenderingADeviceBrickEqualsRenderingItsHostCopy) {
  for (DType t : {DType::uint8, DType::int16, DType::float32}) {
    const Brick b = signed_field(t);
    const OnDevice d(b);
    const Box3i owned{{0, 0, 0}, {33, 20, 31}}; // part of the volume: the rest is another rank's
    const BrickView on_host{b.bytes.data(), t, b.box, owned, b.box, 0}, on_device = d.view(owned, b.box);
    for (int variant = 0; variant < 3; ++variant) {
      FrameParams f = device_frame();
      f.settings.hardware_filtering = variant == 1;
      f.settings.shading.enabled = variant == 2;
      f.settings.empty_space_skipping = variant != 1;
      RenderStats sh, sd;
      const Image a = render_view(*cuda_, on_host, f, &sh), b2 = render_view(*cuda_, on_device, f, &sd);
      EXPECT_EQ(max_abs_difference(a, b2), 0.0f) << to_string(t) << " variant " << variant;
      EXPECT_EQ(sh.samples, sd.samples) << to_string(t) << " variant " << variant;
      if (!f.settings.hardware_filtering) {
        EXPECT_LE(max_abs_difference(render_view(*cpu_, on_host, f), b2), 1e-5f)
            << to_string(t) << " variant " << variant;
      }
    }
  }
}
#endif
