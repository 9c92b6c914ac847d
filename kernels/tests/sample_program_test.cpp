// SPDX-License-Identifier: Apache-2.0
// Volume sample programs (IndeX XAC) compiled at run time: each test program's image equals the
// same colouring written in C++ here and marched with march_ray; a colormap program equals the
// built-in path; split bricks equal one; bad programs fail with file:line, within a time limit.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "../cpu/cpu_backend.h"
#include "libindex/error.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/sample_program.h"
#include "libindex/kernels/sampler.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;
using kernels::SampleProgramSource;

namespace {

// --- The programs, as an IndeX user writes them -------------------------------------------------

const char* kColormapProgram = R"(NV_IDX_XAC_VERSION_1_0
class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const nv::index::xac::Colormap colormap = state.self.get_colormap();

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        using namespace nv::index;
        const auto& svol = state.self;
        const auto sampler = svol.generate_sampler<float, xac::Volume_filter_mode::TRILINEAR>(0u, sample_info.sample_context);
        const float v = sampler.fetch_sample(sample_info.sample_position_object_space);
        sample_output.set_color(colormap.lookup(v));
        return NV_IDX_PROG_OK;
    }
};
)";

// Colour by the gradient's direction, opacity by the value; thin samples are discarded.
const char* kGradientProgram = R"(NV_IDX_XAC_VERSION_1_0
using namespace nv::index;
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
        const Sparse_volume& volume = state.self;
        const float3& p = sample_info.sample_position_object_space;
        const float v = volume.generate_sampler<float>(0u, sample_info.sample_context).fetch_sample(p);
        if (v < 0.05f) return NV_IDX_PROG_DISCARD_SAMPLE;
        const float3 g = xaclib::volume_gradient(volume, p, 2.0f);
        const float l = length(g) + 1e-6f;
        sample_output.set_color(make_float4(fabsf(g.x) / l, fabsf(g.y) / l, clamp(l * 10.0f, 0.0f, 1.0f), 0.25f * v));
        return NV_IDX_PROG_OK;
    }
};
)";

// Depth cueing with the camera: darker with distance along the view, tinted above the eye's line.
const char* kDepthProgram = R"(NV_IDX_XAC_VERSION_1_0
using namespace nv::index;
using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const Colormap colormap = state.self.get_colormap();
    float near_depth = 30.0f; // changed below: each sample starts from a fresh program

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float v = state.self.generate_sampler<float>(0u, sample_info.sample_context)
                            .fetch_sample(sample_info.sample_position_object_space);
        const float4 c = colormap.lookup(v);
        const float3 to_sample = sample_info.scene_position - state.scene.camera.get_eye_point();
        const float depth = dot(to_sample, state.scene.camera.get_view_direction());
        const float fade = clamp(1.0f - (depth - near_depth) / 40.0f, 0.2f, 1.0f);
        near_depth += 1000.0f;
        const float above = dot(to_sample, state.scene.camera.get_up()) > 0.0f ? 1.0f : 0.5f;
        const float right = dot(to_sample, state.scene.camera.get_right()) > 0.0f ? 1.0f : 0.7f;
        sample_output.set_color(make_float4(c.x * fade * above, c.y * fade * right, c.z * fade, c.w));
        return NV_IDX_PROG_OK;
    }
};
)";

// Discards the half of the volume below x = 16 (object space).
const char* kDiscardProgram = R"(NV_IDX_XAC_VERSION_1_0
class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        if (sample_info.sample_position_object_space.x < 16.0f) return NV_IDX_PROG_DISCARD_SAMPLE;
        const float v = state.self.generate_sampler<float>(0u, sample_info.sample_context)
                            .fetch_sample(sample_info.sample_position_object_space);
        sample_output.set_color(state.self.get_colormap().lookup(v));
        return NV_IDX_PROG_OK;
    }
};
)";

// A parameter buffer laid out as the struct says (float4 first: 16-byte aligned, as in CUDA).
const char* kBufferProgram = R"(NV_IDX_XAC_VERSION_1_0
struct Tint_params
{
    float4 tint;
    int mode;
    float gain;
};

using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

public:
    const Tint_params* m_params;

    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize()
    {
        m_params = state.bind_parameter_buffer<Tint_params>(0);
    }

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float v = state.self.generate_sampler<float>(0u, sample_info.sample_context)
                            .fetch_sample(sample_info.sample_position_object_space);
        const float4 c = state.self.get_colormap().lookup(v);
        if (m_params->mode == 1)
            sample_output.set_color(make_float4(m_params->tint.x, m_params->tint.y, m_params->tint.z, c.w * m_params->gain));
        else
            sample_output.set_color(c);
        return NV_IDX_PROG_OK;
    }
};
)";

// Written the way ParaView's IndeX plugin writes its kernels: the GUI's four floats and four ints
// as one parameter struct, a sampler named with its filter and classification modes, and the
// output colour assigned to the member. ints.x = 1 inverts the colour; floats.x adds to opacity.
const char* kParaViewStyleProgram = R"(NV_IDX_XAC_VERSION_1_0
struct Gui_params
{
    float4 floats;
    int4 ints;
};

using namespace nv::index;
using namespace nv::index::xac;
using namespace nv::index::xaclib;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const Gui_params* m_gui;

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() { m_gui = state.bind_parameter_buffer<Gui_params>(0); }

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output) const
    {
        const uint field = 0u;
        const auto sampler = state.self.generate_sampler<float, Volume_filter_mode::TRILINEAR,
                                                         Volume_classification_mode::POST_INTERPOLATION>(
            field, sample_info.sample_context);
        float4 c = state.self.get_colormap().lookup(sampler.fetch_sample(sample_info.sample_position_object_space));
        if (m_gui->ints.x == 1)
            c = make_float4(1.f - c.x, 1.f - c.y, 1.f - c.z, c.w);
        if (c.w > 0.f)
            c.w = clamp(c.w + m_gui->floats.x, 0.f, 1.f);
        sample_output.color = c;
        return NV_IDX_PROG_OK;
    }
};
)";

// The forms of NVIDIA's older public programs and of its programs for irregular volumes: the
// attribute through the sample's cell info, the step to the ray's neighbouring samples from the
// volume (both names), the two-argument gradient, unqualified min/max, and M_PI. It shows a
// shaded isosurface at 0.5 where the value crosses it between the neighbouring samples.
const char* kIsosurfaceProgram = R"(NV_IDX_XAC_VERSION_1_0
using namespace nv::index;
using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const uint field_index = 0u;
    const float iso = 0.5f;

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const auto& cell_info = sample_info.sample_cell_info;
        const auto& volume = state.self;
        const float3 ray_dir = sample_info.ray_direction;
        const float v = volume.fetch_attribute<float>(field_index, cell_info);
        const float ahead = volume.fetch_attribute_offset<float>(field_index, cell_info, ray_dir * volume.get_sample_distance());
        const float behind = volume.sample<float>(sample_info.sample_position - ray_dir * volume.get_stepsize_min());
        const float lo = min(v, min(ahead, behind)), hi = max(v, max(ahead, behind));
        if (!(lo < iso && hi > iso))
            return NV_IDX_PROG_DISCARD_SAMPLE;
        const float3 n = -normalize(xaclib::volume_gradient(volume, cell_info, 1.0f) +
                                    xaclib::volume_gradient<Volume_filter_mode::TRILINEAR>(volume, sample_info.sample_position));
        const float4 c = volume.get_colormap().lookup(iso);
        const float light = 0.2f + 0.8f * fabsf(dot(n, ray_dir));
        const float tint = 0.5f + 0.5f * cosf(float(M_PI) * v);
        sample_output.color = make_float4(c.x * light, c.y * light, tint * light, 1.0f);
        return NV_IDX_PROG_OK;
    }
};
)";

// The first programs' forms (IndeX's own documentation of 1.x): the volume and colormap straight
// on the state, sample() without a type, a buffer bound from its second element on, and a volume
// reached through the scene's slots. Values between 0.3 and 0.7 are discarded, the rest swizzled
// and tinted by the second Tint element's red.
const char* kFirstFormsProgram = R"(NV_IDX_XAC_VERSION_1_0
struct Tint
{
    float4 rgba;
};

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

public:
    const Tint* m_second;

    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize()
    {
        m_second = state.bind_parameter_buffer<Tint>(0, 1);
    }

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float volume_sample = state.volume.sample(sample_info.sample_position);
        const float4 sample_color = state.colormap.lookup(volume_sample);
        if (0.3f < volume_sample && volume_sample < 0.7f)
            return NV_IDX_PROG_DISCARD_SAMPLE;
        const auto same = state.scene.access<nv::index::xac::Regular_volume>(1);
        const float again = same.sample(sample_info.sample_position);
        sample_output.color = make_float4(sample_color.y * m_second->rgba.x, sample_color.z, sample_color.x,
                                          sample_color.w * (again == volume_sample ? 1.0f : 0.0f));
        return NV_IDX_PROG_OK;
    }
};
)";

// Reads far past its buffer's data (entry 2000 of slot 0) and a slot that does not exist: both
// read zeros, so the picture is the colormap's.
const char* kStrayReadProgram = R"(NV_IDX_XAC_VERSION_1_0
class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float stray = state.bind_parameter_buffer<float4>(0)[2000].x + state.bind_parameter_buffer<float>(12)[3];
        const float v = state.self.generate_sampler<float>(0u, sample_info.sample_context)
                            .fetch_sample(sample_info.sample_position_object_space);
        float4 c = state.self.get_colormap().lookup(v);
        c.w *= 1.0f + stray;
        sample_output.set_color(c);
        return NV_IDX_PROG_OK;
    }
};
)";

// Surface shading as IndeX's public sample programs write it: xaclib's gradient and headlight.
const char* kShadingProgram = R"(NV_IDX_XAC_VERSION_1_0
using namespace nv::index;
using namespace nv::index::xac;

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM

    const uint field_index = 0u;
    const float4 specular_color = make_float4(1.0f);

public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const auto& sparse_volume = state.self;
        const float3& p = sample_info.sample_position_object_space;
        const float v = sparse_volume.generate_sampler<float>(field_index, sample_info.sample_context).fetch_sample(p);
        const Colormap& colormap = sparse_volume.get_colormap();
        float4 c = colormap.lookup(v);
        if (v < 0.5f * (colormap.get_domain_min() + colormap.get_domain_max()) || c.w < 0.01f)
        {
            sample_output.color = c;
            return NV_IDX_PROG_OK;
        }
        const float3 g = xaclib::volume_gradient<Volume_filter_mode::TRILINEAR>(sparse_volume, p, field_index, 1.0f);
        sample_output.set_color(xaclib::headlight_shading(state.scene, -normalize(g), sample_info.ray_direction, c,
                                                          specular_color, 1.0f, 50.0f, 0.1f));
        return NV_IDX_PROG_OK;
    }
};
)";

// --- The same colourings in C++, for march_ray ---------------------------------------------------

/// A reference classifier: `colour(S, p, scene, dir)` gives the straight RGBA (alpha 0: discarded).
template <class Colour>
struct ReferenceClassifier {
  const kernels::DenseSampler<float>* S;
  ColormapView map;
  Colour colour;
  Vec4f operator()(float v) const { return colormap_lookup(map, v); }
  Vec4f sample(Vec3f p, float /*t*/, Vec3f dir) const {
    if constexpr (std::is_invocable_v<Colour, const kernels::DenseSampler<float>&, const ColormapView&, Vec3f, Vec3f>)
      return colour(*S, map, p, dir);
    else
      return colour(*S, map, p);
  }
};

template <class Colour>
Image reference_image(const Brick& b, const FrameParams& f, Colour colour) {
  const BrickView view = whole_view(b);
  const kernels::MarchParams P = kernels::make_march_params(view, f, f.colormap.view(), kernels::SkipGridView{});
  const kernels::DenseSampler<float> S =
      kernels::make_dense_sampler(view, reinterpret_cast<const float*>(b.bytes.data()));
  const ReferenceClassifier<Colour> classify{&S, P.colormap, colour};
  Image img(f.width, f.height);
  unsigned long long samples = 0;
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) img.at(x, y) = kernels::march_ray(P, S, classify, x, y, samples);
  return img;
}

float total_alpha(const Image& a) {
  float s = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) s += a.at(x, y).w;
  return s;
}

// The shared oblique view of the ball, through a colormap with partial opacity.
FrameParams ball_view(int n) {
  FrameParams f = oblique_view({n, n, n});
  f.colormap = colormap_preset("viridis", 0.5f);
  return f;
}

constexpr int kN = 32;

std::shared_ptr<SampleProgram> compile(const char* text, const std::string& file = "test.xac") {
  return kernels::compile_sample_program(SampleProgramSource{text, file, 1});
}

Image render_with(const Brick& b, FrameParams f, std::shared_ptr<const SampleProgram> program) {
  f.program = std::move(program);
  auto backend = kernels::make_cpu_backend();
  return render_whole(*backend, b, f);
}

} // namespace

TEST(SamplePrograms, AColormapProgramEqualsTheBuiltInColormap) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image with_program = render_with(b, f, compile(kColormapProgram));
  auto backend = kernels::make_cpu_backend(); // packets and skipping: the built-in path at its fastest
  const Image built_in = render_whole(*backend, b, f);
  EXPECT_GT(total_alpha(built_in), 20.0f) << "the ball must show";
  EXPECT_LE(max_difference(with_program, built_in), 1.0f / 255);
}

TEST(SamplePrograms, GradientColouringEqualsTheSameColouringInCpp) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image with_program = render_with(b, f, compile(kGradientProgram));
  const Image expected = reference_image(b, f, [](const kernels::DenseSampler<float>& S, const ColormapView&, Vec3f p) {
    const float v = S.value(p);
    if (v < 0.05f) return Vec4f{0, 0, 0, 0};
    const float dh = 2.0f, inv = 0.5f / dh;
    const Vec3f g = Vec3f{S.value(p + Vec3f{dh, 0, 0}) - S.value(p - Vec3f{dh, 0, 0}),
                          S.value(p + Vec3f{0, dh, 0}) - S.value(p - Vec3f{0, dh, 0}),
                          S.value(p + Vec3f{0, 0, dh}) - S.value(p - Vec3f{0, 0, dh})} *
                    inv;
    const float l = length(g) + 1e-6f;
    return Vec4f{std::abs(g.x) / l, std::abs(g.y) / l, std::clamp(l * 10.0f, 0.0f, 1.0f), 0.25f * v};
  });
  EXPECT_GT(total_alpha(expected), 20.0f);
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
}

TEST(SamplePrograms, DepthCueingWithTheCameraEqualsTheSameColouringInCpp) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image with_program = render_with(b, f, compile(kDepthProgram));
  const CameraFrame cam = camera_frame(f.camera);
  const Vec3f eye = f.camera.from;
  const Image expected =
      reference_image(b, f, [&](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        const Vec4f c = colormap_lookup(map, S.value(p));
        const Vec3f to_sample = p - eye; // scene = voxel here (no scaling)
        const float fade = std::clamp(1.0f - (dot(to_sample, cam.dir) - 30.0f) / 40.0f, 0.2f, 1.0f);
        const float above = dot(to_sample, cam.up) > 0.0f ? 1.0f : 0.5f;
        const float right = dot(to_sample, cam.right) > 0.0f ? 1.0f : 0.7f;
        return Vec4f{c.x * fade * above, c.y * fade * right, c.z * fade, c.w};
      });
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
  // The cue changes the picture: the plain colormap differs.
  EXPECT_GT(max_difference(with_program, render_with(b, f, nullptr)), 0.05f);
}

TEST(SamplePrograms, HeadlightShadingEqualsTheSameShadingInCpp) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image with_program = render_with(b, f, compile(kShadingProgram));
  const Vec3f eye = f.camera.from;
  const Image expected =
      reference_image(b, f, [&](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        const float v = S.value(p);
        const Vec4f c = colormap_lookup(map, v);
        if (v < 0.5f * (map.domain_min + map.domain_max) || c.w < 0.01f) return c;
        const Vec3f g = Vec3f{S.value(p + Vec3f{1, 0, 0}) - S.value(p - Vec3f{1, 0, 0}),
                              S.value(p + Vec3f{0, 1, 0}) - S.value(p - Vec3f{0, 1, 0}),
                              S.value(p + Vec3f{0, 0, 1}) - S.value(p - Vec3f{0, 0, 1})} *
                        0.5f;
        const Vec3f n = g * -(1.0f / std::sqrt(dot(g, g)));
        const float l = std::abs(dot(n, normalize(p - eye))); // the ray's direction: eye to sample
        const float diffuse = l, specular = std::pow(l, 50.0f);
        auto channel = [&](float x) { return std::clamp(x * (0.1f + diffuse) + specular, 0.0f, 1.0f); };
        return Vec4f{channel(c.x), channel(c.y), channel(c.z), c.w};
      });
  EXPECT_LE(max_difference(with_program, expected), 2.0f / 255);
  EXPECT_GT(max_difference(with_program, render_with(b, f, compile(kColormapProgram))), 0.05f) << "shading shows";
}

TEST(SamplePrograms, DiscardedSamplesAddNothing) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image with_program = render_with(b, f, compile(kDiscardProgram));
  const Image expected =
      reference_image(b, f, [](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        return p.x < 16.0f ? Vec4f{0, 0, 0, 0} : colormap_lookup(map, S.value(p));
      });
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
  EXPECT_LT(total_alpha(with_program), 0.8f * total_alpha(render_with(b, f, nullptr)));
}

TEST(SamplePrograms, ParameterBuffersAreLaidOutAsTheStructSays) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  auto program = compile(kBufferProgram);
  std::vector<unsigned char> bytes(32, 0);
  const float tint[4] = {0.2f, 0.9f, 0.4f, 1.0f};
  const int mode = 1;
  const float gain = 0.5f;
  std::memcpy(bytes.data(), tint, 16), std::memcpy(bytes.data() + 16, &mode, 4),
      std::memcpy(bytes.data() + 20, &gain, 4);
  program->buffers[0] = kernels::make_parameter_buffer(bytes);
  const Image with_program = render_with(b, f, program);
  const Image expected =
      reference_image(b, f, [](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        const Vec4f c = colormap_lookup(map, S.value(p));
        return Vec4f{0.2f, 0.9f, 0.4f, c.w * 0.5f};
      });
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
  // Without the buffer (zeros: mode 0) the program passes the colormap through.
  EXPECT_LE(max_difference(render_with(b, f, compile(kBufferProgram)), render_with(b, f, nullptr)), 1.0f / 255);
}

TEST(SamplePrograms, ParaViewPluginStyleKernelsCompileAndColourAsWritten) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  auto program = compile(kParaViewStyleProgram, "paraview_style.cu");
  std::vector<unsigned char> bytes(32, 0);
  const float floats[4] = {0.25f, 0, 0, 0};
  const int ints[4] = {1, 0, 0, 0};
  std::memcpy(bytes.data(), floats, 16), std::memcpy(bytes.data() + 16, ints, 16);
  program->buffers[0] = kernels::make_parameter_buffer(bytes);
  const Image with_program = render_with(b, f, program);
  const Image expected =
      reference_image(b, f, [](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        const Vec4f c = colormap_lookup(map, S.value(p));
        return Vec4f{1 - c.x, 1 - c.y, 1 - c.z, c.w > 0 ? std::min(1.0f, c.w + 0.25f) : 0.0f};
      });
  EXPECT_GT(total_alpha(expected), 20.0f) << "the ball must show";
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
}

TEST(SamplePrograms, OlderAndIrregularVolumeFormsEqualTheSameColouringInCpp) {
  const Brick b = ball(kN);
  FrameParams f = ball_view(kN);
  f.settings.sampling_distance = 0.7f; // the program steps to its neighbours by this
  const Image with_program = render_with(b, f, compile(kIsosurfaceProgram));
  const float dt = f.settings.sampling_distance;
  const Image expected =
      reference_image(b, f, [dt](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p, Vec3f dir) {
        const float v = S.value(p), ahead = S.value(p + dir * dt), behind = S.value(p - dir * dt);
        const float lo = std::min({v, ahead, behind}), hi = std::max({v, ahead, behind});
        if (!(lo < 0.5f && hi > 0.5f)) return Vec4f{0, 0, 0, 0};
        const Vec3f g = Vec3f{S.value(p + Vec3f{1, 0, 0}) - S.value(p - Vec3f{1, 0, 0}),
                              S.value(p + Vec3f{0, 1, 0}) - S.value(p - Vec3f{0, 1, 0}),
                              S.value(p + Vec3f{0, 0, 1}) - S.value(p - Vec3f{0, 0, 1})} *
                        0.5f;
        const Vec3f n = normalize(g + g) * -1.0f;
        const Vec4f c = colormap_lookup(map, 0.5f);
        const float light = 0.2f + 0.8f * std::abs(dot(n, dir));
        const float tint = 0.5f + 0.5f * std::cos(float(M_PI) * v);
        return Vec4f{c.x * light, c.y * light, tint * light, 1.0f};
      });
  EXPECT_GT(total_alpha(expected), 20.0f) << "the isosurface must show";
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
}

TEST(SamplePrograms, TheFirstProgramsFormsEqualTheSameColouringInCpp) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  auto program = compile(kFirstFormsProgram);
  const float tints[8] = {0.1f, 0, 0, 0, 0.6f, 0, 0, 0}; // element 1's red is the one bound
  std::vector<unsigned char> bytes(sizeof tints);
  std::memcpy(bytes.data(), tints, sizeof tints);
  program->buffers[0] = kernels::make_parameter_buffer(bytes);
  const Image with_program = render_with(b, f, program);
  const Image expected =
      reference_image(b, f, [](const kernels::DenseSampler<float>& S, const ColormapView& map, Vec3f p) {
        const float v = S.value(p);
        if (0.3f < v && v < 0.7f) return Vec4f{0, 0, 0, 0};
        const Vec4f c = colormap_lookup(map, v);
        return Vec4f{c.y * 0.6f, c.z, c.x, c.w};
      });
  EXPECT_GT(total_alpha(expected), 5.0f) << "the ball must show";
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
}

TEST(SamplePrograms, ReadsPastABufferReadZeros) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  auto program = compile(kStrayReadProgram);
  const std::vector<unsigned char> garbage_free(64, 0x7f); // data before the stray index, not at it
  program->buffers[0] = kernels::make_parameter_buffer(garbage_free);
  EXPECT_LE(max_difference(render_with(b, f, program), render_with(b, f, nullptr)), 1.0f / 255);
  EXPECT_THROW(kernels::make_parameter_buffer(std::vector<unsigned char>(LIBINDEX_XAC_BUFFER_BYTES + 1)), Error);
}

TEST(SamplePrograms, TwoBricksWithGhostsEqualOne) {
  // Split across z (the view's depth), each brick with the 3 ghost voxels a program gets: the
  // gradient stencil (2 voxels) reads the same values in both.
  const Brick b = ball(kN);
  FrameParams f = ortho_down_z(kN, kN, 60, 40, 40, 40);
  f.colormap = ball_view(kN).colormap;
  f.program = compile(kGradientProgram);
  auto backend = kernels::make_cpu_backend();
  const Image whole = render_whole(*backend, b, f);
  Brick near_storage, far_storage;
  const BrickView near = sub_brick(b, Box3i{{0, 0, kN / 2}, {kN, kN, kN}}, 3, near_storage);
  const BrickView far = sub_brick(b, Box3i{{0, 0, 0}, {kN, kN, kN / 2}}, 3, far_storage);
  const Image front = render_view(*backend, near, f), back = render_view(*backend, far, f);
  Image joined(f.width, f.height);
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      const Vec4f a = front.at(x, y), c = back.at(x, y);
      const float w = 1.0f - a.w;
      joined.at(x, y) = {a.x + w * c.x, a.y + w * c.y, a.z + w * c.z, a.w + w * c.w};
    }
  EXPECT_GT(total_alpha(whole), 20.0f);
  EXPECT_LE(max_difference(joined, whole), 1.0f / 255);
}

TEST(SamplePrograms, ACompileErrorNamesTheProgramsFileAndLine) {
  const std::string broken =
      std::string(kColormapProgram)
          .replace(std::string(kColormapProgram).find("return NV_IDX_PROG_OK;"), 22, "return undefined_name;");
  // The program starts on line 40 of its scene file.
  try {
    kernels::compile_sample_program(SampleProgramSource{broken, "scenes/broken.prj", 40});
    FAIL() << "a program naming an undeclared variable compiled";
  } catch (const Error& e) {
    const std::string m = e.what();
    // "return undefined_name;" is line 20 of the program: line 59 of the file.
    EXPECT_EQ(m.rfind("scenes/broken.prj:59:", 0), 0u) << m;
    EXPECT_NE(m.find("undefined_name"), std::string::npos) << m;
  }
}

TEST(SamplePrograms, ACompilerThatHangsIsStopped) {
  // A stand-in compiler that answers --version and then never finishes: the compile gives up after
  // LIBINDEX_XAC_COMPILE_SECONDS.
  const auto dir = std::filesystem::temp_directory_path() / ("libindex-hang-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto script = dir / "cxx";
  std::ofstream(script) << "#!/bin/sh\n[ \"$1\" = --version ] && { echo hanging-cxx 1; exit 0; }\nexec sleep 60\n";
  chmod(script.c_str(), 0755);
  setenv("LIBINDEX_CXX", script.c_str(), 1);
  setenv("LIBINDEX_XAC_COMPILE_SECONDS", "1", 1);
  setenv("LIBINDEX_CACHE_DIR", dir.c_str(), 1);
  std::string message;
  try {
    kernels::compile_sample_program(SampleProgramSource{"// never compiled\n", "slow.xac", 1});
  } catch (const Error& e) {
    message = e.what();
  }
  unsetenv("LIBINDEX_CXX"), unsetenv("LIBINDEX_XAC_COMPILE_SECONDS"), unsetenv("LIBINDEX_CACHE_DIR");
  std::filesystem::remove_all(dir);
  EXPECT_NE(message.find("did not compile within 1 s"), std::string::npos) << message;
}

TEST(SamplePrograms, EachProgramCompilesForTheGpuWithNvrtc) {
  const SampleProgramSource probe{kColormapProgram, "colormap.xac", 1};
  std::string first;
  try {
    first = kernels::compile_sample_program_for_gpu(probe);
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  EXPECT_EQ(first, "");
  for (const char* text : {kGradientProgram, kDepthProgram, kDiscardProgram, kBufferProgram, kStrayReadProgram,
                           kShadingProgram, kParaViewStyleProgram})
    EXPECT_EQ(kernels::compile_sample_program_for_gpu({text, "program.xac", 1}), "");
  std::string broken = kGradientProgram;
  broken.replace(broken.find("length(g)"), 9, "length(g, g)");
  const std::string log = kernels::compile_sample_program_for_gpu({broken, "broken.xac", 5});
  // NVRTC writes "file(line): error: ...": the call is on line 21 of the program, line 25 of the file.
  EXPECT_NE(log.find("broken.xac(25): error"), std::string::npos) << log;
}

// The image the CUDA backend loads: each program linked with the marcher for programs by nvJitLink
// (no device needed). A linked image is an ELF cubin holding both of the marcher's kernels.
TEST(SamplePrograms, EachProgramLinksWithTheMarcherForTheGpu) {
  const auto unit = [](const char* text) { return kernels::sample_program_unit({text, "program.xac", 1}); };
  std::vector<char> cubin;
  try {
    cubin = kernels::link_sample_program_for_gpu(unit(kColormapProgram), 90);
  } catch (const Error& e) {
    const std::string why = e.what();
    if (why.find("not installed") != std::string::npos || why.find("without CUDA") != std::string::npos)
      GTEST_SKIP() << why;
    FAIL() << why;
  }
  for (const char* text : {kGradientProgram, kDepthProgram, kDiscardProgram, kBufferProgram, kShadingProgram,
                           kParaViewStyleProgram, kIsosurfaceProgram, kFirstFormsProgram}) {
    cubin = kernels::link_sample_program_for_gpu(unit(text), 90);
    ASSERT_GT(cubin.size(), 4u);
    EXPECT_EQ(std::string(cubin.data(), 4), "\x7f"
                                            "ELF");
    const std::string image(cubin.begin(), cubin.end());
    EXPECT_NE(image.find("libindex_program_march"), std::string::npos);
    EXPECT_NE(image.find("libindex_program_setup"), std::string::npos);
  }
  std::string broken = kGradientProgram;
  broken.replace(broken.find("length(g)"), 9, "length(g, g)");
  try {
    kernels::link_sample_program_for_gpu(kernels::sample_program_unit({broken, "broken.xac", 5}), 90);
    ADD_FAILURE() << "a broken program linked";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.xac(25): error"), std::string::npos) << e.what();
  }
}

TEST(SamplePrograms, AProgramThatCrashesEndsItsFrameNotTheProcess) {
  const Brick b = ball(kN);
  const FrameParams f = ball_view(kN);
  const Image built_in = render_with(b, f, nullptr);
  const char* kinds[][2] = {
      {"*(volatile int*)nullptr = 1;", "SIGSEGV"},
      {"volatile int zero = 0; volatile int q = 7 / zero; (void)q;", "SIGFPE"},
      // Recursion without end overflows the thread's stack: the handler runs on a stack of its own.
      {"struct Deeper { static int go(int n) { volatile char page[4096]; page[0] = char(n); "
       "return go(n + 1) + page[0]; } }; (void)Deeper::go(0);",
       "SIGSEGV"},
  };
  for (const auto& [statement, signal] : kinds) {
    std::string text = kColormapProgram;
    text.replace(text.find("return NV_IDX_PROG_OK;"), 22,
                 std::string("if (sample_info.sample_position_object_space.x > 20.0f) { ") + statement +
                     " }\n        return NV_IDX_PROG_OK;");
    const auto program = compile(text.c_str());
    std::string message;
    try {
      render_with(b, f, program);
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_NE(message.find(signal), std::string::npos) << message;
    EXPECT_NE(message.find("test.xac:1"), std::string::npos) << message;
    EXPECT_FALSE(program->usable()) << "a program that crashed is off";
    // The next frame renders with the colormap, as the built-in path does.
    EXPECT_LE(max_difference(render_with(b, f, program), built_in), 1.0f / 255);
  }
}

// --- Scene elements mapped to slots (rendering_kernel_program_scene_element_mapping) -------------

namespace {

// IndeX's two-channel form: the second volume (slot 2) through the second colormap (slot 4).
const char* kSecondChannelProgram = R"(NV_IDX_XAC_VERSION_1_0
#define SLOT_VOLUME_2 2
#define SLOT_CMAP_2 4
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
        const Sparse_volume& volume_02 = state.scene.access<Sparse_volume>(SLOT_VOLUME_2);
        const Colormap cmap_02 = state.scene.access<Colormap>(SLOT_CMAP_2);
        const float v = volume_02.generate_sampler<float>(0u).fetch_sample(sample_info.sample_position_object_space);
        sample_output.set_color(cmap_02.lookup(v));
        return NV_IDX_PROG_OK;
    }
};
)";

// Slot `SLOT`'s volume through its own colormap (get_colormap of the accessed element), and whether
// the slot is mapped, in blue.
std::string slot_program(int slot) {
  return std::string(R"(NV_IDX_XAC_VERSION_1_0
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
        const Sparse_volume volume = state.scene.access<Sparse_volume>()") +
         std::to_string(slot) + R"();
        const float v = volume.generate_sampler<float>(0u).fetch_sample(sample_info.sample_position_object_space);
        sample_output.set_color(volume.get_colormap().lookup(v));
        return state.scene.is_valid_element<Sparse_volume>()" +
         std::to_string(slot) + R"() ? NV_IDX_PROG_OK : NV_IDX_PROG_DISCARD_SAMPLE;
    }
};
)";
}

// A second field on the ball's grid, stored as uint16: a tilted ramp the ball's colormap shows.
Brick second_field(int n) {
  return make_volume({n, n, n}, DType::uint16,
                     [n](Vec3f p) { return std::clamp((p.x + 0.5f * p.y) / (1.5f * n), 0.0f, 1.0f); });
}

Colormap second_colormap() {
  Colormap c = colormap_preset("inferno", 0.4f);
  c.domain_min = 0.3f, c.domain_max = 0.9f;
  return c;
}

} // namespace

TEST(SamplePrograms, AMappedVolumeAndColormapAreReadThroughTheirSlots) {
  const Brick own = ball(kN), second = second_field(kN);
  FrameParams f = ball_view(kN);
  f.program_slots = {{2, whole_view(second), second_colormap()}, {4, BrickView{}, second_colormap()}};
  const Image with_program = render_with(own, f, compile(kSecondChannelProgram));
  // The same picture: the second volume alone through the second colormap, without a program.
  FrameParams alone = ball_view(kN);
  alone.colormap = second_colormap();
  auto backend = kernels::make_cpu_backend();
  const Image expected = render_whole(*backend, second, alone);
  EXPECT_GT(total_alpha(expected), 20.0f) << "the second field must show";
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
  EXPECT_GT(max_difference(with_program, render_with(own, ball_view(kN), nullptr)), 0.05f)
      << "the program's own volume looks different";
}

TEST(SamplePrograms, AColormapSlotReadsTheProgramsOwnVoxels) {
  const Brick own = ball(kN), second = second_field(kN);
  FrameParams f = ball_view(kN);
  f.program_slots = {{3, BrickView{}, second_colormap()}};
  const Image with_program = render_with(own, f, compile(slot_program(3).c_str()));
  FrameParams expected_view = ball_view(kN);
  expected_view.colormap = second_colormap();
  const Image expected = render_with(own, expected_view, nullptr);
  EXPECT_GT(total_alpha(expected), 5.0f);
  EXPECT_LE(max_difference(with_program, expected), 1.0f / 255);
}

TEST(SamplePrograms, AnUnmappedSlotIsNotValidAndAnswersWithTheProgramsOwnVolume) {
  const Brick own = ball(kN), second = second_field(kN);
  const auto program = compile(slot_program(5).c_str());
  FrameParams f = ball_view(kN);
  f.program_slots = {{2, whole_view(second), second_colormap()}};
  EXPECT_EQ(total_alpha(render_with(own, f, program)), 0.0f) << "is_valid_element(5) is false: every sample discarded";
  // With slot 5 mapped to the ball itself the program draws the ball as the colormap does.
  f.program_slots = {{5, whole_view(own), f.colormap}};
  EXPECT_LE(max_difference(render_with(own, f, program), render_with(own, ball_view(kN), nullptr)), 1.0f / 255);
}

TEST(SamplePrograms, ASlotBeyondTheLastIsAnError) {
  const Brick own = ball(kN);
  FrameParams f = ball_view(kN);
  f.program_slots = {{LIBINDEX_XAC_MAX_SLOTS, BrickView{}, f.colormap}};
  try {
    render_with(own, f, compile(kColormapProgram));
    FAIL() << "slot " << LIBINDEX_XAC_MAX_SLOTS << " was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("slots are 0 to 15"), std::string::npos) << e.what();
  }
}

TEST(SamplePrograms, MappedVolumesSplitWithGhostsEqualOneBrick) {
  // Two ranks' bricks split across z: each reads the second field's voxels under its own brick.
  const Brick own = ball(kN), second = second_field(kN);
  FrameParams f = ortho_down_z(kN, kN, 60, 40, 40, 40);
  f.program = compile(kSecondChannelProgram);
  f.program_slots = {{2, whole_view(second), second_colormap()}, {4, BrickView{}, second_colormap()}};
  auto backend = kernels::make_cpu_backend();
  const Image whole = render_whole(*backend, own, f);
  Image joined(f.width, f.height);
  std::vector<Image> parts;
  for (const Box3i owned : {Box3i{{0, 0, kN / 2}, {kN, kN, kN}}, Box3i{{0, 0, 0}, {kN, kN, kN / 2}}}) {
    Brick own_storage, second_storage;
    const BrickView view = sub_brick(own, owned, 1, own_storage);
    FrameParams part = f;
    part.program_slots[0].volume = sub_brick(second, owned, 1, second_storage);
    parts.push_back(render_view(*backend, view, part));
  }
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      const Vec4f a = parts[0].at(x, y), c = parts[1].at(x, y);
      const float w = 1.0f - a.w;
      joined.at(x, y) = {a.x + w * c.x, a.y + w * c.y, a.z + w * c.z, a.w + w * c.w};
    }
  EXPECT_GT(total_alpha(whole), 20.0f);
  EXPECT_LE(max_difference(joined, whole), 1.0f / 255);
  FrameParams alone = f;
  alone.program = nullptr, alone.program_slots.clear(), alone.colormap = second_colormap();
  EXPECT_LE(max_difference(whole, render_whole(*backend, second, alone)), 1.0f / 255) << "the second field, drawn";
}

TEST(SamplePrograms, ProgramsReadingSlotsCompileAndLinkForTheGpu) {
  std::string log;
  try {
    log = kernels::compile_sample_program_for_gpu({kSecondChannelProgram, "channels.xac", 1});
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  EXPECT_EQ(log, "");
  EXPECT_EQ(kernels::compile_sample_program_for_gpu({slot_program(3), "slot.xac", 1}), "");
  // Linked with the marcher for programs, whose setup kernel binds the mapped slots on the device.
  for (const std::string& text : {std::string(kSecondChannelProgram), slot_program(3)}) {
    std::vector<char> cubin;
    try {
      cubin = kernels::link_sample_program_for_gpu(kernels::sample_program_unit({text, "slots.xac", 1}), 90);
    } catch (const Error& e) {
      GTEST_SKIP() << e.what(); // no nvJitLink here
    }
    const std::string image(cubin.begin(), cubin.end());
    EXPECT_EQ(image.substr(0, 4), "\x7f"
                                  "ELF");
    EXPECT_NE(image.find("libindex_program_setup"), std::string::npos);
  }
}
