// SPDX-License-Identifier: Apache-2.0
// CPU vs CUDA: the same image from the same per-ray function. Skips, saying why, without a device.
#include <gtest/gtest.h>

#include "../cpu/cpu_backend.h"
#include "libindex/config.h"
#include "libindex/error.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

FrameParams parity_frame() {
  FrameParams f;
  f.width = 96, f.height = 80;
  f.camera.from = {-30, 45, 70};
  f.camera.dir = normalize(Vec3f{20, 20, 20} - f.camera.from);
  f.camera.focal = 1, f.camera.aperture = 0.8f, f.camera.aspect = 96.0f / 80.0f;
  f.colormap = colormap_preset("inferno", 0.4f);
  return f;
}

class CudaParity : public ::testing::Test {
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

TEST_F(CudaParity, SoftwareTrilinearMatchesCpuTo1e5) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    const Brick vol = make_volume({40, 40, 40}, t, [](Vec3f c) {
      return 0.5f + 0.5f * std::sin(c.x * 0.3f) * std::cos(c.y * 0.2f) * std::sin(c.z * 0.25f + 1.0f);
    });
    for (bool shading : {false, true}) {
      FrameParams f = parity_frame();
      f.settings.hardware_filtering = false;
      f.settings.shading.enabled = shading;
      if (t == DType::int16) f.colormap.domain_min = -1;
      RenderStats sc, sg;
      const Image a = render_whole(*cpu_, vol, f, &sc), b = render_whole(*cuda_, vol, f, &sg);
      EXPECT_LE(max_abs_difference(a, b), 1e-5f) << to_string(t) << " shading " << shading;
      EXPECT_NEAR(double(sc.samples), double(sg.samples), 0.001 * double(sc.samples)) << to_string(t);
    }
  }
}

TEST_F(CudaParity, HardwareFilteringWithinTwo255ths) {
  const Brick vol = marschner_lobb(41);
  FrameParams f = parity_frame();
  f.settings.hardware_filtering = true;
  const Image a = render_whole(*cpu_, vol, f), b = render_whole(*cuda_, vol, f);
  EXPECT_LE(max_abs_difference(a, b), 2.0f / 255.0f);
}

TEST_F(CudaParity, SkippingIsExactOnTheGpuToo) {
  const Brick vol = ball(48);
  FrameParams f = parity_frame();
  f.colormap.domain_min = 0.5f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.settings.hardware_filtering = false;
  RenderStats on, off;
  f.settings.empty_space_skipping = true;
  const Image a = render_whole(*cuda_, vol, f, &on);
  f.settings.empty_space_skipping = false;
  const Image b = render_whole(*cuda_, vol, f, &off);
  EXPECT_EQ(max_abs_difference(a, b), 0.0f);
  EXPECT_LT(on.samples, off.samples);
}

TEST(CudaBackend, RequestingCudaWithoutADeviceIsAClearError) {
  std::string reason;
  if (kernels::cuda_device_available(&reason)) GTEST_SKIP() << "a CUDA device is present";
  try {
    kernels::make_backend(kernels::BackendKind::cuda, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("backend cuda requested but unavailable"), std::string::npos) << e.what();
  }
}
