// SPDX-License-Identifier: Apache-2.0
#include "cpu_backend.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "../src/brick_cache.h"
#include "../src/parallel.h"
#include "../src/program_march.h"
#include "../src/tiles.h"
#include "libindex/error.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/sampler.h"
#include "packets.h"

namespace libindex::kernels {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(bool ray_packets) : packet_isa_(ray_packets ? cpu_packet_isa() : nullptr) {}

  std::string name() const override {
    const int threads = worker_threads();
    return "cpu (" + std::to_string(threads) + (threads == 1 ? " thread, " : " threads, ") +
           (packet_isa_ ? std::string(packet_isa_) + " ray packets" : std::string("one ray at a time")) + ")";
  }
  BackendKind kind() const override { return BackendKind::cpu; }
  bool mix_in_packets() const override { return packet_isa_ != nullptr; }

  RenderStats render(const BrickView& brick, const FrameParams& frame, ImageView out) override {
    const auto start = std::chrono::steady_clock::now();
    if (brick.on_device)
      throw Error("the CPU backend cannot read voxels in GPU memory (a device pointer): render them with the CUDA "
                  "backend, or hand over a host copy");
    RenderStats stats;
    stats.active = active_rect(brick, frame);
    if (!stats.active.empty()) {
      const ColormapView colormap = frame.colormap.view();
      SkipGridView skip;
      // A program may colour what the colormap hides: no skipping by the colormap then.
      const bool program = frame.program && frame.program->usable();
      if (frame.settings.empty_space_skipping && !program) {
        const SkipCells& cells = cache_.skip_cells(brick, frame.colormap);
        skip = cache_.grid(brick).view(cells.empty_radius.data(), cells.occupied);
      }
      const MarchParams params = make_march_params(brick, frame, colormap, skip);
      stats.active = intersect(stats.active, active_rect(params, frame));
      const bool plane_program = params.plane_count > 0 && frame.first_plane_program();
      if (program || plane_program)
        stats.samples = visit_dtype(brick.dtype, [&](auto tag) {
          return launch_programs<typename decltype(tag)::type>(
              params, brick, frame, program, plane_program, packet_isa_ && packet_path_fits(brick), stats.active, out);
        });
      else if (packet_isa_ && packet_path_fits(brick))
        stats.samples = launch_packets(params, brick, stats.active, out, frame);
      else
        stats.samples = visit_dtype(brick.dtype, [&](auto tag) {
          return launch<typename decltype(tag)::type>(params, brick, stats.active, out, frame);
        });
      if (frame.cancel && frame.cancel->load(std::memory_order_relaxed)) throw Error("frame cancelled");
    }
    stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return stats;
  }

 private:
  static long long launch_packets(const MarchParams& params, const BrickView& brick, Rect r, ImageView out,
                                  const FrameParams& frame) {
    return for_each_tile(r, frame, [&](Rect tile) { return march_packets(params, brick, tile, out); });
  }

  template <class T>
  static long long launch(const MarchParams& params, const BrickView& brick, Rect r, ImageView out,
                          const FrameParams& frame) {
    const DenseSampler<T> sampler = make_dense_sampler(brick, static_cast<const T*>(brick.data));
    return for_each_tile(r, frame, [&](Rect tile) {
      unsigned long long samples = 0;
      for (int y = tile.y0; y < tile.y1; ++y)
        for (int x = tile.x0; x < tile.x1; ++x) out.at(x, y) = march_ray(params, sampler, x, y, samples);
      return samples;
    });
  }

  /// Each sample coloured by the frame's sample program (`program`; one ray at a time), and the slice
  /// planes by their surface sample programs (`plane_program`: some plane has one; in ray packets
  /// where the volume has no program and `packets` may march the brick).
  template <class T>
  static long long launch_programs(const MarchParams& params, const BrickView& brick, const FrameParams& frame,
                                   bool program, bool plane_program, bool packets, Rect r, ImageView out) {
    const ProgramVolume<T> volume(brick);
    const Vec3f scaling = {1.0f / params.inv_scaling.x, 1.0f / params.inv_scaling.y, 1.0f / params.inv_scaling.z};
    std::unique_ptr<const ProgramFrame> samples_frame;
    if (program)
      samples_frame = std::make_unique<const ProgramFrame>(frame, params, brick, &volume, &ProgramVolume<T>::fetch);
    const ProgramClassifier classify{samples_frame.get(), program ? frame.program->execute : nullptr, scaling,
                                     params.translation};
    const PlanePrograms plane_programs(frame, params, brick, &volume, &ProgramVolume<T>::fetch);
    const ProgramPlanes& planes = plane_programs.shader(); // each plane its program (or none) and colormap
    const auto march = [&](int x, int y, unsigned long long& n) {
      if (program && plane_program) return march_ray(params, volume.sampler, classify, x, y, n, planes);
      if (program) return march_ray(params, volume.sampler, classify, x, y, n);
      return march_ray(params, volume.sampler, TableClassifier{params.colormap}, x, y, n, planes);
    };
    return for_each_guarded_tile(r, frame, [&](Rect tile, unsigned long long& n) {
      if (packets && !program) {
        n += march_packets(params, brick, tile, out, &planes);
        return;
      }
      for (int y = tile.y0; y < tile.y1; ++y)
        for (int x = tile.x0; x < tile.x1; ++x) out.at(x, y) = march(x, y, n);
    });
  }

  const char* packet_isa_;
  BrickCache cache_;
};

} // namespace

// Asked here, in a unit built for the baseline CPU: the packet unit may use any instruction.
bool cpu_supports(const char* isa) {
  const std::string name = isa ? isa : "";
  if (name == "avx512")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (name == "avx2") return __builtin_cpu_supports("avx2");
  return false;
}

std::unique_ptr<Backend> make_cpu_backend(bool ray_packets) { return std::make_unique<CpuBackend>(ray_packets); }

const char* cpu_packet_isa() { return cpu_supports(packet_isa()) ? packet_isa() : nullptr; }

} // namespace libindex::kernels
