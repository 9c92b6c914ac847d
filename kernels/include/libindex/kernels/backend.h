// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Backends: launchers of the one per-ray function on the CPU (TBB) or the GPU (CUDA).

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/volume.h"

namespace libindex::kernels {

enum class BackendKind { automatic, cpu, cuda };

/// One volume of a per-sample mix (mix.h): its brick and its own frame (colormap, shading, opacity
/// reference). Every layer's brick has the same owned and volume boxes, every frame the same
/// camera, size, placement and region of interest; layer 0's lattice and slice planes serve all.
struct MixedLayer {
  BrickView brick;
  const FrameParams* frame = nullptr;
};
BackendKind parse_backend_kind(const std::string& text); ///< "auto", "cpu", "cuda"
std::string to_string(BackendKind kind);

class MixedMarcher;

class Backend {
 public:
  Backend();
  virtual ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  /// "cpu (2 threads)" or "cuda (NVIDIA H100 80GB HBM3)".
  virtual std::string name() const = 0;
  virtual BackendKind kind() const = 0;
  /// Renders the brick's own samples into `out` (full image size): writes every pixel of the returned
  /// active rectangle and no other. Bricks are recognized by (data, stored box, generation): per-brick
  /// state (skip-grid ranges, GPU uploads) is built once and reused until one of those changes.
  virtual RenderStats render(const BrickView& brick, const FrameParams& frame, ImageView out) = 0;
  /// Renders volumes on one grid mixed per sample (mix.h) into `out`, like render() does one volume.
  /// Direct volume rendering only; at most kMaxMixedVolumes layers. This default runs on the host's
  /// cores (kernels/src/mixed_march.cpp), for host bricks, whatever the backend.
  virtual RenderStats render_mixed(std::span<const MixedLayer> layers, ImageView out);
  /// Bytes of device memory this backend holds for its current brick (0 on the CPU).
  virtual long long device_bytes() const { return 0; }

 protected:
  /// Whether render_mixed marches SIMD ray packets (where this CPU has them); the CPU backend made
  /// without packets says no, so both paths stay testable against each other.
  virtual bool mix_in_packets() const;

 private:
  std::unique_ptr<MixedMarcher> mixer_; ///< render_mixed's per-layer skip grids, made at its first call
};

/// Runs `work` on the calling thread with the CPU backend's parallelism (and every other
/// parallel loop of kernels/) limited to `threads` threads; 0: no limit. In situ, a frame rendering
/// beside a running simulation leaves the simulation its cores.
void with_thread_limit(int threads, const std::function<void()>& work);

/// True when a CUDA device answers. Any error from cudaGetDeviceCount means "no device".
bool cuda_device_available(std::string* reason = nullptr);
/// The CUDA devices this process sees (after CUDA_VISIBLE_DEVICES and Slurm's GPU binding); 0 with
/// the reason when none answers or the build has no CUDA.
int cuda_devices(std::string* reason = nullptr);

/// The device a rank uses: its rank among the ranks of its node, modulo the devices it sees, so
/// 4-8 ranks of a node spread over its GPUs instead of all using device 0; -1 when it sees none.
int device_for_node_rank(int node_rank, int visible_devices);

/// `automatic` picks CUDA when a device answers, else the CPU, and logs which on stderr (`log` = true).
/// Asking for `cuda` without a device (or in a build without CUDA) throws Error saying why. `device`:
/// the CUDA device to render on (device_for_node_rank); the backend selects it before every frame.
std::unique_ptr<Backend> make_backend(BackendKind kind, bool log = true, int device = 0);

} // namespace libindex::kernels
