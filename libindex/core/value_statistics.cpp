// SPDX-License-Identifier: Apache-2.0
#include "libindex/value_statistics.h"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "libindex/error.h"

namespace libindex {
namespace {

/// Whether `box` is a non-empty box of host voxels inside the brick; throws Error when it is outside.
bool readable(const BrickView& view, const Box3i& box) {
  if (view.on_device) throw Error("value statistics: the voxels are in GPU memory");
  if (box.empty()) return false;
  require(intersect(box, view.stored) == box,
          "value statistics: " + to_string(box) + " is not inside the brick's " + to_string(view.stored));
  return true;
}

/// Calls f(row) for every row of `box`, where row[x] is voxel (x, y, z) for x in [box.lo.x, box.hi.x).
template <class T, class F>
void for_each_row(const BrickView& view, const Box3i& box, F&& f) {
  const Vec3i n = view.stored.size();
  const T* data = static_cast<const T*>(view.data);
  for (int z = box.lo.z; z < box.hi.z; ++z)
    for (int y = box.lo.y; y < box.hi.y; ++y)
      f(data + (size_t(z - view.stored.lo.z) * size_t(n.y) + size_t(y - view.stored.lo.y)) * size_t(n.x) -
        view.stored.lo.x);
}

/// Calls f(normalized value) for every voxel of `box`, row by row.
template <class F>
void for_each_value(const BrickView& view, const Box3i& box, F&& f) {
  if (!readable(view, box)) return;
  visit_dtype(view.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_row<T>(view, box, [&](const T* row) {
      for (int x = box.lo.x; x < box.hi.x; ++x) f(normalize_voxel(row[x]));
    });
  });
}

/// Counts the stored values of `box` into `totals`. Four tables of 32-bit counters take turns, so
/// that a run of one value (air, a constant background) does not wait on one counter's increments;
/// they are added to the 64-bit totals before any of them could overflow.
template <class T>
void count_stored_values(const BrickView& view, const Box3i& box, std::vector<long long>& totals) {
  using Bits = std::make_unsigned_t<T>;
  constexpr size_t kValues = size_t(1) << (8 * sizeof(T));
  constexpr int kTables = 4;
  std::vector<uint32_t> tables(kTables * kValues);
  uint32_t* t[kTables];
  for (int k = 0; k < kTables; ++k) t[k] = tables.data() + k * kValues;
  uint64_t pending = 0; // voxels counted since the last flush: no counter holds more
  const auto flush = [&] {
    for (size_t v = 0; v < kValues; ++v) totals[v] += (long long)t[0][v] + t[1][v] + t[2][v] + t[3][v];
    std::fill(tables.begin(), tables.end(), 0u);
    pending = 0;
  };
  const int width = box.hi.x - box.lo.x;
  for_each_row<T>(view, box, [&](const T* row) {
    if (pending + uint64_t(width) > UINT32_MAX) flush();
    row += box.lo.x;
    int x = 0;
    for (; x + kTables <= width; x += kTables)
      for (int k = 0; k < kTables; ++k) ++t[k][Bits(row[x + k])];
    for (; x < width; ++x) ++t[0][Bits(row[x])];
    pending += uint64_t(width);
  });
  flush();
}

} // namespace

std::optional<std::pair<float, float>> data_domain(const ValueStatistics& s, bool signed_distances) {
  if (s.empty()) return std::nullopt;
  const float lo = float(s.min), hi = float(s.max);
  if (signed_distances && lo < 0 && hi > 0) return std::pair{lo, 0.0f};
  if (hi > lo) return std::pair{lo, hi};
  return std::pair{lo - 0.5f, lo + 0.5f};
}

namespace {

/// The finite values' least and greatest, in 16 running minima and maxima, one for each position in
/// a block of 16 values: each step is then 16 independent mins and maxes, which compile to vector
/// instructions (one running minimum is a chain of compares the compiler must keep in order).
struct RangeLanes {
  static constexpr int kLanes = 16;
  float lo[kLanes], hi[kLanes];
  RangeLanes() { std::fill(lo, lo + kLanes, INFINITY), std::fill(hi, hi + kLanes, -INFINITY); }

  /// Adds row[0, width); returns how many of them are finite (infinities and NaN leave the range as
  /// it is). Works on copies of the lanes, which the compiler can tell apart from the row.
  template <class T>
  long long add(const T* row, int width) {
    float l[kLanes], h[kLanes];
    int finite[kLanes] = {};
    std::copy(lo, lo + kLanes, l), std::copy(hi, hi + kLanes, h);
    const auto add_value = [&](int k, float v) {
      const bool f = std::fabs(v) <= FLT_MAX;
      const float low = f ? v : INFINITY, high = f ? v : -INFINITY;
      l[k] = low < l[k] ? low : l[k], h[k] = high > h[k] ? high : h[k];
      finite[k] += int(f);
    };
    int x = 0;
    for (; x + kLanes <= width; x += kLanes)
      for (int k = 0; k < kLanes; ++k) add_value(k, normalize_voxel(row[x + k]));
    for (; x < width; ++x) add_value(0, normalize_voxel(row[x]));
    std::copy(l, l + kLanes, lo), std::copy(h, h + kLanes, hi);
    long long count = 0;
    for (int k = 0; k < kLanes; ++k) count += finite[k];
    return count;
  }
};

} // namespace

void add_value_range(const BrickView& view, const Box3i& box, ValueStatistics& s) {
  if (!readable(view, box)) return;
  RangeLanes lanes;
  long long count = 0;
  visit_dtype(view.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_row<T>(view, box, [&](const T* row) { count += lanes.add(row + box.lo.x, box.hi.x - box.lo.x); });
  });
  for (int k = 0; k < RangeLanes::kLanes; ++k)
    s.min = std::min(s.min, double(lanes.lo[k])), s.max = std::max(s.max, double(lanes.hi[k]));
  s.count += count, s.non_finite += box.voxel_count() - count;
}

namespace {

/// A float's position in the order of floats, as an integer (-0 and +0 share one).
int64_t float_order(float f) {
  const auto bits = std::bit_cast<int32_t>(f);
  return bits < 0 ? -int64_t(bits & 0x7fffffff) : int64_t(bits);
}
float from_float_order(int64_t order) {
  return order < 0 ? std::bit_cast<float>(int32_t(uint32_t(-order) | 0x80000000u))
                   : std::bit_cast<float>(int32_t(order));
}

/// s.bin_of for float values at float speed, and exactly. bin_of never decreases as v grows (each of
/// its operations rounds correctly and keeps the order), so bin k starts at a threshold: the least
/// float v with bin_of(v) >= k, found once per bin by bisection over the floats. A value's bin is
/// estimated in float arithmetic and then moved to agree with the thresholds around it.
class FloatBins {
 public:
  /// Whether the float estimate is within a bin of the truth for s's range. Its rounding errors
  /// grow with the ends' distance from 0 counted in bins (a narrow range far from 0, such as
  /// [1e6, 1e6 + 3], lies about 10^8 bins from it): below 2^16 bins they stay under a hundredth
  /// of a bin.
  /// The scale must also be a float: a range of subnormal floats has none (its float is infinite,
  /// and the estimate NaN).
  static bool apply(const ValueStatistics& s) {
    const double scale = ValueStatistics::kBins / (s.max - s.min);
    return s.max > s.min && scale < double(FLT_MAX) && std::max(std::fabs(s.min), std::fabs(s.max)) * scale < 65536.0;
  }
  explicit FloatBins(const ValueStatistics& s)
      : scale_(float(ValueStatistics::kBins / (s.max - s.min))), offset_(float(s.min) * scale_),
        margin_(float(
            std::ldexp(std::max(std::fabs(s.min), std::fabs(s.max)) * double(scale_) + ValueStatistics::kBins, -20))) {
    start_.front() = -INFINITY, start_.back() = INFINITY;
    for (int k = 1; k < ValueStatistics::kBins; ++k) {
      // bin_of(min) is 0 and bin_of(max) the last: the threshold lies in (min, max].
      int64_t below = float_order(float(s.min)), at = float_order(float(s.max));
      while (at - below > 1) {
        const int64_t mid = below + (at - below) / 2;
        (s.bin_of(from_float_order(mid)) >= k ? at : below) = mid;
      }
      start_[size_t(k)] = from_float_order(at);
    }
  }
  /// The bin of a finite v in [min, max] (the estimate is off by at most one there; outside, bins clamp).
  int bin_of(float v) const {
    const int k = int(std::clamp(v * scale_ - offset_, 0.0f, float(ValueStatistics::kBins - 1)));
    return k + int(v >= start_[size_t(k + 1)]) - int(v < start_[size_t(k)]);
  }

  /// Counts the finite values of v[0, n) into four histograms that take turns (so that a run of one
  /// bin does not wait on one counter). Most values' estimates lie farther than margin_ from every
  /// edge between two bins (1, 2, ... kBins - 1; below the first and above the last the bins clamp),
  /// and the estimate's error is at most a quarter of margin_: their bin is the estimate's integer
  /// part, with no look at the thresholds. The test is branch-free over 16 values at a time, which
  /// the compiler vectorizes; the rest (near an edge, not finite) go through bin_of.
  void count(const float* v, int n, std::array<std::array<long long, ValueStatistics::kBins>, 4>& turns) const {
    constexpr int kBlock = 16;
    constexpr float kLast = ValueStatistics::kBins - 1;
    float run = NAN; // a value whose bin, run_bin, the estimate gave: runs of it are counted at once
    int run_bin = 0;
    int i = 0;
    for (; i + kBlock <= n; i += kBlock) {
      int repeated = 1; // air, a background, a constant field: cheaper to compare than to bin
      for (int j = 0; j < kBlock; ++j) repeated &= int(v[i + j] == run);
      if (repeated) {
        turns[0][size_t(run_bin)] += kBlock;
        continue;
      }
      std::array<int, kBlock> k, clear; // clear: v[i + j] is finite and its estimate lies clear of every edge
      for (int j = 0; j < kBlock; ++j) {
        const float u = v[i + j] * scale_ - offset_;
        const bool finite = u - u == 0.0f;
        const float w = finite ? u : 0.0f; // NaN and infinities to 0: the casts stay defined
        k[size_t(j)] = int(std::min(std::max(w, 0.0f), kLast));
        const float edge = float(int(std::min(std::max(w, 1.0f), kLast) + 0.5f)); // the nearest
        clear[size_t(j)] = int((std::fabs(u - edge) >= margin_) & finite);
      }
      if (clear[0]) run = v[i], run_bin = k[0];
      for (int j = 0; j < kBlock; ++j) {
        if (clear[size_t(j)])
          ++turns[size_t(j & 3)][size_t(k[size_t(j)])];
        else if (std::isfinite(v[i + j]))
          ++turns[size_t(j & 3)][size_t(bin_of(v[i + j]))];
      }
    }
    for (; i < n; ++i)
      if (std::isfinite(v[i])) ++turns[0][size_t(bin_of(v[i]))];
  }

 private:
  float scale_, offset_; // the estimate is v * scale_ - offset_
  /// How far (in bins) an estimate must lie from an edge to be taken as it is: 16 times
  /// (largest |value| * scale + kBins) * 2^-24, four times the estimate's error (four roundings, of
  /// the scale, the product, the offset and the difference, each at most that much).
  float margin_;
  /// start_[k]: where bin k starts; start_[0] = -inf, start_[kBins] = inf.
  std::array<float, ValueStatistics::kBins + 1> start_{};
};

} // namespace

void add_histogram(const BrickView& view, const Box3i& box, ValueStatistics& s) {
  if (view.dtype == DType::float32 && FloatBins::apply(s)) {
    const FloatBins bins(s);
    std::array<std::array<long long, ValueStatistics::kBins>, 4> turns{};
    if (readable(view, box))
      for_each_row<float>(view, box, [&](const float* row) { bins.count(row + box.lo.x, box.hi.x - box.lo.x, turns); });
    for (const auto& h : turns)
      for (size_t k = 0; k < h.size(); ++k) s.histogram[k] += h[k];
    return;
  }
  for_each_value(view, box, [&](float v) {
    if (std::isfinite(v)) ++s.histogram[size_t(s.bin_of(v))];
  });
}

void add_stored_values(const BrickView& view, const Box3i& box, StoredValueCounts& counts) {
  require(counted_by_stored_value(view.dtype), "value statistics: float32 voxels are not counted by stored value");
  if (counts.counts.empty()) {
    counts.dtype = view.dtype;
    counts.counts.assign(size_t(1) << (8 * dtype_size(view.dtype)), 0);
  }
  require(counts.dtype == view.dtype,
          "value statistics: " + to_string(view.dtype) + " voxels added to counts of " + to_string(counts.dtype));
  if (!readable(view, box)) return;
  visit_dtype(view.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) count_stored_values<T>(view, box, counts.counts);
  });
}

namespace {
/// Calls f(normalized value, voxels) for every stored value that `counts` holds.
template <class F>
void for_each_counted_value(const StoredValueCounts& counts, F&& f) {
  visit_dtype(counts.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      using Bits = std::make_unsigned_t<T>;
      for (size_t v = 0; v < counts.counts.size(); ++v)
        if (counts.counts[v] != 0) f(normalize_voxel(T(Bits(v))), counts.counts[v]);
    }
  });
}
} // namespace

void add_value_range(const StoredValueCounts& counts, ValueStatistics& s) {
  float lo = INFINITY, hi = -INFINITY; // in float, as the pass over the voxels compares
  long long count = 0;
  for_each_counted_value(counts, [&](float v, long long n) {
    lo = std::min(lo, v), hi = std::max(hi, v);
    count += n;
  });
  s.min = std::min(s.min, double(lo)), s.max = std::max(s.max, double(hi));
  s.count += count;
}

void add_histogram(const StoredValueCounts& counts, ValueStatistics& s) {
  for_each_counted_value(counts, [&](float v, long long n) { s.histogram[size_t(s.bin_of(v))] += n; });
}

} // namespace libindex
