// SPDX-License-Identifier: Apache-2.0
// End-to-end frame latency under `mpirun -np N e2e_latency_bench`: from a camera change on the head
// to the encoded frame arriving at a WebSocket client on /index_video_client, split into render,
// composite, encode and transfer. The served session's own pieces: the library's frame loop (Head
// sends an op, every other rank follows it in follow_ops, asleep between ops), FramePublisher and
// Server, and a socket client. Goal: end-to-end <= 1.3 x (render + composite).
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>

#include "libindex/default_view.h"
#include "libindex/head.h"
#include "libindex/streaming/frame_publisher.h"
#include "libindex/streaming/server.h"
#include "libindex/streaming/video_header.h"
#include "ws_test_client.h"

using namespace libindex;
using Clock = std::chrono::steady_clock;

namespace {

Head* g_head = nullptr;

/// The built-in supernova at 128^3, seen whole on a size x size canvas.
SceneSpec scene(int size) {
  SceneSpec spec;
  spec.overrides = {{"app::scene::supernova::size", "128"},
                    {"app::scene::supernova::bbox", "0 0 0 128 128 128"},
                    {"index::canvas_resolution", std::to_string(size) + " " + std::to_string(size)}};
  return spec;
}

FrameParams frame_params(int size) {
  FrameParams f;
  f.width = f.height = size;
  f.colormap = colormap_preset("inferno", 0.5f);
  f.colormap.domain_min = 0.05f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.camera = default_camera({{0, 0, 0}, {128, 128, 128}}, 1.0f);
  return f;
}

void BM_EndToEnd(benchmark::State& state) {
  const FrameParams base = frame_params(int(state.range(0)));
  streaming::ServerOptions options;
  options.port = 0;
  streaming::Server server(options);
  server.start();
  streaming::FramePublisher publisher(server, 85);
  streaming::testing::WsClient client(server.port(), "/index_video_client");
  if (!client.open()) {
    state.SkipWithError("video client could not connect");
    return;
  }
  double render = 0, composite = 0, encode = 0, transfer = 0, total = 0;
  float azimuth = 0;
  g_head->render(base); // warm-up: brick load, skip grid
  const long long ops_before = g_head->ops_sent(), broadcasts_before = g_head->op_broadcasts();
  for (auto _ : state) {
    const auto t0 = Clock::now(); // the camera RPC arrives
    azimuth += 5;
    FrameParams f = base;
    f.camera = orbit_camera(base.camera, {64, 64, 64}, azimuth, 0);
    const Image image = g_head->render(f);
    const auto t1 = Clock::now();
    const FrameStats& s = g_head->last_stats();
    const uint64_t number = publisher.publish(image, {s.render_ms, s.composite_ms}, false);
    const auto t2 = Clock::now();
    // Wait for this frame (latest wins: an older one may arrive first).
    for (;;) {
      auto m = client.receive(std::chrono::seconds(30));
      if (!m) {
        state.SkipWithError("no frame arrived");
        return;
      }
      const streaming::VideoHeader got =
          streaming::unpack(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m->data.data()), m->data.size()));
      if (got.frame == number) break;
    }
    const auto t3 = Clock::now();
    render += s.render_ms, composite += s.composite_ms;
    encode += std::chrono::duration<double, std::milli>(t2 - t1).count();
    transfer += std::chrono::duration<double, std::milli>(t3 - t2).count();
    total += std::chrono::duration<double, std::milli>(t3 - t0).count();
    state.SetIterationTime(std::chrono::duration<double>(t3 - t0).count());
  }
  const double n = double(state.iterations());
  state.counters["render_ms"] = render / n;
  state.counters["composite_ms"] = composite / n;
  state.counters["encode_ms"] = encode / n;
  state.counters["transfer_ms"] = transfer / n;
  state.counters["e2e_over_render_composite"] = total / (render + composite);
  state.counters["ranks"] = g_head->ranks();
  state.counters["op_broadcasts_per_frame"] = double(g_head->op_broadcasts() - broadcasts_before) / n;
  state.counters["ops_per_frame"] = double(g_head->ops_sent() - ops_before) / n;
  server.stop();
}
BENCHMARK(BM_EndToEnd)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10);

} // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  SessionOptions options;
  options.log = rank == 0;
  if (rank == 0) {
    Head head(MPI_COMM_WORLD, options, scene(1024));
    g_head = &head;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
  } else {
    follow_ops(MPI_COMM_WORLD, options);
  }
  MPI_Finalize();
  return 0;
}
