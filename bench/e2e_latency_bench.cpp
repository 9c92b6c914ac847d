// SPDX-License-Identifier: Apache-2.0
// End-to-end frame latency under `mpirun -np N e2e_latency_bench`: from a camera change on the head
// to the encoded frame arriving at a WebSocket client on /index_video_client, split into render,
// composite, encode and transfer. The real pieces: Session on N ranks, JpegEncoder, Server, and a
// socket client. Goal: end-to-end <= 1.3 x (render + composite).
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>

#include "libindex/default_view.h"
#include "libindex/io/synthetic.h"
#include "libindex/session.h"
#include "libindex/streaming/frame_encoder.h"
#include "libindex/streaming/server.h"
#include "libindex/streaming/video_header.h"
#include "ws_test_client.h"

using namespace libindex;
using Clock = std::chrono::steady_clock;

namespace {

Session* g_session = nullptr;

FrameParams frame_params(int size) {
  FrameParams f;
  f.width = f.height = size;
  f.colormap = colormap_preset("inferno", 0.5f);
  f.colormap.domain_min = 0.05f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  f.camera = default_camera({{0, 0, 0}, {128, 128, 128}}, 1.0f);
  return f;
}

/// One frame on every rank: the head tells the others the azimuth, all render, the head returns.
Image render_everywhere(float azimuth, const FrameParams& base) {
  MPI_Bcast(&azimuth, 1, MPI_FLOAT, 0, MPI_COMM_WORLD);
  FrameParams f = base;
  f.camera = orbit_camera(base.camera, {64, 64, 64}, azimuth, 0);
  return g_session->render_frame(f);
}

void BM_EndToEnd(benchmark::State& state) {
  const FrameParams base = frame_params(int(state.range(0)));
  streaming::ServerOptions options;
  options.port = 0;
  streaming::Server server(options);
  server.start();
  streaming::testing::WsClient client(server.port(), "/index_video_client");
  if (!client.open()) {
    state.SkipWithError("video client could not connect");
    return;
  }
  streaming::JpegEncoder jpeg;
  double render = 0, composite = 0, encode = 0, transfer = 0, total = 0;
  float azimuth = 0;
  uint64_t number = 0;
  render_everywhere(azimuth, base); // warm-up: brick load, skip grid
  for (auto _ : state) {
    const auto t0 = Clock::now(); // the camera RPC arrives
    azimuth += 5;
    const Image image = render_everywhere(azimuth, base);
    const auto t1 = Clock::now();
    const std::vector<uint8_t> rgba = to_rgba8_premultiplied(image);
    streaming::EncodedFrame e =
        jpeg.encode(rgba.data(), image.width(), image.height(), 85, streaming::kVideoMessagePrefix);
    const auto t2 = Clock::now();
    streaming::VideoHeader h;
    h.frame = ++number;
    server.publish_encoded(h, std::move(e));
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
    const FrameStats& s = g_session->last_stats();
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
  state.counters["ranks"] = g_session->size();
  server.stop();
}
BENCHMARK(BM_EndToEnd)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10);

} // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  {
    SessionOptions options;
    options.log = rank == 0;
    Session session(MPI_COMM_WORLD, options);
    session.set_volume(io::make_synthetic("supernova", 128));
    g_session = &session;
    if (rank == 0) {
      benchmark::Initialize(&argc, argv);
      benchmark::RunSpecifiedBenchmarks();
      float stop = -1e30f;
      MPI_Bcast(&stop, 1, MPI_FLOAT, 0, MPI_COMM_WORLD);
    } else {
      const FrameParams base = frame_params(1024);
      for (;;) {
        float azimuth = 0;
        MPI_Bcast(&azimuth, 1, MPI_FLOAT, 0, MPI_COMM_WORLD);
        if (azimuth < -1e29f) break;
        FrameParams f = base;
        f.camera = orbit_camera(base.camera, {64, 64, 64}, azimuth, 0);
        session.render_frame(f);
      }
    }
  }
  MPI_Finalize();
  return 0;
}
