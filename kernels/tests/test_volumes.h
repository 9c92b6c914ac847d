// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Volumes and frames for kernel tests, made in memory (kernels/ tests need no io module).
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <initializer_list>
#include <utility>

#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/kernels/backend.h"
#include "libindex/volume.h"

namespace libindex::test {

/// A volume whose voxel (i,j,k) holds field(centre) for centre (i+1/2, j+1/2, k+1/2), quantized to `t`.
Brick make_volume(Vec3i size, DType t, const std::function<float(Vec3f)>& field);
inline Brick constant_volume(Vec3i size, DType t, float v) {
  return make_volume(size, t, [v](Vec3f) { return v; });
}
/// The Marschner-Lobb signal over [-1,1]^3 sampled at n^3 voxel centres (float32).
Brick marschner_lobb(int n);
/// A soft ball: 1 - r/(0.4 n) around the centre, 0 outside (float32).
Brick ball(int n);

/// The voxels of `owned` grown by `ghost` (clipped to the volume) copied out of `whole`, as a rank's
/// brick; `storage` keeps them.
BrickView sub_brick(const Brick& whole, const Box3i& owned, int ghost, Brick& storage);

/// `whole` split at x = split into two bricks with `ghost` voxels, each rendered alone and composited
/// with `over`, the x < split brick in front (the eye must be at x < split): what ranks owning the
/// two halves give.
Image render_split_at_x(kernels::Backend& backend, const Brick& whole, int split, int ghost, const FrameParams& f);
/// A w x h perspective view from `from` at the centre of a 24^3 volume, early termination off (a
/// rank stops its own brick early, not the ray).
FrameParams view_of_24_cube(Vec3f from, int w, int h);

/// An orthographic camera looking down -z at the xy-centre of a box [0,n]^2, image covering `extent`.
FrameParams ortho_down_z(float nx, float ny, float from_z, float extent, int w, int h);
/// A 48x40 perspective view of the box [0, size] from above and to the side: rays cross it obliquely.
FrameParams oblique_view(Vec3i size);
/// The largest difference of any channel of any pixel.
float max_difference(const Image& a, const Image& b);
/// A colormap of one constant straight color (two equal entries).
Colormap constant_colormap(Vec4f rgba);

/// Renders a brick view (part of a volume, or in device memory) with a backend into a fresh image.
Image render_view(kernels::Backend& backend, const BrickView& view, const FrameParams& f, RenderStats* s = nullptr);
/// Renders a whole brick with a backend into a fresh image.
Image render_whole(kernels::Backend& backend, const Brick& b, const FrameParams& f, RenderStats* s = nullptr);
/// Renders whole bricks mixed per sample (Backend::render_mixed), each with its frame, into a fresh image.
Image render_mix(kernels::Backend& backend, std::initializer_list<std::pair<const Brick*, const FrameParams*>> layers,
                 RenderStats* stats = nullptr);

/// A surface sample program (IndeX's surface_sample_program, file "surface.xac") whose execute()
/// runs `body`, compiled for the CPU.
std::shared_ptr<const SampleProgram> surface_program(const std::string& body);
/// `program` on every plane.
std::array<PlaneProgram, kMaxSlicePlanes> every_plane(std::shared_ptr<const SampleProgram> program);

} // namespace libindex::test
