// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Ray packets on the CPU: march.h's generic steps (skip_empty_cell, take_sample) run on
/// simd::kWidth rays at once. A lane whose ray ends takes the next pixel of the tile at once, so
/// the packet stays full while rays end at different samples (early termination, different
/// lengths). Each lane computes exactly what march_ray computes for its pixel, bit for bit.
/// Include only from units compiled for AVX2 or AVX-512 (LIBINDEX_SIMD_WIDTH > 0).

#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "libindex/image.h"
#include "libindex/kernels/march.h"
#include "libindex/kernels/mix.h"
#include "libindex/kernels/sampler.h"
#include "simd.h"

#if LIBINDEX_SIMD_WIDTH
namespace libindex::kernels::simd {

/// DenseSampler's reads as gathers. Their offsets are signed 32-bit, so they count from the stored
/// box's middle voxel (`centre`): either way 2^31 of them, bytes for 8- and 16-bit voxels (bricks
/// up to 4 GiB), elements for float32 (up to 2^32 voxels). Neighbours along x are read in pairs,
/// 8- and 16-bit voxels per 4-byte gather and floats per 8-byte gather, and the gradient's rows
/// through the cell four 8-bit voxels per gather: on the CPU the gathers are most of a sample's cost.
template <class T>
struct PacketSampler {
  DenseSampler<T> scalar;
  const uint8_t* centre;    ///< the stored box's voxel voxel_count / 2
  int last_read;            ///< the byte offset from `centre` of the last 4-byte read inside the box
  Vec3i origin;             ///< element_of(origin) is 0: the stored box's lower corner, x moved to `centre`
  bool prefetching = false; ///< prefetch() pays: the brick is larger than the caches (make_packet_sampler)
  int last_float_pair = 0;  ///< float32: the offset from `centre` of the last 8-byte read inside the box

  float value(Vec3f p) const { return scalar.value(p); }

  __attribute__((always_inline)) vfloat value(const Vec3v& p) const {
    return voxel_scale<T>() * trilinear(p, scalar.centre_min, scalar.centre_max,
                                        [this](vint ix, vint iy, vint iz, vint dx, vint dy, vint dz, vfloat* c) {
                                          fetch8(ix, iy, iz, dx, dy, dz, c);
                                        });
  }

  Vec3f gradient(Vec3f p) const { return scalar.gradient(p); }

  Vec3v gradient(const Vec3v& p) const {
    const auto pair = [this](vint xa, vint xb, vint y, vint z, vfloat& a, vfloat& b) {
      read_neighbours(element_of(xa, y, z), xb - xa, a, b);
    };
    Vec3v g;
    if constexpr (sizeof(T) == 1) { // a row's four 8-bit voxels in one 4-byte read: 12 gathers, not 16
      g = trilinear_gradient(
          p, scalar.centre_min, scalar.centre_max, pair,
          [this](vint xm, vint x0, vint x1, vint x2, vint y, vint z, vfloat& vm, vfloat& v0, vfloat& v1, vfloat& v2) {
            read_row_of_four(element_of(xm, y, z), x0 - xm, x1 - xm, x2 - xm, vm, v0, v1, v2);
          });
    } else {
      g = trilinear_gradient(p, scalar.centre_min, scalar.centre_max, pair);
    }
    const vfloat scale(voxel_scale<T>());
    return {g.x * scale, g.y * scale, g.z * scale};
  }

  /// Asks the memory system for the rows of the cell around p (voxel space) that the `active` lanes
  /// will read some steps on (kPrefetchAhead). Without it a packet in a brick beyond the caches waits
  /// a memory latency every step: the work between two steps' gathers is too long for the core to
  /// run ahead into the next one.
  __attribute__((always_inline)) void prefetch(const Vec3v& p, vmask active) const {
    const TrilinearCell<vfloat> cell = trilinear_cell(p, scalar.centre_min, scalar.centre_max);
    const vint element = element_of(cell.ix, cell.iy, cell.iz);
    alignas(64) int elements[kWidth];
    std::memcpy(elements, &element, sizeof elements);
    const long row = long(scalar.stride_y) * long(sizeof(T)), slice = long(scalar.stride_z) * long(sizeof(T));
    for (int l = 0; l < kWidth; ++l)
      if (lane(active, l)) { // a clamped cell: the addresses are inside the brick (and prefetches never fault)
        const uint8_t* a = centre + long(elements[l]) * long(sizeof(T));
        __builtin_prefetch(a), __builtin_prefetch(a + row), __builtin_prefetch(a + slice);
        __builtin_prefetch(a + row + slice);
      }
  }

  /// Voxel (x, y, z)'s offset from `centre` in elements. The products may pass 2^31 in a brick over
  /// 2 GiB: the lanes' integer arithmetic wraps, and the offset itself fits.
  vint element_of(vint x, vint y, vint z) const {
    return (z - vint(origin.z)) * vint(scalar.stride_z) + (y - vint(origin.y)) * vint(scalar.stride_y) +
           (x - vint(origin.x));
  }

  void fetch8(vint ix, vint iy, vint iz, vint dx, vint dy, vint dz, vfloat* c) const {
    const vint row = element_of(ix, iy, iz);
    // dy, dz are 0 or 1: 0 - d is a mask of all ones or none (cheaper than a multiply).
    const vint oy = vint(scalar.stride_y) & (vint(0) - dy), oz = vint(scalar.stride_z) & (vint(0) - dz);
    const vint rows[4] = {row, row + oy, row + oz, row + oz + oy};
    for (int r = 0; r < 4; ++r) read_neighbours(rows[r], dx, c[2 * r], c[2 * r + 1]);
  }

  /// Voxels `element` and `element + dx` (dx 0 or 1), as their type reads a pair best.
  void read_neighbours(vint element, vint dx, vfloat& first, vfloat& second) const {
    if constexpr (sizeof(T) == 4)
      read_float_pair(element, dx, first, second);
    else
      read_pair(element, dx, first, second);
  }

  /// 8-bit voxels `element` and `element + d0`, `+ d1`, `+ d2` (0 <= d0 <= d1 <= d2 <= 3) from one
  /// 4-byte read, moved back where it would leave the buffer (element + d2 is always inside it).
  /// (Tried for 16-bit voxels with one 8-byte read: picking a lane's voxels out of it cost what the
  /// fewer gathers saved.)
  void read_row_of_four(vint element, vint d0, vint d1, vint d2, vfloat& vm, vfloat& v0, vfloat& v1, vfloat& v2) const {
    static_assert(sizeof(T) == 1);
    const vint start = lane_min(element, vint(last_read));
    const vint word = gather_4_bytes(centre, start);
    const vint shift = (element - start) << 3, low(0xff);
    vm = to_float(shift_right_logical(word, shift) & low);
    v0 = to_float(shift_right_logical(word, shift + (d0 << 3)) & low);
    v1 = to_float(shift_right_logical(word, shift + (d1 << 3)) & low);
    v2 = to_float(shift_right_logical(word, shift + (d2 << 3)) & low);
  }

  /// Voxels `element` and `element + dx` (dx 0 or 1) of a float32 volume from one 8-byte read, moved
  /// back where it would leave the buffer (element + dx is always inside it, so then dx is 0).
  void read_float_pair(vint element, vint dx, vfloat& first, vfloat& second) const {
    const vint start = lane_min(element, vint(last_float_pair));
    vint low, high;
    gather_8_bytes<4>(centre, start, low, high);
    const vfloat at_start = bits_float(low), after_start = bits_float(high);
    first = select(start < element, after_start, at_start);
    second = select(dx > vint(0), after_start, first);
  }

  /// Voxels `element` and `element + dx` of an 8- or 16-bit volume from one 4-byte read, moved back
  /// where it would leave the buffer (element + dx is always inside it).
  void read_pair(vint element, vint dx, vfloat& first, vfloat& second) const {
    constexpr int kBits = 8 * int(sizeof(T));
    const vint offset = sizeof(T) == 1 ? element : element << 1;
    const vint start = lane_min(offset, vint(last_read));
    const vint word = gather_4_bytes(centre, start);
    const vint shift = (offset - start) << 3;
    const vint shift_next = shift + (dx << (sizeof(T) == 1 ? 3 : 4));
    if constexpr (std::is_signed_v<T>) { // int16: sign-extend from the top of the word
      const vint up(32 - kBits);
      first = to_float(shift_right_arithmetic(shift_left(word, up - shift), up));
      second = to_float(shift_right_arithmetic(shift_left(word, up - shift_next), up));
      // raw_voxel: -32768 counts as -32767 (one max an operand: the values are never NaN).
      first = max_unordered(first, vfloat(-32767.0f));
      second = max_unordered(second, vfloat(-32767.0f));
    } else {
      const vint low((1 << kBits) - 1);
      first = to_float(shift_right_logical(word, shift) & low);
      second = to_float(shift_right_logical(word, shift_next) & low);
    }
  }
};

/// How many samples ahead of the one they take packets prefetch (PacketSampler::prefetch).
constexpr int kPrefetchAhead = 4;

/// Bricks above this many bytes are prefetched (PacketSampler::prefetch). Below it the brick stays
/// in the caches, and the prefetches only cost instructions (256^3 uint8, 16 MiB: 20 % slower with
/// them; 633^3 and 1024^3 without skipping: 20-42 % faster, bench/RESULTS.md).
constexpr long long kPrefetchAboveBytes = 64ll << 20;

/// True when a brick's stored box can be addressed with the gathers' signed 32-bit offsets from its
/// middle (PacketSampler): bytes for 8- and 16-bit voxels (up to 4 GiB), elements for float32 (up
/// to 2^32 voxels, 16 GiB). Larger bricks, and those smaller than one read (4 bytes, 2 floats), are
/// marched one ray at a time.
inline bool packet_addressable(const BrickView& b) {
  constexpr long long kOffsets = 1ll << 32, kMargin = 128; // the reads' reach beyond a voxel
  const long long voxels = b.stored.voxel_count(), bytes = voxels * (long long)dtype_size(b.dtype);
  if (b.dtype == DType::float32) return voxels >= 2 && voxels < kOffsets - kMargin; // 8-byte reads
  return bytes >= 4 && bytes < kOffsets - kMargin;
}

template <class T>
PacketSampler<T> make_packet_sampler(const BrickView& b) {
  const long long voxels = b.stored.voxel_count(), bytes = voxels * (long long)sizeof(T);
  const long long middle = voxels / 2;
  const uint8_t* centre = static_cast<const uint8_t*>(b.data) + middle * (long long)sizeof(T);
  // origin.x folds the middle into the x term; in a brick over 2 GiB it wraps like the lanes do.
  const Vec3i origin{int(uint32_t(uint64_t(b.stored.lo.x) + uint64_t(middle))), b.stored.lo.y, b.stored.lo.z};
  PacketSampler<T> s{make_dense_sampler(b, static_cast<const T*>(b.data)), centre,
                     int(std::min<long long>(bytes - 4 - middle * (long long)sizeof(T), INT_MAX)), origin,
                     bytes > kPrefetchAboveBytes};
  if constexpr (sizeof(T) == 4) s.last_float_pair = int(voxels - 2 - middle); // elements, as the offsets count
  return s;
}

// A ray enters lane l of a packet, or its result leaves it.
inline void set_lane(Vec3v& v, int l, Vec3f s) { set_lane(v.x, l, s.x), set_lane(v.y, l, s.y), set_lane(v.z, l, s.z); }
inline void set_lane(RayLanes<vfloat>& p, int l, const RayLanes<float>& r) {
  set_lane(p.origin, l, r.origin), set_lane(p.step, l, r.step), set_lane(p.dir, l, r.dir);
  set_lane(p.j, l, r.j);
  set_lane(p.k, l, r.k), set_lane(p.k_stop, l, r.k_stop), set_lane(p.k_end, l, r.k_end);
}
inline void set_lane(RayAccum<vfloat>& p, int l, const RayAccum<float>& a) {
  set_lane(p.color.x, l, a.color.x), set_lane(p.color.y, l, a.color.y);
  set_lane(p.color.z, l, a.color.z), set_lane(p.color.w, l, a.color.w);
  set_lane(p.max_value, l, a.max_value), set_lane(p.hit, l, a.hit);
}
inline RayAccum<float> lane(const RayAccum<vfloat>& p, int l) {
  return {{lane(p.color.x, l), lane(p.color.y, l), lane(p.color.z, l), lane(p.color.w, l)},
          lane(p.max_value, l),
          lane(p.hit, l)};
}

/// pixel_jitter for a packet of pixels (start_ray on lanes).
inline vfloat pixel_jitter(vint px, vint py) {
  alignas(64) float j[kWidth];
  for (int l = 0; l < kWidth; ++l) j[l] = kernels::pixel_jitter(lane(px, l), lane(py, l));
  vfloat v;
  std::memcpy(&v, j, sizeof v);
  return v;
}

/// The order in which a tile's pixels enter the packet: blocks of kBlockWidth x kBlockHeight pixels
/// (one packet's worth: 4 x 4 with AVX-512, 4 x 2 with AVX2), row-major, and row-major inside each
/// block. A packet's rays are then a compact square whose samples share cache lines, not a row of
/// kWidth pixels: in a volume beyond the caches, its own neighbours' rows (y and z +-1, which the
/// gradient and the next slices read) are already there. Pixel i of a tile whose sides are not
/// multiples of the block lies outside it: `pixel` says so and the packet loop passes over it.
struct TileOrder {
  static constexpr int kBlockWidth = 4, kBlockHeight = kWidth / kBlockWidth;
  Rect tile;
  int blocks_x;

  explicit TileOrder(Rect t) : tile(t), blocks_x((t.width() + kBlockWidth - 1) / kBlockWidth) {}
  /// Indices to walk: the tile rounded up to whole blocks.
  int count() const { return blocks_x * ((tile.height() + kBlockHeight - 1) / kBlockHeight) * kWidth; }
  /// Pixel i as (x, y); false when it lies outside the tile.
  bool pixel(int i, int& x, int& y) const {
    const int block = i / kWidth, at = i % kWidth;
    x = tile.x0 + (block % blocks_x) * kBlockWidth + at % kBlockWidth;
    y = tile.y0 + (block / blocks_x) * kBlockHeight + at / kBlockWidth;
    return x < tile.x1 && y < tile.y1;
  }
};

/// The rays of a tile's pixels, started kWidth at a time (start_ray and place_samples on lanes, so
/// each is what begin_ray gives its pixel), kept lane by lane for the packet loop to take one by one.
struct TileRays {
  static constexpr int kMostPixels = 256; ///< a 16 x 16 tile
  static constexpr int kSlots = kMostPixels + kWidth;
  alignas(64) float origin[3][kSlots], step[3][kSlots], dir[3][kSlots], j[kSlots];
  alignas(64) int k[kSlots], k_stop[kSlots], k_end[kSlots], meets[kSlots];

  /// The rays of `order`'s pixels, by index; false (nothing started) for tiles of more than
  /// kMostPixels indices.
  bool start(const MarchParams& P, const TileOrder& order) {
    const int count = order.count();
    if (count > kMostPixels) return false;
    alignas(64) int xs[kWidth], ys[kWidth];
    for (int first = 0; first < count; first += kWidth) {
      for (int l = 0; l < kWidth; ++l)
        if (!order.pixel(first + l, xs[l], ys[l])) // outside the tile: never entered, any pixel will do
          xs[l] = order.tile.x0, ys[l] = order.tile.y0;
      vint px, py;
      std::memcpy(&px, xs, sizeof px), std::memcpy(&py, ys, sizeof py);
      RayLanes<vfloat> r;
      Vec3v scene_origin;
      vfloat t_near, t_far;
      start_ray(P, px, py, r, scene_origin, t_near, t_far);
      const vmask m = place_samples(P, r, t_near, t_far, vfloat(3.0e38f));
      for (int a = 0; a < 3; ++a) {
        store(origin[a] + first, r.origin[a]), store(step[a] + first, r.step[a]), store(dir[a] + first, r.dir[a]);
      }
      store(j + first, r.j);
      store(k + first, r.k), store(k_stop + first, r.k_stop), store(k_end + first, r.k_end);
      store(meets + first, select(m, vint(1), vint(0)));
    }
    return true;
  }
  RayLanes<float> ray(int i) const {
    return {{origin[0][i], origin[1][i], origin[2][i]},
            {step[0][i], step[1][i], step[2][i]},
            {dir[0][i], dir[1][i], dir[2][i]},
            j[i],
            k[i],
            k_stop[i],
            k_end[i]};
  }

 private:
  static void store(float* to, vfloat v) { std::memcpy(to, &v, sizeof v); }
  static void store(int* to, vint v) { std::memcpy(to, &v, sizeof v); }
};

/// The packet loop of both drivers (one volume, march_tile; volumes mixed, march_tile_mixed): marches
/// the tile a block (TileOrder) at a time, the block's rays that meet the brick in the lanes, until
/// all of them have ended, and writes each finished ray's pixel. `take(rays, active, acc)` takes
/// sample k of the `active` lanes and returns those that became opaque; `finish(acc, plane_ray,
/// plane_t, plane, x, y)` is the pixel of a finished ray (of pixel x, y; it ends on slice plane
/// `plane` at plane_t, or +inf and -1).
/// A lane whose ray ends early idles rather than taking a pixel of the next block: such a packet
/// would sample the front of the volume in some lanes and the back in others, and share no cache
/// line between them. Measured (2 threads, bench/RESULTS.md): draining each block took 0.63-0.93x the
/// time of refilling lanes at once on 633^3 and 1024^3 volumes, and 0.65-0.94x on the 256^3
/// benchmark, where refilling was meant to pay.
/// With skipping off, k_stop is k_end and the loop never reads it: one SIMD register less to keep
/// (AVX2 has 16).
template <bool kSkipping, class Take, class Finish>
unsigned long long march_lanes(const MarchParams& P, Rect tile, ImageView out, const Take& take, const Finish& finish) {
  const TileOrder order(tile);
  const int pixel_count = order.count();
  RayLanes<vfloat> rays{};
  RayAccum<vfloat> acc{};
  vmask live = lanes_below(0);
  int pixel[kWidth];
  float plane_t[kWidth];             // the slice plane each lane's ray ends on (+inf: none)
  int plane_index[kWidth];           // which one (-1: none)
  RayLanes<float> plane_ray[kWidth]; // and that ray, to find the plane's point when it leaves
  int next_pixel = 0, block_end = 0; // the block's pixels not yet entered: [next_pixel, block_end)
  unsigned long long samples = 0;
  // Without slice planes the tile's rays start a packet at a time; a plane's rays one by one.
  thread_local TileRays started;
  const bool batched = P.plane_count == 0 && started.start(P, order);

  // Gives lane l the block's next pixel whose ray meets the brick (others are written at once).
  const auto enter = [&](int l) {
    RayLanes<float> r;
    while (next_pixel < block_end) {
      const int i = next_pixel++;
      int x, y;
      if (!order.pixel(i, x, y)) continue;
      if (batched) {
        plane_t[l] = 3.0e38f, plane_index[l] = -1;
        if (started.meets[i]) r = started.ray(i);
      }
      if (batched ? !started.meets[i] : !begin_ray(P, x, y, r, plane_t[l], plane_index[l])) {
        out.at(x, y) = {0, 0, 0, 0};
        continue;
      }
      if (plane_t[l] < 3.0e38f) plane_ray[l] = r;
      pixel[l] = i;
      set_lane(rays, l, r);
      set_lane(acc, l, empty_accum());
      set_lane(live, l, true);
      return;
    }
    set_lane(live, l, false);
  };
  // Writes lane l's pixel.
  const auto leave = [&](int l) {
    int x, y;
    order.pixel(pixel[l], x, y);
    out.at(x, y) = finish(lane(acc, l), plane_ray[l], plane_t[l], plane_index[l], x, y);
  };

  for (int first = 0; first < pixel_count; first += kWidth) {
    next_pixel = first, block_end = first + kWidth;
    for (int l = 0; l < kWidth; ++l) enter(l);
    while (any(live)) {
      // Lanes in empty space cross one macro cell per step while the others sample: a lane with a
      // long way through empty cells does not hold the packet up.
      if constexpr (kSkipping) {
        const vmask need = live & (rays.k >= rays.k_stop) & (rays.k < rays.k_end);
        if (any(need)) skip_empty_cell(P, rays, need);
      }
      const vmask active = live & (rays.k < (kSkipping ? rays.k_stop : rays.k_end));
      const vmask opaque = take(rays, active, acc);
      samples += (unsigned long long)count(active);
      rays.k = select(active, rays.k + vint(1), rays.k);
      const vmask done = live & ((rays.k >= rays.k_end) | opaque);
      if (any(done)) {
        for (int l = 0; l < kWidth; ++l)
          if (lane(done, l)) leave(l);
        live = live & !done;
      }
    }
  }
  return samples;
}

/// march_tile with skipping on or off.
template <bool kSkipping, class Sampler, class Classifier, class PlaneShader>
unsigned long long march_tile_with(const MarchParams& P, const Sampler& S, const Classifier& classify, Rect tile,
                                   ImageView out, const PlaneShader& shade_plane) {
  int behind_planes = 0; // samples behind translucent planes, taken one ray at a time
  const unsigned long long samples = march_lanes<kSkipping>(
      P, tile, out,
      [&](const RayLanes<vfloat>& rays, vmask active, RayAccum<vfloat>& acc) __attribute__((always_inline)) {
        if (S.prefetching) {
          vfloat t;
          S.prefetch(sample_point(P, rays, rays.k + vint(kPrefetchAhead), t), active);
        }
        return take_sample(P, S, classify, rays, active, acc);
      },
      [&](const RayAccum<float>& a, const RayLanes<float>& plane_ray, float plane_t, int plane, int x, int y)
          __attribute__((always_inline)) {
            if constexpr (std::is_same_v<PlaneShader, ColormapPlanes>)
              return over_plane(P, S, plane_ray, plane_t, plane, finish_ray(P, classify, a));
            else // a surface program: its planes may be translucent, and the ray go on behind them
              return finish_through_planes(P, S.scalar, classify, x, y, plane_ray, plane_t, plane,
                                           finish_ray(P, classify, a), behind_planes, shade_plane);
          });
  return samples + (unsigned long long)behind_planes;
}

/// Marches every pixel of `tile` in packets and writes them to `out`; returns the samples taken.
/// `shade_plane` colours the slice planes (march.h).
template <class Sampler, class Classifier, class PlaneShader = ColormapPlanes>
unsigned long long march_tile(const MarchParams& P, const Sampler& S, const Classifier& classify, Rect tile,
                              ImageView out, const PlaneShader& shade_plane = {}) {
  if (P.skip.empty_radius != nullptr && P.mode == RenderMode::direct_volume)
    return march_tile_with<true>(P, S, classify, tile, out, shade_plane);
  return march_tile_with<false>(P, S, classify, tile, out, shade_plane);
}

/// The layers' PacketSamplers for mix_sample.
using PacketLayerSamplers = LayerSamplers<PacketSampler>;

/// The layers' one-ray samplers of `S` (each PacketSampler's `scalar`), for what a packet leaves to
/// one ray at a time.
inline LayerSamplers<DenseSampler> scalar_samplers(const MixParams& M, const PacketLayerSamplers& S) {
  LayerSamplers<DenseSampler> scalar{};
  for (int i = 0; i < M.count; ++i) S.visit(i, [&](const auto& layer) { scalar.set(i, layer.scalar); });
  return scalar;
}

/// march_ray_mixed for every pixel of `tile` in packets, the same pixels bit for bit. Returns the
/// samples taken. `shade_plane` colours the slice planes over the lead's voxels; behind a plane a
/// surface program left translucent, the ray goes on one at a time, as march_ray_mixed's does.
template <bool kSkipping, class PlaneShader>
unsigned long long march_tile_mixed_with(const MixParams& M, const PacketLayerSamplers& S, Rect tile, ImageView out,
                                         const PlaneShader& shade_plane) {
  const MarchParams& P = M.lattice;
  bool prefetching = false; // some layer's brick is beyond the caches
  for (int i = 0; i < M.count; ++i) prefetching |= S.visit(i, [](const auto& layer) { return layer.prefetching; });
  const LayerSamplers<DenseSampler> scalar = scalar_samplers(M, S);
  int behind_planes = 0; // samples behind translucent planes, taken one ray at a time
  const unsigned long long samples = march_lanes<kSkipping>(
      P, tile, out,
      [&](const RayLanes<vfloat>& rays, vmask active, RayAccum<vfloat>& acc) __attribute__((always_inline)) {
        if (any(active)) {
          vfloat t;
          if (prefetching) {
            const Vec3v ahead = sample_point(P, rays, rays.k + vint(kPrefetchAhead), t);
            for (int i = 0; i < M.count; ++i) // each layer's brick, at that point on its own grid
              S.visit(i, [&](const auto& layer) {
                if (layer.prefetching) layer.prefetch(layer_point(M, i, ahead), active);
              });
          }
          mix_sample<vfloat>(M, S, sample_point(P, rays, rays.k, t), rays.dir, active, acc.color);
        }
        return active & (P.early_termination & (acc.color.w >= kOpaqueAlpha));
      },
      [&](const RayAccum<float>& a, const RayLanes<float>& plane_ray, float plane_t, int plane, int x, int y)
          __attribute__((always_inline)) {
            if constexpr (std::is_same_v<PlaneShader, ColormapPlanes>)
              return scalar.visit(
                  0, [&](const auto& lead) { return over_plane(P, lead, plane_ray, plane_t, plane, a.color); });
            else {
              RayLanes<float> ray = plane_ray; // goes on behind the planes
              return through_planes(
                  P, x, y, ray, plane_t, plane, a.color,
                  [&](const RayLanes<float>& at, float t, int k) {
                    return scalar.visit(0, [&](const auto& lead) { return shade_plane(P, lead, at, t, k); });
                  },
                  [&](RayLanes<float>& behind, Vec4f in_front) {
                    march_mixed_samples(M, scalar, behind, in_front, behind_planes);
                    return in_front;
                  });
            }
          });
  return samples + (unsigned long long)behind_planes;
}

template <class PlaneShader = ColormapPlanes>
unsigned long long march_tile_mixed(const MixParams& M, const PacketLayerSamplers& S, Rect tile, ImageView out,
                                    const PlaneShader& shade_plane = {}) {
  if (M.lattice.skip.empty_radius != nullptr) return march_tile_mixed_with<true>(M, S, tile, out, shade_plane);
  return march_tile_mixed_with<false>(M, S, tile, out, shade_plane);
}

} // namespace libindex::kernels::simd
#endif
