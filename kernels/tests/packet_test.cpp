// SPDX-License-Identifier: Apache-2.0
// Ray packets against march_ray, bit for bit: every pixel and the sample count must be identical,
// for every data type, camera, mode and setting, since both run march.h's steps and only the lane
// type differs. Built once per instruction set (LIBINDEX_TEST_ISA); skips where the CPU lacks it.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "../cpu/cpu_backend.h"
#include "../cpu/packet_march.h"
#include "libindex/kernels/skip_grid.h"
#include "test_volumes.h"

using namespace libindex;
using namespace libindex::test;

namespace {

#define SKIP_WITHOUT_ISA()                                                                                             \
  if (!kernels::cpu_supports(LIBINDEX_TEST_ISA))                                                                       \
  GTEST_SKIP() << "this CPU has no " LIBINDEX_TEST_ISA ": packets for it cannot run here"

struct Rendered {
  Image image;
  unsigned long long samples = 0;
};

/// Renders `brick` one ray at a time (march_ray) or in packets (march_tile), over 16x16 tiles.
template <class T>
Rendered render(const BrickView& brick, const FrameParams& f, bool packets) {
  std::vector<uint8_t> empty_radius;
  kernels::SkipGridView skip;
  const kernels::MacroCellGrid grid = kernels::MacroCellGrid::build(brick);
  const ColormapView colormap = f.colormap.view();
  if (f.settings.empty_space_skipping) {
    const std::vector<uint8_t> occupancy = grid.occupancy(colormap);
    empty_radius = grid.empty_radius(occupancy);
    skip = grid.view(empty_radius.data(), grid.occupied_box(occupancy));
  }
  const kernels::MarchParams P = kernels::make_march_params(brick, f, colormap, skip);
  Rendered out{Image(f.width, f.height)};
  const kernels::TableClassifier classify{P.colormap};
  const auto scalar = kernels::make_dense_sampler(brick, static_cast<const T*>(brick.data));
  auto packet = kernels::simd::make_packet_sampler<T>(brick);
  packet.prefetching = true; // as for bricks beyond the caches: it must change no pixel
  for (int y0 = 0; y0 < f.height; y0 += 16)
    for (int x0 = 0; x0 < f.width; x0 += 16) {
      const Rect tile{x0, y0, std::min(x0 + 16, f.width), std::min(y0 + 16, f.height)};
      if (packets) {
        out.samples += kernels::simd::march_tile(P, packet, classify, tile, out.image.view());
      } else {
        for (int y = tile.y0; y < tile.y1; ++y)
          for (int x = tile.x0; x < tile.x1; ++x)
            out.image.at(x, y) = kernels::march_ray(P, scalar, classify, x, y, out.samples);
      }
    }
  return out;
}

Rendered render_any(const BrickView& b, const FrameParams& f, bool packets) {
  return visit_dtype(b.dtype, [&](auto tag) { return render<typename decltype(tag)::type>(b, f, packets); });
}

/// Asserts packets == march_ray to the bit; returns the image for further checks.
Image expect_identical(const BrickView& b, const FrameParams& f, const std::string& what) {
  const Rendered one = render_any(b, f, false), packet = render_any(b, f, true);
  EXPECT_EQ(packet.samples, one.samples) << what;
  int differing = 0;
  for (size_t i = 0; i < one.image.pixels().size(); ++i)
    differing += std::memcmp(&one.image.pixels()[i], &packet.image.pixels()[i], sizeof(Vec4f)) != 0;
  EXPECT_EQ(differing, 0) << what << ": pixels that differ from march_ray";
  return one.image;
}

FrameParams perspective_view(int w, int h, Vec3f eye, Vec3f target) {
  FrameParams f;
  f.width = w, f.height = h;
  f.camera.from = eye;
  f.camera.dir = normalize(target - eye);
  f.camera.focal = 1, f.camera.aperture = 0.9f, f.camera.aspect = float(w) / float(h);
  f.colormap = colormap_preset("viridis", 0.4f);
  return f;
}

/// A lumpy ball with values across the whole range, quantized to each type.
Brick lumpy(Vec3i n, DType t) {
  return make_volume(n, t, [n](Vec3f c) {
    const Vec3f p{c.x / n.x - 0.5f, c.y / n.y - 0.5f, c.z / n.z - 0.5f};
    const float r = length(p);
    return std::clamp(1.2f - 2.5f * r + 0.15f * std::sin(17 * p.x) * std::sin(13 * p.y + 1) * std::cos(11 * p.z), 0.0f,
                      1.0f);
  });
}

} // namespace

TEST(Packets, EveryDataTypeMatchesMarchRay) {
  SKIP_WITHOUT_ISA();
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    // Odd sizes: the last voxel is the buffer's last byte, which 4-byte reads must not pass.
    const Brick vol = lumpy({23, 17, 19}, t);
    const FrameParams f = perspective_view(37, 29, {40, 30, 45}, {11.5f, 8.5f, 9.5f});
    const Image img = expect_identical(whole_view(vol), f, "dtype " + to_string(t));
    EXPECT_GT(img.at(18, 14).w, 0.1f) << "the view must see the volume";
  }
}

/// A copy of some bytes that end where a page without access begins: a read past the last byte
/// faults instead of reading whatever the allocator put after it.
class BytesBeforeAGuardPage {
 public:
  explicit BytesBeforeAGuardPage(const BrickBytes& bytes) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    data_pages_ = (bytes.size() + page - 1) / page * page;
    mapping_ = mmap(nullptr, data_pages_ + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) throw std::runtime_error("mmap failed");
    mprotect(static_cast<char*>(mapping_) + data_pages_, page, PROT_NONE);
    data_ = static_cast<char*>(mapping_) + (data_pages_ - bytes.size());
    std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~BytesBeforeAGuardPage() { munmap(mapping_, data_pages_ + size_t(sysconf(_SC_PAGESIZE))); }
  BytesBeforeAGuardPage(const BytesBeforeAGuardPage&) = delete;
  BytesBeforeAGuardPage& operator=(const BytesBeforeAGuardPage&) = delete;
  const void* data() const { return data_; }

 private:
  void* mapping_ = nullptr;
  size_t data_pages_ = 0;
  char* data_ = nullptr;
};

TEST(Packets, ReadsStopAtTheBricksLastByte) {
  SKIP_WITHOUT_ISA();
  // Opaque towards the last voxel, so shaded samples there read the last rows, whose 4-byte reads
  // (a pair, or a row of four 8-bit voxels for the gradient) must move back inside the brick.
  const Vec3i n{23, 17, 19};
  for (DType t : {DType::uint8, DType::uint16, DType::int16, DType::float32}) {
    const Brick vol = make_volume(n, t, [n](Vec3f c) { return (c.x / n.x + c.y / n.y + c.z / n.z) / 3; });
    const BytesBeforeAGuardPage guarded(vol.bytes);
    BrickView view = whole_view(vol);
    view.data = guarded.data();
    for (const Vec3f eye : {Vec3f{40, 30, 45}, Vec3f{23.5f, 8.5f, 9.5f} + Vec3f{30, 0.5f, 0.5f}, Vec3f{60, 45, 50}}) {
      FrameParams f = perspective_view(37, 29, eye, {11.5f, 8.5f, 9.5f});
      f.settings.shading.enabled = true;
      const Image img = expect_identical(view, f, "dtype " + to_string(t));
      EXPECT_GT(img.at(18, 14).w, 0.1f) << "the view must see the volume";
    }
  }
}

TEST(Packets, TinyVolumeOfOneMacroCell) {
  SKIP_WITHOUT_ISA();
  // 60 bytes: one macro cell (its empty-radius byte is read lane by lane) and 4-byte reads that must
  // stay inside a buffer barely longer than a SIMD register's worth of voxels.
  const Brick vol = lumpy({5, 4, 3}, DType::uint8);
  ASSERT_TRUE(kernels::simd::packet_addressable(whole_view(vol)));
  FrameParams f = perspective_view(21, 19, {9, 7, 12}, {2.5f, 2, 1.5f});
  f.colormap.domain_min = 0.2f;
  f.colormap.mode = BoundaryMode::clamp_to_transparent;
  const Image img = expect_identical(whole_view(vol), f, "5x4x3 uint8");
  EXPECT_GT(img.at(10, 9).w, 0.01f);
}

TEST(Packets, TranscendentalsMatchOneRayBitForBit) {
  SKIP_WITHOUT_ISA();
  using kernels::simd::kWidth;
  using kernels::simd::vfloat;
  int differing = 0, count = 0;
  for (float first = -130.0f; first < 130.0f; first += 0.37f * kWidth) {
    alignas(64) float x[kWidth];
    for (int l = 0; l < kWidth; ++l) x[l] = first + 0.37f * float(l);
    vfloat v, unit;
    std::memcpy(&v, x, sizeof v);
    unit = kernels::simd::lane_abs(v) * (1.0f / 130.0f); // [0, 1]: n.l and 1 - alpha
    const vfloat e2 = lane_exp2(v), l2 = lane_log2(v), p = lane_pow(unit, 32.0f), q = lane_pow(unit, 1.236f);
    for (int l = 0; l < kWidth; ++l, ++count) {
      const float u = std::abs(x[l]) * (1.0f / 130.0f);
      differing += float_bits(kernels::simd::lane(e2, l)) != float_bits(lane_exp2(x[l]));
      differing += float_bits(kernels::simd::lane(l2, l)) != float_bits(lane_log2(x[l]));
      differing += float_bits(kernels::simd::lane(p, l)) != float_bits(lane_pow(u, 32.0f));
      differing += float_bits(kernels::simd::lane(q, l)) != float_bits(lane_pow(u, 1.236f));
    }
  }
  EXPECT_GT(count, 500);
  EXPECT_EQ(differing, 0) << "lanes whose exp2, log2 or pow differ from one ray's";
}

// Which bricks march in packets: the gathers' offsets are signed 32-bit from the brick's middle,
// bytes for 8- and 16-bit voxels and elements for float32.
TEST(Packets, BricksUpTo4GiBOr2To32FloatsMarchInPackets) {
  const auto fits = [](Vec3i n, DType t) {
    BrickView v;
    v.dtype = t;
    v.stored = v.owned = v.volume = {{0, 0, 0}, n};
    return kernels::simd::packet_addressable(v);
  };
  EXPECT_TRUE(fits({1024, 1024, 1024}, DType::float32)) << "4 GiB of float32";
  EXPECT_TRUE(fits({1024, 1024, 4095}, DType::float32)) << "just under 16 GiB";
  EXPECT_FALSE(fits({1024, 1024, 4096}, DType::float32)) << "2^32 voxels";
  EXPECT_TRUE(fits({1024, 1024, 4095}, DType::uint8)) << "just under 4 GiB of uint8";
  EXPECT_FALSE(fits({1024, 1024, 4096}, DType::uint8));
  EXPECT_TRUE(fits({1024, 1024, 2047}, DType::int16)) << "just under 4 GiB of int16";
  EXPECT_FALSE(fits({1024, 1024, 2048}, DType::int16));
  EXPECT_FALSE(fits({1, 1, 1}, DType::uint8)) << "under one 4-byte read";
  EXPECT_TRUE(fits({4, 1, 1}, DType::uint8));
  EXPECT_FALSE(fits({1, 1, 1}, DType::uint16)) << "under one 4-byte read";
  EXPECT_TRUE(fits({2, 1, 1}, DType::int16));
  EXPECT_FALSE(fits({1, 1, 1}, DType::float32)) << "under one 8-byte read";
  EXPECT_TRUE(fits({2, 1, 1}, DType::float32));
}

// The same with real memory: bricks of more than 2 GiB (offsets from the middle past 2^30 voxels,
// products past 2^31) in packets equal one ray at a time, seen from their far end. Each needs 2.2
// GB, so they run only where 8 GiB are available (a few seconds each).
template <class T>
void expect_large_brick_matches_march_ray(Vec3i n, const char* what) {
  long long available_kib = 0;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;)
    if (key == "MemAvailable:") {
      meminfo >> available_kib;
      break;
    }
  if (available_kib < 8ll << 20)
    GTEST_SKIP() << "needs 8 GiB of available memory, has " << (available_kib >> 10) << " MiB";
  Brick vol({{0, 0, 0}, n}, std::is_same_v<T, float> ? DType::float32 : DType::uint8);
  T* v = vol.data<T>();
  for (long long i = 0, count = vol.box.voxel_count(); i < count; ++i) v[i] = T((i * 2654435761ll) % 200);
  FrameParams f = perspective_view(40, 30, {1500, -300, 1.7f * float(n.z)}, {512, 512, 0.9f * float(n.z)});
  f.colormap.domain_min = 0.0f, f.colormap.domain_max = 200.0f * voxel_scale<T>(); // the values' range
  f.settings.shading.enabled = true;
  const Image img = expect_identical(whole_view(vol), f, what);
  EXPECT_GT(img.at(20, 15).w, 0.01f) << what;
}

TEST(Packets, AFloatBrickBeyond2GiBMatchesMarchRay) {
  SKIP_WITHOUT_ISA();
  expect_large_brick_matches_march_ray<float>({1024, 1024, 520}, "1024x1024x520 float32, 2.18 GB");
}

TEST(Packets, AByteBrickBeyond2GiBMatchesMarchRay) {
  SKIP_WITHOUT_ISA();
  expect_large_brick_matches_march_ray<uint8_t>({1024, 1024, 2100}, "1024x1024x2100 uint8, 2.2 GB");
}

TEST(Packets, SettingsMatchMarchRay) {
  SKIP_WITHOUT_ISA();
  const Brick vol = lumpy({32, 28, 24}, DType::uint8);
  const Vec3f centre{16, 14, 12};
  for (int variant = 0; variant < 10; ++variant) {
    FrameParams f = perspective_view(40, 33, {50, -20, 40}, centre);
    std::string what;
    switch (variant) {
    case 0:
      what = "defaults (skipping, early termination)";
      break;
    case 1:
      what = "no skipping", f.settings.empty_space_skipping = false;
      break;
    case 2:
      what = "shading", f.settings.shading.enabled = true;
      break;
    case 3:
      what = "jitter", f.settings.jitter = true;
      break;
    case 4:
      what = "MIP", f.settings.mode = RenderMode::maximum_intensity;
      break;
    case 5:
      what = "MIP values", f.settings.mode = RenderMode::maximum_intensity, f.mip_output_values = true;
      break;
    case 6:
      what = "transparent outside a narrow domain";
      f.colormap.domain_min = 0.4f, f.colormap.domain_max = 0.7f;
      f.colormap.mode = BoundaryMode::clamp_to_transparent;
      break;
    case 7:
      what = "opacity exponent 0.3", f.settings.sampling_distance = 0.3f;
      break;
    case 8:
      what = "opacity exponent 1, no early termination", f.settings.sampling_distance = 1.0f,
      f.settings.early_termination = false;
      break;
    case 9:
      what = "region of interest, scaling, near plane";
      f.settings.region_of_interest = {{3, 5, 2}, {25, 30, 19}};
      f.settings.scaling = {1, 1.5f, 1}, f.camera.clip_min = 30;
      break;
    }
    expect_identical(whole_view(vol), f, what);
  }
}

TEST(Packets, OrthographicAndEyeInside) {
  SKIP_WITHOUT_ISA();
  const Brick vol = lumpy({24, 24, 24}, DType::uint16);
  FrameParams f = ortho_down_z(24, 24, 40, 30, 31, 31);
  f.colormap = colormap_preset("magma", 0.5f);
  expect_identical(whole_view(vol), f, "orthographic");
  expect_identical(whole_view(vol), perspective_view(30, 30, {12, 12, 12}, {30, 20, 5}), "eye inside");
}

TEST(Packets, BrickWithGhostsInsideALargerVolume) {
  SKIP_WITHOUT_ISA();
  // A brick stored with its ghost layer at a non-zero offset: offsets are relative to the stored box.
  const Brick whole = lumpy({30, 26, 22}, DType::int16);
  const Box3i owned{{10, 6, 8}, {22, 20, 22}};
  Brick storage;
  FrameParams f = perspective_view(36, 36, {-15, 40, 50}, {16, 13, 15});
  f.settings.shading.enabled = true;
  const Image img = expect_identical(sub_brick(whole, owned, 2, storage), f, "ghost brick");
  float alpha = 0;
  for (const Vec4f& p : img.pixels()) alpha += p.w;
  EXPECT_GT(alpha, 1.0f) << "the brick must be in view";
}
