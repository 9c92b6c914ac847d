// SPDX-License-Identifier: Apache-2.0
#include "cuda_backend.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../cpu/cpu_backend.h"
#include "../src/brick_cache.h"
#include "../src/mixed_march.h"
#include "../src/program_march.h"
#include "cuda_check.cuh"
#include "render_device.h"
#include "gpu_program.h"
#include "march_pixel.cuh"
#include "libindex/frame_memory.h"
#include "libindex/kernels/sample_program.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/mix.h"
#include "texture_samplers.cuh"

namespace libindex::kernels {
namespace {

constexpr int kBlockX = 16, kBlockY = 8;
/// Pixels per launch when a frame goes in bands: about four times the threads an H100/H200 holds at
/// once (132 multiprocessors x 2048), so a band keeps the GPU busy to its end.
constexpr long long kBandPixels = 1 << 20;

template <class Sampler, class Classifier>
__global__ void march_kernel(MarchParams params, Sampler sampler, Classifier classify, Rect rect, Vec4f* out,
                             unsigned long long* samples) {
  march_pixel(rect, out, samples,
              [&](int x, int y, unsigned long long& n) { return march_ray(params, sampler, classify, x, y, n); });
}

/// Volumes mixed per sample (mix.h): march_ray_mixed over the layers' voxels in device memory.
__global__ void mix_kernel(MixParams mix, LayerSamplers<DenseSampler> samplers, Rect rect, Vec4f* out,
                           unsigned long long* samples) {
  march_pixel(rect, out, samples,
              [&](int x, int y, unsigned long long& n) { return march_ray_mixed(mix, samplers, x, y, n); });
}

/// Page-locked host memory for frame_memory's large blocks (images, bricks): the GPU copies them
/// by DMA at full speed, and a copy from pageable memory would be staged by the driver first (8-16
/// GB/s measured on an H200 machine). Portable: every device of the process may use it.
void* page_locked_allocate(std::size_t bytes) {
  use_render_device(); // called from I/O and TBB threads: not a context on GPU 0
  void* p = nullptr;
  if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable) != cudaSuccess) {
    cudaGetLastError();
    return nullptr; // frame_memory then takes it from malloc
  }
  return p;
}
void page_locked_release(void* p) { cudaFreeHost(p); }

/// A sixteenth of the machine's memory, at most 4 GiB, per process: page-locked memory cannot be
/// swapped, a node runs 4-8 ranks, and the rest of it (a simulation, in situ) needs its share. Enough
/// for a few 4K frames and a brick of a GiB; beyond it blocks come from malloc.
std::size_t page_locked_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const std::size_t share = pages > 0 && page > 0 ? std::size_t(pages) * std::size_t(page) / 16 : 0;
  return std::min(share, std::size_t(4) << 30);
}

/// Whether a GPU path written but not yet run on a device is taken: only when `variable` is "on".
/// The CUDA parity tests turn them on; once they pass on a GPU, the switch goes.
bool gpu_path_enabled(const char* variable) {
  const char* v = std::getenv(variable);
  return v && std::string(v) == "on";
}

/// Owns one device allocation; freed on scope exit.
template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  void resize(size_t n) {
    if (n <= count) return;
    release();
    LIBINDEX_CUDA_CHECK(cudaMalloc(&ptr, n * sizeof(T)));
    count = n;
  }
  void release() {
    if (ptr) cudaFree(ptr);
    ptr = nullptr, count = 0;
  }
  ~DeviceBuffer() { release(); }
};

/// A host brick's voxels in linear device memory, for the paths that read them with DenseSampler
/// (sample programs, the mix): copied once per brick (data, stored box, type, generation).
struct StagedVoxels {
  DeviceBrick voxels;
  BrickView key;
  BrickView view_of(const BrickView& brick) {
    if (voxels.empty() || key.data != brick.data || !(key.stored == brick.stored) || key.dtype != brick.dtype ||
        key.generation != brick.generation) {
      voxels = DeviceBrick(); // the old copy first: two may not fit
      voxels = DeviceBrick::upload(brick.data, brick.dtype, brick.stored);
      key = brick;
    }
    return voxels.view(brick.owned, brick.volume);
  }
};

cudaChannelFormatDesc channel_of(DType t) {
  return visit_dtype(t, [](auto tag) { return cudaCreateChannelDesc<typename decltype(tag)::type>(); });
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    LIBINDEX_CUDA_CHECK(cudaSetDevice(device_)); // before any other call: the stream lives on it
    set_render_device(device_);
    cudaDeviceProp prop{};
    LIBINDEX_CUDA_CHECK(cudaGetDeviceProperties(&prop, device_));
    char bus[32] = {0};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, device_) != cudaSuccess) bus[0] = '\0';
    device_name_ =
        std::string(prop.name) + ", device " + std::to_string(device_) + (bus[0] ? std::string(", PCI ") + bus : "");
    LIBINDEX_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    for (int a = 0; a < 3; ++a) max_texture_[a] = prop.maxTexture3D[a];
    // Frames and bricks from now on in page-locked memory (LIBINDEX_PAGE_LOCKED=off: not).
    const char* locked = std::getenv("LIBINDEX_PAGE_LOCKED");
    if (!(locked && std::string(locked) == "off"))
      frame_memory::use_host_allocator(page_locked_allocate, page_locked_release, page_locked_limit());
  }
  ~CudaBackend() override {
    release_brick();
    release_colormap_texture();
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cuda (" + device_name_ + ")"; }
  BackendKind kind() const override { return BackendKind::cuda; }
  long long device_bytes() const override {
    return array_bytes_ +
           (long long)(colormap_.count * sizeof(Vec4f) + empty_radius_.count + image_.count * sizeof(Vec4f));
  }

  RenderStats render(const BrickView& brick, const FrameParams& frame, ImageView out) override {
    const auto start = std::chrono::steady_clock::now();
    LIBINDEX_CUDA_CHECK(cudaSetDevice(device_)); // another library in the process may have switched it
    if (const SampleProgram* planes = frame.first_plane_program()) {
      if (!told_plane_program_) {
        told_plane_program_ = true;
        std::cerr << "[libindex] " << name() << ": the planes' surface sample program " << planes->name
                  << " runs on the host's cores (surface programs do not run on the GPU yet)" << std::endl;
      }
      return render_on_cpu(brick, frame, out);
    }
    if (frame.program && frame.program->usable()) {
      if (ProgramImage* image = program_image(*frame.program)) return render_program(*image, brick, frame, out);
      return render_on_cpu(brick, frame, out);
    }
    if (!fits_a_texture(brick.stored.size())) return render_on_cpu(brick, frame, out);
    RenderStats stats;
    stats.active = active_rect(brick, frame);
    if (stats.active.empty()) return stats;
    if (cache_.is_new(brick)) upload(brick, frame.settings.empty_space_skipping);

    // Per frame: the colormap and the occupancy it implies (both a few KiB).
    const ColormapView colormap = device_colormap(frame.colormap);
    SkipGridView skip;
    if (frame.settings.empty_space_skipping) {
      // Which macro cells the colormap shows changes only with the colormap or the brick: uploaded
      // then, not every frame (a camera drag changes neither).
      const SkipCells& cells = cache_.skip_cells(brick, frame.colormap);
      if (cells.version != uploaded_cells_) {
        empty_radius_.resize(cells.empty_radius.size());
        LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(empty_radius_.ptr, cells.empty_radius.data(), cells.empty_radius.size(),
                                            cudaMemcpyHostToDevice, stream_));
        uploaded_cells_ = cells.version;
      }
      skip = cache_.grid(brick).view(empty_radius_.ptr, cells.occupied);
    }
    MarchParams params = make_march_params(brick, frame, colormap, skip);
    planes_colormap_on_device(params, frame);
    stats.active = intersect(stats.active, active_rect(params, frame));
    if (stats.active.empty()) return stats;

    // Hardware filtering only without shading: the texture unit's 8-bit interpolation weights would
    // quantize the gradients into visible bands, so shaded frames take the exact software path.
    const bool hardware = frame.settings.hardware_filtering && !frame.settings.shading.enabled;
    if (hardware) upload_colormap_texture(frame.colormap.entries);
    Vec3f centre_min, centre_max;
    centre_range(brick.volume, centre_min, centre_max);
    march_in_bands(stats.active, frame, [&](const Rect& band, dim3 grid, dim3 block, Vec4f* band_out) {
      if (hardware) // texture units for both the volume and the colormap (within 2/255 of the exact path)
        march_kernel<<<grid, block, 0, stream_>>>(params, HardwareSampler{linear_texture_, to_float(brick.stored.lo)},
                                                  TextureClassifier{colormap_texture_, params.colormap}, band, band_out,
                                                  counter_.ptr);
      else
        visit_dtype(brick.dtype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          const SoftwareSampler<T> software{point_texture_, brick.stored.lo, centre_min, centre_max};
          march_kernel<<<grid, block, 0, stream_>>>(params, software, TableClassifier{params.colormap}, band, band_out,
                                                    counter_.ptr);
        });
      LIBINDEX_CUDA_CHECK(cudaGetLastError());
    });
    finish(stats, out, start);
    return stats;
  }

  /// The mix on the GPU: MixedMarcher prepares the frame as for the CPU (parameters, the skipping
  /// all layers allow), then its host pointers are swapped for device copies: each layer's voxels
  /// (once per brick) and colormap, and the empty radius.
  RenderStats render_mixed(std::span<const MixedLayer> layers, ImageView out) override {
    // On the host's cores: until the GPU mix has run on a device, and where planes run surface
    // programs (they do not run on the GPU yet).
    if (!gpu_path_enabled("LIBINDEX_GPU_MIX") || (!layers.empty() && layers[0].frame->first_plane_program()))
      return Backend::render_mixed(layers, out);
    const auto start = std::chrono::steady_clock::now();
    LIBINDEX_CUDA_CHECK(cudaSetDevice(device_));
    if (!gpu_mixer_) gpu_mixer_ = std::make_unique<MixedMarcher>();
    MixFrame m = gpu_mixer_->prepare(layers, false);
    RenderStats stats;
    stats.active = m.active;
    if (stats.active.empty()) return stats;
    MixParams& M = m.M;
    for (int i = 0; i < M.count; ++i) {
      const BrickView& brick = m.bricks[i];
      MixLayerOnDevice& d = mix_layers_[size_t(i)];
      const BrickView on_device = d.voxels.view_of(brick);
      visit_dtype(brick.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        m.samplers.set(i, make_dense_sampler(on_device, static_cast<const T*>(on_device.data)));
      });
      ColormapView& colormap = M.layer[i].colormap;
      d.colormap.resize(size_t(colormap.size));
      LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(d.colormap.ptr, colormap.entries, size_t(colormap.size) * sizeof(Vec4f),
                                          cudaMemcpyHostToDevice, stream_));
      colormap.entries = d.colormap.ptr;
    }
    M.lattice.colormap.entries = M.layer[0].colormap.entries;
    planes_colormap_on_device(M.lattice, *layers[0].frame);
    if (M.lattice.skip.empty_radius) {
      const size_t cells =
          size_t(M.lattice.skip.dims.x) * size_t(M.lattice.skip.dims.y) * size_t(M.lattice.skip.dims.z);
      mix_radius_.resize(cells);
      LIBINDEX_CUDA_CHECK(
          cudaMemcpyAsync(mix_radius_.ptr, M.lattice.skip.empty_radius, cells, cudaMemcpyHostToDevice, stream_));
      M.lattice.skip.empty_radius = mix_radius_.ptr;
    }
    march_in_bands(stats.active, *layers[0].frame, [&](const Rect& band, dim3 grid, dim3 block, Vec4f* band_out) {
      mix_kernel<<<grid, block, 0, stream_>>>(M, m.samplers, band, band_out, counter_.ptr);
      LIBINDEX_CUDA_CHECK(cudaGetLastError());
    });
    finish(stats, out, start);
    return stats;
  }

 private:
  /// Marches rect r into image_, counting samples in counter_: `launch(band, grid, block, band_out)`
  /// starts one kernel over a band of rows, writing band_out. A launch cannot be stopped once it
  /// runs. So a frame that someone may cancel (a budget) or watch (progress) goes in bands, each
  /// large enough to fill the GPU: between bands the flag is read and progress counted, and a
  /// cancelled frame ends within one band. Unwatched, the band is the whole rect.
  template <class Launch>
  void march_in_bands(const Rect& r, const FrameParams& frame, const Launch& launch) {
    image_.resize(size_t(r.area()));
    counter_.resize(1);
    LIBINDEX_CUDA_CHECK(cudaMemsetAsync(counter_.ptr, 0, sizeof(unsigned long long), stream_));
    const bool watched = frame.cancel || frame.progress;
    const int band_rows =
        watched ? std::max(kBlockY, int(kBandPixels / std::max(1, r.width())) / kBlockY * kBlockY) : r.height();
    if (frame.progress) frame.progress->total += (r.height() + band_rows - 1) / band_rows;
    for (int y0 = r.y0; y0 < r.y1; y0 += band_rows) {
      const Rect band{r.x0, y0, r.x1, std::min(r.y1, y0 + band_rows)};
      const dim3 block(kBlockX, kBlockY);
      const dim3 grid((band.width() + kBlockX - 1) / kBlockX, (band.height() + kBlockY - 1) / kBlockY);
      launch(band, grid, block, image_.ptr + (long long)(band.y0 - r.y0) * r.width());
      if (!watched) continue;
      LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(stream_));
      if (frame.progress) ++frame.progress->done;
      if (frame.cancel && frame.cancel->load(std::memory_order_relaxed)) throw Error("frame cancelled");
    }
  }

  /// The image of stats.active back into `out`, the sample count into stats, and the time.
  void finish(RenderStats& stats, ImageView out, std::chrono::steady_clock::time_point start) {
    const Rect r = stats.active;
    LIBINDEX_CUDA_CHECK(cudaMemcpy2DAsync(&out.at(r.x0, r.y0), size_t(out.width) * sizeof(Vec4f), image_.ptr,
                                          size_t(r.width()) * sizeof(Vec4f), size_t(r.width()) * sizeof(Vec4f),
                                          size_t(r.height()), cudaMemcpyDeviceToHost, stream_));
    unsigned long long samples = 0;
    LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(&samples, counter_.ptr, sizeof(samples), cudaMemcpyDeviceToHost, stream_));
    LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(stream_));
    stats.samples = (long long)samples;
    stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }

  /// Each plane's own colormap (make_march_params left the host's in P) copied to device memory; a
  /// plane without one keeps the volume's, already there.
  void planes_colormap_on_device(MarchParams& P, const FrameParams& frame) {
    for (int i = 0; i < kMaxSlicePlanes; ++i) {
      const auto& own = frame.plane_colormaps[size_t(i)];
      P.plane_colormaps[i] = own && i < P.plane_count ? device_colormap(*own, plane_colormaps_[i]) : P.colormap;
    }
  }

  /// `m` with its entries copied into `into` (colormap_ unless said), device memory, for one frame.
  ColormapView device_colormap(const Colormap& m) { return device_colormap(m, colormap_); }
  ColormapView device_colormap(const Colormap& m, DeviceBuffer<Vec4f>& into) {
    into.resize(m.entries.size());
    LIBINDEX_CUDA_CHECK(
        cudaMemcpyAsync(into.ptr, m.entries.data(), m.entries.size() * sizeof(Vec4f), cudaMemcpyHostToDevice, stream_));
    ColormapView view = m.view();
    view.entries = into.ptr;
    return view;
  }

  bool fits_a_texture(Vec3i size) const {
    return size.x <= max_texture_[0] && size.y <= max_texture_[1] && size.z <= max_texture_[2];
  }

  /// A volume's sample program on the GPU: the marcher for programs (program_kernel.cu) linked with
  /// the program by nvJitLink, loaded once per program and device. Null when this GPU cannot run it
  /// (no NVRTC or nvJitLink, a link error), which is said once. Until this path has run on a GPU it
  /// is taken only with LIBINDEX_GPU_PROGRAMS=on (gpu_path_enabled).
  struct ProgramImage {
    cudaLibrary_t library = nullptr;
    cudaKernel_t setup = nullptr, march = nullptr;
    ~ProgramImage() {
      if (library) cudaLibraryUnload(library);
    }
  };
  ProgramImage* program_image(const SampleProgram& program) {
    auto [it, added] = program_images_.try_emplace(program.unit);
    if (!added) return it->second.get();
    try {
      if (!gpu_path_enabled("LIBINDEX_GPU_PROGRAMS"))
        throw Error("LIBINDEX_GPU_PROGRAMS is not 'on' (programs on the GPU have not yet run on a device)");
      int major = 0, minor = 0;
      LIBINDEX_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_));
      LIBINDEX_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device_));
      const std::vector<char> cubin = link_sample_program_for_gpu(program.unit, 10 * major + minor);
      auto image = std::make_unique<ProgramImage>();
      LIBINDEX_CUDA_CHECK(cudaLibraryLoadData(&image->library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
      LIBINDEX_CUDA_CHECK(cudaLibraryGetKernel(&image->setup, image->library, kProgramSetupKernel));
      LIBINDEX_CUDA_CHECK(cudaLibraryGetKernel(&image->march, image->library, kProgramMarchKernel));
      // The program reaches the volume through function pointers, so the linker cannot size the
      // threads' stacks: give them room for a program's locals beyond CUDA's default 1 KiB.
      size_t stack = 0;
      LIBINDEX_CUDA_CHECK(cudaDeviceGetLimit(&stack, cudaLimitStackSize));
      if (stack < 4096) LIBINDEX_CUDA_CHECK(cudaDeviceSetLimit(cudaLimitStackSize, 4096));
      it->second = std::move(image);
    } catch (const Error& e) {
      cudaGetLastError();
      std::cerr << "[libindex] " << name() << ": the sample program " << program.name
                << " runs on the CPU: " << e.what() << std::endl;
    }
    return it->second.get();
  }

  /// march_kernel's frame for a volume with a sample program: every sample coloured by the
  /// program, nothing skipped (a program may colour what the colormap hides), the voxels read from
  /// device memory by DenseSampler as the CPU reads them, so both give the same image.
  RenderStats render_program(const ProgramImage& program, const BrickView& brick, const FrameParams& frame,
                             ImageView out) {
    const auto start = std::chrono::steady_clock::now();
    RenderStats stats;
    stats.active = active_rect(brick, frame);
    if (stats.active.empty()) return stats;
    const BrickView voxels = brick.on_device ? brick : program_voxels_.view_of(brick);
    const ColormapView colormap = device_colormap(frame.colormap);
    MarchParams params = make_march_params(brick, frame, colormap, SkipGridView{});
    planes_colormap_on_device(params, frame);
    stats.active = intersect(stats.active, active_rect(params, frame));
    if (stats.active.empty()) return stats;

    GpuProgramFrame g{};
    g.abi = program_frame_abi(frame, params, brick, frame.program_slots);
    const unsigned char* buffers = upload_program_buffers(*frame.program);
    for (int i = 0; i < LIBINDEX_XAC_MAX_BUFFERS; ++i)
      g.abi.buffers[i] = buffers + size_t(i) * LIBINDEX_XAC_BUFFER_BYTES;
    g.abi.zero_buffer = buffers + size_t(LIBINDEX_XAC_MAX_BUFFERS) * LIBINDEX_XAC_BUFFER_BYTES;
    g.colormap = colormap;
    g.volume = GpuProgramVolume(voxels);
    for (const ProgramSlot& s : frame.program_slots) { // in range: program_frame_abi checked
      g.slot_colormaps[s.slot] = device_colormap(s.colormap, slot_colormaps_[size_t(s.slot)]);
      if (!s.volume.data) continue;
      const BrickView mapped = s.volume.on_device ? s.volume : slot_voxels_[size_t(s.slot)].view_of(s.volume);
      g.slot_volumes[s.slot] = GpuProgramVolume(mapped);
      g.slot_volumes_mapped |= 1u << s.slot;
    }
    g.scaling = {1.0f / params.inv_scaling.x, 1.0f / params.inv_scaling.y, 1.0f / params.inv_scaling.z};
    g.translation = params.translation;
    program_frame_.resize(1);
    LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(program_frame_.ptr, &g, sizeof g, cudaMemcpyHostToDevice, stream_));
    GpuProgramFrame* device_frame = program_frame_.ptr;
    void* setup_args[] = {&device_frame};
    LIBINDEX_CUDA_CHECK(
        cudaLaunchKernel(reinterpret_cast<const void*>(program.setup), dim3(1), dim3(1), setup_args, 0, stream_));

    march_in_bands(stats.active, frame, [&](Rect band, dim3 grid, dim3 block, Vec4f* band_out) {
      MarchParams p = params;
      unsigned long long* counter = counter_.ptr;
      void* args[] = {&p, &device_frame, &band, &band_out, &counter};
      LIBINDEX_CUDA_CHECK(
          cudaLaunchKernel(reinterpret_cast<const void*>(program.march), grid, block, args, 0, stream_));
    });
    finish(stats, out, start);
    return stats;
  }

  /// The program's parameter buffers in device memory, each LIBINDEX_XAC_BUFFER_BYTES, then one of
  /// zeros for slots beyond the last: uploaded when the program or its buffers change.
  const unsigned char* upload_program_buffers(const SampleProgram& program) {
    constexpr size_t kSlot = LIBINDEX_XAC_BUFFER_BYTES;
    const bool fresh = program_buffers_.count == 0;
    program_buffers_.resize(size_t(LIBINDEX_XAC_MAX_BUFFERS + 1) * kSlot);
    if (fresh)
      LIBINDEX_CUDA_CHECK(cudaMemsetAsync(program_buffers_.ptr, 0, program_buffers_.count, stream_)); // zeros slot too
    for (int i = 0; i < LIBINDEX_XAC_MAX_BUFFERS; ++i) {
      const auto& b = program.buffers[size_t(i)];
      const void* now = b && b->size() >= kSlot ? b->data() : nullptr;
      // Compared by the buffer held, not its address: a freed buffer's address comes back.
      if (!fresh && b == uploaded_buffers_[size_t(i)]) continue;
      unsigned char* slot = program_buffers_.ptr + size_t(i) * kSlot;
      if (now)
        LIBINDEX_CUDA_CHECK(cudaMemcpyAsync(slot, now, kSlot, cudaMemcpyHostToDevice, stream_));
      else
        LIBINDEX_CUDA_CHECK(cudaMemsetAsync(slot, 0, kSlot, stream_));
      uploaded_buffers_[size_t(i)] = b;
    }
    return program_buffers_.ptr;
  }

  /// A brick longer than a 3D texture may be on an axis (16384 voxels on current GPUs) is rendered by
  /// the CPU backend instead, with the same per-ray function, and says so once. So is a volume whose
  /// sample program this GPU cannot run (program_image).
  RenderStats render_on_cpu(const BrickView& brick, const FrameParams& frame, ImageView out) {
    const Vec3i s = brick.stored.size();
    const std::string size = std::to_string(s.x) + "x" + std::to_string(s.y) + "x" + std::to_string(s.z);
    if (brick.on_device && (frame.program || frame.first_plane_program()))
      throw Error("this GPU cannot run the sample program, and its brick is in GPU memory: hand over a host copy");
    if (brick.on_device)
      throw Error("a brick of " + size + " in GPU memory exceeds this GPU's 3D texture limit (" +
                  std::to_string(max_texture_[0]) + "x" + std::to_string(max_texture_[1]) + "x" +
                  std::to_string(max_texture_[2]) + "): split it over more ranks");
    if (!cpu_fallback_) cpu_fallback_ = make_cpu_backend();
    if (!frame.program && !frame.first_plane_program() && !told_texture_) { // program_image said why for a program
      told_texture_ = true;
      std::cerr << "[libindex] " << name() << ": a brick of " << size << " exceeds the 3D texture limit "
                << max_texture_[0] << "x" << max_texture_[1] << "x" << max_texture_[2]
                << ": rendered on the CPU (more ranks make smaller bricks)" << std::endl;
    }
    RenderStats stats = cpu_fallback_->render(brick, frame, out);
    stats.cpu_fallback = true;
    return stats;
  }

  /// The brick into a 3D array on the render stream (so the kernel launched after it on that stream
  /// sees all of it), reusing the array and its textures when extent and type are unchanged (the
  /// next time step of a series). A failure leaves the cache empty: the next frame uploads again.
  /// With `skip_grid`, a host brick goes through a linear copy on the device first: its macro cells'
  /// value ranges are built there (milliseconds, where the CPU takes seconds for a GiB brick), and
  /// the array is filled from it device to device.
  void upload(const BrickView& brick, bool skip_grid) {
    cache_.forget(); // another brick: other macro cells too
    DeviceBrick staged;
    std::optional<MacroCellGrid> grid;
    BrickView from = brick;
    if (skip_grid && !brick.on_device && !brick.stored.empty()) {
      try {
        staged = DeviceBrick::upload(brick.data, brick.dtype, brick.stored);
        from = staged.view(brick.owned, brick.volume);
        grid = build_grid_on_device(from);
      } catch (const Error&) { // no room for the copy beside the array: straight in, cells on the CPU
        cudaGetLastError();
        staged = DeviceBrick(), grid.reset(), from = brick;
      }
    }
    const Vec3i s = brick.stored.size();
    const cudaExtent extent = make_cudaExtent(size_t(s.x), size_t(s.y), size_t(s.z));
    const bool reuse = array_ && linear_texture_ && point_texture_ && array_dtype_ == brick.dtype &&
                       array_extent_.width == extent.width && array_extent_.height == extent.height &&
                       array_extent_.depth == extent.depth;
    if (!reuse) {
      release_brick();
      const cudaChannelFormatDesc desc = channel_of(brick.dtype);
      LIBINDEX_CUDA_CHECK(cudaMalloc3DArray(&array_, &desc, extent));
      array_dtype_ = brick.dtype, array_extent_ = extent;
      array_bytes_ = (long long)brick.stored.voxel_count() * dtype_size(brick.dtype);
    }
    cudaMemcpy3DParms copy{};
    copy.srcPtr = make_cudaPitchedPtr(const_cast<void*>(from.data), size_t(s.x) * dtype_size(brick.dtype), size_t(s.x),
                                      size_t(s.y));
    copy.dstArray = array_;
    copy.extent = extent;
    // A simulation's GPU field (or the staged copy) goes device to device.
    copy.kind = from.on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice;
    LIBINDEX_CUDA_CHECK(cudaMemcpy3DAsync(&copy, stream_));
    if (!staged.empty()) LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(stream_)); // before the copy is freed
    if (!reuse) {
      cudaResourceDesc resource{};
      resource.resType = cudaResourceTypeArray;
      resource.res.array.array = array_;
      cudaTextureDesc texture{};
      for (int a = 0; a < 3; ++a) texture.addressMode[a] = cudaAddressModeClamp;
      // The linear filter reads integer voxels normalized (v/255, v/65535, v/32767), as the
      // conventions define them; the point fetches read them as stored (SoftwareSampler normalizes
      // as the CPU does, -32768 included).
      texture.readMode = brick.dtype == DType::float32 ? cudaReadModeElementType : cudaReadModeNormalizedFloat;
      texture.normalizedCoords = 0;
      texture.filterMode = cudaFilterModeLinear;
      LIBINDEX_CUDA_CHECK(cudaCreateTextureObject(&linear_texture_, &resource, &texture, nullptr));
      texture.readMode = cudaReadModeElementType;
      texture.filterMode = cudaFilterModePoint;
      LIBINDEX_CUDA_CHECK(cudaCreateTextureObject(&point_texture_, &resource, &texture, nullptr));
    }
    // Finished before the caller's memory may change: render() can return before its kernel (an
    // empty rectangle), and a page-locked source is copied truly asynchronously.
    if (staged.empty() && !from.on_device) LIBINDEX_CUDA_CHECK(cudaStreamSynchronize(stream_));
    if (grid)
      cache_.set_grid(brick, std::move(*grid));
    else
      cache_.remember(brick);
  }

  /// The colormap as a 1D float4 CUDA array behind a linear-filtering texture; re-uploaded only when
  /// the table changes.
  void upload_colormap_texture(const std::vector<Vec4f>& entries) {
    if (colormap_array_ && entries == colormap_uploaded_) return;
    if (!colormap_array_ || !colormap_texture_ || entries.size() != colormap_uploaded_.size()) {
      release_colormap_texture();
      const cudaChannelFormatDesc desc = cudaCreateChannelDesc<float4>();
      LIBINDEX_CUDA_CHECK(cudaMallocArray(&colormap_array_, &desc, entries.size(), 0));
      cudaResourceDesc resource{};
      resource.resType = cudaResourceTypeArray;
      resource.res.array.array = colormap_array_;
      cudaTextureDesc texture{};
      texture.addressMode[0] = cudaAddressModeClamp;
      texture.filterMode = cudaFilterModeLinear;
      texture.readMode = cudaReadModeElementType;
      texture.normalizedCoords = 0;
      LIBINDEX_CUDA_CHECK(cudaCreateTextureObject(&colormap_texture_, &resource, &texture, nullptr));
    }
    LIBINDEX_CUDA_CHECK(cudaMemcpy2DToArrayAsync(colormap_array_, 0, 0, entries.data(), entries.size() * sizeof(Vec4f),
                                                 entries.size() * sizeof(Vec4f), 1, cudaMemcpyHostToDevice, stream_));
    colormap_uploaded_ = entries;
  }

  void release_colormap_texture() {
    if (colormap_texture_) cudaDestroyTextureObject(colormap_texture_);
    if (colormap_array_) cudaFreeArray(colormap_array_);
    colormap_texture_ = 0;
    colormap_array_ = nullptr;
  }

  void release_brick() {
    if (linear_texture_) cudaDestroyTextureObject(linear_texture_);
    if (point_texture_) cudaDestroyTextureObject(point_texture_);
    if (array_) cudaFreeArray(array_);
    linear_texture_ = point_texture_ = 0;
    array_ = nullptr;
    array_bytes_ = 0;
  }

  int device_ = 0;
  int max_texture_[3] = {0, 0, 0};        ///< the device's 3D texture extent
  std::unique_ptr<Backend> cpu_fallback_; ///< for bricks beyond it, and sample programs
  bool told_plane_program_ = false;
  bool told_texture_ = false;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  cudaArray_t array_ = nullptr;
  DType array_dtype_ = DType::uint8;
  cudaExtent array_extent_{};
  long long array_bytes_ = 0;
  cudaTextureObject_t linear_texture_ = 0, point_texture_ = 0;
  cudaArray_t colormap_array_ = nullptr;
  cudaTextureObject_t colormap_texture_ = 0;
  std::vector<Vec4f> colormap_uploaded_;
  DeviceBuffer<Vec4f> colormap_, plane_colormaps_[kMaxSlicePlanes], image_;
  DeviceBuffer<uint8_t> empty_radius_;
  DeviceBuffer<unsigned long long> counter_;
  long long uploaded_cells_ = -1; ///< the SkipCells version empty_radius_ holds
  BrickCache cache_;
  std::map<std::string, std::unique_ptr<ProgramImage>> program_images_; ///< by program unit; null: cannot
  StagedVoxels program_voxels_;                                         ///< a host brick's voxels for programs
  /// The scene elements mapped to a program's slots: their colormaps, and their host bricks' voxels.
  std::array<DeviceBuffer<Vec4f>, LIBINDEX_XAC_MAX_SLOTS> slot_colormaps_;
  std::array<StagedVoxels, LIBINDEX_XAC_MAX_SLOTS> slot_voxels_;
  DeviceBuffer<unsigned char> program_buffers_;
  std::array<std::shared_ptr<const std::vector<unsigned char>>, LIBINDEX_XAC_MAX_BUFFERS> uploaded_buffers_{};
  DeviceBuffer<GpuProgramFrame> program_frame_;
  /// The mix's layers on the device: voxels (kept while the brick is the same) and colormap.
  struct MixLayerOnDevice {
    StagedVoxels voxels;
    DeviceBuffer<Vec4f> colormap;
  };
  std::unique_ptr<MixedMarcher> gpu_mixer_;
  std::array<MixLayerOnDevice, kMaxMixedVolumes> mix_layers_;
  DeviceBuffer<uint8_t> mix_radius_;
};

} // namespace

int cuda_device_count(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (reason) {
      *reason = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status);
      if (status == cudaErrorInsufficientDriver)
        *reason += " (this build's CUDA " + std::to_string(CUDART_VERSION / 1000) +
                   " runtime needs a newer NVIDIA driver; the CPU backend works without one)";
    }
    cudaGetLastError(); // clear the sticky error so later calls start clean
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device found";
  return count;
}

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<CudaBackend>(device); }

} // namespace libindex::kernels
