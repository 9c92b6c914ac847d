// SPDX-License-Identifier: Apache-2.0
#pragma once
// The XAC interface of IndeX volume and surface sample programs, as libindex provides it: what a
// public IndeX program includes implicitly (nv::index::xac, nv::index::xaclib, CUDA's vector types and their
// arithmetic, the NV_IDX_* macros). The run-time compiler sees this text, then the program (under
// a #line naming its own file), then xac_entry.h. One text serves the host compiler and NVRTC:
// under NVRTC, CUDA's own float3/make_float3 are used and functions are __device__.
//
// The volume, its colormap and the parameter buffers are reached through xac_abi.h, so a sample's
// value and colour are exactly the ones libindex's own marcher computes.

#include "xac_abi.h"

typedef unsigned int uint; // as IndeX's programs use it (and the vector types below)

#ifndef M_PI // programs use the C library's constant; NVRTC's headers do not define it
#define M_PI 3.14159265358979323846
#endif

#ifdef __CUDACC_RTC__
#define LIBINDEX_XAC_FN __device__ __forceinline__
#define LIBINDEX_XAC_THREAD_LOCAL __device__
#else
#include <math.h>
#define LIBINDEX_XAC_FN inline
#define LIBINDEX_XAC_THREAD_LOCAL thread_local
// CUDA's device code has min and max for floats and integers: programs call them unqualified.
LIBINDEX_XAC_FN float min(float a, float b) { return fminf(a, b); }
LIBINDEX_XAC_FN float max(float a, float b) { return fmaxf(a, b); }
LIBINDEX_XAC_FN int min(int a, int b) { return a < b ? a : b; }
LIBINDEX_XAC_FN int max(int a, int b) { return a > b ? a : b; }
LIBINDEX_XAC_FN unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
LIBINDEX_XAC_FN unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
// CUDA's vector types, with CUDA's sizes and alignments (parameter buffers lay them out so).
struct float2 {
  float x, y;
};
struct float3 {
  float x, y, z;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct int2 {
  int x, y;
};
struct int3 {
  int x, y, z;
};
struct alignas(16) int4 {
  int x, y, z, w;
};
struct uint2 {
  uint x, y;
};
struct uint3 {
  uint x, y, z;
};
struct alignas(16) uint4 {
  uint x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int3 make_int3(int x, int y, int z) { return {x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(uint x, uint y) { return {x, y}; }
inline uint3 make_uint3(uint x, uint y, uint z) { return {x, y, z}; }
inline uint4 make_uint4(uint x, uint y, uint z, uint w) { return {x, y, z, w}; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline float __saturatef(float x) { return saturatef(x); }
#endif

// The helpers CUDA programs take from helper_math.h: broadcasts, conversions, arithmetic, geometry.
LIBINDEX_XAC_FN float2 make_float2(float s) { return make_float2(s, s); }
LIBINDEX_XAC_FN float3 make_float3(float s) { return make_float3(s, s, s); }
LIBINDEX_XAC_FN float4 make_float4(float s) { return make_float4(s, s, s, s); }
LIBINDEX_XAC_FN float3 make_float3(const float4& a) { return make_float3(a.x, a.y, a.z); }
LIBINDEX_XAC_FN float3 make_float3(const float2& a, float z) { return make_float3(a.x, a.y, z); }
LIBINDEX_XAC_FN float4 make_float4(const float3& a, float w) { return make_float4(a.x, a.y, a.z, w); }
LIBINDEX_XAC_FN float4 make_float4(const float3& a) { return make_float4(a.x, a.y, a.z, 0.0f); }
LIBINDEX_XAC_FN float3 make_float3(const int3& a) { return make_float3(float(a.x), float(a.y), float(a.z)); }

#define LIBINDEX_XAC_VECTOR_OPS(V, APPLY)                                                                              \
  LIBINDEX_XAC_FN V operator+(const V& a, const V& b) { return APPLY(a, +, b); }                                       \
  LIBINDEX_XAC_FN V operator-(const V& a, const V& b) { return APPLY(a, -, b); }                                       \
  LIBINDEX_XAC_FN V operator*(const V& a, const V& b) { return APPLY(a, *, b); }                                       \
  LIBINDEX_XAC_FN V operator/(const V& a, const V& b) { return APPLY(a, /, b); }                                       \
  LIBINDEX_XAC_FN V operator+(const V& a, float s) { return a + make_##V(s); }                                         \
  LIBINDEX_XAC_FN V operator-(const V& a, float s) { return a - make_##V(s); }                                         \
  LIBINDEX_XAC_FN V operator*(const V& a, float s) { return a * make_##V(s); }                                         \
  LIBINDEX_XAC_FN V operator/(const V& a, float s) { return a / make_##V(s); }                                         \
  LIBINDEX_XAC_FN V operator+(float s, const V& a) { return make_##V(s) + a; }                                         \
  LIBINDEX_XAC_FN V operator-(float s, const V& a) { return make_##V(s) - a; }                                         \
  LIBINDEX_XAC_FN V operator*(float s, const V& a) { return make_##V(s) * a; }                                         \
  LIBINDEX_XAC_FN V operator/(float s, const V& a) { return make_##V(s) / a; }                                         \
  LIBINDEX_XAC_FN V operator-(const V& a) { return make_##V(0.0f) - a; }                                               \
  LIBINDEX_XAC_FN V& operator+=(V& a, const V& b) { return a = a + b; }                                                \
  LIBINDEX_XAC_FN V& operator-=(V& a, const V& b) { return a = a - b; }                                                \
  LIBINDEX_XAC_FN V& operator*=(V& a, const V& b) { return a = a * b; }                                                \
  LIBINDEX_XAC_FN V& operator/=(V& a, const V& b) { return a = a / b; }                                                \
  LIBINDEX_XAC_FN V& operator*=(V& a, float s) { return a = a * s; }                                                   \
  LIBINDEX_XAC_FN V& operator/=(V& a, float s) { return a = a / s; }                                                   \
  LIBINDEX_XAC_FN V& operator+=(V& a, float s) { return a = a + s; }                                                   \
  LIBINDEX_XAC_FN V& operator-=(V& a, float s) { return a = a - s; }
#define LIBINDEX_XAC_APPLY2(a, op, b) make_float2(a.x op b.x, a.y op b.y)
#define LIBINDEX_XAC_APPLY3(a, op, b) make_float3(a.x op b.x, a.y op b.y, a.z op b.z)
#define LIBINDEX_XAC_APPLY4(a, op, b) make_float4(a.x op b.x, a.y op b.y, a.z op b.z, a.w op b.w)
LIBINDEX_XAC_VECTOR_OPS(float2, LIBINDEX_XAC_APPLY2)
LIBINDEX_XAC_VECTOR_OPS(float3, LIBINDEX_XAC_APPLY3)
LIBINDEX_XAC_VECTOR_OPS(float4, LIBINDEX_XAC_APPLY4)

LIBINDEX_XAC_FN float dot(const float2& a, const float2& b) { return a.x * b.x + a.y * b.y; }
LIBINDEX_XAC_FN float dot(const float3& a, const float3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
LIBINDEX_XAC_FN float dot(const float4& a, const float4& b) { return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w; }
LIBINDEX_XAC_FN float length(const float2& a) { return sqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float length(const float3& a) { return sqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float length(const float4& a) { return sqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float2 normalize(const float2& a) { return a * rsqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float3 normalize(const float3& a) { return a * rsqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float4 normalize(const float4& a) { return a * rsqrtf(dot(a, a)); }
LIBINDEX_XAC_FN float3 cross(const float3& a, const float3& b) {
  return make_float3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
LIBINDEX_XAC_FN float3 reflect(const float3& i, const float3& n) { return i - 2.0f * n * dot(n, i); }
LIBINDEX_XAC_FN float clamp(float v, float lo, float hi) { return fminf(fmaxf(v, lo), hi); }
LIBINDEX_XAC_FN int clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
LIBINDEX_XAC_FN float2 clamp(const float2& v, float lo, float hi) {
  return make_float2(clamp(v.x, lo, hi), clamp(v.y, lo, hi));
}
LIBINDEX_XAC_FN float3 clamp(const float3& v, float lo, float hi) {
  return make_float3(clamp(v.x, lo, hi), clamp(v.y, lo, hi), clamp(v.z, lo, hi));
}
LIBINDEX_XAC_FN float4 clamp(const float4& v, float lo, float hi) {
  return make_float4(clamp(v.x, lo, hi), clamp(v.y, lo, hi), clamp(v.z, lo, hi), clamp(v.w, lo, hi));
}
LIBINDEX_XAC_FN float lerp(float a, float b, float t) { return a + t * (b - a); }
LIBINDEX_XAC_FN float2 lerp(const float2& a, const float2& b, float t) { return a + t * (b - a); }
LIBINDEX_XAC_FN float3 lerp(const float3& a, const float3& b, float t) { return a + t * (b - a); }
LIBINDEX_XAC_FN float4 lerp(const float4& a, const float4& b, float t) { return a + t * (b - a); }
LIBINDEX_XAC_FN float smoothstep(float a, float b, float x) {
  const float t = clamp((x - a) / (b - a), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}
LIBINDEX_XAC_FN float3 fminf(const float3& a, const float3& b) {
  return make_float3(fminf(a.x, b.x), fminf(a.y, b.y), fminf(a.z, b.z));
}
LIBINDEX_XAC_FN float3 fmaxf(const float3& a, const float3& b) {
  return make_float3(fmaxf(a.x, b.x), fmaxf(a.y, b.y), fmaxf(a.z, b.z));
}
LIBINDEX_XAC_FN float3 fabs(const float3& a) { return make_float3(fabsf(a.x), fabsf(a.y), fabsf(a.z)); }
LIBINDEX_XAC_FN float3 floorf(const float3& a) { return make_float3(floorf(a.x), floorf(a.y), floorf(a.z)); }
LIBINDEX_XAC_FN float fracf(float v) { return v - floorf(v); }

#define NV_IDX_XAC_VERSION_1_0
#define NV_IDX_PROG_OK 0
#define NV_IDX_PROG_DISCARD_SAMPLE 1
#define NV_IDX_DEVICE_INLINE_MEMBER LIBINDEX_XAC_FN
#define NV_IDX_DEVICE_INLINE LIBINDEX_XAC_FN

namespace nv {
namespace index {
namespace xac {

enum class Volume_filter_mode { NEAREST, TRILINEAR, TRICUBIC_CATMULL, TRICUBIC_BSPLINE };
/// When IndeX classifies a sample: after interpolating the value (the usual) or before. A scalar
/// sampler returns the value either way (the program classifies it), so both read the same here.
/// ParaView's IndeX plugin kernels name it in every generate_sampler call.
enum class Volume_classification_mode { POST_INTERPOLATION, PRE_INTERPOLATION };

/// Where a sample lies, as samplers need it; libindex's samplers need nothing more than the position.
struct Sample_context {
  int reserved;
};

/// The sample's cell, as IndeX's programs for irregular volumes read their attributes through it
/// (`fetch_attribute`). On libindex's regular grids that is the sample's object-space position, so
/// such programs read the trilinear value there.
struct Sample_cell_info {
  float3 position;
};

/// An affine transform as IndeX's programs receive one (`get_scene_to_object_transform()`): rows of
/// [linear | translation], applied to column vectors; the fourth row is (0 0 0 1).
struct float4x4 {
  float m[4][4];
};
LIBINDEX_XAC_FN float4x4 scale_translate(const float* scale, const float* translate) {
  float4x4 t = {
      {{scale[0], 0, 0, translate[0]}, {0, scale[1], 0, translate[1]}, {0, 0, scale[2], translate[2]}, {0, 0, 0, 1}}};
  return t;
}
/// The inverse of scale_translate(scale, translate).
LIBINDEX_XAC_FN float4x4 inverse_scale_translate(const float* scale, const float* translate) {
  const float inv[3] = {1.0f / scale[0], 1.0f / scale[1], 1.0f / scale[2]};
  const float shift[3] = {-translate[0] * inv[0], -translate[1] * inv[1], -translate[2] * inv[2]};
  return scale_translate(inv, shift);
}
LIBINDEX_XAC_FN float3 transform_point(const float4x4& t, const float3& p) {
  return make_float3(t.m[0][0] * p.x + t.m[0][1] * p.y + t.m[0][2] * p.z + t.m[0][3],
                     t.m[1][0] * p.x + t.m[1][1] * p.y + t.m[1][2] * p.z + t.m[1][3],
                     t.m[2][0] * p.x + t.m[2][1] * p.y + t.m[2][2] * p.z + t.m[2][3]);
}
LIBINDEX_XAC_FN float3 transform_vector(const float4x4& t, const float3& v) {
  return make_float3(t.m[0][0] * v.x + t.m[0][1] * v.y + t.m[0][2] * v.z,
                     t.m[1][0] * v.x + t.m[1][1] * v.y + t.m[1][2] * v.z,
                     t.m[2][0] * v.x + t.m[2][1] * v.y + t.m[2][2] * v.z);
}

class Colormap {
 public:
  LIBINDEX_XAC_FN explicit Colormap(const LibindexXacVolume* volume) : volume_(volume) {}
  /// The straight RGBA of a value, as libindex's built-in colormap path gives it.
  LIBINDEX_XAC_FN float4 lookup(float value) const {
    float c[4];
    volume_->lookup(volume_->colormap, value, c);
    return make_float4(c[0], c[1], c[2], c[3]);
  }
  LIBINDEX_XAC_FN float2 get_domain() const { return make_float2(volume_->domain[0], volume_->domain[1]); }
  LIBINDEX_XAC_FN float get_domain_min() const { return volume_->domain[0]; }
  LIBINDEX_XAC_FN float get_domain_max() const { return volume_->domain[1]; }

 private:
  const LibindexXacVolume* volume_;
};

/// IndeX's cubic filters are sampled trilinearly, as the volume itself is.
template <typename T, Volume_filter_mode Mode>
class Volume_sampler {
 public:
  LIBINDEX_XAC_FN explicit Volume_sampler(const LibindexXacVolume* volume) : volume_(volume) {}
  LIBINDEX_XAC_FN T fetch_sample(const float3& p) const {
    return T(volume_->fetch(volume_->sampler, p.x, p.y, p.z, Mode == Volume_filter_mode::NEAREST ? 1 : 0));
  }
  /// The sample's colour through `colormap` (straight RGBA).
  LIBINDEX_XAC_FN float4 fetch_sample_classify(const float3& p, const Colormap& colormap) const {
    return colormap.lookup(float(fetch_sample(p)));
  }

 private:
  const LibindexXacVolume* volume_;
};

class Sparse_volume {
 public:
  LIBINDEX_XAC_FN explicit Sparse_volume(const LibindexXacVolume* volume) : volume_(volume) {}
  template <typename T, Volume_filter_mode Mode = Volume_filter_mode::TRILINEAR,
            Volume_classification_mode = Volume_classification_mode::POST_INTERPOLATION>
  LIBINDEX_XAC_FN Volume_sampler<T, Mode> generate_sampler(uint /*field_index*/ = 0u,
                                                           const Sample_context& = Sample_context{}) const {
    return Volume_sampler<T, Mode>(volume_);
  }
  /// The older one-call form (a scalar volume's sample is a float).
  template <typename T = float>
  LIBINDEX_XAC_FN T sample(const float3& p) const {
    return generate_sampler<T>().fetch_sample(p);
  }
  /// The attribute at the sample (irregular volumes' form), and at an object-space offset from it.
  template <typename T>
  LIBINDEX_XAC_FN T fetch_attribute(uint field_index, const Sample_cell_info& cell) const {
    return generate_sampler<T>(field_index).fetch_sample(cell.position);
  }
  template <typename T>
  LIBINDEX_XAC_FN T fetch_attribute_offset(uint field_index, const Sample_cell_info& cell, const float3& offset) const {
    return generate_sampler<T>(field_index).fetch_sample(cell.position + offset);
  }
  /// The distance between a ray's samples (scene space; IndeX's names of both eras).
  LIBINDEX_XAC_FN float get_sample_distance() const { return volume_->sample_distance; }
  LIBINDEX_XAC_FN float get_stepsize_min() const { return volume_->sample_distance; }
  LIBINDEX_XAC_FN Colormap get_colormap() const { return Colormap(volume_); }
  /// Central differences one voxel apart, per voxel: the gradient of the normalized value.
  template <typename T = float>
  LIBINDEX_XAC_FN float3 get_gradient(const float3& p) const {
    const Volume_sampler<float, Volume_filter_mode::TRILINEAR> s(volume_);
    return make_float3(
               s.fetch_sample(make_float3(p.x + 1.0f, p.y, p.z)) - s.fetch_sample(make_float3(p.x - 1.0f, p.y, p.z)),
               s.fetch_sample(make_float3(p.x, p.y + 1.0f, p.z)) - s.fetch_sample(make_float3(p.x, p.y - 1.0f, p.z)),
               s.fetch_sample(make_float3(p.x, p.y, p.z + 1.0f)) - s.fetch_sample(make_float3(p.x, p.y, p.z - 1.0f))) *
           0.5f;
  }
  LIBINDEX_XAC_FN float3 get_volume_bbox_min() const {
    return make_float3(volume_->bbox_min[0], volume_->bbox_min[1], volume_->bbox_min[2]);
  }
  LIBINDEX_XAC_FN float3 get_volume_bbox_max() const {
    return make_float3(volume_->bbox_max[0], volume_->bbox_max[1], volume_->bbox_max[2]);
  }
  /// Between the scene (where the camera and sample_info.scene_position are) and this volume's
  /// object space: its bbox's voxel space.
  LIBINDEX_XAC_FN float4x4 get_object_to_scene_transform() const {
    return scale_translate(volume_->scaling, volume_->translation);
  }
  LIBINDEX_XAC_FN float4x4 get_scene_to_object_transform() const {
    return inverse_scale_translate(volume_->scaling, volume_->translation);
  }

 private:
  const LibindexXacVolume* volume_;
};

class Camera {
 public:
  LIBINDEX_XAC_FN explicit Camera(const LibindexXacFrame* frame) : frame_(frame) {}
  LIBINDEX_XAC_FN float3 get_eye_point() const { return make_float3(frame_->eye[0], frame_->eye[1], frame_->eye[2]); }
  LIBINDEX_XAC_FN float3 get_from() const { return get_eye_point(); }
  LIBINDEX_XAC_FN float3 get_view_direction() const {
    return make_float3(frame_->view_direction[0], frame_->view_direction[1], frame_->view_direction[2]);
  }
  LIBINDEX_XAC_FN float3 get_up() const { return make_float3(frame_->up[0], frame_->up[1], frame_->up[2]); }
  LIBINDEX_XAC_FN float3 get_right() const { return make_float3(frame_->right[0], frame_->right[1], frame_->right[2]); }

 private:
  const LibindexXacFrame* frame_;
};

/// IndeX's name for a volume on a regular grid, as programs ask for one through scene.access.
using Regular_volume = Sparse_volume;

class Scene {
 public:
  LIBINDEX_XAC_FN explicit Scene(const LibindexXacFrame* frame) : camera(frame), frame_(frame) {}
  Camera camera;
  /// The scene element mapped to `slot` (rendering_kernel_program_scene_element_mapping) as a
  /// Sparse_volume or a Colormap: a mapped volume with its own colormap, or a mapped colormap over
  /// the program's own voxels (xac_abi.h). A slot nothing is mapped to answers with the program's
  /// own volume and colormap, so a program written for several volumes still draws its own.
  template <typename T>
  LIBINDEX_XAC_FN T access(uint slot) const {
    return T(is_mapped(slot) ? &frame_->slots[slot] : &frame_->volume);
  }
  template <typename T>
  LIBINDEX_XAC_FN bool is_valid_element(uint slot) const {
    return is_mapped(slot);
  }
  /// Between the world (where the camera and sample_info.scene_position are) and the scene root's
  /// own space, which index::scaling and index::translation place in the world. NVIDIA's seismic
  /// gridlines program turns a grid spacing given in the scene's units into world units with
  /// get_world_to_scene_transform_inverse().
  LIBINDEX_XAC_FN float4x4 get_world_to_scene_transform() const {
    return inverse_scale_translate(frame_->root_scaling, frame_->root_translation);
  }
  LIBINDEX_XAC_FN float4x4 get_world_to_scene_transform_inverse() const { return get_scene_to_world_transform(); }
  LIBINDEX_XAC_FN float4x4 get_scene_to_world_transform() const {
    return scale_translate(frame_->root_scaling, frame_->root_translation);
  }

 private:
  LIBINDEX_XAC_FN bool is_mapped(uint slot) const {
    return slot < LIBINDEX_XAC_MAX_SLOTS && ((frame_->mapped_slots >> slot) & 1u) != 0u;
  }
  const LibindexXacFrame* frame_;
};

struct Sample_info_self {
  float3 sample_position_object_space;
  float3 sample_position; ///< the same point (older programs' name)
  float3 scene_position;
  float3 ray_direction;
  float ray_t;
  Sample_context sample_context;
  Sample_cell_info sample_cell_info;
  /// Surface programs: the surface's own colour at the point (a plane's value through its colormap)
  /// and its unit normal, scene space.
  float4 sample_color;
  float3 sample_normal;
};

class Sample_output {
 public:
  LIBINDEX_XAC_FN void set_color(const float4& c) { color = c; }
  LIBINDEX_XAC_FN const float4& get_color() const { return color; }
  float4 color = make_float4(0.0f);
};

/// What a program reads through `state`. A surface program on a slice plane gets the same: `self` is
/// the volume under the plane with the plane's colormap (get_colormap), the slots and buffers its own.
class Volume_sample_program_state {
 public:
  LIBINDEX_XAC_FN explicit Volume_sample_program_state(const LibindexXacFrame* frame)
      : self(&frame->volume), scene(frame), volume(&frame->volume), colormap(&frame->volume), frame_(frame) {}
  Sparse_volume self;
  Scene scene;
  /// The first programs' names (IndeX 1.x): the volume and its colormap straight on the state.
  Sparse_volume volume;
  Colormap colormap;
  /// The parameter buffer of `slot` from its `offset`-th element of T on: LIBINDEX_XAC_BUFFER_BYTES
  /// of data, zeros after what was given; a slot beyond the last, or an offset past the slot's end,
  /// reads zeros too.
  template <typename T>
  LIBINDEX_XAC_FN const T* bind_parameter_buffer(uint slot, uint offset = 0u) const {
    const unsigned long long skip = (unsigned long long)offset * sizeof(T);
    if (slot >= LIBINDEX_XAC_MAX_BUFFERS || skip + sizeof(T) > LIBINDEX_XAC_BUFFER_BYTES)
      return reinterpret_cast<const T*>(frame_->zero_buffer);
    return reinterpret_cast<const T*>(frame_->buffers[slot] + skip);
  }

 private:
  const LibindexXacFrame* frame_;
};

namespace detail {
/// The frame the calling thread evaluates, set by the entry point (on the GPU: one per launch).
static LIBINDEX_XAC_THREAD_LOCAL const LibindexXacFrame* g_current_frame = nullptr;
LIBINDEX_XAC_FN const LibindexXacFrame* current_frame() { return g_current_frame; }
} // namespace detail

} // namespace xac

namespace xaclib {
/// Central differences `dh` apart in object space, divided by 2 dh: the value's gradient.
template <xac::Volume_filter_mode Mode = xac::Volume_filter_mode::TRILINEAR>
LIBINDEX_XAC_FN float3 volume_gradient(const xac::Sparse_volume& volume, const float3& p, uint field_index = 0u,
                                       float dh = 1.0f) {
  const auto s = volume.generate_sampler<float, Mode>(field_index);
  const float inv = 0.5f / dh;
  return make_float3(s.fetch_sample(make_float3(p.x + dh, p.y, p.z)) - s.fetch_sample(make_float3(p.x - dh, p.y, p.z)),
                     s.fetch_sample(make_float3(p.x, p.y + dh, p.z)) - s.fetch_sample(make_float3(p.x, p.y - dh, p.z)),
                     s.fetch_sample(make_float3(p.x, p.y, p.z + dh)) -
                         s.fetch_sample(make_float3(p.x, p.y, p.z - dh))) *
         inv;
}
LIBINDEX_XAC_FN float3 volume_gradient(const xac::Sparse_volume& volume, const float3& p, float dh = 1.0f) {
  return volume_gradient<xac::Volume_filter_mode::TRILINEAR>(volume, p, 0u, dh);
}
LIBINDEX_XAC_FN float3 volume_gradient(const xac::Sparse_volume& volume, const xac::Sample_cell_info& cell,
                                       float dh = 1.0f) {
  return volume_gradient(volume, cell.position, dh);
}
/// Blinn-Phong lit by a light at the eye (libindex's reading of IndeX's helper): two-sided diffuse
/// |n.l|^diffuse_falloff plus ambient, specular |n.h|^shininess in `specular_color`; alpha kept.
LIBINDEX_XAC_FN float4 headlight_shading(const xac::Scene& /*scene*/, const float3& normal,
                                         const float3& view_direction, const float4& color,
                                         const float4& specular_color, float diffuse_falloff, float shininess,
                                         float ambient_factor) {
  const float n_dot_l = fabsf(dot(normal, view_direction)); // light and eye along the ray: h = l
  const float diffuse = powf(n_dot_l, diffuse_falloff), specular = powf(n_dot_l, shininess);
  const float3 rgb = make_float3(color) * (ambient_factor + diffuse) + make_float3(specular_color) * specular;
  return clamp(make_float4(rgb, color.w), 0.0f, 1.0f);
}
LIBINDEX_XAC_FN float4 gamma_correct(const float4& c, float gamma) {
  return make_float4(powf(c.x, gamma), powf(c.y, gamma), powf(c.z, gamma), c.w);
}
LIBINDEX_XAC_FN float3 gamma_correct(const float3& c, float gamma) {
  return make_float3(powf(c.x, gamma), powf(c.y, gamma), powf(c.z, gamma));
}
LIBINDEX_XAC_FN bool is_inside_bounding_box(const float3& lo, const float3& hi, const float3& p) {
  return p.x >= lo.x && p.y >= lo.y && p.z >= lo.z && p.x <= hi.x && p.y <= hi.y && p.z <= hi.z;
}
} // namespace xaclib

} // namespace index
} // namespace nv

// Opens a program class: the types of execute()'s parameters (programs name them unqualified), then
// `state` (the volume, the scene, the parameter buffers), first so that members initialized from it (`const Colormap
// colormap = state.self.get_colormap();`) can use it.
#define NV_IDX_VOLUME_SAMPLE_PROGRAM                                                                                   \
 public:                                                                                                               \
  using Sample_info_self = ::nv::index::xac::Sample_info_self;                                                         \
  using Sample_output = ::nv::index::xac::Sample_output;                                                               \
  const ::nv::index::xac::Volume_sample_program_state state{::nv::index::xac::detail::current_frame()};                \
                                                                                                                       \
 private:
#define NV_IDX_SURFACE_SAMPLE_PROGRAM NV_IDX_VOLUME_SAMPLE_PROGRAM
