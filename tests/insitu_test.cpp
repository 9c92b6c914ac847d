// SPDX-License-Identifier: Apache-2.0
// In situ under mpirun: ranks publish a known field in their own decomposition (regular, uneven,
// with a rank holding nothing; with and without ghost layers; dense and strided) and the image
// equals the same field written to a raw file and rendered the way index-render renders it (a
// Session over the file, k-d partition) with the same frame parameters, within 1/255. Bad
// decompositions are refused with the ranks and boxes named and the run goes on; a steering value
// set through JSON-RPC reaches every rank at the next update.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/error.h"
#include "libindex/config.h"
#include "libindex/insitu.h"
#include "libindex/io/image_writer.h"
#include "libindex/io/raw_reader.h"
#include "libindex/kernels/backend.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "libindex/session.h"
#if LIBINDEX_WITH_CUDA
#include <cuda_runtime.h>
#endif

using namespace libindex;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

int world_rank() { return libindex::mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return libindex::mpi::comm_size(MPI_COMM_WORLD); }

const Box3i kGlobal{{0, 0, 0}, {40, 36, 20}};

/// A smooth field with structure everywhere, so a misplaced voxel or seam changes pixels.
float field_value(int x, int y, int z, float phase = 0) {
  const float cx = float(x) - 19.5f, cy = float(y) - 17.5f, cz = float(z) - 9.5f;
  return 0.5f + 0.5f * std::sin(0.25f * cx + phase) * std::cos(0.2f * cy) * std::cos(0.3f * cz);
}

/// Rank r's box: 2x2x1 at 4 ranks; uneven at 3 ranks (one big box, two thin ones); with
/// `with_empty`, the last rank holds nothing and the others split the box unevenly along x.
Box3i box_of_rank(int r, int ranks, bool with_empty) {
  const Vec3i g = kGlobal.hi;
  if (with_empty) {
    if (r == ranks - 1) return {};
    const int parts = ranks - 1;
    const int x0 = r == 0 ? 0 : 7 + (g.x - 7) * (r - 1) / std::max(1, parts - 1);
    const int x1 = r == parts - 1 ? g.x : 7 + (g.x - 7) * r / std::max(1, parts - 1);
    return {{x0, 0, 0}, {x1, g.y, g.z}};
  }
  if (ranks == 4) {
    const int hx = g.x / 2, hy = g.y / 2;
    return {{r % 2 ? hx : 0, r / 2 ? hy : 0, 0}, {r % 2 ? g.x : hx, r / 2 ? g.y : hy, g.z}};
  }
  if (ranks == 3) {
    if (r == 0) return {{0, 0, 0}, {25, g.y, g.z}};
    if (r == 1) return {{25, 0, 0}, {g.x, 11, g.z}};
    return {{25, 11, 0}, {g.x, g.y, g.z}};
  }
  // Any other count: slabs along z.
  return {{0, 0, g.z * r / ranks}, {g.x, g.y, g.z * (r + 1) / ranks}};
}

/// The simulation's array: its box grown by `ghost` (inside the global box), `components`
/// interleaved values per voxel, the field in component 0.
struct SimArray {
  Box3i stored;
  int components = 1;
  std::vector<float> values;
  SimArray(const Box3i& local, int ghost, int comps, float phase = 0)
      : stored(local.empty() ? Box3i{} : grow(local, ghost, kGlobal)), components(comps) {
    values.assign(size_t(std::max<long long>(0, stored.voxel_count())) * comps, -1.0f);
    size_t i = 0;
    for (int z = stored.lo.z; z < stored.hi.z; ++z)
      for (int y = stored.lo.y; y < stored.hi.y; ++y)
        for (int x = stored.lo.x; x < stored.hi.x; ++x, i += comps) values[i] = field_value(x, y, z, phase);
  }
  insitu::Strides strides() const {
    const Vec3i n = stored.size();
    return {components, (long long)components * n.x, (long long)components * n.x * n.y};
  }
};

/// The reference: the field written to a raw file on rank 0, rendered by a Session over the file.
Image reference_render(const FrameParams& frame, float phase = 0) {
  const fs::path dir = fs::temp_directory_path() / ("libindex_insitu_" + std::to_string(getppid()));
  const fs::path path = dir / ("field" + std::to_string(phase) + ".raw");
  if (world_rank() == 0) {
    fs::create_directories(dir);
    std::vector<float> all;
    for (int z = 0; z < kGlobal.hi.z; ++z)
      for (int y = 0; y < kGlobal.hi.y; ++y)
        for (int x = 0; x < kGlobal.hi.x; ++x) all.push_back(field_value(x, y, z, phase));
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(all.data()), all.size() * 4);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  io::RawLayout layout;
  layout.path = path.string(), layout.dims = kGlobal.hi, layout.type = io::FileType::float32;
  SessionOptions quiet;
  quiet.log = false;
  Session session(MPI_COMM_WORLD, quiet);
  session.set_volume(io::open_raw(layout));
  Image image = session.render_frame(frame);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    fs::remove(path);
    std::error_code not_empty; // another reference of this run may still be using it
    fs::remove(dir, not_empty);
  }
  return image;
}

double max_difference(const Image& a, const Image& b) {
  EXPECT_EQ(a.width(), b.width());
  EXPECT_EQ(a.height(), b.height());
  if (a.width() != b.width() || a.height() != b.height()) return 1e9;
  double worst = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      const Vec4f p = a.at(x, y), q = b.at(x, y);
      for (float d : {p.x - q.x, p.y - q.y, p.z - q.z, p.w - q.w}) worst = std::max(worst, double(std::fabs(d)));
    }
  return worst;
}

double visible_fraction(const Image& image) {
  long long shown = 0;
  for (const Vec4f& p : image.pixels()) shown += p.w > 0.05f;
  return double(shown) / double(image.pixels().size());
}

insitu::PublisherOptions quiet_options() {
  insitu::PublisherOptions o;
  o.serve.server.port = 0;
  o.serve.on_ready = [](const std::string&) {};
  o.serve.session.log = false;
  o.width = 96, o.height = 80;
  return o;
}

/// The simulation's array in GPU memory, as a CUDA code holds its fields (empty without CUDA).
struct GpuArray {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit GpuArray(const std::vector<float>& values) : bytes(values.size() * sizeof(float)) {
#if LIBINDEX_WITH_CUDA
    if (bytes) {
      EXPECT_EQ(cudaMalloc(&ptr, bytes), cudaSuccess);
    }
    assign(values);
#endif
  }
  void assign(const std::vector<float>& values) {
#if LIBINDEX_WITH_CUDA
    if (bytes) {
      EXPECT_EQ(cudaMemcpy(ptr, values.data(), bytes, cudaMemcpyHostToDevice), cudaSuccess);
    }
#else
    (void)values;
#endif
  }
  ~GpuArray() {
#if LIBINDEX_WITH_CUDA
    if (ptr) cudaFree(ptr);
#endif
  }
  const float* data() const { return static_cast<const float*>(ptr); }
};

enum class Memory { host, gpu };

/// Publishes field "u" (ghost layers, interleaved components) and renders one frame; checks it
/// against the reference render. Asynchronous: update() only copies the field, the simulation
/// overwrites its array at once, and flush() serves the frame of the copy. Memory::gpu: the field
/// is a device pointer, rendered by the CUDA backend.
void expect_same_as_reference(int ghost, int components, bool with_empty, bool shading,
                              insitu::Mode mode = insitu::Mode::synchronous, Memory memory = Memory::host) {
  insitu::PublisherOptions options = quiet_options();
  options.mode = mode;
  if (memory == Memory::gpu) options.serve.session.backend = kernels::BackendKind::cuda;
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  if (shading) viz.command(R"({"jsonrpc":"2.0","id":1,"method":"render.set","params":{"shading":true}})");
  const Box3i mine = box_of_rank(world_rank(), world_size(), with_empty);
  SimArray sim(mine, ghost, components);
  GpuArray gpu(memory == Memory::gpu ? sim.values : std::vector<float>{});
  const float* data = memory == Memory::gpu ? gpu.data() : sim.values.data();
  viz.publish("u", sim.values.empty() ? nullptr : data, mine, kGlobal, ghost,
              components > 1 ? sim.strides() : insitu::Strides{});
  insitu::Status st = viz.update(0, 0.0);
  ASSERT_TRUE(st) << st.message;
  if (mode == insitu::Mode::asynchronous) {
    EXPECT_FALSE(st.rendered);                             // rendering on its own thread
    std::fill(sim.values.begin(), sim.values.end(), 0.9f); // the next step's data: not what is drawn
    if (memory == Memory::gpu) gpu.assign(sim.values);
    st = viz.flush();
    ASSERT_TRUE(st) << st.message;
  }
  EXPECT_TRUE(st.rendered);
  EXPECT_EQ(st.frame_step, 0);
  const Image reference = reference_render(viz.frame());
  if (world_rank() == 0) {
    EXPECT_GT(visible_fraction(reference), 0.2); // the view frames the field: most pixels show it
    EXPECT_LE(max_difference(viz.last_image(), reference), 1.0 / 255.0);
  }
}

/// Skips, saying why, where no CUDA device answers (every rank alike: they share the machine).
#define SKIP_WITHOUT_A_GPU()                                                                                           \
  do {                                                                                                                 \
    std::string why;                                                                                                   \
    if (!kernels::cuda_device_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;                              \
  } while (0)

} // namespace

TEST(InSitu, NoGhostLayersEqualsTheRawFileRender) { expect_same_as_reference(0, 1, false, false); }
TEST(InSitu, TwoGhostLayersBorrowedWithShading) { expect_same_as_reference(2, 1, false, true); }
TEST(InSitu, OneGhostLayerButShadingNeedsTwo) { expect_same_as_reference(1, 1, false, true); }
TEST(InSitu, StridedFieldInsideAnInterleavedArray) { expect_same_as_reference(1, 3, false, false); }
TEST(InSitu, UnevenBoxesAndARankWithoutData) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks or more";
  expect_same_as_reference(0, 1, true, false);
}

TEST(InSitu, AsynchronousEqualsTheRawFileRender) {
  expect_same_as_reference(0, 1, false, false, insitu::Mode::asynchronous);
}
TEST(InSitu, AsynchronousStridedWithShadingUnevenAndARankWithoutData) {
  expect_same_as_reference(1, 3, world_size() >= 2, true, insitu::Mode::asynchronous);
}

// GPU fields: a device pointer rendered by the CUDA backend without a host copy: borrowed (with
// the ghost layers a frame needs), copied on the GPU (strided, asynchronous), or, without ghost
// layers, through host memory for the exchange. The CPU backend refuses one, saying why.
TEST(InSitu, GpuFieldWithItsGhostLayersIsBorrowed) {
  SKIP_WITHOUT_A_GPU();
  expect_same_as_reference(2, 1, false, true, insitu::Mode::synchronous, Memory::gpu);
}
TEST(InSitu, GpuFieldStridedAsynchronousIsCopiedOnTheGpu) {
  SKIP_WITHOUT_A_GPU();
  expect_same_as_reference(1, 3, world_size() >= 2, false, insitu::Mode::asynchronous, Memory::gpu);
}
TEST(InSitu, GpuFieldWithoutGhostLayersExchangesThem) {
  SKIP_WITHOUT_A_GPU();
  expect_same_as_reference(0, 1, false, false, insitu::Mode::synchronous, Memory::gpu);
}
// The backend the simulation chose stays the session's: the view the head sends with every update
// asks for it (it asked for auto before, which switched a CPU session to a GPU where one exists).
TEST(InSitu, TheBackendTheSimulationChoseIsKept) {
  insitu::PublisherOptions options = quiet_options();
  options.serve.session.backend = kernels::BackendKind::cpu;
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  ASSERT_TRUE(viz.update(0, 0.0));
  if (world_rank() == 0) {
    const json render = json::parse(*viz.command(R"({"jsonrpc":"2.0","id":1,"method":"render.get"})"));
    EXPECT_EQ(render["result"]["backend"], "cpu") << render.dump();
  }
}

// snapshot on an in-situ server: the last frame as served, as PNG (the ranks render only inside
// update(), so it takes no size of its own), returned or written under the output root.
TEST(InSitu, SnapshotIsTheLastFrameServed) {
  const fs::path root = fs::temp_directory_path() / ("libindex_insitu_shots_" + std::to_string(getppid()));
  if (world_rank() == 0) fs::create_directories(root);
  insitu::PublisherOptions options = quiet_options();
  options.serve.output_root = root.string();
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  const auto call = [&](const std::string& params) {
    return json::parse(*viz.command(R"({"jsonrpc":"2.0","id":1,"method":"snapshot","params":)" + params + "}"));
  };
  if (world_rank() == 0) {
    const json before = call("{}");
    EXPECT_EQ(before["error"]["code"], -32000) << before.dump();
  }
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  ASSERT_TRUE(viz.update(0, 0.0));
  if (world_rank() == 0) {
    const json written = call(R"({"path":"step0.png"})");
    ASSERT_TRUE(written.contains("result")) << written.dump();
    EXPECT_EQ(written["result"]["width"], 96);
    EXPECT_EQ(written["result"]["height"], 80);
    std::ifstream in(written["result"]["path"].get<std::string>(), std::ios::binary);
    const std::vector<uint8_t> png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const io::Rgba8Image shot = io::decode_png(png), shown = io::decode_png(io::encode_png(viz.last_image()));
    EXPECT_EQ(shot.width, 96);
    EXPECT_EQ(shot.pixels, shown.pixels);
    long long lit = 0;
    for (size_t i = 3; i < shot.pixels.size(); i += 4) lit += shot.pixels[i] > 0;
    EXPECT_GT(lit, 96 * 80 / 5) << "the frame shows the field";
    EXPECT_EQ(call("{}")["result"]["png_base64"].get<std::string>().rfind("iVBORw0KGgo", 0), 0u); // PNG signature
    EXPECT_EQ(call(R"({"path":"step0.png"})")["error"]["code"], -32602); // never over an existing file
    EXPECT_EQ(call(R"({"width":1024})")["error"]["code"], -32602);
    fs::remove_all(root);
  }
}

TEST(InSitu, GpuFieldOnTheCpuBackendIsRefusedSayingWhy) {
  SKIP_WITHOUT_A_GPU();
  insitu::PublisherOptions options = quiet_options();
  options.serve.session.backend = kernels::BackendKind::cpu;
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  const SimArray sim(mine, 1, 1);
  const GpuArray gpu(sim.values);
  viz.publish("u", gpu.data(), mine, kGlobal, 1);
  const insitu::Status st = viz.update(0, 0.0);
  EXPECT_EQ(st.code, insitu::Status::bad_field);
  EXPECT_NE(st.message.find("rank 0 publishes GPU memory"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("CUDA backend"), std::string::npos) << st.message;
  viz.publish("u", sim.values.data(), mine, kGlobal, 1); // host memory again: the run goes on
  EXPECT_TRUE(viz.update(1, 1.0));
}

// The simulation runs ahead of a slow frame: every update() returns at once, frames come out in
// step order, each shows the step it says, and the last one served shows the newest data (copies
// that waited are replaced, and their bytes take the next copy). The render threads work half the
// time (render_share): slower frames, the same pixels.
TEST(InSitu, AsynchronousTheNewestCopyWins) {
  insitu::PublisherOptions options = quiet_options();
  options.mode = insitu::Mode::asynchronous;
  options.render_share = 0.5;
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  viz.command(R"({"jsonrpc":"2.0","id":1,"method":"render.set","params":)"
              R"({"sampling_distance":0.05,"width":384,"height":320}})");
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  // At least six steps, and on until two frames were served by update(): by then copies have
  // replaced waiting ones and a finished frame's bytes have taken a copy. Every rank stops alike
  // (frames are served collectively).
  int steps = 0;
  std::vector<long long> served;
  double slowest_update = 0;
  for (; steps < 6 || (served.size() < 2 && steps < 20000); ++steps) {
    const int step = steps;
    SimArray u(mine, 0, 1, 0.4f * float(step)); // a new state each step, the old array gone
    viz.publish("u", u.values.data(), mine, kGlobal, 0);
    const auto start = std::chrono::steady_clock::now();
    const insitu::Status st = viz.update(step, 0.1 * step);
    slowest_update =
        std::max(slowest_update, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    ASSERT_TRUE(st) << st.message;
    std::this_thread::sleep_for(std::chrono::milliseconds(2)); // the simulation computes
    if (!st.rendered) continue;
    served.push_back(st.frame_step);
    const Image shows = reference_render(viz.frame(), 0.4f * float(st.frame_step));
    if (world_rank() == 0) {
      EXPECT_LE(max_difference(viz.last_image(), shows), 1.0 / 255.0) << "the frame of step " << st.frame_step;
    }
  }
  const insitu::Status last = viz.flush();
  ASSERT_TRUE(last) << last.message;
  ASSERT_TRUE(last.rendered);
  served.push_back(last.frame_step);
  EXPECT_EQ(served.back(), steps - 1);
  EXPECT_TRUE(std::is_sorted(served.begin(), served.end()) &&
              std::adjacent_find(served.begin(), served.end()) == served.end());
  if (world_rank() == 0) // printed, not asserted: timing
    std::printf("%zu of %d steps served; slowest update() %.1f ms\n", served.size(), steps, 1e3 * slowest_update);
  const Image reference = reference_render(viz.frame(), 0.4f * float(steps - 1));
  if (world_rank() == 0) {
    EXPECT_LE(max_difference(viz.last_image(), reference), 1.0 / 255.0);
  }
}

// copy_refresh_share: while a frame renders, a waiting copy younger than that share of a frame's
// time stands for the frames that fall due, seen with the newest view. The render threads work a
// billionth of the time (render_share), so the first frame cannot finish during the six quick
// updates: it rests for at least a thousand times its first tile's work. flush() then lets it run at
// full speed (the rest is cut short), and the copy of step 1, made while the first rendered, is the
// last frame; with 0, as by default, it is step 5's, the newest.
TEST(InSitu, ARecentWaitingCopyStandsForTheFramesDueWhileOneRenders) {
  for (const double refresh : {1e6, 0.0}) {
    insitu::PublisherOptions options = quiet_options();
    options.mode = insitu::Mode::asynchronous;
    options.render_share = 1e-9;
    options.copy_refresh_share = refresh;
    insitu::Publisher viz(MPI_COMM_WORLD, options);
    viz.command(R"({"jsonrpc":"2.0","id":1,"method":"render.set","params":{"width":96,"height":80}})");
    const Box3i mine = box_of_rank(world_rank(), world_size(), false);
    json turned; // the camera after a client turned the view while the copy waited (rank 0)
    for (int step = 0; step < 6; ++step) {
      if (step == 4) {
        const auto reply = viz.command(R"({"jsonrpc":"2.0","id":2,"method":"camera.orbit","params":{"azimuth":50}})");
        if (reply) turned = json::parse(*reply)["result"];
      }
      SimArray u(mine, 0, 1, 0.4f * float(step)); // a new state each step, the old array gone
      viz.publish("u", u.values.data(), mine, kGlobal, 0);
      const insitu::Status st = viz.update(step, 0.1 * step);
      ASSERT_TRUE(st) << st.message;
      EXPECT_FALSE(st.rendered) << "step " << step << ": the first frame finished while resting";
    }
    const insitu::Status last = viz.flush();
    ASSERT_TRUE(last) << last.message;
    ASSERT_TRUE(last.rendered);
    EXPECT_EQ(last.frame_step, refresh > 0 ? 1 : 5) << "copy_refresh_share " << refresh;
    EXPECT_EQ(viz.frames_served(), 2);
    if (world_rank() == 0) { // the frame shows the view as the client left it, not as it was at the copy
      const Vec3f from = viz.frame().camera.from;
      EXPECT_NEAR(from.x, turned["from"][0].get<double>(), 1e-5);
      EXPECT_NEAR(from.z, turned["from"][2].get<double>(), 1e-5);
    }
    const Image shows = reference_render(viz.frame(), 0.4f * float(last.frame_step));
    if (world_rank() == 0) {
      EXPECT_LE(max_difference(viz.last_image(), shows), 1.0 / 255.0) << "the frame of step " << last.frame_step;
    }
  }
}

TEST(InSitu, ACopyRefreshShareBelowZeroIsRefused) {
  insitu::PublisherOptions options = quiet_options();
  options.copy_refresh_share = -0.1;
  try {
    insitu::Publisher viz(MPI_COMM_WORLD, options);
    ADD_FAILURE() << "copy_refresh_share -0.1 was accepted";
  } catch (const libindex::Error& e) {
    EXPECT_NE(std::string(e.what()).find("copy_refresh_share must be 0 or more"), std::string::npos) << e.what();
  }
}

TEST(InSitu, ARenderShareOutsideZeroToOneIsRefusedOnEveryRank) {
  for (const double share : {0.0, -0.5, 2.0}) {
    insitu::PublisherOptions options = quiet_options();
    options.render_share = share;
    try {
      insitu::Publisher viz(MPI_COMM_WORLD, options);
      ADD_FAILURE() << "render_share " << share << " was accepted";
    } catch (const libindex::Error& e) {
      EXPECT_NE(std::string(e.what()).find("render_share must be in (0, 1]"), std::string::npos) << e.what();
    }
  }
}

TEST(InSitu, BadDecompositionsAreRefusedAndTheRunGoesOn) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks or more";
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const int me = world_rank();
  const Box3i good = box_of_rank(me, world_size(), false);
  const auto try_box = [&](const Box3i& box) {
    const SimArray data(box, 0, 1);
    viz.publish("u", data.values.empty() ? nullptr : data.values.data(), box, kGlobal, 0);
    return viz.update(1, 0.0);
  };
  // Rank 1 reaches one voxel into its lower neighbour along the axis where they meet.
  Box3i overlap = good;
  if (me == 1) (good.lo.x > 0 ? overlap.lo.x : good.lo.y > 0 ? overlap.lo.y : overlap.lo.z) -= 1;
  insitu::Status st = try_box(overlap);
  EXPECT_EQ(st.code, insitu::Status::bad_decomposition);
  EXPECT_NE(st.message.find("field 'u': rank"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("overlaps rank"), std::string::npos) << st.message;
  // Rank 1 leaves its first layer to nobody.
  Box3i gap = good;
  if (me == 1) (good.lo.x > 0 ? gap.lo.x : good.lo.y > 0 ? gap.lo.y : gap.lo.z) += 1;
  st = try_box(gap);
  EXPECT_EQ(st.code, insitu::Status::bad_decomposition);
  EXPECT_NE(st.message.find("to no rank"), std::string::npos) << st.message;
  // The last rank's box pokes out of the global box.
  Box3i outside = good;
  if (me == world_size() - 1) outside.hi.z += 3;
  st = try_box(outside);
  EXPECT_EQ(st.code, insitu::Status::bad_decomposition);
  EXPECT_NE(st.message.find("not inside the global box"), std::string::npos) << st.message;
  // A field of another type on one rank.
  std::vector<uint8_t> bytes(size_t(good.voxel_count()), 7);
  if (me == 0)
    viz.publish("u", bytes.data(), good, kGlobal, 0);
  else
    viz.publish("u", SimArray(good, 0, 1).values.data(), good, kGlobal, 0);
  st = viz.update(2, 0.0);
  EXPECT_EQ(st.code, insitu::Status::bad_field);
  EXPECT_NE(st.message.find("rank 1 publishes float32, rank 0 uint8"), std::string::npos) << st.message;
  // And the run goes on.
  st = try_box(good);
  EXPECT_TRUE(st) << st.message;
  EXPECT_TRUE(st.rendered);
}

TEST(InSitu, ASteeringValueReachesEveryRankAtTheNextUpdate) {
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  EXPECT_EQ(viz.parameter("feed", 0.055, 0.0, 0.1), 0.055);
  EXPECT_EQ(viz.parameter("kill", 0.2, 0.0, 1.0), 0.2);
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray sim(mine, 0, 1);
  viz.publish("u", sim.values.data(), mine, kGlobal, 0);
  ASSERT_TRUE(viz.update(0, 0.0));
  if (world_rank() == 0) {
    const json ok = json::parse(*viz.command(
        R"({"jsonrpc":"2.0","id":1,"method":"insitu.set_parameter","params":{"name":"feed","value":0.07}})"));
    EXPECT_EQ(ok["result"]["value"], 0.07);
    const json out = json::parse(*viz.command(
        R"({"jsonrpc":"2.0","id":2,"method":"insitu.set_parameter","params":{"name":"feed","value":0.5}})"));
    EXPECT_EQ(out["error"]["code"], -32602);
    EXPECT_EQ(out["error"]["message"], "invalid params: 'value': feed must be in [0.0, 0.1]");
    const json list = json::parse(*viz.command(R"({"jsonrpc":"2.0","id":3,"method":"insitu.parameters"})"));
    EXPECT_EQ(list["result"][0]["value"], 0.07);
    EXPECT_EQ(list["result"][1]["name"], "kill");
  }
  EXPECT_EQ(viz.parameter("feed", 0.055, 0.0, 0.1), 0.055); // not before the next update
  ASSERT_TRUE(viz.update(1, 0.1));
  double feed = viz.parameter("feed", 0.055, 0.0, 0.1), lo = feed, hi = feed;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, 0.07);
  EXPECT_EQ(hi, 0.07);
  EXPECT_EQ(viz.parameter("kill", 0.2, 0.0, 1.0), 0.2);
}

TEST(InSitu, ABrowserSwitchesTheShownField) {
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1), v(mine, 0, 1, 1.3f);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  viz.publish("v", v.values.data(), mine, kGlobal, 0);
  ASSERT_TRUE(viz.update(0, 0.0));
  if (world_rank() == 0) {
    const json status = json::parse(*viz.command(R"({"jsonrpc":"2.0","id":1,"method":"insitu.status"})"));
    EXPECT_EQ(status["result"]["fields"], json({"u", "v"}));
    EXPECT_EQ(status["result"]["shown"], "u");
    const json bad =
        json::parse(*viz.command(R"({"jsonrpc":"2.0","id":2,"method":"insitu.show","params":{"field":"w"}})"));
    EXPECT_EQ(bad["error"]["message"], "invalid params: 'field': no field 'w' is published");
    viz.command(R"({"jsonrpc":"2.0","id":3,"method":"insitu.show","params":{"field":"v"}})");
  }
  ASSERT_TRUE(viz.update(1, 0.0));
  const Image reference = reference_render(viz.frame(), 1.3f);
  if (world_rank() == 0) {
    EXPECT_LE(max_difference(viz.last_image(), reference), 1.0 / 255.0);
  }
}

TEST(InSitu, AFrameEveryNthUpdateAndAfterAClientsChange) {
  insitu::PublisherOptions options = quiet_options();
  options.every_steps = 3;
  insitu::Publisher viz(MPI_COMM_WORLD, options);
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  std::string rendered;
  for (int step = 0; step < 7; ++step) {
    const insitu::Status st = viz.update(step, 0.0);
    ASSERT_TRUE(st) << st.message;
    rendered += st.rendered ? '1' : '0';
  }
  EXPECT_EQ(rendered, "1001001");
  // A client's change is shown at the next update, whatever the budget says.
  if (world_rank() == 0) viz.command(R"({"jsonrpc":"2.0","id":1,"method":"camera.orbit","params":{"azimuth":30}})");
  EXPECT_TRUE(viz.update(7, 0.0).rendered);
  EXPECT_FALSE(viz.update(8, 0.0).rendered);
}

namespace {
/// A frame of seconds for the backend that renders it: nothing skipped, no early termination.
struct HeavyFrame {
  kernels::BackendKind backend;
  int size;              ///< pixels on a side
  double sampling;       ///< voxels between samples
  const char* why_heavy; ///< for the reader
};
const HeavyFrame kCpuHeavy{kernels::BackendKind::cpu, 1024, 0.02, "2800 samples per ray: seconds on any CPU"};
const HeavyFrame kGpuHeavy{kernels::BackendKind::cuda, 2048, 0.0005, "112000 samples per ray: seconds on an H200"};

insitu::PublisherOptions over_budget_options(const HeavyFrame& heavy, insitu::Mode mode = insitu::Mode::synchronous) {
  insitu::PublisherOptions options = quiet_options();
  options.mode = mode;
  options.max_frame_seconds = 0.3;
  options.width = options.height = heavy.size;
  options.serve.session.backend = heavy.backend; // the CPU's frame would take the GPU 40 ms
  return options;
}

void make_heavy(insitu::Publisher& viz, const HeavyFrame& heavy) {
  viz.command(R"({"jsonrpc":"2.0","id":1,"method":"render.set","params":{"sampling_distance":)" +
              std::to_string(heavy.sampling) + R"(,"skipping":false,"early_termination":false}})");
}

/// The frame is cancelled at its budget and reported as such; the next, light frame works.
void expect_frame_over_budget_fails(const HeavyFrame& heavy) {
  insitu::Publisher viz(MPI_COMM_WORLD, over_budget_options(heavy));
  make_heavy(viz, heavy);
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  const auto start = std::chrono::steady_clock::now();
  insitu::Status st = viz.update(0, 0.0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(st.code, insitu::Status::render_failed) << heavy.why_heavy;
  EXPECT_NE(st.message.find("the frame took longer than its budget of 0.3 s"), std::string::npos) << st.message;
  if (world_rank() == 0) std::printf("a cancelled frame returned after %.2f s\n", seconds); // printed, not asserted
  viz.command(
      R"({"jsonrpc":"2.0","id":2,"method":"render.set","params":{"sampling_distance":1,"width":64,"height":64}})");
  st = viz.update(1, 0.0);
  EXPECT_TRUE(st) << st.message;
  EXPECT_TRUE(st.rendered);
}
} // namespace

TEST(InSitu, AFrameOverItsBudgetFailsAndTheNextUpdateWorks) { expect_frame_over_budget_fails(kCpuHeavy); }

// A GPU kernel cannot be stopped once it runs: the CUDA backend renders a watched frame in bands
// of rows and reads the cancel flag between them.
TEST(InSitu, AGpuFrameOverItsBudgetIsCancelledBetweenBands) {
  SKIP_WITHOUT_A_GPU();
  expect_frame_over_budget_fails(kGpuHeavy);
}

// Rank 0 holds nearly the whole field and rank r > 0 a one-voxel slab, so only rank 0's rendering
// runs past the budget and throws (from inside the marcher); every rank gets the same error naming
// rank 0, and the next update works. Asynchronous: update() returns at once and the error comes
// with the update that collects the frame.
void expect_one_ranks_failure_reported_everywhere(insitu::Mode mode) {
  insitu::Publisher viz(MPI_COMM_WORLD, over_budget_options(kCpuHeavy, mode));
  make_heavy(viz, kCpuHeavy);
  const int r = world_rank(), n = world_size(), thin = kGlobal.hi.x - (n - 1);
  const Box3i mine = r == 0 ? Box3i{{0, 0, 0}, {thin, kGlobal.hi.y, kGlobal.hi.z}}
                            : Box3i{{thin + r - 1, 0, 0}, {thin + r, kGlobal.hi.y, kGlobal.hi.z}};
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  insitu::Status st = viz.update(0, 0.0);
  if (mode == insitu::Mode::asynchronous) {
    EXPECT_TRUE(st) << st.message;
    EXPECT_FALSE(st.rendered);
    st = viz.flush();
  }
  EXPECT_EQ(st.code, insitu::Status::render_failed);
  EXPECT_FALSE(st.rendered);
  const char* why = n > 1 ? "budget of 0.3 s (rank 0: frame cancelled" : "budget of 0.3 s (frame cancelled";
  EXPECT_NE(st.message.find(why), std::string::npos) << st.message;
  // The same status on every rank: the message's length and first bytes agree.
  long long length[2] = {(long long)st.message.size(), -(long long)st.message.size()};
  MPI_Allreduce(MPI_IN_PLACE, length, 2, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  EXPECT_EQ(length[0], -length[1]);
  viz.command(
      R"({"jsonrpc":"2.0","id":2,"method":"render.set","params":{"sampling_distance":1,"width":64,"height":64}})");
  st = viz.update(1, 0.0);
  if (mode == insitu::Mode::asynchronous && st) st = viz.flush();
  EXPECT_TRUE(st) << st.message;
  EXPECT_TRUE(st.rendered);
  EXPECT_EQ(st.frame_step, 1);
}

TEST(InSitu, OneRanksRenderingThrowsAndEveryRankGetsTheError) {
  expect_one_ranks_failure_reported_everywhere(insitu::Mode::synchronous);
}
TEST(InSitu, OneRanksRenderingThrowsAsynchronous) {
  expect_one_ranks_failure_reported_everywhere(insitu::Mode::asynchronous);
}

// A field stays published, and is read by every update, until it is published again or withdrawn;
// a withdrawn field is not published, on one rank or all.
TEST(InSitu, AFieldStaysPublishedUntilWithdrawn) {
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  for (int step = 0; step < 2; ++step) {
    const insitu::Status st = viz.update(step, 0.0);
    EXPECT_TRUE(st) << st.message;
    EXPECT_TRUE(st.rendered);
  }
  if (world_size() > 1) {
    if (world_rank() == 1) viz.withdraw("u");
    const insitu::Status st = viz.update(2, 0.0);
    EXPECT_EQ(st.code, insitu::Status::bad_field);
    EXPECT_EQ(st.message, "field 'u': rank 1 has not published it");
  }
  viz.withdraw("u");
  viz.withdraw("never published"); // nothing
  const insitu::Status st = viz.update(3, 0.0);
  EXPECT_EQ(st.code, insitu::Status::bad_field);
  EXPECT_EQ(st.message, "no field published (publish() before update())");
}

// Any order of axes is a layout (a C array [x][y][z] has z fastest); strides that step backwards or
// make voxels share elements, an empty name and negative ghost layers are refused naming the rank,
// and the run goes on.
TEST(InSitu, AnyAxisOrderRendersAndImpossibleLayoutsAreRefused) {
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const int me = world_rank(), last = world_size() - 1;
  const Box3i mine = box_of_rank(me, world_size(), false);
  const Vec3i n = mine.size();
  std::vector<float> z_fastest(size_t(mine.voxel_count()));
  for (int x = 0; x < n.x; ++x)
    for (int y = 0; y < n.y; ++y)
      for (int z = 0; z < n.z; ++z)
        z_fastest[(size_t(x) * n.y + y) * n.z + z] = field_value(mine.lo.x + x, mine.lo.y + y, mine.lo.z + z);
  const insitu::Strides transposed{(long long)n.y * n.z, n.z, 1};
  viz.publish("u", z_fastest.data(), mine, kGlobal, 0, transposed);
  insitu::Status st = viz.update(0, 0.0);
  ASSERT_TRUE(st) << st.message;
  const Image reference = reference_render(viz.frame());
  if (me == 0) {
    EXPECT_LE(max_difference(viz.last_image(), reference), 1.0 / 255.0);
  }

  // The last rank publishes the bad layouts: the messages name its box.
  const std::string rank = world_size() > 1 ? "rank " + std::to_string(last) + ": " : "";
  const Vec3i nl = box_of_rank(last, world_size(), false).size();
  const std::string voxels =
      " for its " + std::to_string(nl.x) + "x" + std::to_string(nl.y) + "x" + std::to_string(nl.z) + " voxels";
  const auto expect_refused = [&](const insitu::Strides& strides, int ghost, const std::string& message) {
    viz.publish("u", z_fastest.data(), mine, kGlobal, 0, transposed);
    if (me == last) viz.publish("u", z_fastest.data(), mine, kGlobal, ghost, strides);
    const insitu::Status refused = viz.update(1, 0.0);
    EXPECT_EQ(refused.code, insitu::Status::bad_field);
    EXPECT_EQ(refused.message, rank + message);
  };
  expect_refused({-1, nl.x, (long long)nl.x * nl.y}, 0,
                 "field 'u': strides {-1, " + std::to_string(nl.x) + ", " + std::to_string(nl.x * nl.y) + "}" + voxels +
                     " (ghost layers included): the stride along x must be 1 or more");
  expect_refused({1, 5, 7}, 0,
                 "field 'u': strides {1, 5, 7}" + voxels +
                     " (ghost layers included) make voxels share elements: y steps 5 elements, less than the " +
                     std::to_string(nl.x) + " the axes that step less span");
  expect_refused({}, -1, "field 'u': ghost_layers -1 is negative");
  viz.withdraw("u");
  viz.publish("", z_fastest.data(), mine, kGlobal, 0, transposed);
  st = viz.update(1, 0.0);
  EXPECT_EQ(st.code, insitu::Status::bad_field);
  EXPECT_EQ(st.message, (world_size() > 1 ? "rank 0: " : "") +
                            std::string("a field needs a name (publish() was given an empty one)"));
  viz.withdraw("");
  viz.publish("u", z_fastest.data(), mine, kGlobal, 0, transposed);
  st = viz.update(2, 0.0);
  EXPECT_TRUE(st) << st.message;
  EXPECT_TRUE(st.rendered);
}

// Parameters travel by name: ranks that registered them in another order read the same values, and
// from the first update on every rank reads the head's value, whatever its own initial value was.
TEST(InSitu, SteeringValuesGoByNameWhateverTheOrderOfRegistration) {
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const int me = world_rank();
  const double own_gamma = 0.1 * me; // differs between ranks
  if (me % 2 == 0) {
    viz.parameter("alpha", 0.5, 0.0, 2.0), viz.parameter("beta", 5.0, 0.0, 10.0);
  } else {
    viz.parameter("beta", 5.0, 0.0, 10.0), viz.parameter("alpha", 0.5, 0.0, 2.0);
  }
  EXPECT_EQ(viz.parameter("gamma", own_gamma, 0.0, 1.0), own_gamma); // this rank's until the first update
  EXPECT_THROW(viz.parameter("nan", std::nan(""), 0.0, 1.0), Error);
  EXPECT_THROW(viz.parameter("backwards", 0.5, 1.0, 0.0), Error);
  const Box3i mine = box_of_rank(me, world_size(), false);
  SimArray u(mine, 0, 1);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  ASSERT_TRUE(viz.update(0, 0.0));
  if (me == 0)
    viz.command(R"({"jsonrpc":"2.0","id":1,"method":"insitu.set_parameter","params":{"name":"alpha","value":1.5}})");
  ASSERT_TRUE(viz.update(1, 0.0));
  double values[3] = {viz.parameter("alpha", 0.5, 0.0, 2.0), viz.parameter("beta", 5.0, 0.0, 10.0),
                      viz.parameter("gamma", own_gamma, 0.0, 1.0)};
  double lowest[3], highest[3];
  MPI_Allreduce(values, lowest, 3, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(values, highest, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lowest[0], 1.5);
  EXPECT_EQ(highest[0], 1.5);
  EXPECT_EQ(lowest[1], 5.0);
  EXPECT_EQ(highest[1], 5.0);
  EXPECT_EQ(lowest[2], 0.0); // the head's initial value
  EXPECT_EQ(highest[2], 0.0);
}

// A field only some ranks publish cannot render, so clients neither see it listed nor may show it.
TEST(InSitu, OnlyFieldsEveryRankPublishesAreListedAndShown) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks or more";
  insitu::Publisher viz(MPI_COMM_WORLD, quiet_options());
  const Box3i mine = box_of_rank(world_rank(), world_size(), false);
  SimArray u(mine, 0, 1);
  // The head's first field is one the others lack: the first update shows one they all publish.
  if (world_rank() == 0) viz.publish("w", u.values.data(), mine, kGlobal, 0);
  viz.publish("u", u.values.data(), mine, kGlobal, 0);
  const insitu::Status first = viz.update(0, 0.0);
  ASSERT_TRUE(first) << first.message;
  if (world_rank() == 0) {
    const json status = json::parse(*viz.command(R"({"jsonrpc":"2.0","id":1,"method":"insitu.status"})"));
    EXPECT_EQ(status["result"]["fields"], json({"u"}));
    const json show =
        json::parse(*viz.command(R"({"jsonrpc":"2.0","id":2,"method":"insitu.show","params":{"field":"w"}})"));
    EXPECT_EQ(show["error"]["code"], -32602);
  }
  const insitu::Status st = viz.update(1, 0.0);
  EXPECT_TRUE(st) << st.message;
}
