// SPDX-License-Identifier: Apache-2.0
// gray_scott: a 3D Gray-Scott reaction-diffusion code with its own MPI decomposition (block.h), the
// kind of simulation libindex's in-situ API is for. Every K steps it publishes u and v, borrowed
// with their ghost layers, calls update(), and reads the feed and kill rates back from the browser.
//   du/dt = Du lap(u) - u v^2 + F (1 - u)
//   dv/dt = Dv lap(v) + u v^2 - (F + k) v
// 7-point Laplacian, explicit Euler, zero-flux boundaries. Run:  mpirun -np 4 gray_scott --help
#include <mpi.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "block.h"
#include "compare.h"
#include "libindex/insitu.h"
#include "options.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

struct Fields {
  std::vector<float> u, v, u_next, v_next;
};

/// u = 1, v = 0, and a few cubes of u = 0.5, v = 0.25: the same global pattern on any decomposition.
void seed(const Block& b, Fields& f) {
  f.u.assign(b.stored_count(), 1.0f);
  f.v.assign(b.stored_count(), 0.0f);
  f.u_next = f.u, f.v_next = f.v;
  const int n = b.global.hi.x, side = std::min(n, std::max(5, n / 10));
  std::mt19937 random(20240611u); // fixed seed; raw draws (distributions differ between libraries)
  for (int cube = 0; cube < 8; ++cube) {
    int lo[3];
    for (int& c : lo) c = int(random() % uint32_t(std::max(1, n - side)));
    const libindex::Box3i box{{lo[0], lo[1], lo[2]}, {lo[0] + side, lo[1] + side, lo[2] + side}};
    const libindex::Box3i mine = libindex::intersect(box, b.local);
    if (mine.empty()) continue;
    for (int z = mine.lo.z; z < mine.hi.z; ++z)
      for (int y = mine.lo.y; y < mine.hi.y; ++y)
        for (int x = mine.lo.x; x < mine.hi.x; ++x) {
          const size_t i = b.index(x, y, z);
          f.u[i] = 0.5f, f.v[i] = 0.25f;
        }
  }
}

/// One explicit step over the interior of the block (the ghosts must be current). A neighbour
/// outside the global box is the voxel itself: zero flux through the boundary.
void step(const Block& b, Fields& f, const Options& o, double feed, double kill) {
  const libindex::Box3i &L = b.local, &G = b.global;
  const long sy = long(b.stored.size().x), sz = sy * b.stored.size().y;
  const float Du = float(o.Du), Dv = float(o.Dv), dt = float(o.dt), F = float(feed), K = float(kill);
  for (int z = L.lo.z; z < L.hi.z; ++z)
    for (int y = L.lo.y; y < L.hi.y; ++y) {
      const long zm = z == G.lo.z ? 0 : -sz, zp = z == G.hi.z - 1 ? 0 : sz;
      const long ym = y == G.lo.y ? 0 : -sy, yp = y == G.hi.y - 1 ? 0 : sy;
      const size_t row = b.index(L.lo.x, y, z);
      const float* __restrict u = f.u.data() + row;
      const float* __restrict v = f.v.data() + row;
      float* __restrict un = f.u_next.data() + row;
      float* __restrict vn = f.v_next.data() + row;
      // Voxel i of the row, its x neighbours at i + xm and i + xp: the same arithmetic everywhere, so
      // the result does not depend on where the blocks are cut.
      auto cell = [&](long i, long xm, long xp) {
        const float uc = u[i], vc = v[i];
        const float lap_u = u[i + xm] + u[i + xp] + u[i + ym] + u[i + yp] + u[i + zm] + u[i + zp] - 6.0f * uc;
        const float lap_v = v[i + xm] + v[i + xp] + v[i + ym] + v[i + yp] + v[i + zm] + v[i + zp] - 6.0f * vc;
        const float uvv = uc * vc * vc;
        un[i] = uc + dt * (Du * lap_u - uvv + F * (1.0f - uc));
        vn[i] = vc + dt * (Dv * lap_v + uvv - (F + K) * vc);
      };
      const long n = L.hi.x - L.lo.x;
      const long first = L.lo.x == G.lo.x ? 1 : 0, last = L.hi.x == G.hi.x ? n - 1 : n; // [first, last): inside
      if (first == 1) cell(0, 0, n > 1 ? 1 : 0);
#pragma GCC ivdep
      for (long i = first; i < last; ++i) cell(i, -1, 1); // vectorizes: un, vn alias neither u nor v
      if (last == n - 1 && n - 1 >= first) cell(n - 1, -1, 0);
    }
  std::swap(f.u, f.u_next);
  std::swap(f.v, f.v_next);
}

double sum_interior(const Block& b, const std::vector<float>& field) {
  double sum = 0;
  for (int z = b.local.lo.z; z < b.local.hi.z; ++z)
    for (int y = b.local.lo.y; y < b.local.hi.y; ++y)
      for (int x = b.local.lo.x; x < b.local.hi.x; ++x) sum += field[b.index(x, y, z)];
  double total = 0;
  MPI_Allreduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, b.comm());
  return total;
}

int run(const Options& o) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::array<int, 3> dims = Block::grid(ranks);
  if (o.size < *std::max_element(dims.begin(), dims.end())) {
    if (rank == 0) std::fprintf(stderr, "gray_scott: --size %d is too small for %d ranks\n", o.size, ranks);
    return 2;
  }
  Block block(MPI_COMM_WORLD, o.size);
  MPI_Comm_rank(block.comm(), &rank); // the Cartesian communicator may have reordered the ranks
  Fields f;
  seed(block, f);

  std::unique_ptr<libindex::insitu::Publisher> viz;
  if (o.viz_every > 0) {
    libindex::insitu::PublisherOptions options;
    options.serve.server.port = o.port;
    options.every_steps = 1; // every update() we make renders a frame
    options.render_threads = o.render_threads;
    options.render_share = o.render_share;
    options.copy_refresh_share = o.copy_refresh;
    if (o.asynchronous) options.mode = libindex::insitu::Mode::asynchronous;
    viz = std::make_unique<libindex::insitu::Publisher>(block.comm(), options);
  }
  double feed = o.feed, kill = o.kill;
  auto steer = [&] {
    if (!viz) return;
    feed = viz->parameter("feed", o.feed, 0.0, 0.1);
    kill = viz->parameter("kill", o.kill, 0.0, 0.1);
  };
  steer();

  long long steps = 0, updates = 0, frames = 0, failed = 0;
  double compute_s = 0, update_s = 0;
  std::set<std::string> reported;
  std::optional<BlockComparison> comparison; // --compare: blocks with and without visualization
  if (o.compare > 0 && viz) comparison.emplace(o.compare);
  block.exchange_halo(f.u.data()); // from here on the ghosts are always current
  block.exchange_halo(f.v.data());
  for (;;) {
    // Every rank stops after the same step: a signal may reach only some of them.
    int stop = g_stop || (o.steps >= 0 && steps >= o.steps);
    MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, block.comm());
    if (stop) break;

    const long long this_step = steps;
    const double t0 = MPI_Wtime();
    step(block, f, o, feed, kill);
    block.exchange_halo(f.u.data());
    block.exchange_halo(f.v.data());
    const double t1 = MPI_Wtime();
    compute_s += t1 - t0;
    ++steps;

    const bool due = comparison ? comparison->update_after(this_step, o.viz_every) : steps % o.viz_every == 0;
    if (viz && due) {
      viz->publish("v", f.v.data(), block.local, block.global, 1);
      viz->publish("u", f.u.data(), block.local, block.global, 1);
      const libindex::insitu::Status st = viz->update(steps, double(steps) * o.dt);
      steer();
      update_s += MPI_Wtime() - t1;
      ++updates;
      if (!st) {
        ++failed;
        if (rank == 0 && reported.insert(st.message).second)
          std::fprintf(stderr, "gray_scott: update at step %lld failed (the run goes on): %s\n", steps,
                       st.message.c_str());
      }
    }
    if (comparison) {
      comparison->add(MPI_Wtime() - t0);
      if (comparison->ends_block(this_step)) {
        comparison->end_block();
        // Untimed: the frames still rendering finish now, so that none renders behind the next block.
        if (comparison->watching(this_step)) viz->flush();
      }
    }
  }

  if (viz) { // asynchronous: the frame still rendering shows the last state; serve it
    const libindex::insitu::Status st = viz->flush();
    frames = viz->frames_served();
    if (!st && rank == 0) std::fprintf(stderr, "gray_scott: the last frame failed: %s\n", st.message.c_str());
  }
  const double sum_v = sum_interior(block, f.v);
  if (comparison) comparison->report(block.comm(), rank == 0);
  double times[2] = {compute_s, update_s};
  MPI_Allreduce(MPI_IN_PLACE, times, 2, MPI_DOUBLE, MPI_MAX, block.comm()); // the slowest rank
  viz.reset();
  if (rank == 0) {
    std::printf("gray_scott: mean step %.3f ms (halo exchange + stencil, slowest rank), mean update %.3f ms "
                "(%lld updates: publish + update + parameters%s)\n",
                steps ? 1e3 * times[0] / double(steps) : 0.0, updates ? 1e3 * times[1] / double(updates) : 0.0, updates,
                o.asynchronous ? ", asynchronous" : "");
    std::printf("gray_scott: sum(v) = %.17g, F = %g, k = %g\n", sum_v, feed, kill);
    std::printf("gray_scott: %lld steps on %d ranks (%dx%dx%d), %lld frames, %lld failed updates\n", steps, ranks,
                dims[0], dims[1], dims[2], frames, failed);
    std::fflush(stdout);
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int exit_code = -1;
  const Options options = parse_options(argc, argv, rank == 0, exit_code);
  if (exit_code < 0) {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
      exit_code = run(options);
    } catch (const std::exception& e) { // the Publisher's constructor when it cannot listen
      std::fprintf(stderr, "gray_scott: rank %d: %s\n", rank, e.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  MPI_Finalize();
  return exit_code;
}
