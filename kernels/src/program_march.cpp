// SPDX-License-Identifier: Apache-2.0
#include "program_march.h"

#include <string>
#include <vector>

#include "libindex/error.h"

namespace libindex::kernels {
namespace {

void store(float* out, Vec3f v) { out[0] = v.x, out[1] = v.y, out[2] = v.z; }

} // namespace

ProgramFrame::ProgramFrame(const FrameParams& frame, const MarchParams& P, const BrickView& brick, const void* volume,
                           float (*fetch)(const void*, float, float, float, int))
    : colormap(P.colormap) {
  LibindexXacVolume& v = abi.volume;
  v.sampler = volume;
  v.fetch = fetch;
  v.colormap = &colormap;
  v.lookup = program_lookup;
  v.domain[0] = colormap.domain_min, v.domain[1] = colormap.domain_max;
  store(v.bbox_min, to_float(brick.volume.lo));
  store(v.bbox_max, to_float(brick.volume.hi));
  v.sample_distance = P.dt;
  static const std::vector<unsigned char> zeros(LIBINDEX_XAC_BUFFER_BYTES, 0);
  abi.zero_buffer = zeros.data();
  const SampleProgram& program = *frame.program;
  for (int i = 0; i < LIBINDEX_XAC_MAX_BUFFERS; ++i) {
    const auto& b = program.buffers[size_t(i)];
    abi.buffers[i] = b && b->size() >= LIBINDEX_XAC_BUFFER_BYTES ? b->data() : zeros.data();
  }
  store(abi.eye, frame.camera.from);
  store(abi.view_direction, P.frame.dir);
  store(abi.up, P.frame.up);
  store(abi.right, P.frame.right);
  store(abi.scaling, frame.settings.scaling);
  store(abi.translation, frame.settings.translation);
  map_slots(frame.program_slots);
}

void ProgramFrame::map_slots(std::span<const ProgramSlot> slots) {
  for (const ProgramSlot& s : slots) {
    if (s.slot < 0 || s.slot >= LIBINDEX_XAC_MAX_SLOTS)
      throw Error("a sample program's slot is " + std::to_string(s.slot) + "; slots are 0 to " +
                  std::to_string(LIBINDEX_XAC_MAX_SLOTS - 1));
    LibindexXacVolume& v = abi.slots[s.slot];
    v = abi.volume; // a colormap's slot reads the program's own voxels
    slot_colormaps_[s.slot] = s.colormap.view();
    v.colormap = &slot_colormaps_[s.slot];
    v.domain[0] = s.colormap.domain_min, v.domain[1] = s.colormap.domain_max;
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
      store(v.bbox_min, to_float(b.volume.lo));
      store(v.bbox_max, to_float(b.volume.hi));
    }
    abi.mapped_slots |= 1u << s.slot;
  }
}

Vec4f ProgramClassifier::sample(Vec3f p, float t, Vec3f dir) const {
  return program_sample(execute, &frame->abi, p, scaling, translation, t, dir);
}

} // namespace libindex::kernels
