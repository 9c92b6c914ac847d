// SPDX-License-Identifier: Apache-2.0
#include "program_march.h"

#include <vector>

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
}

Vec4f ProgramClassifier::sample(Vec3f p, float t, Vec3f dir) const {
  return program_sample(execute, &frame->abi, p, scaling, translation, t, dir);
}

} // namespace libindex::kernels
