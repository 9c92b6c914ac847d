// SPDX-License-Identifier: Apache-2.0
#include "test_volumes.h"

#include "libindex/kernels/sample_program.h"

#include <vector>

#include <cstring>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace libindex::test {

namespace {
/// A field value stored as T: integers round the value clamped to their normalized range.
template <class T>
T quantize(float v) {
  if constexpr (std::is_floating_point_v<T>)
    return v;
  else if constexpr (std::is_signed_v<T>)
    return T(std::lround(clampf(v, -1, 1) * std::numeric_limits<T>::max()));
  else
    return T(std::lround(clampf(v, 0, 1) * std::numeric_limits<T>::max()));
}
} // namespace

Brick make_volume(Vec3i size, DType t, const std::function<float(Vec3f)>& field) {
  Brick b({{0, 0, 0}, size}, t);
  visit_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* voxels = b.data<T>();
    size_t i = 0;
    for (int z = 0; z < size.z; ++z)
      for (int y = 0; y < size.y; ++y)
        for (int x = 0; x < size.x; ++x, ++i) voxels[i] = quantize<T>(field({x + 0.5f, y + 0.5f, z + 0.5f}));
  });
  return b;
}

Brick marschner_lobb(int n) {
  return make_volume({n, n, n}, DType::float32, [n](Vec3f c) {
    const float pi = 3.14159265f;
    const float x = 2 * c.x / n - 1, y = 2 * c.y / n - 1, z = 2 * c.z / n - 1;
    const float r = std::sqrt(x * x + y * y);
    const float rho = std::cos(2 * pi * 6 * std::cos(pi * r / 2));
    return (1 - std::sin(pi * z / 2) + 0.25f * (1 + rho)) / 2.5f;
  });
}

Brick ball(int n) {
  return make_volume({n, n, n}, DType::float32, [n](Vec3f c) {
    const Vec3f d = c - Vec3f{n / 2.0f, n / 2.0f, n / 2.0f};
    return std::max(0.0f, 1.0f - length(d) / (0.4f * n));
  });
}

BrickView sub_brick(const Brick& whole, const Box3i& owned, int ghost, Brick& storage) {
  const Box3i stored = grow(owned, ghost, whole.box);
  storage = Brick(stored, whole.dtype);
  const size_t size = dtype_size(whole.dtype);
  const Vec3i n = whole.box.size(), m = stored.size();
  for (int z = stored.lo.z; z < stored.hi.z; ++z)
    for (int y = stored.lo.y; y < stored.hi.y; ++y)
      std::memcpy(storage.bytes.data() + ((size_t(z - stored.lo.z) * m.y + size_t(y - stored.lo.y)) * m.x) * size,
                  whole.bytes.data() + ((size_t(z) * n.y + size_t(y)) * n.x + size_t(stored.lo.x)) * size,
                  size_t(m.x) * size);
  return {storage.bytes.data(), storage.dtype, stored, owned, whole.box, 0};
}

Image render_split_at_x(kernels::Backend& backend, const Brick& whole, int split, int ghost, const FrameParams& f) {
  Image composite(f.width, f.height);
  const Box3i box = whole.box;
  for (Box3i owned : {Box3i{box.lo, {split, box.hi.y, box.hi.z}}, Box3i{{split, box.lo.y, box.lo.z}, box.hi}}) {
    Brick storage;
    Image layer(f.width, f.height);
    backend.render(sub_brick(whole, owned, ghost, storage), f, layer.view());
    for (size_t i = 0; i < layer.pixels().size(); ++i)
      composite.pixels()[i] = over(composite.pixels()[i], layer.pixels()[i]);
  }
  return composite;
}

FrameParams view_of_24_cube(Vec3f from, int w, int h) {
  FrameParams f;
  f.width = w, f.height = h;
  f.camera.from = from;
  f.camera.dir = normalize(Vec3f{12, 12, 12} - from);
  f.camera.focal = 1, f.camera.aperture = 0.9f, f.camera.aspect = float(w) / float(h);
  f.settings.early_termination = false;
  return f;
}

FrameParams ortho_down_z(float nx, float ny, float from_z, float extent, int w, int h) {
  FrameParams f;
  f.width = w, f.height = h;
  f.camera.orthographic = true;
  f.camera.from = {nx / 2, ny / 2, from_z};
  f.camera.dir = {0, 0, -1};
  f.camera.up = {0, 1, 0};
  f.camera.aperture = extent;
  f.camera.aspect = float(w) / float(h);
  f.settings.early_termination = false;
  return f;
}

Colormap constant_colormap(Vec4f rgba) {
  Colormap m;
  m.entries = {rgba, rgba};
  return m;
}

Image render_view(kernels::Backend& backend, const BrickView& view, const FrameParams& f, RenderStats* s) {
  Image img(f.width, f.height);
  const RenderStats stats = backend.render(view, f, img.view());
  if (s) *s = stats;
  return img;
}

Image render_whole(kernels::Backend& backend, const Brick& b, const FrameParams& f, RenderStats* s) {
  return render_view(backend, whole_view(b), f, s);
}

Image render_mix(kernels::Backend& backend, std::initializer_list<std::pair<const Brick*, const FrameParams*>> layers,
                 RenderStats* stats) {
  std::vector<kernels::MixedLayer> mixed;
  for (const auto& [brick, frame] : layers) mixed.push_back({whole_view(*brick), frame});
  Image img(layers.begin()->second->width, layers.begin()->second->height);
  const RenderStats s = backend.render_mixed(mixed, img.view());
  if (stats) *stats = s;
  Image out(img.width(), img.height()); // only the active rectangle is written
  for (int y = s.active.y0; y < s.active.y1; ++y)
    for (int x = s.active.x0; x < s.active.x1; ++x) out.at(x, y) = img.at(x, y);
  return out;
}

FrameParams oblique_view(Vec3i size) {
  FrameParams f = ortho_down_z(float(size.x), float(size.y), 60, 40, 48, 40);
  f.camera.orthographic = false;
  f.camera.from = {float(size.x) * 1.6f, float(size.y) * -0.4f, float(size.z) * 2.2f};
  f.camera.dir = normalize(Vec3f{float(size.x) * 0.5f, float(size.y) * 0.5f, float(size.z) * 0.5f} - f.camera.from);
  f.camera.up = {0, 0, 1};
  f.camera.aspect = 48.0f / 40.0f;
  f.camera.focal = 1.0f, f.camera.aperture = 0.8f; // about 44 degrees across
  f.settings.sampling_distance = 0.5f;
  return f;
}

float max_difference(const Image& a, const Image& b) {
  float d = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      const Vec4f p = a.at(x, y), q = b.at(x, y);
      d = std::max({d, std::abs(p.x - q.x), std::abs(p.y - q.y), std::abs(p.z - q.z), std::abs(p.w - q.w)});
    }
  return d;
}

std::shared_ptr<const SampleProgram> surface_program(const std::string& body) {
  const std::string text = "NV_IDX_XAC_VERSION_1_0\n"
                           "using namespace nv::index;\nusing namespace nv::index::xac;\n"
                           "class Surface_sample_program {\n  NV_IDX_SURFACE_SAMPLE_PROGRAM\npublic:\n"
                           "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
                           "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& sample_info,\n"
                           "                                          Sample_output& sample_output) {\n" +
                           body + "\n  }\n};\n";
  return kernels::compile_sample_program({text, "surface.xac", 1, kernels::ProgramTarget::surface});
}

std::array<PlaneProgram, kMaxSlicePlanes> every_plane(std::shared_ptr<const SampleProgram> program) {
  std::array<PlaneProgram, kMaxSlicePlanes> planes;
  for (PlaneProgram& p : planes) p.program = program;
  return planes;
}

} // namespace libindex::test
