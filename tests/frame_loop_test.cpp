// SPDX-License-Identifier: Apache-2.0
// The library's frame loop under mpirun: the head (rank 0) sends ops, every other rank follows them
// in follow_ops(). A frame costs one op broadcast and one allreduce besides the image exchange; the
// scene spec travels only when it changed; the time step shown is the one asked for, also right
// after another step was read ahead, and a playing series reads each step once for each showing; an
// error on the ranks reaches the head and the loop goes on.
#include <gtest/gtest.h>
#include <mpi.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "libindex/error.h"
#include "libindex/head.h"
#include "libindex/io/raw_reader.h"
#include "libindex/kdtree.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"

using namespace libindex;
namespace fs = std::filesystem;

// MPI's profiling interface: these count the collectives every rank makes, then forward to PMPI_.
namespace {
struct Counts {
  long long ibcast = 0, bcast = 0, allreduce = 0, reduce = 0, comm_dup = 0, barrier = 0;
};
Counts g_counts;
} // namespace

extern "C" {
int MPI_Ibcast(void* b, int n, MPI_Datatype t, int root, MPI_Comm c, MPI_Request* r) {
  ++g_counts.ibcast;
  return PMPI_Ibcast(b, n, t, root, c, r);
}
int MPI_Bcast(void* b, int n, MPI_Datatype t, int root, MPI_Comm c) {
  ++g_counts.bcast;
  return PMPI_Bcast(b, n, t, root, c);
}
int MPI_Allreduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op o, MPI_Comm c) {
  ++g_counts.allreduce;
  return PMPI_Allreduce(s, r, n, t, o, c);
}
int MPI_Reduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op o, int root, MPI_Comm c) {
  ++g_counts.reduce;
  return PMPI_Reduce(s, r, n, t, o, root, c);
}
int MPI_Comm_dup(MPI_Comm c, MPI_Comm* out) {
  ++g_counts.comm_dup;
  return PMPI_Comm_dup(c, out);
}
int MPI_Barrier(MPI_Comm c) {
  ++g_counts.barrier;
  return PMPI_Barrier(c);
}
}

// The same for file reads: the raw reader reads a box with pread, so counting pread's bytes per file
// tells how often each time step's leaf was read on this rank (every rank is its own process). The
// prefetch reads on a thread of its own, hence the mutex.
namespace {
std::mutex g_reads_mutex;
std::map<std::string, long long> g_bytes_read; ///< by the file's path as /proc/self/fd names it

void count_read(int fd, ssize_t bytes) {
  if (bytes <= 0) return;
  char link[64], path[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return;
  std::lock_guard lock(g_reads_mutex);
  g_bytes_read[std::string(path, size_t(n))] += bytes;
}
} // namespace

extern "C" {
ssize_t pread(int fd, void* buffer, size_t size, off_t offset) {
  const auto got = ssize_t(::syscall(SYS_pread64, fd, buffer, size, offset));
  count_read(fd, got);
  return got;
}
ssize_t pread64(int fd, void* buffer, size_t size, off64_t offset) {
  const auto got = ssize_t(::syscall(SYS_pread64, fd, buffer, size, offset));
  count_read(fd, got);
  return got;
}
}

namespace {

int world_rank() { return mpi::comm_rank(MPI_COMM_WORLD); }

SessionOptions quiet() {
  SessionOptions o;
  o.log = false;
  o.backend = kernels::BackendKind::cpu;
  return o;
}

/// A folder every rank sees (same machine), made by rank 0.
fs::path shared_folder(const char* name) {
  std::string path;
  if (world_rank() == 0) {
    path = (fs::temp_directory_path() / ("libindex_loop_" + std::to_string(::getpid()) + "_" + name)).string();
    fs::create_directories(path);
  }
  mpi::broadcast_string(path, MPI_COMM_WORLD);
  return path;
}

/// A series of 4 steps of 16^3 uint8 voxels, step s holding 40 (s + 1) everywhere.
SceneSpec series_scene(const fs::path& dir) {
  if (world_rank() == 0) {
    fs::create_directories(dir / "steps");
    for (int step = 0; step < 4; ++step) {
      std::ofstream f(dir / "steps" / ("density_0" + std::to_string(step) + ".raw"), std::ios::binary);
      const std::string voxels(16 * 16 * 16, char(40 * (step + 1)));
      f << voxels;
    }
    std::ofstream(dir / "series.prj") << "#! index_app_project 0\n"
                                         "index::canvas_resolution = 24 24\n"
                                         "app::scene::root::children = cmap vol\n"
                                         "app::scene::cmap::type = colormap\n"
                                         "app::scene::cmap::preset = grayscale\n"
                                         "app::scene::vol::type = sparse_volume\n"
                                         "app::scene::vol::importer = raw\n"
                                         "app::scene::vol::voxel_format = uint8\n"
                                         "app::scene::vol::bbox = 0 0 0 16 16 16\n"
                                         "app::scene::vol::input_directory = steps\n"
                                         "app::scene::vol::input_file_base_name = density_%02d\n"
                                         "app::scene::vol::input_file_extension = .raw\n"
                                         "app::scene::vol::time_steps = 0 3\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_file((dir / "series.prj").string()));
  return spec;
}

/// The small built-in scene (supernova at 32^3, 40x30 canvas).
SceneSpec small_scene() {
  SceneSpec spec;
  spec.overrides = {{"app::scene::supernova::size", "32"},
                    {"app::scene::supernova::bbox", "0 0 0 32 32 32"},
                    {"index::canvas_resolution", "40 30"}};
  return spec;
}

bool same_pixels(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height()) return false;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x)
      if (!(a.at(x, y) == b.at(x, y))) return false;
  return true;
}

float max_difference(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height()) return 1e9f;
  float worst = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      const Vec4f p = a.at(x, y), q = b.at(x, y);
      worst = std::max({worst, std::abs(p.x - q.x), std::abs(p.y - q.y), std::abs(p.z - q.z), std::abs(p.w - q.w)});
    }
  return worst;
}

} // namespace

TEST(FrameLoop, OneOpBroadcastAndOneAllreduceAFrame) {
  const Counts start = g_counts;
  if (world_rank() != 0) {
    follow_ops(MPI_COMM_WORLD, quiet());
    // Over the whole loop (session, scene build, warm-up, 5 frames, quit): 7 ops, and the only
    // communicators duplicated are the session's and its compositor's, once each.
    EXPECT_EQ(g_counts.ibcast - start.ibcast, 7);
    EXPECT_EQ(g_counts.comm_dup - start.comm_dup, 2);
    EXPECT_EQ(g_counts.reduce - start.reduce, 0);
    return;
  }
  Head head(MPI_COMM_WORLD, quiet(), small_scene());
  head.render(head.state().frame); // warm-up: builds the scene, reads the leaf
  const Counts before = g_counts;
  const long long ops = head.ops_sent();
  for (int i = 0; i < 5; ++i) {
    FrameParams f = head.state().frame;
    f.camera.from.x += float(i + 1);
    EXPECT_EQ(head.render(f).width(), 40);
  }
  EXPECT_EQ(head.ops_sent() - ops, 5);
  EXPECT_EQ(g_counts.ibcast - before.ibcast, 5);       // the op
  EXPECT_EQ(g_counts.allreduce - before.allreduce, 5); // the frame's agreement
  EXPECT_EQ(g_counts.bcast - before.bcast, 0);
  EXPECT_EQ(g_counts.reduce - before.reduce, 0);
  EXPECT_EQ(g_counts.comm_dup - before.comm_dup, 0);
  EXPECT_EQ(g_counts.barrier - before.barrier, 0);
  EXPECT_GT(head.last_stats().samples, 0);
  EXPECT_EQ(head.last_stats().ranks, mpi::comm_size(MPI_COMM_WORLD));
}

TEST(FrameLoop, TheHeadCountsTheTilesOfItsPartOfAFrame) {
  // What the viewer reports as "rendering… 40%": tiles of the head rank's part, done of total.
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), small_scene());
  EXPECT_EQ(head.progress().total.load(), 0);
  FrameParams frame = head.state().frame;
  frame.width = 160, frame.height = 96; // whatever part the head draws: at least one tile
  head.render(frame);
  const long long total = head.progress().total.load();
  EXPECT_GT(total, 0);
  EXPECT_EQ(head.progress().done.load(), total);
  head.render(frame); // counted afresh for each frame, not summed over them
  EXPECT_EQ(head.progress().total.load(), total);
  EXPECT_EQ(head.progress().done.load(), total);
}

TEST(FrameLoop, TheSceneSpecTravelsOnlyWhenItChanged) {
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), small_scene());
  const Image first = head.render(head.state().frame);
  EXPECT_EQ(head.op_broadcasts(), 2); // the first op carries the spec and the 4 KiB colormap: two blocks
  head.render(head.state().frame);
  EXPECT_EQ(head.op_broadcasts(), 3); // then neither: one block
  // A spec longer than a block (4096 bytes) takes a second broadcast, once; the colormap is the same.
  SceneSpec big = small_scene();
  big.edits.push_back(
      SceneLayer::from_text("#! index_app_project 0\n# " + std::string(6000, 'x') + "\n", "a long comment"));
  head.state().load_scene(big);
  const Image after = head.render(head.state().frame);
  EXPECT_EQ(head.op_broadcasts(), 5);
  head.render(head.state().frame);
  EXPECT_EQ(head.op_broadcasts(), 6);
  // A new colormap travels once, and every rank renders with it.
  head.state().frame.colormap.domain_max = 0.5f;
  const Image narrower = head.render(head.state().frame);
  EXPECT_EQ(head.op_broadcasts(), 8);
  EXPECT_FALSE(same_pixels(first, narrower));
  EXPECT_TRUE(same_pixels(narrower, head.render(head.state().frame)));
  EXPECT_EQ(head.op_broadcasts(), 9);
  // Every rank rendered with the new colormap: the N-rank image is the head's own 1-rank image.
  Session alone(MPI_COMM_SELF, quiet());
  const SceneView view = build_scene(small_scene(), false);
  alone.set_volume(view.volume);
  EXPECT_LT(max_difference(alone.render_frame(head.state().frame, view.background), narrower), 2e-5f);
  EXPECT_TRUE(same_pixels(first, after)); // a comment changes nothing, on any rank
}

TEST(FrameLoop, ShowsTheAskedStepNotTheOneReadAhead) {
  const fs::path dir = shared_folder("series");
  const SceneSpec spec = series_scene(dir);
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ViewState& s = head.state();
  std::vector<Image> fresh(4); // each step rendered as the first thing after a scene load
  for (int step = 3; step >= 0; --step) {
    s.load_scene(spec);
    s.fit_domain = false; // one colormap domain for every step (a fresh load would fit its own step's range)
    s.time_step = step;
    fresh[size_t(step)] = head.render(s.frame);
  }
  EXPECT_FALSE(same_pixels(fresh[0], fresh[3])); // the steps do look different
  // Playing from 0 reads step 1 ahead; jumping to 3 must show 3, then 1 (the read-ahead) shows 1.
  s.time_step = 0;
  s.playing = true;
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[0]));
  s.time_step = 3;
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[3]));
  s.time_step = 1;
  s.playing = false;
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[1]));
  s.time_step = 2;
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[2]));
  fs::remove_all(dir);
}

TEST(FrameLoop, ALowerDomainMinReachesEveryRank) {
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), small_scene());
  ViewState& s = head.state();
  const Image before = head.render(s.frame);
  const long long broadcasts = head.op_broadcasts();
  // Only the lower end of the domain moves (down): the colormap must travel (its 4 KiB take a second
  // block) and every rank must render with it.
  Colormap& m = s.frame.colormap;
  const float old_max = m.domain_max;
  m.domain_min -= 0.5f * (m.domain_max - m.domain_min);
  const Image lowered = head.render(s.frame);
  EXPECT_EQ(head.op_broadcasts() - broadcasts, 2);
  EXPECT_EQ(m.domain_max, old_max);
  EXPECT_FALSE(same_pixels(before, lowered)) << "a lower domain_min must change the picture";
  Session alone(MPI_COMM_SELF, quiet());
  const SceneView view = build_scene(small_scene(), false);
  alone.set_volume(view.volume);
  EXPECT_LT(max_difference(alone.render_frame(s.frame, view.background), lowered), 2e-5f);
  EXPECT_TRUE(same_pixels(lowered, head.render(s.frame))); // and keeps it
  EXPECT_EQ(head.op_broadcasts() - broadcasts, 3);
}

TEST(FrameLoop, PlayingReadsEachStepsLeafOnceOnEveryRank) {
  // A playing series shows steps 0 1 2 3 0 1: after each frame every rank reads its leaf of the next
  // step ahead, and the next frame shows that read instead of reading the step again. The reads are
  // counted in bytes of each step's file on this rank.
  const fs::path dir = shared_folder("play");
  const SceneSpec spec = series_scene(dir);
  {
    std::lock_guard lock(g_reads_mutex);
    g_bytes_read.clear();
  }
  if (world_rank() != 0) {
    follow_ops(MPI_COMM_WORLD, quiet()); // returns once the head quit: every read ahead has ended
  } else {
    Head head(MPI_COMM_WORLD, quiet(), spec);
    ViewState& s = head.state();
    s.playing = true;
    for (int frame = 0; frame < 6; ++frame) {
      EXPECT_EQ(head.render(s.frame).width(), 24);
      s.advance_time();
    }
  } // the head's session waits for its read ahead
  // One read of a step: this rank's leaf of the 16^3 volume plus one ghost layer, read once here
  // through the same reader (which reads a narrow box's rows together with the gaps between them).
  const Box3i volume{{0, 0, 0}, {16, 16, 16}};
  const int ranks = mpi::comm_size(MPI_COMM_WORLD);
  const Box3i leaf = grow(build_kdtree(volume, ranks).leaf_box(world_rank()), 1, volume);
  const auto step_file = [&](int step) {
    return fs::canonical(dir / "steps" / ("density_0" + std::to_string(step) + ".raw")).string();
  };
  std::map<std::string, long long> played;
  {
    std::lock_guard lock(g_reads_mutex);
    played.swap(g_bytes_read);
  }
  io::open_raw({step_file(0), volume.size(), io::FileType::uint8})->read(leaf);
  std::lock_guard lock(g_reads_mutex);
  const long long one_read = g_bytes_read[step_file(0)];
  ASSERT_GE(one_read, leaf.voxel_count());
  // Step 0 is read for the first frame and ahead during the fourth (step 3 shown); step 1 ahead
  // during the first and the fifth, step 2 during the second and the sixth, step 3 during the third.
  const long long expected[4] = {2 * one_read, 2 * one_read, 2 * one_read, 1 * one_read};
  for (int step = 0; step < 4; ++step)
    EXPECT_EQ(played[step_file(step)], expected[step])
        << "rank " << world_rank() << ", step " << step << ": " << played[step_file(step)] << " bytes read, "
        << one_read << " a read";
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) fs::remove_all(dir);
}

TEST(FrameLoop, ShadingTurnedOnWhilePlayingShowsEachStepAsAFreshRender) {
  // Steps of 16^3 voxels that vary in space (so shading has normals and a leaf's ghost layers
  // matter), step s shifted by 40 s. Playing without shading, each rank reads the next step ahead
  // with 1 ghost layer; shading, turned on before that step is shown, needs 2: the step shown must be
  // the one a fresh scene shows, pixel for pixel.
  const fs::path dir = shared_folder("shade");
  if (world_rank() == 0) {
    fs::create_directories(dir / "steps");
    for (int step = 0; step < 3; ++step) {
      std::string voxels(16 * 16 * 16, '\0');
      for (int z = 0, i = 0; z < 16; ++z)
        for (int y = 0; y < 16; ++y)
          for (int x = 0; x < 16; ++x, ++i) voxels[size_t(i)] = char(30 + (x * 7 + y * 3 + z * 5 + 40 * step) % 200);
      std::ofstream(dir / "steps" / ("v_0" + std::to_string(step) + ".raw"), std::ios::binary) << voxels;
    }
    std::ofstream(dir / "shade.prj") << "#! index_app_project 0\n"
                                        "index::canvas_resolution = 32 24\n"
                                        "app::scene::root::children = cmap vol\n"
                                        "app::scene::cmap::type = colormap\n"
                                        "app::scene::cmap::preset = magma\n"
                                        "app::scene::vol::type = sparse_volume\n"
                                        "app::scene::vol::importer = raw\n"
                                        "app::scene::vol::voxel_format = uint8\n"
                                        "app::scene::vol::bbox = 0 0 0 16 16 16\n"
                                        "app::scene::vol::input_directory = steps\n"
                                        "app::scene::vol::input_file_base_name = v_%02d\n"
                                        "app::scene::vol::input_file_extension = .raw\n"
                                        "app::scene::vol::time_steps = 0 2\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_file((dir / "shade.prj").string()));
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ViewState& s = head.state();
  std::vector<Image> fresh(3); // each step with shading, the first frame after a scene load
  for (int step = 0; step < 3; ++step) {
    s.load_scene(spec);
    s.time_step = step;
    s.frame.settings.shading.enabled = true;
    fresh[size_t(step)] = head.render(s.frame);
  }
  s.load_scene(spec);
  s.frame.settings.shading.enabled = false;
  s.playing = true;
  const Image unshaded = head.render(s.frame); // step 0; step 1 is read ahead with 1 ghost layer
  EXPECT_FALSE(same_pixels(unshaded, fresh[0])) << "shading must change the picture";
  s.advance_time();
  s.frame.settings.shading.enabled = true;
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[1])); // step 1, read again with 2
  s.advance_time();
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[2])); // step 2, read ahead with 2
  s.advance_time();
  EXPECT_TRUE(same_pixels(head.render(s.frame), fresh[0])); // and around
  EXPECT_FALSE(same_pixels(fresh[1], fresh[2]));
  fs::remove_all(dir);
}

TEST(FrameLoop, AnErrorOnTheRanksReachesTheHeadAndTheLoopGoesOn) {
  const fs::path dir = shared_folder("error");
  if (world_rank() == 0) {
    std::ofstream(dir / "v.raw", std::ios::binary) << std::string(8 * 8 * 8, char(200));
    std::ofstream(dir / "v.prj") << "#! index_app_project 0\n"
                                    "app::scene::root::children = vol\n"
                                    "app::scene::vol::type = sparse_volume\n"
                                    "app::scene::vol::importer = raw\n"
                                    "app::scene::vol::voxel_format = uint8\n"
                                    "app::scene::vol::bbox = 0 0 0 8 8 8\n"
                                    "app::scene::vol::input_file = v.raw\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), small_scene());
  SceneSpec broken;
  broken.use_default = false;
  broken.layers.push_back(SceneLayer::from_file((dir / "v.prj").string()));
  head.state().load_scene(broken); // valid on the head now ...
  fs::remove(dir / "v.raw");       // ... and gone when the ranks read it
  try {
    head.render(head.state().frame);
    ADD_FAILURE() << "a frame of a missing file rendered";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v.raw"), std::string::npos) << e.what();
  }
  head.state().load_scene(small_scene());
  EXPECT_EQ(head.render(head.state().frame).width(), 40); // every rank still follows
  fs::remove_all(dir);
}

// A second series beside the first follows the shown step: its values (uniform 40 (s + 1) / 255)
// are those of the step asked for, on every rank count.
TEST(FrameLoop, AnotherSeriesVolumeFollowsTheTimeStep) {
  const fs::path dir = shared_folder("two_series");
  SceneSpec spec = series_scene(dir);
  spec.edits.push_back(SceneLayer::from_text("#! index_app_project 0\n"
                                             "app::scene::root::children = cmap vol vol2\n"
                                             "app::scene::vol2::type = sparse_volume\n"
                                             "app::scene::vol2::importer = raw\n"
                                             "app::scene::vol2::voxel_format = uint8\n"
                                             "app::scene::vol2::bbox = 20 0 0 36 16 16\n"
                                             "app::scene::vol2::input_directory = " +
                                                 (dir / "steps").string() +
                                                 "\n"
                                                 "app::scene::vol2::input_file_base_name = density_%02d\n"
                                                 "app::scene::vol2::input_file_extension = .raw\n"
                                                 "app::scene::vol2::time_steps = 0 3\n",
                                             "second series"));
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ViewState& s = head.state();
  for (int step : {2, 0, 3}) {
    s.time_step = step;
    head.render(s.frame);
    ASSERT_EQ(s.other_statistics.size(), 2u);
    EXPECT_FLOAT_EQ(float(s.other_statistics[1].min), float(40 * (step + 1)) / 255.0f) << "step " << step;
    EXPECT_FLOAT_EQ(float(s.statistics->max), float(40 * (step + 1)) / 255.0f) << "step " << step;
  }
  fs::remove_all(dir);
}

namespace {
/// A scene of the volumes `ids` of: a (a sphere at x 0..16, magma) and b (Marschner-Lobb at x
/// 20..36, viridis; at `b_x0` when given), seen from +x and above, so b is in front where they
/// cover each other.
SceneSpec volumes_scene(const std::string& ids, int b_x0 = 20, bool b_shaded = false, int size = 16) {
  std::string text = "#! index_app_project 0\n"
                     "index::canvas_resolution = 64 48\n"
                     "index::camera::from = 90 8 40\n"
                     "index::camera::dir = -1 0 -0.45\n"
                     "index::camera::up = 0 0 1\n"
                     "index::camera::aperture = 0.7\n"
                     "index::camera::focal = 1\n"
                     // N-rank equals 1-rank exactly only without early termination (it stops per brick).
                     "app::libindex::view::early_termination = false\n"
                     "app::scene::root::children = " +
                     ids + "\n";
  const struct {
    const char *id, *preset, *generator;
    int x0;
  } volumes[] = {{"a", "magma", "sphere", 0}, {"b", "viridis", "marschner-lobb", b_x0}};
  for (const auto& v : volumes) {
    const std::string g = std::string("app::scene::") + v.id, c = g + "_cmap";
    const std::string props = b_shaded && std::string(v.id) == "b" ? "b_props " : ""; // a headlight shades b
    text +=
        g + "_group::type = static_scene_group\n" + g + "_group::children = " + props + v.id + "_cmap " + v.id + "\n";
    text += c + "::type = colormap\n" + c + "::preset = " + v.preset + "\n" + c + "::domain = 0.1 1\n" + c +
            "::domain_boundary_mode = clamp_to_transparent\n";
    text += g + "::type = sparse_volume\n" + g + "::importer = synthetic\n" + g + "::generator = " + v.generator +
            "\n" + g + "::size = " + std::to_string(size) + "\n" + g + "::bbox = " + std::to_string(v.x0) + " 0 0 " +
            std::to_string(v.x0 + size) + " " + std::to_string(size) + " " + std::to_string(size) + "\n";
  }
  if (b_shaded)
    text += "app::scene::b_props::type = directional_headlight\n"
            "app::scene::b_props::direction = 0 0 -1\n";
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_text(text, "two_volumes.prj"));
  return spec;
}

/// A volume sample program whose execute(i, o) runs `body` and returns NV_IDX_PROG_OK.
std::string sample_program(const std::string& body) {
  return "class Volume_sample_program {\n"
         "  NV_IDX_VOLUME_SAMPLE_PROGRAM\n"
         "public:\n"
         "  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}\n"
         "  NV_IDX_DEVICE_INLINE_MEMBER\n"
         "  int execute(const Sample_info_self& i, Sample_output& o) {\n" +
         body +
         "    return NV_IDX_PROG_OK;\n"
         "  }\n"
         "};\n";
}

/// One volume alone on this rank: its scene's frame, no background.
Image render_alone(const SceneSpec& spec) {
  const SceneView view = build_scene(spec, false);
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  return alone.render_frame(view.frame);
}
} // namespace

// Several volumes in one scene: each renders over every rank and the head blends them, nearest
// first. The N-rank picture equals b over a, each rendered alone on one rank.
TEST(FrameLoop, TwoVolumesSideBySideBlendNearestFirst) {
  const SceneSpec both = volumes_scene("a_group b_group");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), both);
  EXPECT_TRUE(head.state().view.scene.warnings.empty()); // side by side: no overlap to warn about
  const Image image = head.render(head.state().frame);
  const Image a = render_alone(volumes_scene("a_group")), b = render_alone(volumes_scene("b_group"));
  Image expected = b;
  for (size_t p = 0; p < expected.pixels().size(); ++p) expected.pixels()[p] = over(b.pixels()[p], a.pixels()[p]);
  auto shown = [](const Image& img) {
    int n = 0;
    for (const Vec4f& p : img.pixels()) n += p.w > 0.05f;
    return n;
  };
  EXPECT_GT(shown(a), 100);
  EXPECT_GT(shown(b), 100);
  EXPECT_GT(shown(image), std::max(shown(a), shown(b))); // both are there
  EXPECT_LT(max_difference(image, expected), 1e-4f);
  // Each volume's values are counted over every rank: 16^3 voxels each.
  ASSERT_TRUE(head.state().statistics.has_value());
  EXPECT_EQ(head.state().statistics->count, 16 * 16 * 16);
  ASSERT_EQ(head.state().other_statistics.size(), 2u);
  EXPECT_EQ(head.state().other_statistics[1].count, 16 * 16 * 16);
  EXPECT_LT(head.state().other_statistics[1].min, head.state().other_statistics[1].max);
  // The other order would be wrong: b drawn behind a.
  Image wrong = a;
  for (size_t p = 0; p < wrong.pixels().size(); ++p) wrong.pixels()[p] = over(a.pixels()[p], b.pixels()[p]);
  EXPECT_GT(max_difference(image, wrong), 1e-2f);
}

// Two volumes on one grid mix per sample: the N-rank picture equals the mix on one rank, and at
// every pixel 1 - alpha is the product of each volume's 1 - alpha rendered alone (no early
// termination, so every sample counts). Still so after a rebalance moves the first volume's leaves.
TEST(FrameLoop, TwoVolumesOnOneGridMixPerSample) {
  const SceneSpec both = volumes_scene("a_group b_group", 0, true, 32);
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), both);
  EXPECT_TRUE(head.state().view.scene.warnings.empty()) << head.state().view.scene.warnings.front();
  const Image image = head.render(head.state().frame);

  const SceneView view = build_scene(both, false);
  Session a(MPI_COMM_SELF, quiet()), b(MPI_COMM_SELF, quiet());
  a.set_volume(view.scene.volumes[0].source), b.set_volume(view.scene.volumes[1].source);
  const Session::MixPartner partner{&b, volume_frame(view, 1, view.frame)};
  const Image one_rank = a.render_mixed_frame(view.frame, std::span(&partner, 1));
  const Image alone_a = render_alone(volumes_scene("a_group", 0, true, 32));
  const Image alone_b = render_alone(volumes_scene("b_group", 0, true, 32));
  int both_shown = 0;
  float alpha_error = 0;
  for (size_t p = 0; p < image.pixels().size(); ++p) {
    const float ta = 1 - alone_a.pixels()[p].w, tb = 1 - alone_b.pixels()[p].w;
    alpha_error = std::max(alpha_error, std::abs(image.pixels()[p].w - (1 - ta * tb)));
    both_shown += ta < 0.9f && tb < 0.9f;
  }
  EXPECT_GT(both_shown, 100);
  EXPECT_LT(alpha_error, 1e-4f);
  EXPECT_LT(max_difference(image, one_rank), 1e-4f);
  // Blending one over the other would give another picture.
  Image blended = alone_a;
  for (size_t p = 0; p < blended.pixels().size(); ++p)
    blended.pixels()[p] = over(alone_b.pixels()[p], alone_a.pixels()[p]);
  EXPECT_GT(max_difference(image, blended), 1e-2f);

  // At 3 ranks the voxel-balanced leaves cut the sphere unevenly: rebalancing moves them.
  const bool moved = head.rebalance();
  if (head.ranks() == 3) {
    EXPECT_TRUE(moved);
  }
  EXPECT_LT(max_difference(head.render(head.state().frame), one_rank), 1e-4f) << "after rebalancing";
}

namespace {
/// a: the 32^3 sphere of volumes_scene at the origin; b: a 12^3 float NRRD of 3-unit voxels (its
/// spacings) from x = -12 to 24, so it overlaps a and reaches past it, and a's leaves' faces fall
/// inside b's voxels. `ids`: the groups shown.
SceneSpec other_grid_scene(const fs::path& dir, const std::string& ids) {
  if (world_rank() == 0 && !fs::exists(dir / "b.nrrd")) {
    std::ofstream f(dir / "b.nrrd", std::ios::binary);
    f << "NRRD0004\ntype: float\ndimension: 3\nsizes: 12 12 12\nspacings: 3 3 3\nencoding: raw\n"
         "endian: little\n\n";
    for (int z = 0; z < 12; ++z)
      for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x) {
          const float v = 0.3f + 0.2f * std::sin(0.9f * x) * std::cos(0.7f * y + 0.4f * z);
          f.write(reinterpret_cast<const char*>(&v), sizeof v);
        }
  }
  SceneSpec spec = volumes_scene(ids, 0, false, 32);
  spec.overrides = {{"app::scene::b::importer", "nrrd"},
                    {"app::scene::b::input_file", (dir / "b.nrrd").string()},
                    {"app::scene::b::size", "12"},
                    {"app::scene::b::bbox", "-4 0 0 8 12 12"}};
  return spec;
}
} // namespace

// Two overlapping volumes on different grids (other voxel size and placement) mix per sample: the
// N-rank picture equals the one-rank mix, and at every pixel 1 - alpha is the product of each
// volume's 1 - alpha rendered alone (b's samples are a's lattice points, read on b's grid; no early
// termination). The first volume's ranks partition the hull of both: b reaches past a.
TEST(FrameLoop, OverlappingVolumesOnDifferentGridsMixPerSample) {
  const fs::path dir = shared_folder("other_grid");
  const SceneSpec both = other_grid_scene(dir, "a_group b_group");
  if (world_rank() != 0) {
    follow_ops(MPI_COMM_WORLD, quiet());
    return;
  }
  Head head(MPI_COMM_WORLD, quiet(), both);
  EXPECT_TRUE(head.state().view.scene.warnings.empty()) << head.state().view.scene.warnings.front();
  const Image image = head.render(head.state().frame);

  const SceneView view = build_scene(both, false);
  ASSERT_FALSE(io::share_grid(view.scene, 0, 1));
  ASSERT_EQ(io::partition_box(view.scene, 0), (Box3i{{-12, 0, 0}, {32, 36, 36}}));
  Session a(MPI_COMM_SELF, quiet()), b(MPI_COMM_SELF, quiet());
  a.set_volume(view.scene.volumes[0].source, io::partition_box(view.scene, 0));
  b.set_volume(view.scene.volumes[1].source);
  const Session::MixPartner partner{&b, volume_frame(view, 1, view.frame)};
  const Image one_rank = a.render_mixed_frame(view.frame, std::span(&partner, 1));
  const Image alone_a = render_alone(other_grid_scene(dir, "a_group"));
  const Image alone_b = render_alone(other_grid_scene(dir, "b_group"));
  int both_shown = 0, b_beyond_a = 0;
  float alpha_error = 0;
  for (size_t p = 0; p < image.pixels().size(); ++p) {
    const float ta = 1 - alone_a.pixels()[p].w, tb = 1 - alone_b.pixels()[p].w;
    alpha_error = std::max(alpha_error, std::abs(image.pixels()[p].w - (1 - ta * tb)));
    both_shown += ta < 0.9f && tb < 0.9f;
    b_beyond_a += ta == 1 && tb < 0.9f;
  }
  EXPECT_GT(both_shown, 100);
  EXPECT_GT(b_beyond_a, 20) << "b's part outside a's box is drawn too";
  EXPECT_LT(alpha_error, 1e-4f);
  EXPECT_LT(max_difference(image, one_rank), 1e-4f);
  // Blending one over the other, in either order, would give another picture.
  Image a_over_b = alone_a, b_over_a = alone_a;
  for (size_t p = 0; p < a_over_b.pixels().size(); ++p) {
    a_over_b.pixels()[p] = over(alone_a.pixels()[p], alone_b.pixels()[p]);
    b_over_a.pixels()[p] = over(alone_b.pixels()[p], alone_a.pixels()[p]);
  }
  EXPECT_GT(max_difference(image, a_over_b), 1e-2f);
  EXPECT_GT(max_difference(image, b_over_a), 1e-2f);
  // Each voxel counted once, although a's leaves reach past its box.
  ASSERT_TRUE(head.state().statistics.has_value());
  EXPECT_EQ(head.state().statistics->count, 32 * 32 * 32);
  ASSERT_EQ(head.state().other_statistics.size(), 2u);
  EXPECT_EQ(head.state().other_statistics[1].count, 12 * 12 * 12);
  // In MIP each volume renders alone over its own partition (a's: still the hull).
  ViewState& s = head.state();
  s.frame.settings.mode = RenderMode::maximum_intensity;
  const Image mip = head.render(s.frame);
  EXPECT_GT(max_difference(mip, image), 1e-2f);
  s.frame.settings.mode = RenderMode::direct_volume;
  EXPECT_LT(max_difference(head.render(s.frame), one_rank), 1e-4f) << "back to the mix";
  fs::remove_all(dir);
}

// A sample program colours its volume alone: the second volume of a grid, given one, is rendered
// on its own over every rank (its program on each) and blended with the first, not mixed.
TEST(FrameLoop, AVolumeWithASampleProgramIsBlendedNotMixed) {
  auto with_program = [](SceneSpec spec) {
    spec.overrides = {{"app::scene::b_group::children", "red b_cmap b"},
                      {"app::scene::red::type", "rendering_kernel_program"},
                      {"app::scene::red::source_string",
                       sample_program("    const float v = state.self.generate_sampler<float>()\n"
                                      "        .fetch_sample(i.sample_position_object_space);\n"
                                      "    o.set_color(make_float4(1.0f, 0.0f, 0.0f, 0.3f * v));\n")}};
    return spec;
  };
  const SceneSpec both = with_program(volumes_scene("a_group b_group", 0, false, 32));
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), both);
  const Image image = head.render(head.state().frame);
  const SceneView view = build_scene(both, false);
  ASSERT_TRUE(view.programs.at(1)) << "the program compiled";
  const Image alone_a = render_alone(volumes_scene("a_group", 0, false, 32));
  const Image alone_b = render_alone(with_program(volumes_scene("b_group", 0, false, 32)));
  const std::vector<size_t> order = volume_order(view, view.frame.camera);
  const Image &front = order[0] == 0 ? alone_a : alone_b, &back = order[0] == 0 ? alone_b : alone_a;
  Image expected = front;
  for (size_t p = 0; p < expected.pixels().size(); ++p)
    expected.pixels()[p] = over(front.pixels()[p], back.pixels()[p]);
  EXPECT_GT(max_difference(alone_b, render_alone(volumes_scene("b_group", 0, false, 32))), 0.05f)
      << "the program changes b's picture";
  EXPECT_LT(max_difference(image, expected), 1e-4f);
}

// A program that maps the second volume of its grid and that volume's colormap to its slots (IndeX's
// rendering_kernel_program_scene_element_mapping) draws that volume: over N ranks the picture
// equals b alone through its colormap on one rank, and b is not drawn a second time on its own.
namespace {
/// Volume a of volumes_scene with a program that shows slot 2 (b) through slot 4 (b_cmap).
SceneSpec with_mapping(SceneSpec spec) {
  spec.overrides = {
      {"app::scene::a_group::children", "channels a_cmap mapping a"},
      {"app::scene::mapping::type", "rendering_kernel_program_scene_element_mapping"},
      {"app::scene::mapping::slot_4", "b_cmap"},
      {"app::scene::channels::type", "rendering_kernel_program"},
      {"app::scene::channels::source_string",
       sample_program(
           "    const auto volume = state.scene.access<nv::index::xac::Sparse_volume>(2);\n"
           "    const float v = volume.generate_sampler<float>().fetch_sample(i.sample_position_object_space);\n"
           "    o.set_color(state.scene.access<nv::index::xac::Colormap>(4).lookup(v));\n")}};
  spec.overrides.push_back({"app::scene::mapping::slot_2", "b"});
  return spec;
}
} // namespace

TEST(FrameLoop, AProgramDrawsTheVolumeMappedToItsSlots) {
  const SceneSpec both = with_mapping(volumes_scene("a_group b_group", 0, false, 32));
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), both);
  for (const std::string& w : head.state().view.scene.warnings) ADD_FAILURE() << w;
  const Image image = head.render(head.state().frame);
  ASSERT_TRUE(head.state().view.programs.at(0)) << "the program compiled";
  const Image alone_b = render_alone(volumes_scene("b_group", 0, false, 32));
  int shown = 0;
  for (const Vec4f& p : alone_b.pixels()) shown += p.w > 0.05f;
  EXPECT_GT(shown, 100) << "b must show";
  EXPECT_LE(max_difference(image, alone_b), 1.0f / 255);
  // Not a's voxels: a's sphere through b's colormap (what an unmapped slot 2 would read) differs.
  SceneSpec a_through_b_cmap = volumes_scene("a_group", 0, false, 32);
  a_through_b_cmap.overrides = {{"app::scene::a_cmap::preset", "viridis"}};
  EXPECT_GT(max_difference(render_alone(a_through_b_cmap), alone_b), 0.05f);
}

// IndeX's way to give a program data it does not show: b disabled, and read through a's slot.
TEST(FrameLoop, ADisabledVolumeIsDrawnOnlyByTheProgramThatMapsIt) {
  SceneSpec spec = with_mapping(volumes_scene("a_group b_group", 0, false, 32));
  spec.overrides.push_back({"app::scene::b::enabled", "false"});
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  for (const std::string& w : head.state().view.scene.warnings) ADD_FAILURE() << w;
  ASSERT_EQ(head.state().view.scene.volumes.size(), 2u);
  EXPECT_LE(max_difference(head.render(head.state().frame), render_alone(volumes_scene("b_group", 0, false, 32))),
            1.0f / 255);
}

// A scene without volumes (empty.prj, or every volume disabled) is a valid scene: its frame is the
// background, on any number of ranks.
TEST(FrameLoop, ASceneWithoutVolumesRendersTheBackground) {
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_text("#! index_app_project 0\napp::scene::root::children =\n", "empty.prj"));
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ASSERT_TRUE(head.state().view.scene.volumes.empty());
  const Image image = head.render(head.state().frame);
  ASSERT_GT(image.width(), 0);
  float alpha = 0;
  for (const Vec4f& p : image.pixels()) alpha += p.w;
  EXPECT_EQ(alpha, 0.0f);
}

// A mix is one image: it takes its place among the other volumes by the hull of its volumes. a
// (10^3 at the origin) and b (20^3 from x = 5) mix; c lies beside b in y and apart from a along x.
// Seen from x = 100, y = -50, a's box alone would put c in front (apart along x); b, inside the
// mix's image, lies between the eye and c along y, so the mix comes first.
TEST(FrameLoop, AMixIsOrderedByTheHullOfItsVolumes) {
  std::string text = "#! index_app_project 0\napp::scene::root::children = a b c\n";
  for (const auto& [id, size, corner] : {std::tuple{"a", 10, "0 0 0"}, {"b", 20, "5 0 0"}, {"c", 10, "15 22 0"}}) {
    const std::string n = std::string("app::scene::") + id;
    std::istringstream c(corner);
    int x, y, z;
    c >> x >> y >> z;
    text += n + "::type = sparse_volume\n" + n + "::importer = synthetic\n" + n + "::generator = sphere\n" + n +
            "::size = " + std::to_string(size) + "\n" + n + "::bbox = " + corner + " " + std::to_string(x + size) +
            " " + std::to_string(y + size) + " " + std::to_string(z + size) + "\n";
  }
  SceneSpec spec;
  spec.use_default = false;
  spec.layers.push_back(SceneLayer::from_text(text, "three.prj"));
  const SceneView view = build_scene(spec, false);
  const std::vector<size_t> lead = io::mix_leads(view.scene);
  ASSERT_EQ(lead, (std::vector<size_t>{0, 0, 2})) << "a and b mix, c alone";
  Camera eye = view.frame.camera;
  eye.from = {100, -50, 5};
  eye.dir = Vec3f{15, 16, 5} - eye.from;
  // By each volume's own box, c comes before a, where the mix's image would be blended: behind c.
  const std::vector<size_t> own = volume_order(view, eye);
  EXPECT_LT(std::find(own.begin(), own.end(), 2), std::find(own.begin(), own.end(), 0));
  EXPECT_EQ(volume_order(view, eye, lead), (std::vector<size_t>{0, 2})) << "the mix by its hull: in front of c";
}

// A client's colormap for the second volume reaches every rank: made transparent, only the first
// volume is left in the picture.
TEST(FrameLoop, AClientColormapForTheSecondVolumeIsDrawn) {
  const SceneSpec both = volumes_scene("a_group b_group");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), both);
  const Image before = head.render(head.state().frame);
  Colormap clear;
  clear.entries = {{1, 1, 1, 0}, {1, 1, 1, 0}};
  head.state().other_colormaps[1] = {clear, "", {}};
  const Image after = head.render(head.state().frame);
  const Image a = render_alone(volumes_scene("a_group"));
  EXPECT_GT(max_difference(before, a), 1e-2f);
  EXPECT_LT(max_difference(after, a), 1e-4f);
}

namespace {

using Overrides = std::vector<std::pair<std::string, std::string>>;

/// The keys of a `plane` node across a 32-voxel scene: `cut` across z = 14.5, `along` across x = 20.5.
Overrides plane_node(const std::string& id) {
  const bool cut = id == "cut";
  const std::string n = "app::scene::" + id + "::";
  return {{n + "type", "plane"},
          {n + "point", cut ? "0 0 14.5" : "20.5 0 0"},
          {n + "normal", cut ? "0 0 1" : "1 0 0"},
          {n + "up", cut ? "0 1 0" : "0 0 1"},
          {n + "extent", "32 32"}};
}

/// The keys of a surface program node `id` whose execute() runs `body` (with `info` and `out`).
Overrides surface_program_node(const std::string& id, const std::string& body) {
  const std::string n = "app::scene::" + id + "::";
  return {{n + "type", "rendering_kernel_program"},
          {n + "target", "surface_sample_program"},
          {n + "source_string", "class Surface_sample_program { NV_IDX_SURFACE_SAMPLE_PROGRAM public: "
                                "NV_IDX_DEVICE_INLINE_MEMBER void initialize() {} "
                                "NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, "
                                "Sample_output& out) { using namespace nv::index::xac; " +
                                    body + " return NV_IDX_PROG_OK; } };"}};
}

Overrides operator+(Overrides a, const Overrides& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// `x`: the value of the volume mapped to slot 1 where the ray meets the plane (through the volume's
/// scene-to-object transform).
const char* const kSlotOneValue =
    "const auto v = state.scene.access<Sparse_volume>(1); "
    "const float3 p = transform_point(v.get_scene_to_object_transform(), info.scene_position); "
    "const float x = v.generate_sampler<float>(0u).fetch_sample(p);";

/// Volumes a and b (32^3 on one grid) and a plane across them whose surface program shows b's value,
/// b mapped to its slot 1 (translucent): how IndeX's seismic scenes show an attribute volume.
SceneSpec a_plane_showing_b(const Overrides& extra = {}) {
  SceneSpec spec = volumes_scene("a_group b_group mapping slices", 0, false, 32);
  spec.overrides = extra +
                   Overrides{{"app::scene::mapping::type", "rendering_kernel_program_scene_element_mapping"},
                             {"app::scene::mapping::1", "b"},
                             {"app::scene::slices::type", "static_scene_group"},
                             {"app::scene::slices::children", "slot_value cut"}} +
                   surface_program_node("slot_value", std::string(kSlotOneValue) +
                                                          " out.set_color(make_float4(x, 1.0f - x, 0.5f, 0.75f));") +
                   plane_node("cut");
  return spec;
}

/// One rank's mixed frame of a scene whose two volumes mix per sample (the first leads), with the
/// planes' colormaps and programs in scope: the reference for the N-rank image of the mix.
struct MixedAlone {
  SceneView view;
  Session a{MPI_COMM_SELF, quiet()}, b{MPI_COMM_SELF, quiet()};
  Session::MixPartner partner;
  FrameParams frame;

  explicit MixedAlone(const SceneSpec& spec) : view(build_scene(spec, false)) {
    EXPECT_EQ(io::mix_leads(view.scene), (std::vector<size_t>{0, 0}));
    a.set_volume(view.scene.volumes[0].source), b.set_volume(view.scene.volumes[1].source);
    partner = {&b, volume_frame(view, 1, view.frame)};
    frame = view.frame;
    set_plane_appearance(view, 0, frame);
  }
  Image render(const FrameParams& f) { return a.render_mixed_frame(f, std::span(&partner, 1)); }
};

} // namespace

// A surface program on the plane (IndeX's seismic scenes draw their slices so), translucent and
// reading the volume through a mapped slot: N ranks give the image one rank gives.
TEST(FrameLoop, ATranslucentSurfaceProgramOnAPlaneGivesTheOneRankImage) {
  SceneSpec spec = volumes_scene("a_group mapping slices", 0, false, 32);
  spec.overrides = Overrides{{"app::scene::mapping::type", "rendering_kernel_program_scene_element_mapping"},
                             {"app::scene::mapping::1", "a"},
                             {"app::scene::slices::type", "static_scene_group"},
                             {"app::scene::slices::children", "slice_cmap grid cut"},
                             {"app::scene::slice_cmap::type", "colormap"},
                             {"app::scene::slice_cmap::preset", "grayscale"},
                             {"app::scene::slice_cmap::domain", "0 1"}} +
                   surface_program_node("grid", std::string(kSlotOneValue) +
                                                    " float4 c = state.self.get_colormap().lookup(x); "
                                                    "c.w = fmodf(info.scene_position.x, 8.0f) < 1.0f ? 1.0f : 0.5f; "
                                                    "out.set_color(c);") +
                   plane_node("cut");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ASSERT_TRUE(head.state().view.surface_programs.at(0)) << "the surface program must compile";
  const Image image = head.render(head.state().frame);
  const SceneView view = build_scene(spec, false);
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  FrameParams frame = view.frame;
  set_plane_appearance(view, 0, frame);
  ASSERT_EQ(frame.plane_programs[0].slots.size(), 1u) << "slot 1: the volume under the plane";
  const Image expected = alone.render_frame(frame);
  EXPECT_LE(max_difference(image, expected), 1e-5f);
  FrameParams plain = frame;
  plain.plane_programs = {};
  EXPECT_GT(max_difference(image, alone.render_frame(plain)), 0.05f) << "translucent, not the opaque plain plane";
}

// A plane's surface program reads another volume through a mapped slot (IndeX: an attribute volume,
// disabled so that only the planes show it, over the seismic one). Every rank reads that volume
// under its own leaf; the N-rank image equals one rank given the whole volume in the slot.
TEST(FrameLoop, ASurfaceProgramReadsADisabledVolumeMappedToItsSlot) {
  const SceneSpec spec = a_plane_showing_b({{"app::scene::b::enabled", "false"}});
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  const SceneView view = build_scene(spec, false);
  ASSERT_EQ(view.scene.volumes.size(), 2u) << "b is kept for the planes' program";
  EXPECT_FALSE(view.scene.volumes[1].enabled);
  EXPECT_TRUE(view.scene.volumes[1].read_by_planes);
  EXPECT_EQ(io::mix_leads(view.scene), (std::vector<size_t>{0, 1})) << "a disabled volume mixes with none";
  const Image image = head.render(head.state().frame);

  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  FrameParams frame = view.frame;
  set_plane_appearance(view, 0, frame);
  ASSERT_TRUE(frame.plane_programs[0].program);
  ASSERT_TRUE(frame.plane_programs[0].slots.empty()) << "b is not a's brick: the session maps it";
  const Brick b = view.scene.volumes[1].source->read(view.scene.volumes[1].source->box());
  Colormap b_colormap = view.scene.volumes[1].colormap;
  frame.plane_programs[0].slots.push_back({1, whole_view(b), b_colormap});
  EXPECT_LE(max_difference(image, alone.render_frame(frame)), 1e-5f);
  FrameParams own_voxels = frame;
  own_voxels.plane_programs[0].slots.clear(); // an unmapped slot reads the plane's own volume, a
  EXPECT_GT(max_difference(image, alone.render_frame(own_voxels)), 0.1f) << "b's values, not a's";
}

// Each plane runs the surface program in scope at its node (IndeX: two groups, two programs).
// Ops carry no programs: every rank compiles its scene's, and N ranks give one rank's image.
TEST(FrameLoop, EachPlaneRunsTheSurfaceProgramInScopeAtIt) {
  const auto tinted = [](const std::string& id, const char* rgb) {
    return surface_program_node(id, std::string("out.set_color(make_float4(") + rgb +
                                        ", 0.5f) * 0.5f + info.sample_color * 0.5f);");
  };
  SceneSpec spec = volumes_scene("a_group slices lengthwise", 0, false, 32);
  spec.overrides = Overrides{{"app::scene::slices::type", "static_scene_group"},
                             {"app::scene::slices::children", "red cut"},
                             {"app::scene::lengthwise::type", "static_scene_group"},
                             {"app::scene::lengthwise::children", "blue along"}} +
                   tinted("red", "1.0f, 0.0f, 0.0f") + plane_node("cut") + tinted("blue", "0.0f, 0.0f, 1.0f") +
                   plane_node("along");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ASSERT_EQ(head.state().view.surface_programs.size(), 2u);
  const Image image = head.render(head.state().frame);
  const SceneView view = build_scene(spec, false);
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  FrameParams frame = view.frame;
  set_plane_appearance(view, 0, frame);
  ASSERT_TRUE(frame.plane_programs[0].program && frame.plane_programs[1].program);
  ASSERT_NE(frame.plane_programs[0].program, frame.plane_programs[1].program);
  EXPECT_LE(max_difference(image, alone.render_frame(frame)), 1e-5f);
  FrameParams all_red = frame;
  all_red.plane_programs[1] = all_red.plane_programs[0];
  EXPECT_GT(max_difference(image, alone.render_frame(all_red)), 0.1f) << "the lengthwise plane runs its own";
  FrameParams plain = frame;
  plain.plane_programs = {};
  EXPECT_GT(max_difference(image, alone.render_frame(plain)), 0.1f) << "translucent, tinted planes";
}

// Two volumes on one grid mix per sample, and the plane across them runs its surface program over
// the mix: N ranks give one rank's mixed frame, translucent plane and the mix behind it included.
TEST(FrameLoop, APlanesSurfaceProgramRunsWhereVolumesMix) {
  SceneSpec spec = volumes_scene("a_group b_group slices", 0, false, 32);
  spec.overrides =
      Overrides{{"app::scene::slices::type", "static_scene_group"}, {"app::scene::slices::children", "tint cut"}} +
      surface_program_node("tint", "float4 c = info.sample_color; c.w = 0.35f; out.set_color(c);") + plane_node("cut");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  EXPECT_TRUE(head.state().view.scene.warnings.empty()) << head.state().view.scene.warnings.front();
  const Image image = head.render(head.state().frame);

  MixedAlone alone(spec);
  ASSERT_TRUE(alone.frame.first_plane_program());
  EXPECT_LT(max_difference(image, alone.render(alone.frame)), 1e-4f);
  FrameParams plain = alone.frame;
  plain.plane_programs = {};
  EXPECT_GT(max_difference(image, alone.render(plain)), 0.05f) << "a translucent plane, not the opaque one";
}

// Where two volumes mix per sample, a plane's surface program reads the one mapped to its slot (the
// mix's second here), under each rank's leaf: N ranks give one rank's mixed frame with that whole
// volume in the slot, and not the mix's first volume's values.
TEST(FrameLoop, WhereVolumesMixAPlanesProgramReadsTheVolumeMappedToItsSlot) {
  const SceneSpec spec = a_plane_showing_b();
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  EXPECT_TRUE(head.state().view.scene.warnings.empty()) << head.state().view.scene.warnings.front();
  const Image image = head.render(head.state().frame);

  MixedAlone alone(spec);
  ASSERT_TRUE(alone.frame.plane_programs[0].program);
  const io::VolumeDesc& b = alone.view.scene.volumes[1];
  const Brick b_voxels = b.source->read(b.source->box());
  FrameParams reads_b = alone.frame;
  reads_b.plane_programs[0].slots.push_back({1, whole_view(b_voxels), b.colormap});
  EXPECT_LE(max_difference(image, alone.render(reads_b)), 1e-4f);
  EXPECT_GT(max_difference(image, alone.render(alone.frame)), 0.1f) << "b's values, not the mix's first volume's";
}

// IndeX gives a plane the colormap in scope at its node (a group of its own in NVIDIA's seismic
// scenes). Ops carry no planes' colormap: every rank takes it from its scene, and the N-rank image
// equals one rank's render through it.
TEST(FrameLoop, PlanesShowTheValuesThroughTheColormapInScopeAtThem) {
  // Two planes in two groups, each under a colormap of its own (IndeX draws each plane so).
  SceneSpec spec = volumes_scene("a_group slices lengthwise", 0, false, 32);
  spec.overrides = Overrides{{"app::scene::slices::type", "static_scene_group"},
                             {"app::scene::slices::children", "slice_cmap cut"},
                             {"app::scene::slice_cmap::type", "colormap"},
                             {"app::scene::slice_cmap::preset", "grayscale"},
                             {"app::scene::slice_cmap::domain", "0 1"},
                             {"app::scene::lengthwise::type", "static_scene_group"},
                             {"app::scene::lengthwise::children", "long_cmap along"},
                             {"app::scene::long_cmap::type", "colormap"},
                             {"app::scene::long_cmap::preset", "viridis"},
                             {"app::scene::long_cmap::domain", "0 1"}} +
                   plane_node("cut") + plane_node("along");
  if (world_rank() != 0) return follow_ops(MPI_COMM_WORLD, quiet());
  Head head(MPI_COMM_WORLD, quiet(), spec);
  ASSERT_EQ(head.state().view.scene.planes.size(), 2u);
  const Image image = head.render(head.state().frame);
  const SceneView view = build_scene(spec, false);
  ASSERT_EQ(view.scene.plane_colormaps.size(), 2u);
  Session alone(MPI_COMM_SELF, quiet());
  alone.set_volume(view.volume);
  FrameParams through_own = view.frame;
  through_own.plane_colormaps[0] = view.scene.plane_colormaps[0]->colormap;
  through_own.plane_colormaps[1] = view.scene.plane_colormaps[1]->colormap;
  const Image expected = alone.render_frame(through_own);
  int opaque = 0;
  for (const Vec4f& p : expected.pixels()) opaque += p.w == 1.0f;
  EXPECT_GT(opaque, 300) << "the planes must show";
  EXPECT_LE(max_difference(image, expected), 1e-5f);
  EXPECT_GT(max_difference(image, alone.render_frame(view.frame)), 0.1f) << "not through the volume's magma";
  FrameParams one_colormap = through_own;
  one_colormap.plane_colormaps[1] = one_colormap.plane_colormaps[0];
  EXPECT_GT(max_difference(image, alone.render_frame(one_colormap)), 0.1f) << "each plane through its own";
}
