// SPDX-License-Identifier: Apache-2.0
// The C API (libindex/insitu_c.h) under mpirun, called as C and Fortran codes call it: slabs of a
// known field render; a steering value set through libindex_insitu_command reaches every rank; a bad
// decomposition is code 2 naming the ranks and the run goes on; a server that cannot listen is a
// nonzero code with a message on every rank (no hang); null arguments are codes, never crashes.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "libindex/mpi/check.h"
#include "libindex/insitu_c.h"

namespace {

int world_rank() { return libindex::mpi::comm_rank(MPI_COMM_WORLD); }
int world_size() { return libindex::mpi::comm_size(MPI_COMM_WORLD); }

constexpr int kN[3] = {24, 20, 18};
const int kZero[3] = {0, 0, 0};

/// This rank's slab along z of the global box, and the field on it (x fastest).
struct Slab {
  int lo[3], hi[3];
  std::vector<float> values;
  explicit Slab(int rank, int ranks, int shift = 0) {
    lo[0] = 0, lo[1] = 0, lo[2] = kN[2] * rank / ranks;
    hi[0] = kN[0], hi[1] = kN[1], hi[2] = kN[2] * (rank + 1) / ranks;
    lo[2] += shift; // a wrong box, for the decomposition checks
    for (int z = lo[2]; z < hi[2]; ++z)
      for (int y = 0; y < kN[1]; ++y)
        for (int x = 0; x < kN[0]; ++x)
          values.push_back(float(0.5 + 0.5 * std::sin(0.3 * x) * std::cos(0.25 * y) * std::cos(0.2 * z)));
  }
  int publish(libindex_insitu_publisher* p, const char* name = "u") const {
    return libindex_insitu_publish_float(p, name, values.data(), lo, hi, kZero, kN, 0, nullptr);
  }
};

libindex_insitu_publisher* make_publisher(int asynchronous = 0, double render_share = 1) {
  libindex_insitu_options o;
  libindex_insitu_options_init(&o);
  o.port = 0, o.width = 64, o.height = 48, o.quiet = 1, o.asynchronous = asynchronous;
  o.render_share = render_share;
  libindex_insitu_publisher* p = nullptr;
  EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, &o, &p), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(nullptr);
  EXPECT_STREQ(libindex_insitu_last_error(nullptr), "");
  return p;
}

/// The same int on every rank.
bool same_everywhere(int v) {
  int lo = v, hi = v;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}

} // namespace

TEST(InSituC, OptionsDefaults) {
  libindex_insitu_options o;
  libindex_insitu_options_init(&o);
  EXPECT_EQ(o.port, 8080);
  EXPECT_EQ(o.bind, nullptr);
  EXPECT_EQ(o.width, 512);
  EXPECT_EQ(o.height, 512);
  EXPECT_EQ(o.every_steps, 1);
  EXPECT_EQ(o.every_seconds, 0.0);
  EXPECT_EQ(o.quiet, 0);
  EXPECT_EQ(o.max_frame_seconds, 0.0);
  EXPECT_EQ(o.asynchronous, 0);
  EXPECT_EQ(o.backend, nullptr);
  EXPECT_EQ(o.render_share, 1.0);
  EXPECT_EQ(o.copy_refresh_share, 0.0);
}

TEST(InSituC, SlabsOfAKnownFieldRender) {
  libindex_insitu_publisher* p = make_publisher();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(libindex_insitu_url(p)).rfind("http", 0) == 0, world_rank() == 0) << libindex_insitu_url(p);
  const Slab slab(world_rank(), world_size());
  for (int step = 0; step < 3; ++step) {
    ASSERT_EQ(slab.publish(p), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
    const int code = libindex_insitu_update(p, step, 0.1 * step);
    EXPECT_EQ(code, LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
    EXPECT_STREQ(libindex_insitu_last_error(p), "");
    EXPECT_EQ(libindex_insitu_rendered(p), 1);
  }
  EXPECT_EQ(libindex_insitu_frames_rendered(p), 3);
  libindex_insitu_destroy(p);
}

// Asynchronous: the slabs are copied and freed at once; frames come out at later updates and flush.
// The render threads work half the time (render_share): the frames are the same, later.
TEST(InSituC, SlabsRenderAsynchronously) {
  libindex_insitu_publisher* p = make_publisher(1, 0.5);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(libindex_insitu_flush(p), LIBINDEX_INSITU_OK); // nothing rendering: nothing to do
  EXPECT_EQ(libindex_insitu_rendered(p), 0);
  for (int step = 0; step < 3; ++step) {
    const Slab slab(world_rank(), world_size());
    ASSERT_EQ(slab.publish(p), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
    EXPECT_EQ(libindex_insitu_update(p, step, 0.1 * step), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
    if (step == 0) {
      EXPECT_EQ(libindex_insitu_rendered(p), 0); // the first frame is still rendering
    }
  }
  EXPECT_EQ(libindex_insitu_flush(p), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  EXPECT_EQ(libindex_insitu_rendered(p), 1);
  EXPECT_GE(libindex_insitu_frames_rendered(p), 2); // the first and the newest; those between may be replaced
  EXPECT_LE(libindex_insitu_frames_rendered(p), 3);
  EXPECT_TRUE(same_everywhere(int(libindex_insitu_frames_rendered(p))));
  libindex_insitu_destroy(p);
}

TEST(InSituC, ASteeringValueReachesEveryRank) {
  libindex_insitu_publisher* p = make_publisher();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(libindex_insitu_parameter(p, "feed", 0.055, 0.0, 0.1), 0.055);
  EXPECT_EQ(libindex_insitu_parameter(p, "clamped", 5.0, 0.0, 1.0), 1.0);
  const Slab slab(world_rank(), world_size());
  slab.publish(p);
  ASSERT_EQ(libindex_insitu_update(p, 0, 0.0), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  char reply[512];
  const int code = libindex_insitu_command(
      p, R"({"jsonrpc":"2.0","id":1,"method":"insitu.set_parameter","params":{"name":"feed","value":0.07}})", reply,
      sizeof reply);
  EXPECT_EQ(code, LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  if (world_rank() == 0)
    EXPECT_NE(std::string(reply).find("\"result\""), std::string::npos) << reply;
  else
    EXPECT_STREQ(reply, "");
  // A reply that does not fit is cut, NUL-terminated, and said so (rank 0 has one).
  char tiny[8];
  const int cut = libindex_insitu_command(p, R"({"jsonrpc":"2.0","id":2,"method":"insitu.parameters"})", tiny, 8);
  EXPECT_EQ(cut, world_rank() == 0 ? LIBINDEX_INSITU_TRUNCATED : LIBINDEX_INSITU_OK);
  EXPECT_LT(std::string(tiny).size(), 8u);
  EXPECT_EQ(libindex_insitu_parameter(p, "feed", 0.055, 0.0, 0.1), 0.055); // not before the next update
  slab.publish(p);
  ASSERT_EQ(libindex_insitu_update(p, 1, 0.1), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  double lo = libindex_insitu_parameter(p, "feed", 0.055, 0.0, 0.1), hi = lo;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, 0.07);
  EXPECT_EQ(hi, 0.07);
  libindex_insitu_destroy(p);
}

TEST(InSituC, ABadDecompositionIsCode2AndTheRunGoesOn) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks or more";
  libindex_insitu_publisher* p = make_publisher();
  ASSERT_NE(p, nullptr);
  const Slab overlap(world_rank(), world_size(), world_rank() == 1 ? -1 : 0); // rank 1 reaches into rank 0
  overlap.publish(p);
  const int code = libindex_insitu_update(p, 0, 0.0);
  EXPECT_EQ(code, LIBINDEX_INSITU_BAD_DECOMPOSITION);
  EXPECT_TRUE(same_everywhere(code));
  const std::string message = libindex_insitu_last_error(p);
  EXPECT_NE(message.find("field 'u': rank"), std::string::npos) << message;
  EXPECT_NE(message.find("overlaps rank"), std::string::npos) << message;
  EXPECT_EQ(libindex_insitu_rendered(p), 0);
  const Slab good(world_rank(), world_size());
  good.publish(p);
  EXPECT_EQ(libindex_insitu_update(p, 1, 0.0), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  EXPECT_STREQ(libindex_insitu_last_error(p), "");
  EXPECT_EQ(libindex_insitu_rendered(p), 1);
  libindex_insitu_destroy(p);
}

TEST(InSituC, AServerThatCannotListenFailsOnEveryRank) {
  libindex_insitu_options o;
  libindex_insitu_options_init(&o);
  o.port = 0, o.quiet = 1, o.bind = "999.1.1.1";
  libindex_insitu_publisher* p = reinterpret_cast<libindex_insitu_publisher*>(&o); // overwritten with NULL
  const int code = libindex_insitu_create(MPI_COMM_WORLD, &o, &p);
  EXPECT_NE(code, LIBINDEX_INSITU_OK);
  EXPECT_TRUE(same_everywhere(code));
  EXPECT_EQ(p, nullptr);
  EXPECT_STRNE(libindex_insitu_last_error(nullptr), "");
  if (world_rank() == 0) std::printf("create with bind 999.1.1.1: %s\n", libindex_insitu_last_error(nullptr));
  // A port another publisher holds: the server's own failure to listen.
  libindex_insitu_publisher* first = make_publisher();
  ASSERT_NE(first, nullptr);
  const std::string url = libindex_insitu_url(first); // http://127.0.0.1:PORT/ on rank 0
  int port = world_rank() == 0 ? std::atoi(url.substr(url.rfind(':') + 1).c_str()) : 0;
  MPI_Bcast(&port, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ASSERT_GT(port, 0) << url;
  libindex_insitu_options_init(&o);
  o.port = port, o.quiet = 1;
  const int taken = libindex_insitu_create(MPI_COMM_WORLD, &o, &p);
  EXPECT_EQ(taken, LIBINDEX_INSITU_INTERNAL);
  EXPECT_TRUE(same_everywhere(taken));
  EXPECT_EQ(p, nullptr);
  EXPECT_STRNE(libindex_insitu_last_error(nullptr), "");
  if (world_rank() == 0) std::printf("create on a taken port: %s\n", libindex_insitu_last_error(nullptr));
  libindex_insitu_destroy(first);
  // Options that are wrong everywhere are refused before the collective part, on every rank.
  libindex_insitu_options_init(&o);
  o.width = 0;
  EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, &o, &p), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_STREQ(libindex_insitu_last_error(nullptr), "libindex_insitu_create: width 0 must be 1 or more");
  for (const double share : {0.0, -1.0, 1.5}) {
    libindex_insitu_options_init(&o);
    o.render_share = share;
    EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, &o, &p), LIBINDEX_INSITU_INVALID_ARGUMENT) << share;
    EXPECT_NE(std::string(libindex_insitu_last_error(nullptr)).find("render_share"), std::string::npos);
  }
  libindex_insitu_options_init(&o);
  o.copy_refresh_share = -0.5;
  EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, &o, &p), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(nullptr)).find("copy_refresh_share -0.5"), std::string::npos)
      << libindex_insitu_last_error(nullptr);
  libindex_insitu_options_init(&o);
  o.backend = "gpu";
  EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, &o, &p), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_STREQ(libindex_insitu_last_error(nullptr),
               "libindex_insitu_create: unknown backend 'gpu' (expected auto, cpu or cuda)");
  EXPECT_EQ(libindex_insitu_create(MPI_COMM_WORLD, nullptr, nullptr), LIBINDEX_INSITU_INVALID_ARGUMENT);
  // And a good one works afterwards, clearing the message.
  p = make_publisher();
  EXPECT_NE(p, nullptr);
  libindex_insitu_destroy(p);
}

TEST(InSituC, NullArgumentsAreCodesNotCrashes) {
  const int lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
  const float one = 1;
  EXPECT_EQ(libindex_insitu_publish_float(nullptr, "u", &one, lo, hi, lo, hi, 0, nullptr),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(nullptr)).find("null publisher"), std::string::npos);
  EXPECT_EQ(libindex_insitu_update(nullptr, 0, 0.0), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_parameter(nullptr, "feed", 0.5, 0.0, 1.0), 0.5);
  EXPECT_EQ(libindex_insitu_command(nullptr, "{}", nullptr, 0), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_rendered(nullptr), 0);
  EXPECT_EQ(libindex_insitu_frames_rendered(nullptr), 0);
  EXPECT_STREQ(libindex_insitu_url(nullptr), "");
  libindex_insitu_destroy(nullptr);

  libindex_insitu_publisher* p = make_publisher();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(libindex_insitu_publish_float(p, nullptr, &one, lo, hi, lo, hi, 0, nullptr),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("null field name"), std::string::npos);
  const uint16_t u16 = 1;
  EXPECT_EQ(libindex_insitu_publish_uint16(p, "w", &u16, nullptr, hi, lo, hi, 0, nullptr),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_publish_uint8(p, "b", nullptr, lo, hi, lo, hi, -1, nullptr),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_parameter(p, nullptr, 0.5, 0.0, 1.0), 0.5);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("null name"), std::string::npos);
  EXPECT_EQ(libindex_insitu_command(p, nullptr, nullptr, 0), LIBINDEX_INSITU_INVALID_ARGUMENT);
  // A field that has a box but no data: refused at update on every rank, not a crash; then fine.
  const Slab slab(world_rank(), world_size());
  EXPECT_EQ(libindex_insitu_publish_float(p, "u", nullptr, slab.lo, slab.hi, kZero, kN, 0, nullptr),
            LIBINDEX_INSITU_OK);
  const int code = libindex_insitu_update(p, 0, 0.0);
  EXPECT_NE(code, LIBINDEX_INSITU_OK);
  EXPECT_TRUE(same_everywhere(code));
  EXPECT_STRNE(libindex_insitu_last_error(p), "");
  // int16 with explicit dense strides renders too.
  std::vector<int16_t> s16(slab.values.size());
  for (size_t i = 0; i < s16.size(); ++i) s16[i] = int16_t(1000 * slab.values[i]);
  const long long strides[3] = {1, kN[0], (long long)kN[0] * kN[1]};
  EXPECT_EQ(libindex_insitu_publish_int16(p, "u", s16.data(), slab.lo, slab.hi, kZero, kN, 0, strides),
            LIBINDEX_INSITU_OK);
  EXPECT_EQ(libindex_insitu_update(p, 1, 0.0), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  libindex_insitu_destroy(p);
}

// What one rank can tell about its own part is refused by publish, with the reason; a withdrawn field
// is not published; a parameter needs numbers with min <= max.
TEST(InSituC, ImpossibleLayoutsAreRefusedAtPublishAndWithdrawStopsAField) {
  libindex_insitu_publisher* p = make_publisher();
  ASSERT_NE(p, nullptr);
  const Slab slab(world_rank(), world_size());
  const long long backwards[3] = {-1, kN[0], (long long)kN[0] * kN[1]}, shared[3] = {1, 5, 7};
  EXPECT_EQ(libindex_insitu_publish_float(p, "u", slab.values.data(), slab.lo, slab.hi, kZero, kN, 0, backwards),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("the stride along x must be 1 or more"), std::string::npos)
      << libindex_insitu_last_error(p);
  EXPECT_EQ(libindex_insitu_publish_float(p, "u", slab.values.data(), slab.lo, slab.hi, kZero, kN, 0, shared),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("make voxels share elements"), std::string::npos)
      << libindex_insitu_last_error(p);
  EXPECT_EQ(libindex_insitu_publish_float(p, "", slab.values.data(), slab.lo, slab.hi, kZero, kN, 0, nullptr),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_update(p, 0, 0.0), LIBINDEX_INSITU_BAD_FIELD); // nothing was published
  EXPECT_EQ(slab.publish(p), LIBINDEX_INSITU_OK);
  EXPECT_EQ(libindex_insitu_update(p, 1, 0.0), LIBINDEX_INSITU_OK) << libindex_insitu_last_error(p);
  // A refused publish of a published name leaves no earlier array to be read.
  EXPECT_EQ(libindex_insitu_publish_float(p, "u", slab.values.data(), slab.lo, slab.hi, kZero, kN, 0, backwards),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_update(p, 2, 0.0), LIBINDEX_INSITU_BAD_FIELD);
  EXPECT_EQ(slab.publish(p), LIBINDEX_INSITU_OK);
  // Legal layouts pass: every other x of a 7-wide array (strides 2, 7, 28 step exactly past what the
  // faster axes reach); strides that reach past any array do not.
  const int lo4[3] = {0, 0, 0}, hi4[3] = {4, 4, 4};
  std::vector<float> odd(7 * 4 * 4, 0.5f);
  const long long every_other_x[3] = {2, 7, 28}, huge[3] = {1, 1ll << 62, 1ll << 62};
  EXPECT_EQ(libindex_insitu_publish_float(p, "s", odd.data(), lo4, hi4, kZero, kN, 0, every_other_x),
            LIBINDEX_INSITU_OK)
      << libindex_insitu_last_error(p);
  EXPECT_EQ(libindex_insitu_publish_float(p, "s", odd.data(), lo4, hi4, kZero, kN, 0, huge),
            LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("reach past any array"), std::string::npos)
      << libindex_insitu_last_error(p);
  EXPECT_EQ(libindex_insitu_withdraw(p, "u"), LIBINDEX_INSITU_OK);
  EXPECT_EQ(libindex_insitu_withdraw(p, nullptr), LIBINDEX_INSITU_INVALID_ARGUMENT);
  EXPECT_EQ(libindex_insitu_update(p, 2, 0.0), LIBINDEX_INSITU_BAD_FIELD);
  EXPECT_STREQ(libindex_insitu_last_error(p), "no field published (publish() before update())");
  EXPECT_TRUE(std::isnan(libindex_insitu_parameter(p, "feed", std::nan(""), 0.0, 1.0))); // returns `initial`
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("needs min <= max and numbers"), std::string::npos);
  EXPECT_EQ(libindex_insitu_parameter(p, "kill", 0.5, 1.0, 0.0), 0.5);
  EXPECT_NE(std::string(libindex_insitu_last_error(p)).find("needs min <= max and numbers"), std::string::npos);
  libindex_insitu_destroy(p);
}
