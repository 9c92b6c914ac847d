// SPDX-License-Identifier: Apache-2.0
/// \file Composite time per frame by strategy x image size x wire format, at the rank count mpirun
/// gives: run it once per count (mpirun -np 2|4|8 compositing_bench). Only rank 0 reports.
///
/// Reference workload, to set beside IceT's timing test: the unit cube is split k-d style into one
/// brick per rank; each rank's image is its brick ray-cast with absorption only (analytic: alpha =
/// 1 - exp(-sigma * chord), so only the brick's footprint is non-empty); 10 random views; ordered
/// `over` in the k-d tree's visibility order. Time = barrier -> composite -> barrier, the max over
/// ranks, set as the iteration's manual time; a warm-up frame runs first and is dropped.
/// Counters: bytes sent per frame (all ranks together), rounds, and the median frame (median_ms,
/// IceT's own figure; the time column is the mean).
/// composite/...: the free composite_into(), which duplicates and frees a communicator and
/// allocates its buffers every frame; composite_reused/...: one Compositor kept across the frames
/// (one duplicate in all, buffers kept), so the two compare per-frame setup against reuse.

#include <benchmark/benchmark.h>
#include <mpi.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "libindex/camera.h"
#include "libindex/compositing/compositor.h"
#include "libindex/mpi/check.h"

using namespace libindex;
using namespace libindex::compositing;

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return mpi::comm_size(MPI_COMM_WORLD); }

/// The k-d split of the unit cube: one leaf (brick) per rank, halves of the rank range split the
/// box's longest side in proportion, so any rank count gives bricks of equal volume.
struct KdTree {
  struct Node {
    Box3f box;
    int axis = -1;
    float split = 0;
    int child[2] = {-1, -1};
    int rank = -1;
  };
  std::vector<Node> nodes;
  std::vector<Box3f> brick; // by rank

  explicit KdTree(int ranks) : brick(size_t(ranks)) { build({{0, 0, 0}, {1, 1, 1}}, 0, ranks); }

  /// Ranks, nearest brick first: at each split the child on the eye's side goes first.
  std::vector<int> order(Vec3f eye) const {
    std::vector<int> out;
    visit(0, eye, out);
    return out;
  }

 private:
  int build(Box3f box, int first, int count) {
    const int id = int(nodes.size());
    nodes.push_back({box});
    if (count == 1) {
      nodes[size_t(id)].rank = first;
      brick[size_t(first)] = box;
      return id;
    }
    const Vec3f extent = box.hi - box.lo;
    const int axis = extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2);
    const int left = count / 2;
    const float split = box.lo[axis] + extent[axis] * float(left) / float(count);
    Box3f lo = box, hi = box;
    lo.hi[axis] = split;
    hi.lo[axis] = split;
    const int a = build(lo, first, left), b = build(hi, first + left, count - left);
    Node& n = nodes[size_t(id)];
    n.axis = axis;
    n.split = split;
    n.child[0] = a;
    n.child[1] = b;
    return id;
  }
  void visit(int id, Vec3f eye, std::vector<int>& out) const {
    const Node& n = nodes[size_t(id)];
    if (n.rank >= 0) {
      out.push_back(n.rank);
      return;
    }
    const int near = eye[n.axis] < n.split ? 0 : 1;
    visit(n.child[near], eye, out);
    visit(n.child[1 - near], eye, out);
  }
};

/// View `v` of 10: the eye on a sphere of radius 2.2 around the cube's centre, looking at it; the
/// aperture frames the whole cube.
Camera view(int v) {
  std::mt19937 g(1234u + uint32_t(v));
  std::normal_distribution<float> n;
  const Vec3f d = normalize(Vec3f{n(g), n(g), n(g)});
  Camera c;
  c.from = Vec3f{0.5f, 0.5f, 0.5f} + d * 2.2f;
  c.dir = -d;
  c.up = std::fabs(d.y) < 0.9f ? Vec3f{0, 1, 0} : Vec3f{1, 0, 0};
  c.focal = 1.0f;
  c.aperture = 0.9f;
  return c;
}

/// Ray-casts `brick` with absorption only into `image`; clears what the previous frame wrote.
Rect render(const Camera& c, const Box3f& brick, Image& image, const Rect& previous) {
  const int w = image.width(), h = image.height();
  for (int y = previous.y0; y < previous.y1; ++y)
    std::memset(static_cast<void*>(&image.at(previous.x0, y)), 0, sizeof(Vec4f) * size_t(previous.width()));
  const Rect r = projected_rect(c, brick, w, h);
  const CameraFrame f = camera_frame(c);
  constexpr float sigma = 3.0f;
  tbb::parallel_for(r.y0, r.y1, [&](int y) {
    for (int x = r.x0; x < r.x1; ++x) {
      const Ray ray = camera_ray(c, f, x, y, w, h);
      float t0 = 0, t1 = INFINITY;
      intersect_ray_box(ray, brick, t0, t1);
      const float a = t1 > t0 ? 1.0f - std::exp(-sigma * (t1 - t0)) : 0.0f;
      image.at(x, y) = {0.9f * a, 0.6f * a, 0.3f * a, a};
    }
  });
  return r;
}

/// How a frame is composited.
enum class Mode {
  fresh,  ///< composite() returning a new Image each frame (its page faults included)
  kept,   ///< composite_into() a buffer kept from frame to frame, as a frame loop (and IceT) does;
          ///< the free function: a communicator duplicated and freed, buffers allocated, every frame
  reused, ///< the same into one Compositor kept across frames: one duplicate, buffers kept
};

void composite_frames(benchmark::State& state, Strategy strategy, int size, PixelFormat format, Mode mode) {
  const int rank = world_rank();
  const KdTree tree(world_size());
  Image image(size, size);
  Image kept(rank == 0 ? size : 0, rank == 0 ? size : 0);
  Rect active;
  Options options;
  options.strategy = strategy;
  options.format = format;
  Stats stats;
  Compositor compositor(MPI_COMM_WORLD);
  auto frame = [&](int v) {
    const Camera c = view(v);
    active = render(c, tree.brick[size_t(rank)], image, active);
    const std::vector<int> order = tree.order(c.from);
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    if (mode == Mode::fresh)
      benchmark::DoNotOptimize(composite(image.view(), active, order, MPI_COMM_WORLD, options, &stats));
    else if (mode == Mode::kept)
      composite_into(kept.view(), image.view(), active, order, MPI_COMM_WORLD, options, &stats);
    else
      compositor.composite_into(kept.view(), image.view(), active, order, options, &stats);
    MPI_Barrier(MPI_COMM_WORLD);
    double seconds = MPI_Wtime() - start, slowest = 0;
    MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    long long bytes = stats.bytes_sent, all = 0;
    MPI_Allreduce(&bytes, &all, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return std::pair{slowest, all};
  };
  frame(0); // warm-up: first-touch page faults, MPI connection setup; dropped
  int v = 0;
  double bytes = 0;
  std::vector<double> frame_ms;
  for (auto _ : state) {
    const auto [seconds, sent] = frame(v++ % 10);
    state.SetIterationTime(seconds);
    frame_ms.push_back(seconds * 1e3);
    bytes += double(sent);
  }
  state.counters["bytes/frame"] = benchmark::Counter(bytes / double(std::max(v, 1)));
  // IceT's SimpleTiming reports the median frame after one warm-up frame: the same figure.
  std::sort(frame_ms.begin(), frame_ms.end());
  state.counters["median_ms"] = frame_ms.empty() ? 0.0 : frame_ms[(frame_ms.size() - 1) / 2];
  state.counters["rounds"] = double(stats.rounds);
  state.SetLabel(to_string(stats.used) + " np" + std::to_string(world_size()));
}

const char* name(PixelFormat f) { return f == PixelFormat::f32 ? "f32" : (f == PixelFormat::f16 ? "f16" : "u8"); }

/// Frames per benchmark: 10, or COMPOSITING_BENCH_FRAMES (a profile wants hundreds). The same on
/// every rank, since each inherits mpirun's environment.
int frames_per_benchmark() {
  const char* frames = std::getenv("COMPOSITING_BENCH_FRAMES");
  return frames && std::atoi(frames) > 0 ? std::atoi(frames) : 10;
}

/// Fixed iterations (every rank must run the same frames, so the library may not pick a count),
/// manual time, and a `min` over --benchmark_repetitions: on a shared machine the fastest
/// repetition is the one least disturbed by others.
void setup(benchmark::internal::Benchmark* b) {
  b->UseManualTime()
      ->Iterations(frames_per_benchmark())
      ->Unit(benchmark::kMillisecond)
      ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
}

/// Rank 0 reports; the others run the same benchmarks (they are collective) in silence.
class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

} // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    // TBB keeps its default, all cores for each rank: a rank waiting on a message leaves its
    // core to the rank that works (measured on 2 cores / 2 ranks: 1 thread per rank was slower).
    const int threads = tbb::this_task_arena::max_concurrency();
    benchmark::Initialize(&argc, argv);
    benchmark::AddCustomContext("mpi_ranks", std::to_string(world_size()));
    benchmark::AddCustomContext("tbb_threads_per_rank", std::to_string(threads));
    for (Strategy s : {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k, Strategy::automatic})
      for (int size : {256, 1024, 2048})
        for (PixelFormat f : {PixelFormat::f32, PixelFormat::f16, PixelFormat::u8}) {
          if (size == 256 && f != PixelFormat::f32) continue; // small images: only for the automatic rule
          const std::string label = "composite/" + to_string(s) + "/" + std::to_string(size) + "/" + name(f);
          setup(benchmark::RegisterBenchmark(label.c_str(), composite_frames, s, size, f, Mode::kept));
        }
    for (int size : {1024, 2048}) // the price of a fresh output image per frame
      setup(benchmark::RegisterBenchmark(("composite_fresh_image/auto/" + std::to_string(size) + "/f32").c_str(),
                                         composite_frames, Strategy::automatic, size, PixelFormat::f32, Mode::fresh));
    // One Compositor across frames, beside composite/<same>/f32 (a duplicate and fresh buffers per frame).
    for (Strategy s : {Strategy::direct_send, Strategy::binary_swap, Strategy::radix_k, Strategy::automatic})
      for (int size : {256, 1024, 2048}) {
        const std::string label = "composite_reused/" + to_string(s) + "/" + std::to_string(size) + "/f32";
        setup(benchmark::RegisterBenchmark(label.c_str(), composite_frames, s, size, PixelFormat::f32, Mode::reused));
      }
    if (world_rank() == 0) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      Silent silent;
      benchmark::RunSpecifiedBenchmarks(&silent);
    }
    benchmark::Shutdown();
  }
  MPI_Finalize();
  return 0;
}
