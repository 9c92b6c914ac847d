// SPDX-License-Identifier: Apache-2.0
// CPU vs CUDA: the same image from the same per-ray function. Skips, saying why, without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "../cpu/cpu_backend.h"
#include "libindex/kernels/device_memory.h"
#include "libindex/kernels/sample_program.h"
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
    // The GPU paths that wait for their first run on a device (cuda_backend.cu, gpu_path_enabled).
    setenv("LIBINDEX_GPU_PROGRAMS", "on", 1);
    setenv("LIBINDEX_GPU_MIX", "on", 1);
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

TEST_F(CudaParity, SlicePlanesMatchTheCpu) {
  // Two planes through a ball seen from the oblique parity view: the GPU runs the same per-ray
  // plane code, so software trilinear agrees with the CPU to rounding.
  const Brick vol = ball(48);
  FrameParams f = parity_frame();
  f.colormap.domain_min = 0.4f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.settings.hardware_filtering = false;
  f.settings.plane_count = 2;
  f.settings.planes[0] = {{0, 0, 20.5f}, {0, 0, 1}, {0, 1, 0}, 48, 48};
  f.settings.planes[1] = {{30.25f, 0, 0}, {1, 0, 0}, {0, 0, 1}, 48, 48};
  const Image a = render_whole(*cpu_, vol, f), b = render_whole(*cuda_, vol, f);
  EXPECT_LE(max_abs_difference(a, b), 1e-5f);
  int opaque = 0;
  for (const Vec4f& p : a.pixels()) opaque += p.w == 1.0f;
  EXPECT_GT(opaque, 50) << "the planes must show";
  // Through colormaps of their own, one each (copied to the device beside the volume's).
  f.plane_colormaps[0] = colormap_preset("magma", 1.0f);
  f.plane_colormaps[1] = colormap_preset("grayscale", 1.0f);
  const Image own = render_whole(*cpu_, vol, f);
  EXPECT_GT(max_abs_difference(a, own), 0.05f) << "the planes' own colormap shows";
  EXPECT_LE(max_abs_difference(own, render_whole(*cuda_, vol, f)), 1e-5f);
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

// What the first tests above would miss (issue: the GPU path, ready for its first device): bricks
// that are part of a volume, negative int16 with its minimum, the texture unit on every type,
// shading with hardware filtering on, MIP, jitter, orthographic cameras, scaling, a new brick of
// the same shape (the array is reused) and a colormap of another size.
namespace {

/// The share of pixels with some opacity: a parity test of an empty image would prove nothing.
double shown(const Image& img) {
  long long n = 0;
  for (const Vec4f& p : img.pixels()) n += p.w > 0.01f;
  return double(n) / double(img.pixels().size());
}

/// A smooth field over [-1, 1], with exact -1 (int16: -32768 after the sign) at the volume's corner.
Brick signed_volume(DType t) {
  Brick b = make_volume({37, 41, 35}, t, [](Vec3f c) {
    return std::sin(c.x * 0.31f) * std::cos(c.y * 0.23f) * std::sin(c.z * 0.19f + 0.7f);
  });
  if (t == DType::int16) b.data<int16_t>()[0] = -32768;
  return b;
}

} // namespace

TEST_F(CudaParity, SubBricksWithGhostsAtOddOffsets) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    const Brick whole = signed_volume(t);
    for (int ghost : {1, 2}) {
      Brick storage;
      const BrickView view = sub_brick(whole, {{7, 3, 11}, {29, 40, 33}}, ghost, storage);
      FrameParams f = parity_frame();
      f.settings.hardware_filtering = false;
      f.settings.shading.enabled = ghost == 2; // central differences need the second layer
      f.colormap.domain_min = t == DType::int16 || t == DType::float32 ? -1.0f : 0.0f;
      RenderStats sc, sg;
      const Image a = render_view(*cpu_, view, f, &sc), b = render_view(*cuda_, view, f, &sg);
      EXPECT_GT(shown(a), 0.05) << to_string(t);
      EXPECT_LE(max_abs_difference(a, b), 1e-5f) << to_string(t) << " ghost " << ghost;
      EXPECT_EQ(sc.active.x0, sg.active.x0) << to_string(t);
      EXPECT_EQ(sc.active.y1, sg.active.y1) << to_string(t);
    }
  }
}

TEST_F(CudaParity, NegativeInt16IncludingItsMinimum) {
  const Brick vol = signed_volume(DType::int16);
  FrameParams f = parity_frame();
  f.colormap.domain_min = -1.0f, f.colormap.domain_max = 1.0f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent; // -1.0000305 would vanish; -1 must not
  f.camera.from = {-20, -20, -20};                      // looking at the corner voxel of -32768
  f.camera.dir = normalize(Vec3f{18, 20, 17} - f.camera.from);
  for (bool hardware : {false, true}) {
    f.settings.hardware_filtering = hardware;
    const Image a = render_whole(*cpu_, vol, f), b = render_whole(*cuda_, vol, f);
    EXPECT_GT(shown(a), 0.05);
    EXPECT_LE(max_abs_difference(a, b), hardware ? 2.0f / 255.0f : 1e-5f) << "hardware " << hardware;
  }
}

TEST_F(CudaParity, HardwareFilteringOnEveryTypeWithinTwo255ths) {
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    const Brick vol = signed_volume(t);
    for (bool shading : {false, true}) { // shaded frames take the software path: exact again
      FrameParams f = parity_frame();
      f.settings.hardware_filtering = true;
      f.settings.shading.enabled = shading;
      f.colormap.domain_min = t == DType::int16 || t == DType::float32 ? -1.0f : 0.0f;
      const Image a = render_whole(*cpu_, vol, f), b = render_whole(*cuda_, vol, f);
      EXPECT_GT(shown(a), 0.05) << to_string(t);
      EXPECT_LE(max_abs_difference(a, b), shading ? 1e-5f : 2.0f / 255.0f) << to_string(t) << " shading " << shading;
    }
  }
}

TEST_F(CudaParity, MipJitterOrthographicAndScaling) {
  const Brick vol = marschner_lobb(41);
  for (int variant = 0; variant < 4; ++variant) {
    FrameParams f = parity_frame();
    f.settings.hardware_filtering = false;
    if (variant == 0) f.settings.mode = RenderMode::maximum_intensity;
    if (variant == 1) f.settings.jitter = true;
    if (variant == 2) {
      f.camera.orthographic = true;
      f.camera.aperture = 60;
    }
    if (variant == 3) f.settings.scaling = {1.0f, 0.75f, 1.5f}, f.settings.translation = {-3, 2, 5};
    const Image a = render_whole(*cpu_, vol, f), b = render_whole(*cuda_, vol, f);
    EXPECT_GT(shown(a), 0.05) << "variant " << variant;
    EXPECT_LE(max_abs_difference(a, b), 1e-5f) << "variant " << variant;
  }
}

TEST_F(CudaParity, ANewBrickOfTheSameShapeAndAColormapOfAnotherSize) {
  // Software filtering reads the colormap as a table; hardware filtering through a texture that a
  // table of another size makes anew.
  for (const bool hardware : {false, true}) {
    const float tolerance = hardware ? 2.0f / 255.0f : 1e-5f;
    FrameParams f = parity_frame();
    f.settings.hardware_filtering = hardware;
    const Brick first = marschner_lobb(41), second = ball(41); // same extent and type: the array is reused
    for (const Brick* vol : {&first, &second, &first}) {
      const Image a = render_whole(*cpu_, *vol, f), b = render_whole(*cuda_, *vol, f);
      EXPECT_LE(max_abs_difference(a, b), tolerance) << "hardware " << hardware;
    }
    f.colormap = colormap_preset("viridis", 0.5f);
    f.colormap.entries.resize(37, {0.2f, 0.4f, 0.6f, 0.3f}); // another size: the table is re-created
    const Image a = render_whole(*cpu_, first, f), b = render_whole(*cuda_, first, f);
    EXPECT_LE(max_abs_difference(a, b), tolerance) << "hardware " << hardware;
  }
}

// A frame with progress or a cancel flag goes in bands of rows (a launch cannot be stopped): the
// bands give the image and samples of one launch, count as progress, and a cancelled frame stops
// after its first band.
TEST_F(CudaParity, AWatchedFrameGoesInBandsThatCountAndCancel) {
  const Brick vol = marschner_lobb(41);
  FrameParams f = parity_frame();
  f.width = 1024, f.height = 2600; // 2^20 pixels a band: 1024 rows, three bands if every row shows
  f.camera.aspect = 1024.0f / 2600.0f;
  f.camera.aperture = 0.35f; // the volume fills the view
  f.settings.hardware_filtering = false;
  RenderStats whole, banded;
  const Image one_launch = render_whole(*cuda_, vol, f, &whole);
  FrameProgress progress;
  f.progress = &progress;
  const Image in_bands = render_whole(*cuda_, vol, f, &banded);
  EXPECT_EQ(max_abs_difference(one_launch, in_bands), 0.0f);
  EXPECT_EQ(banded.samples, whole.samples);
  EXPECT_EQ(banded.active, whole.active);
  const long long bands = (whole.active.height() + 1023) / 1024;
  EXPECT_EQ(bands, 3) << "the volume should fill the view: active rows " << whole.active.height();
  EXPECT_EQ(progress.total.load(), bands);
  EXPECT_EQ(progress.done.load(), bands);

  std::atomic<bool> cancel{true};
  progress.reset();
  f.cancel = &cancel;
  try {
    render_whole(*cuda_, vol, f);
    ADD_FAILURE() << "a cancelled frame rendered";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "frame cancelled");
  }
  EXPECT_EQ(progress.done.load(), 1) << "one band ran, then the flag was read";
  EXPECT_EQ(progress.total.load(), bands);
  cancel = false; // the backend is fine after a cancelled frame
  const Image again = render_whole(*cuda_, vol, f);
  EXPECT_EQ(max_abs_difference(one_launch, again), 0.0f);
}

namespace {
// A program with the interface's main parts: a sampler, a central-difference gradient, a discarded
// range, a parameter buffer and the scene's camera.
const char* kProgramForTheGpu = R"(NV_IDX_XAC_VERSION_1_0
struct Tint
{
    float4 rgb_gain;
};

using namespace nv::index;
using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const Tint* m_tint;

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() { m_tint = state.bind_parameter_buffer<Tint>(0); }

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float3& p = sample_info.sample_position_object_space;
        const float v = state.self.generate_sampler<float>(0u, sample_info.sample_context).fetch_sample(p);
        if (v > 0.45f && v < 0.55f)
            return NV_IDX_PROG_DISCARD_SAMPLE;
        const float4 c = state.self.get_colormap().lookup(v);
        const float3 g = xaclib::volume_gradient(state.self, p, 1.5f);
        const float facing = fabsf(dot(normalize(g + make_float3(1e-6f)), state.scene.camera.get_up()));
        sample_output.set_color(make_float4(c.x * m_tint->rgb_gain.x, facing, c.z, c.w * m_tint->rgb_gain.w));
        return NV_IDX_PROG_OK;
    }
};
)";

std::shared_ptr<SampleProgram> program_for_the_gpu() {
  auto program = kernels::compile_sample_program({kProgramForTheGpu, "gpu.xac", 1});
  const float tint[4] = {0.5f, 0, 0, 0.8f};
  program->buffers[0] = kernels::make_parameter_buffer(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(tint), sizeof tint));
  return program;
}
} // namespace

// A volume's sample program runs on the GPU (NVRTC, then nvJitLink with the marcher for programs),
// reading the voxels as the CPU does: the same image, every type, and no fall back to the CPU.
TEST_F(CudaParity, SampleProgramsRunOnTheGpuAsOnTheCpu) {
  FrameParams f = parity_frame();
  f.program = program_for_the_gpu();
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    const Brick vol = make_volume({40, 40, 40}, t, [](Vec3f c) {
      return 0.5f + 0.5f * std::sin(c.x * 0.3f) * std::cos(c.y * 0.2f) * std::sin(c.z * 0.25f + 1.0f);
    });
    RenderStats sc, sg;
    const Image a = render_whole(*cpu_, vol, f, &sc), b = render_whole(*cuda_, vol, f, &sg);
    EXPECT_FALSE(sg.cpu_fallback) << to_string(t) << ": the program ran on the CPU";
    EXPECT_GT(shown(a), 0.05) << to_string(t);
    EXPECT_LE(max_abs_difference(a, b), 1e-5f) << to_string(t);
    EXPECT_EQ(sc.samples, sg.samples) << to_string(t);
    // The same brick in device memory (a simulation's field): the program reads it where it is.
    const kernels::DeviceBrick d = kernels::DeviceBrick::upload(vol.bytes.data(), vol.dtype, vol.box);
    Image c(f.width, f.height);
    cuda_->render(d.view(vol.box, vol.box), f, c.view());
    EXPECT_LE(max_abs_difference(a, c), 1e-5f) << to_string(t) << " in device memory";
  }
}

namespace {
// IndeX's multi-channel form: a second volume (slot 2) through a mapped colormap (slot 4) and
// through its own colormap, the program's own value beside it.
const char* kTwoChannelProgram = R"(NV_IDX_XAC_VERSION_1_0
using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM
public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        if (!state.scene.is_valid_element<Sparse_volume>(2))
            return NV_IDX_PROG_DISCARD_SAMPLE;
        const float3& p = sample_info.sample_position_object_space;
        const float own = state.self.generate_sampler<float>(0u).fetch_sample(p);
        const Sparse_volume& second = state.scene.access<Sparse_volume>(2);
        const float v = second.generate_sampler<float>(0u).fetch_sample(p);
        const Colormap mapped = state.scene.access<Colormap>(4);
        const float4 a = mapped.lookup(v);
        const float4 b = second.get_colormap().lookup(own);
        sample_output.set_color(make_float4(a.x, b.y, 0.5f * (a.z + b.z), 0.5f * (a.w + b.w)));
        return NV_IDX_PROG_OK;
    }
};
)";
} // namespace

// A program reading the volume and colormap mapped to its slots runs on the GPU and gives the CPU's
// image, with the mapped volume in host memory and in device memory.
TEST_F(CudaParity, ProgramsReadTheirMappedSlotsOnTheGpuAsOnTheCpu) {
  const Vec3i size{40, 36, 32};
  const Brick own = make_volume(size, DType::float32, [](Vec3f c) {
    return 0.5f + 0.5f * std::sin(c.x * 0.3f) * std::cos(c.y * 0.2f) * std::sin(c.z * 0.25f + 1.0f);
  });
  const Brick second =
      make_volume(size, DType::uint16, [](Vec3f c) { return std::clamp(c.x / 40 + c.z / 64, 0.f, 1.f); });
  Colormap second_colormap = colormap_preset("magma", 0.5f), mapped_colormap = colormap_preset("viridis", 0.3f);
  mapped_colormap.domain_min = 0.3f, mapped_colormap.domain_max = 0.9f;
  FrameParams f = oblique_view(size);
  f.program = kernels::compile_sample_program({kTwoChannelProgram, "channels.xac", 1});
  f.program_slots = {{2, whole_view(second), second_colormap}, {4, BrickView{}, mapped_colormap}};
  RenderStats sc, sg;
  const Image cpu = render_whole(*cpu_, own, f, &sc), gpu = render_whole(*cuda_, own, f, &sg);
  EXPECT_FALSE(sg.cpu_fallback) << "the program ran on the CPU";
  EXPECT_GT(shown(cpu), 0.05);
  EXPECT_LE(max_abs_difference(cpu, gpu), 1e-5f);
  EXPECT_EQ(sc.samples, sg.samples);
  const kernels::DeviceBrick d = kernels::DeviceBrick::upload(second.bytes.data(), second.dtype, second.box);
  f.program_slots[0].volume = d.view(second.box, second.box);
  EXPECT_LE(max_abs_difference(cpu, render_whole(*cuda_, own, f)), 1e-5f) << "the mapped volume in device memory";
}

// Volumes mixed per sample on the GPU (mix_kernel): the CPU's image and samples, one ray at a time,
// on one grid and across grids (another voxel size and offset), shaded, skipping on and off.
TEST_F(CudaParity, VolumesMixedOnTheGpuEqualTheCpu) {
  const Vec3i size{40, 36, 32};
  const Brick a = make_volume(size, DType::float32, [](Vec3f c) {
    return std::max(0.0f, 1.0f - length(c - Vec3f{24, 18, 16}) / 12.0f);
  });
  const Brick same_grid = make_volume(size, DType::int16, [](Vec3f c) { return 0.4f + 0.3f * std::sin(0.3f * c.y); });
  const Brick other_grid = make_volume({80, 72, 64}, DType::uint8, [](Vec3f c) { return c.x < 20 ? 0.9f : 0.1f; });
  FrameParams fa = oblique_view(size);
  fa.colormap = colormap_preset("viridis", 0.6f);
  fa.colormap.domain_min = 0.2f, fa.colormap.mode = BoundaryMode::clamp_to_transparent;
  FrameParams fs = fa, fo = fa;
  fs.colormap = colormap_preset("magma", 0.3f);
  fs.colormap.domain_min = -1.0f;
  fs.settings.shading.enabled = true;
  fo.colormap = colormap_preset("inferno", 0.4f);
  fo.colormap.domain_min = 0.5f, fo.colormap.mode = BoundaryMode::clamp_to_transparent;
  fo.settings.scaling = {0.5f, 0.5f, 0.5f};
  fo.settings.translation = {0.25f, 0, 0};
  const auto one_ray = kernels::make_cpu_backend(false);
  for (const bool skipping : {true, false}) {
    FrameParams la = fa, ls = fs, lo = fo;
    la.settings.empty_space_skipping = ls.settings.empty_space_skipping = lo.settings.empty_space_skipping = skipping;
    for (const FrameParams* partner : {&ls, &lo}) {
      const Brick& b = partner == &ls ? same_grid : other_grid;
      RenderStats sc, sg;
      const Image cpu = render_mix(*one_ray, {{&a, &la}, {&b, partner}}, &sc);
      const Image gpu = render_mix(*cuda_, {{&a, &la}, {&b, partner}}, &sg);
      const std::string what = std::string(partner == &ls ? "one grid" : "two grids") + (skipping ? ", skipping" : "");
      EXPECT_GT(shown(cpu), 0.05) << what;
      EXPECT_LE(max_abs_difference(cpu, gpu), 1e-5f) << what;
      EXPECT_EQ(sc.samples, sg.samples) << what;
    }
  }
}
