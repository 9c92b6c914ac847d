// SPDX-License-Identifier: Apache-2.0
#include "program_march.h"

#include <atomic>
#include <string>
#include <vector>

#include "libindex/error.h"
#include "program_guard.h"
#include "tiles.h"

namespace libindex::kernels {
namespace {

void store(float* out, Vec3f v) { out[0] = v.x, out[1] = v.y, out[2] = v.z; }

} // namespace

LibindexXacFrame program_frame_abi(const FrameParams& frame, const MarchParams& P, const BrickView& brick,
                                   std::span<const ProgramSlot> slots) {
  LibindexXacFrame abi{};
  LibindexXacVolume& v = abi.volume;
  v.domain[0] = P.colormap.domain_min, v.domain[1] = P.colormap.domain_max;
  store(v.bbox_min, to_float(brick.volume.lo));
  store(v.bbox_max, to_float(brick.volume.hi));
  v.sample_distance = P.dt;
  store(v.scaling, frame.settings.scaling);
  store(v.translation, frame.settings.translation);
  store(abi.eye, frame.camera.from);
  store(abi.view_direction, P.frame.dir);
  store(abi.up, P.frame.up);
  store(abi.right, P.frame.right);
  store(abi.scaling, frame.settings.scaling);
  store(abi.translation, frame.settings.translation);
  store(abi.root_scaling, frame.scene_scaling);
  store(abi.root_translation, frame.scene_translation);
  for (const ProgramSlot& s : slots) {
    if (s.slot < 0 || s.slot >= LIBINDEX_XAC_MAX_SLOTS)
      throw Error("a sample program's slot is " + std::to_string(s.slot) + "; slots are 0 to " +
                  std::to_string(LIBINDEX_XAC_MAX_SLOTS - 1));
    LibindexXacVolume& m = abi.slots[s.slot];
    m = v; // a colormap's slot reads the program's own voxels
    m.domain[0] = s.colormap.domain_min, m.domain[1] = s.colormap.domain_max;
    if (s.volume.data) {
      store(m.bbox_min, to_float(s.volume.volume.lo));
      store(m.bbox_max, to_float(s.volume.volume.hi));
    }
    abi.mapped_slots |= 1u << s.slot;
  }
  return abi;
}

ProgramFrame::ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
                           float (*fetch)(const void*, float, float, float, int))
    : ProgramFrame(frame, P, brick, volume, fetch, *frame.program, frame.program_slots, P.colormap) {}

std::unique_ptr<ProgramFrame> ProgramFrame::for_plane(const FrameParams& frame, const MarchParams& P, int plane,
                                                      const BrickView& brick, const void* volume,
                                                      float (*fetch)(const void*, float, float, float, int)) {
  ColormapView planes = P.plane_colormaps[plane];
  planes.mode = BoundaryMode::clamp_to_edge; // as plane_color reads it
  return std::unique_ptr<ProgramFrame>(new ProgramFrame(frame, P, brick, volume, fetch,
                                                        *frame.plane_programs[size_t(plane)].program,
                                                        frame.plane_programs[size_t(plane)].slots, planes));
}

ProgramFrame::ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
                           float (*fetch)(const void*, float, float, float, int), const SampleProgram& program,
                           std::span<const ProgramSlot> slots, ColormapView colormap_view)
    : abi(program_frame_abi(frame, P, brick, slots)), colormap(colormap_view) {
  LibindexXacVolume& v = abi.volume;
  v.sampler = volume;
  v.fetch = fetch;
  v.colormap = &colormap;
  v.lookup = program_lookup;
  v.domain[0] = colormap.domain_min, v.domain[1] = colormap.domain_max;
  static const std::vector<unsigned char> zeros(LIBINDEX_XAC_BUFFER_BYTES, 0);
  abi.zero_buffer = zeros.data();
  for (int i = 0; i < LIBINDEX_XAC_MAX_BUFFERS; ++i) {
    const auto& b = program.buffers[size_t(i)];
    abi.buffers[i] = b && b->size() >= LIBINDEX_XAC_BUFFER_BYTES ? b->data() : zeros.data();
  }
  bind_slots(slots);
}

void ProgramFrame::bind_slots(std::span<const ProgramSlot> slots) {
  for (const ProgramSlot& s : slots) {
    LibindexXacVolume& v = abi.slots[s.slot];
    v.sampler = abi.volume.sampler, v.fetch = abi.volume.fetch; // a colormap's slot: the program's own voxels
    slot_colormaps_[s.slot] = s.colormap.view();
    v.colormap = &slot_colormaps_[s.slot];
    v.lookup = program_lookup;
    if (const BrickView& b = s.volume; b.data) {
      if (b.on_device)
        throw Error("the volume mapped to slot " + std::to_string(s.slot) + " of a sample program is in GPU memory");
      visit_dtype(b.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto volume = std::make_shared<const ProgramVolume<T>>(b);
        v.sampler = volume.get();
        v.fetch = &ProgramVolume<T>::fetch;
        slot_volumes_.push_back(std::move(volume));
      });
    }
  }
}

Vec4f ProgramClassifier::sample(Vec3f p, float t, Vec3f dir) const {
  return program_sample(execute, &frame->abi, p, scaling, translation, t, dir);
}

PlanePrograms::PlanePrograms(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
                             float (*fetch)(const void*, float, float, float, int)) {
  shader_.scaling = {1.0f / P.inv_scaling.x, 1.0f / P.inv_scaling.y, 1.0f / P.inv_scaling.z};
  shader_.translation = P.translation;
  for (int i = 0; i < P.plane_count; ++i) {
    const auto& own = frame.plane_programs[size_t(i)].program;
    if (!own || !own->usable()) continue;
    frames_[i] = ProgramFrame::for_plane(frame, P, i, brick, volume, fetch);
    shader_.frames[i] = frames_[i].get();
    shader_.execute[i] = own->execute;
  }
}

int& ProgramPlanes::running() {
  thread_local int plane = -1;
  return plane;
}

Vec4f ProgramPlanes::run(int plane, Vec3f p, float t, Vec3f dir, Vec4f color, Vec3f normal) const {
  // The side the ray comes from: a plane's normal as a surface shows it. A discarded point is
  // transparent: the plane is not there.
  const Vec3f facing = dot(normal, dir) > 0.0f ? normal * -1.0f : normal;
  running() = plane;
  const Vec4f c = program_sample(execute[plane], &frames[plane]->abi, p, scaling, translation, t, dir, color, facing);
  running() = -1;
  return c;
}

long long for_each_guarded_tile(Rect r, const FrameParams& frame,
                                const std::function<void(Rect, unsigned long long&)>& march) {
  std::atomic<int> fault{0}, faulted_plane{-1};
  const long long samples = for_each_tile(r, frame, [&](Rect tile) {
    unsigned long long n = 0;
    if (fault.load(std::memory_order_relaxed)) return n;
    ProgramPlanes::running() = -1;
    if (const int f = run_guarded([&] { march(tile, n); })) {
      fault = f;
      if (const int plane = ProgramPlanes::running(); plane >= 0) faulted_plane = plane;
    }
    return n;
  });
  if (const int f = fault.load()) fail_faulted_program(frame, faulted_plane.load(), f);
  return samples;
}

void fail_faulted_program(const FrameParams& frame, int plane, int signal) {
  const SampleProgram& crashed = plane >= 0 ? *frame.plane_programs.at(size_t(plane)).program : *frame.program;
  crashed.fault = signal;
  throw Error(std::string(plane >= 0 ? "the surface sample program " : "the sample program ") + crashed.name +
              " crashed with " + describe_signal(signal) + ": it is off from now on (" +
              (plane >= 0 ? "its planes show their colormap" : "its volume renders with the colormap") +
              "); fix it and set it again");
}

} // namespace libindex::kernels
