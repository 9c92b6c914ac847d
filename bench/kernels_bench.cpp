// SPDX-License-Identifier: Apache-2.0
// Ray-march throughput: samples per second, 256^3 uint8, 1024^2 image, skipping off and on, on one
// core and on all cores (CPU, in SIMD packets and one ray at a time) and on the GPU when one answers
// (hardware and software trilinear); and BM_CpuLarge: the same kind of volume at 256^3, 633^3 and
// 1024^3 from an axis, a face diagonal and the body diagonal, shading off and on (does the rate hold
// for volumes far larger than the caches, and what does shading cost?), and BM_CpuLargeVoxelStep: the
// large volumes at 256^3's step in voxels; BM_Mixed: two volumes mixed per
// sample against one; BM_SampleProgram: a compiled volume sample program against the built-in
// colormap; BM_SurfacePlanes: slice planes with and without a surface program; BM_SkipGridBuild: a new brick's macro
// cells on the CPU; on the GPU also BM_CudaLarge (the large volumes at 1080p), BM_CudaUpload (a new brick each frame),
// BM_CudaFrameCopyBack (the image back to the host at 1080p and 4K), BM_CudaSampleProgram and BM_CudaMixed. Needs only
// the kernels module.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <utility>

#include "../kernels/cpu/cpu_backend.h"
#include "libindex/config.h"
#include "../kernels/src/parallel.h"
#include "libindex/kernels/backend.h"
#include "libindex/kernels/local_values.h"
#include "libindex/kernels/sample_program.h"
#include "libindex/kernels/skip_grid.h"
#if LIBINDEX_WITH_TBB
#include <tbb/global_control.h>
#endif

using namespace libindex;

namespace {

// A cloud of shells with empty corners, so skipping has something to skip (as real data does).
const Brick& volume() {
  static const Brick b = [] {
    const int n = 256;
    Brick v({{0, 0, 0}, {n, n, n}}, DType::uint8);
    size_t i = 0;
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x, ++i) {
          const float px = (x + 0.5f) / n - 0.5f, py = (y + 0.5f) / n - 0.5f, pz = (z + 0.5f) / n - 0.5f;
          const float r = std::sqrt(px * px + py * py + pz * pz);
          const float shell = std::exp(-std::pow((r - 0.3f) / 0.05f, 2.0f)) *
                              (0.6f + 0.4f * std::sin(40 * px) * std::sin(37 * py) * std::sin(31 * pz));
          v.data<uint8_t>()[i] = uint8_t(255 * std::clamp(shell + (r < 0.08f ? 0.7f : 0.0f), 0.0f, 1.0f));
        }
    return v;
  }();
  return b;
}

/// A cloud of shells like volume() at any size (n^3 uint8), generated in parallel from integer
/// arithmetic so that 1024^3 takes seconds; kept per size for the whole run.
const Brick& large_volume(int n) {
  static std::map<int, std::unique_ptr<Brick>> volumes;
  auto& v = volumes[n];
  if (v) return *v;
  v = std::make_unique<Brick>(Box3i{{0, 0, 0}, {n, n, n}}, DType::uint8);
  uint8_t* data = v->data<uint8_t>();
  const float inv = 1.0f / float(n);
  kernels::parallel_for(n, [&](int z) {
    uint8_t* slice = data + size_t(z) * n * n;
    const float pz = (z + 0.5f) * inv - 0.5f;
    for (int y = 0; y < n; ++y) {
      const float py = (y + 0.5f) * inv - 0.5f;
      for (int x = 0; x < n; ++x) {
        const float px = (x + 0.5f) * inv - 0.5f;
        const float r = std::sqrt(px * px + py * py + pz * pz), d = (r - 0.3f) / 0.05f;
        // Ripples on the shell from a cheap lattice pattern instead of three sines.
        const unsigned h = (unsigned(x * 40 / n) ^ unsigned(y * 37 / n) ^ unsigned(z * 31 / n)) & 3u;
        const float shell = (d * d < 9.0f ? 1.0f - d * d / 9.0f : 0.0f) * (0.6f + 0.13f * float(h));
        slice[size_t(y) * n + x] = uint8_t(255 * std::clamp(shell + (r < 0.08f ? 0.7f : 0.0f), 0.0f, 1.0f));
      }
    }
  });
  return *v;
}

/// large_volume(256)'s shell in the whole range of type t, kept per type for the run.
const Brick& typed_volume(DType t) {
  static std::map<int, std::unique_ptr<Brick>> bricks;
  auto& b = bricks[int(t)];
  if (b) return *b;
  const Brick& u8 = large_volume(256);
  b = std::make_unique<Brick>(u8.box, t);
  const long long n = u8.box.voxel_count();
  for (long long i = 0; i < n; ++i) {
    const float v = float(u8.data<uint8_t>()[i]) / 255.0f;
    if (t == DType::uint16) b->data<uint16_t>()[i] = uint16_t(v * 65535.0f);
    if (t == DType::int16) b->data<int16_t>()[i] = int16_t(v * 65534.0f - 32767.0f);
    if (t == DType::float32) b->data<float>()[i] = v * 100.0f - 20.0f;
  }
  if (t == DType::uint8) std::copy(u8.bytes.begin(), u8.bytes.end(), b->bytes.begin());
  return *b;
}

/// The values of typed_volume(t) that map to the uint8 volume's [0, 1] (int16 voxels normalize to
/// [-1, 1], float32 stay as stored).
std::pair<float, float> typed_volume_domain(DType t) {
  const float lo[4] = {0, 0, -1, -20}, hi[4] = {1, 1, 1, 80}; // uint8, uint16, int16, float32
  return {lo[int(t)], hi[int(t)]};
}

FrameParams frame(bool skipping, bool hardware_filtering = true) {
  FrameParams f;
  f.width = f.height = 1024;
  f.camera.from = {128, 128, 560};
  f.camera.dir = {0, 0, -1};
  f.camera.up = {0, 1, 0};
  f.camera.focal = 1.0f;
  f.camera.aperture = 0.75f; // the volume fills the view
  f.colormap = colormap_preset("inferno", 0.3f);
  f.colormap.domain_min = 0.1f; // low densities transparent, as a user would set it
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.settings.empty_space_skipping = skipping;
  f.settings.hardware_filtering = hardware_filtering;
  return f;
}

/// Frames of `brick` (the 256^3 volume unless named) as fast as they come; samples/s and per frame.
/// Times `render` (a frame into `image`, returning its samples); the first frame, which uploads and
/// builds the skip grid, is not timed.
template <class Render>
void time_frames(benchmark::State& state, const Image& image, const Render& render) {
  render();
  long long samples = 0;
  for (auto _ : state) {
    samples += render();
    benchmark::DoNotOptimize(image.pixels().data());
  }
  state.counters["samples/s"] = benchmark::Counter(double(samples), benchmark::Counter::kIsRate);
  state.counters["samples/frame"] = double(samples) / double(state.iterations());
}

void march(benchmark::State& state, kernels::Backend& backend, const FrameParams& f, const Brick& brick = volume()) {
  Image image(f.width, f.height);
  time_frames(state, image, [&] { return backend.render(whole_view(brick), f, image.view()).samples; });
}

void BM_Cpu(benchmark::State& state) {
  const bool skipping = state.range(0) != 0, one_core = state.range(1) != 0, packets = state.range(2) != 0;
#if LIBINDEX_WITH_TBB
  std::unique_ptr<tbb::global_control> limit;
  if (one_core) limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, 1);
#else
  if (one_core) {
    state.SkipWithError("per-core numbers need TBB");
    return;
  }
#endif
  if (packets && !kernels::cpu_packet_isa()) {
    state.SkipWithError("no SIMD ray packets in this build or on this CPU");
    return;
  }
  auto backend = kernels::make_cpu_backend(packets);
  state.SetLabel(backend->name());
  march(state, *backend, frame(skipping));
}
// packets:0 is march_ray one pixel at a time (what the GPU runs per thread); packets:1 the SIMD packets.
BENCHMARK(BM_Cpu)
    ->ArgNames({"skip", "one_core", "packets"})
    ->ArgsProduct({{0, 1}, {1, 0}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// Views of large_volume(n): along z, along the xy face diagonal, along the body diagonal; 480 x 360
// with the volume filling the view, so every size takes the same number of samples per frame.
FrameParams large_frame(int n, int view, bool shading, bool skipping) {
  FrameParams f = frame(skipping);
  f.width = 480, f.height = 360;
  f.camera.aspect = 480.0f / 360.0f;
  const Vec3f centre{0.5f * n, 0.5f * n, 0.5f * n};
  const Vec3f dirs[3] = {{0, 0, -1}, {-0.70710678f, -0.70710678f, 0}, {-0.57735027f, -0.57735027f, -0.57735027f}};
  f.camera.dir = dirs[view];
  f.camera.up = view == 0 ? Vec3f{0, 1, 0} : Vec3f{0, 0, 1};
  if (view == 2) f.camera.up = normalize(Vec3f{-0.40824829f, -0.40824829f, 0.81649658f});
  f.camera.from = centre - f.camera.dir * (2.2f * n);
  f.settings.sampling_distance = 0.5f * n / 256.0f; // the same samples per ray at every size
  f.settings.shading.enabled = shading;
  return f;
}

/// ", axis", ", face diagonal" or ", body diagonal": the label of large_frame's view.
const char* view_label(int view) { return view == 0 ? ", axis" : view == 1 ? ", face diagonal" : ", body diagonal"; }

void BM_CpuLarge(benchmark::State& state) {
  const int n = int(state.range(0)), view = int(state.range(1));
  const bool shading = state.range(2) != 0, skipping = state.range(3) != 0;
  auto backend = kernels::make_cpu_backend(true);
  state.SetLabel(backend->name() + view_label(view));
  march(state, *backend, large_frame(n, view, shading, skipping), large_volume(n));
}
BENCHMARK(BM_CpuLarge)
    ->ArgNames({"n", "view", "shading", "skip"})
    ->ArgsProduct({{256, 633, 1024}, {0, 1, 2}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// BM_CpuLarge/n:256's axis view of the same shell stored as each type, shaded or not, skipping on:
// what a type costs the marcher's reads (the gradient reads 32 voxels a sample).
void BM_CpuTypes(benchmark::State& state) {
  const DType t = DType(state.range(0));
  const Brick& b = typed_volume(t);
  const auto [lo, hi] = typed_volume_domain(t);
  FrameParams f = large_frame(256, 0, state.range(1) != 0, true);
  f.colormap.domain_min = lo + 0.1f * (hi - lo), f.colormap.domain_max = hi;
  auto backend = kernels::make_cpu_backend(true);
  state.SetLabel(backend->name() + ", " + to_string(t));
  march(state, *backend, f, b);
}
BENCHMARK(BM_CpuTypes)
    ->ArgNames({"dtype", "shading"})
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// The same views with the step fixed at 0.5 voxels, as at 256^3, instead of scaled with n: rays of
// 2.5x (633^3) and 4x (1024^3) the samples, consecutive samples sharing cache lines as they do at
// 256^3. Against BM_CpuLarge/n:256, the rate that the storage layout alone keeps on a large volume.
void BM_CpuLargeVoxelStep(benchmark::State& state) {
  const int n = int(state.range(0)), view = int(state.range(1));
  auto backend = kernels::make_cpu_backend(true);
  state.SetLabel(backend->name() + view_label(view));
  FrameParams f = large_frame(n, view, state.range(2) != 0, false);
  f.settings.sampling_distance = 0.5f;
  march(state, *backend, f, large_volume(n));
}
BENCHMARK(BM_CpuLargeVoxelStep)
    ->ArgNames({"n", "view", "shading"})
    ->ArgsProduct({{633, 1024}, {0, 1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// What a new brick costs the CPU before its first skipping frame: every macro cell's value range
// (the CUDA backend builds them on the GPU instead: BM_CudaUpload/skip:1).
void BM_SkipGridBuild(benchmark::State& state) {
  const Brick& v = large_volume(int(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(kernels::MacroCellGrid::build(whole_view(v)).cell_count());
}
BENCHMARK(BM_SkipGridBuild)->ArgName("n")->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a new brick or time step costs before its first frame besides the skip grid: the statistics
// of its voxels (data range and histogram, Session::statistics), as a 256^3 brick of each type. The
// 8- and 16-bit types are counted by stored value in one pass; float32 takes two.
void BM_LocalValues(benchmark::State& state) {
  const DType t = DType(state.range(0));
  const Brick& b = typed_volume(t);
  const BrickView view = whole_view(b);
  for (auto _ : state) {
    const kernels::LocalValues local = kernels::local_values(view, b.box);
    ValueStatistics s = local.range;
    kernels::add_local_histogram(view, b.box, local, s);
    benchmark::DoNotOptimize(s.histogram.data());
  }
  state.SetLabel(to_string(t));
}
BENCHMARK(BM_LocalValues)->ArgName("dtype")->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a colormap change costs before the next frame: the occupancy of every macro cell, the empty
// radius (chamfer sweeps) and the occupied box, for one brick of n^3 voxels (8^3 cells).
void BM_SkipGridPerColormap(benchmark::State& state) {
  const int n = int(state.range(0));
  const Brick& v = large_volume(n);
  const kernels::MacroCellGrid grid = kernels::MacroCellGrid::build(whole_view(v));
  const FrameParams f = frame(true);
  const ColormapView colormap = f.colormap.view();
  for (auto _ : state) {
    const std::vector<uint8_t> occupancy = grid.occupancy(colormap);
    const std::vector<uint8_t> radius = grid.empty_radius(occupancy);
    benchmark::DoNotOptimize(radius.data());
    benchmark::DoNotOptimize(grid.occupied_box(occupancy));
  }
  state.counters["cells"] = double(grid.cell_count());
}
BENCHMARK(BM_SkipGridPerColormap)->ArgName("n")->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

// Two volumes on one grid mixed per sample (kernels/mix.h) against the same volume alone through
// render(): what the mix costs per lattice point, with empty-space skipping off and on, one ray at a
// time and in SIMD packets. `volumes`: 1 is the single-volume path, 2 the mix of the volume with
// itself under a second colormap.
/// BM_Mixed's frames through `backend`: one volume, or the volume mixed with itself (`volumes`).
void mixed(benchmark::State& state, kernels::Backend& backend, int volumes, bool skipping) {
  FrameParams first = frame(skipping);
  first.width = first.height = 512; // a quarter of the pixels: one ray at a time is slow
  FrameParams second = first;
  second.colormap = colormap_preset("viridis", 0.2f);
  second.colormap.domain_min = 0.3f;
  second.colormap.mode = BoundaryMode::clamp_to_transparent;
  Image image(first.width, first.height);
  const kernels::MixedLayer layers[2] = {{whole_view(volume()), &first}, {whole_view(volume()), &second}};
  time_frames(state, image, [&] {
    return volumes == 1 ? backend.render(whole_view(volume()), first, image.view()).samples
                        : backend.render_mixed(layers, image.view()).samples;
  });
}

void BM_Mixed(benchmark::State& state) {
  const bool packets = state.range(2) != 0;
  if (packets && !kernels::cpu_packet_isa()) {
    state.SkipWithError("no SIMD ray packets in this build or on this CPU");
    return;
  }
  auto backend = kernels::make_cpu_backend(packets);
  mixed(state, *backend, int(state.range(0)), state.range(1) != 0);
}
BENCHMARK(BM_Mixed)
    ->ArgNames({"volumes", "skip", "packets"})
    ->ArgsProduct({{1, 2}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A volume sample program (IndeX XAC, compiled at run time) against the built-in colormap path, one
// ray at a time without skipping in both (what a program forces: it may colour what the colormap
// hides). program 0: built-in; 1: a program that looks the colormap up (the call's own cost); 2: one
// that adds a central-difference gradient (6 more fetches) and a headlight, as public programs do.
const char* const kBenchPrograms[] = {nullptr,
                                      R"(class Volume_sample_program {
  NV_IDX_VOLUME_SAMPLE_PROGRAM
  const nv::index::xac::Colormap colormap = state.self.get_colormap();
public:
  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}
  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {
    out.set_color(colormap.lookup(state.self.generate_sampler<float>(0u, info.sample_context)
                                      .fetch_sample(info.sample_position_object_space)));
    return NV_IDX_PROG_OK;
  }
};)",
                                      R"(using namespace nv::index;
class Volume_sample_program {
  NV_IDX_VOLUME_SAMPLE_PROGRAM
public:
  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}
  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {
    const float3& p = info.sample_position_object_space;
    const float4 c = state.self.get_colormap().lookup(state.self.generate_sampler<float>().fetch_sample(p));
    if (c.w < 0.01f) return NV_IDX_PROG_DISCARD_SAMPLE;
    const float3 g = xaclib::volume_gradient(state.self, p, 1.0f);
    out.set_color(xaclib::headlight_shading(state.scene, -normalize(g), info.ray_direction, c, make_float4(1.0f),
                                            1.0f, 50.0f, 0.1f));
    return NV_IDX_PROG_OK;
  }
};)"};

/// BM_SampleProgram's frame: 512^2 without skipping, with bench program `which` (0: none); false
/// (the benchmark skipped, saying why) when it does not compile.
bool program_frame(benchmark::State& state, int which, FrameParams& f) {
  f = frame(false);
  f.width = f.height = 512;
  if (const char* text = kBenchPrograms[which]) {
    try {
      f.program = kernels::compile_sample_program({text, "bench.xac", 1});
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return false;
    }
  }
  return true;
}

void BM_SampleProgram(benchmark::State& state) {
  FrameParams f;
  if (!program_frame(state, int(state.range(0)), f)) return;
  auto backend = kernels::make_cpu_backend(false);
  march(state, *backend, f);
}
BENCHMARK(BM_SampleProgram)->ArgName("program")->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// BM_SurfacePlanes: two slice planes through the volume (512^2, skipping on, ray packets): the
/// built-in opaque planes (program 0), or a surface sample program that passes each plane's colour
/// on at half opacity (1), so rays that meet a plane go on behind it, one at a time. `volumes` 2:
/// the volume mixed with itself under a second colormap, as BM_Mixed's.
void BM_SurfacePlanes(benchmark::State& state) {
  FrameParams f = frame(true);
  f.width = f.height = 512;
  f.settings.plane_count = 2;
  f.settings.planes[0] = {{0, 0, 128}, {0, 0, 1}, {0, 1, 0}, 256, 256}; // across the middle, facing the eye
  f.settings.planes[1] = {{128, 0, 0}, {1, 0, 0}, {0, 0, 1}, 256, 256}; // lengthwise, edge on
  f.plane_colormaps.fill(colormap_preset("grayscale", 1.0f));
  if (state.range(0) == 1) {
    try {
      f.plane_programs[0].program = f.plane_programs[1].program = kernels::compile_sample_program(
          {"class Surface_sample_program {\n  NV_IDX_SURFACE_SAMPLE_PROGRAM\npublic:\n"
           "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
           "  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {\n"
           "    float4 c = info.sample_color;\n    c.w = 0.5f;\n    out.set_color(c);\n"
           "    return NV_IDX_PROG_OK;\n  }\n};\n",
           "bench_surface.xac", 1, kernels::ProgramTarget::surface});
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  auto backend = kernels::make_cpu_backend(true);
  if (state.range(1) == 1) return march(state, *backend, f);
  FrameParams second = f;
  second.colormap = colormap_preset("viridis", 0.2f);
  second.colormap.domain_min = 0.3f;
  second.colormap.mode = BoundaryMode::clamp_to_transparent;
  const kernels::MixedLayer layers[2] = {{whole_view(volume()), &f}, {whole_view(volume()), &second}};
  Image image(f.width, f.height);
  time_frames(state, image, [&] { return backend->render_mixed(layers, image.view()).samples; });
}
BENCHMARK(BM_SurfacePlanes)
    ->ArgNames({"program", "volumes"})
    ->ArgsProduct({{0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// The CUDA backend, or a skip that says why there is none. With the GPU paths that wait for
/// their first run on a device (programs, mixes) turned on, so that they are measured.
std::unique_ptr<kernels::Backend> cuda_backend(benchmark::State& state) {
  std::string reason;
  if (!kernels::cuda_device_available(&reason)) {
    state.SkipWithError(("no CUDA device: " + reason).c_str());
    return nullptr;
  }
  setenv("LIBINDEX_GPU_PROGRAMS", "on", 1);
  setenv("LIBINDEX_GPU_MIX", "on", 1);
  return kernels::make_backend(kernels::BackendKind::cuda, false);
}

void BM_Cuda(benchmark::State& state) {
  if (auto backend = cuda_backend(state)) march(state, *backend, frame(state.range(0) != 0, state.range(1) != 0));
}
BENCHMARK(BM_Cuda)
    ->ArgNames({"skip", "hw_filter"})
    ->ArgsProduct({{0, 1}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

// BM_SampleProgram on the GPU: the program linked with the marcher for programs (the first frame,
// which links it, is not timed) against the built-in path without skipping.
void BM_CudaSampleProgram(benchmark::State& state) {
  auto backend = cuda_backend(state);
  FrameParams f;
  if (!backend || !program_frame(state, int(state.range(0)), f)) return;
  march(state, *backend, f);
}
BENCHMARK(BM_CudaSampleProgram)->ArgName("program")->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_Mixed on the GPU (mix_kernel): the mix against the volume alone, skipping off and on.
void BM_CudaMixed(benchmark::State& state) {
  if (auto backend = cuda_backend(state)) mixed(state, *backend, int(state.range(0)), state.range(1) != 0);
}
BENCHMARK(BM_CudaMixed)
    ->ArgNames({"volumes", "skip"})
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// BM_CpuLarge's volumes and views on the GPU, at 1920 x 1080 (480 x 360 is too few rays to fill a
// GPU): does the rate hold for a volume of 1 GiB, and what do shading and skipping cost there?
void BM_CudaLarge(benchmark::State& state) {
  auto backend = cuda_backend(state);
  if (!backend) return;
  const int n = int(state.range(0)), view = int(state.range(1));
  FrameParams f = large_frame(n, view, state.range(2) != 0, state.range(3) != 0);
  f.width = 1920, f.height = 1080;
  f.camera.aspect = 1920.0f / 1080.0f;
  f.settings.hardware_filtering = state.range(4) != 0;
  state.SetLabel(view == 0 ? "axis" : view == 1 ? "face diagonal" : "body diagonal");
  march(state, *backend, f, large_volume(n));
}
BENCHMARK(BM_CudaLarge)
    ->ArgNames({"n", "view", "shading", "skip", "hw_filter"})
    ->ArgsProduct({{256, 1024}, {0, 2}, {0, 1}, {1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.3);

// A new brick every frame (the next time step, or a simulation's field after its update), seen by a
// 16 x 16 image: without skipping the time is the upload from pageable host memory into the 3D
// array; with skipping also the skip grid's value ranges (built on the GPU from a staged copy) and
// what the colormap makes of them (on the CPU).
void BM_CudaUpload(benchmark::State& state) {
  auto backend = cuda_backend(state);
  if (!backend) return;
  const int n = int(state.range(0));
  BrickView brick = whole_view(large_volume(n));
  FrameParams f = large_frame(n, 0, false, state.range(1) != 0);
  f.width = f.height = 16;
  f.camera.aspect = 1.0f;
  Image image(f.width, f.height);
  backend->render(brick, f, image.view()); // the array's allocation: not timed
  for (auto _ : state) {
    ++brick.generation;
    backend->render(brick, f, image.view());
  }
  const double bytes = double(brick.stored.voxel_count()) * dtype_size(brick.dtype);
  state.counters["upload_B/s"] = benchmark::Counter(bytes * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaUpload)
    ->ArgNames({"n", "skip"})
    ->ArgsProduct({{256, 512, 1024}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The frame back from the GPU: the 256^3 volume fills a width x height view and each ray takes two
// samples, so the time is the launch and the copy of 16 bytes a pixel into the caller's image.
void BM_CudaFrameCopyBack(benchmark::State& state) {
  auto backend = cuda_backend(state);
  if (!backend) return;
  FrameParams f = frame(false);
  f.width = int(state.range(0)), f.height = int(state.range(1));
  f.camera.aspect = float(f.width) / float(f.height);
  f.camera.aperture = 0.3f; // inside the volume's silhouette: every pixel is a ray
  f.settings.sampling_distance = 128.0f;
  Image image(f.width, f.height);
  backend->render(whole_view(volume()), f, image.view()); // first touch of the image: not timed
  long long samples = 0;
  for (auto _ : state) {
    samples += backend->render(whole_view(volume()), f, image.view()).samples;
    benchmark::DoNotOptimize(image.pixels().data());
  }
  const double bytes = double(f.width) * f.height * sizeof(Vec4f);
  state.counters["copy_B/s"] = benchmark::Counter(bytes * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["samples/ray"] = double(samples) / double(state.iterations()) / (double(f.width) * f.height);
}
BENCHMARK(BM_CudaFrameCopyBack)
    ->ArgNames({"w", "h"})
    ->Args({1920, 1080})
    ->Args({3840, 2160})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
