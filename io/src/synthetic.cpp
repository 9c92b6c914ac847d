// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/synthetic.h"

#include <array>
#include <cmath>
#include <cstdint>

#include <tbb/parallel_for.h>

#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io {
namespace {

constexpr float kPi = 3.14159265358979f;

float marschner_lobb(float x, float y, float z) {
  constexpr float fM = 6.0f, alpha = 0.25f;
  const float r = std::sqrt(x * x + y * y);
  const float rho_r = std::cos(2.0f * kPi * fM * std::cos(kPi * r / 2.0f));
  return (1.0f - std::sin(kPi * z / 2.0f) + alpha * (1.0f + rho_r)) / (2.0f * (1.0f + alpha));
}

float sphere(float x, float y, float z) {
  const float r = std::sqrt(x * x + y * y + z * z);
  return std::max(0.0f, 1.0f - r / 0.8f);
}

// Value noise on an integer lattice with a hash, smoothly interpolated: deterministic everywhere.
float hash3(int x, int y, int z) {
  uint32_t h = uint32_t(x) * 73856093u ^ uint32_t(y) * 19349663u ^ uint32_t(z) * 83492791u;
  h ^= h >> 13, h *= 0x5bd1e995u, h ^= h >> 15;
  return float(h & 0xffffffu) / float(0xffffff);
}

/// The lattice values at the eight corners of the last cell asked for, hashed again only when the
/// cell changes: along a row of voxels that is every few voxels, and the hashes are most of the
/// noise's cost. Values are the same either way.
class LatticeCell {
 public:
  /// Corner (i, j, k) of the cell whose lowest corner is (x, y, z) at [(k * 2 + j) * 2 + i].
  const std::array<float, 8>& corners(int x, int y, int z) {
    if (!filled_ || x != x_ || y != y_ || z != z_) {
      for (int k = 0; k < 2; ++k)
        for (int j = 0; j < 2; ++j)
          for (int i = 0; i < 2; ++i) c_[size_t((k * 2 + j) * 2 + i)] = hash3(x + i, y + j, z + k);
      x_ = x, y_ = y, z_ = z, filled_ = true;
    }
    return c_;
  }

 private:
  std::array<float, 8> c_{};
  int x_ = 0, y_ = 0, z_ = 0;
  bool filled_ = false;
};

float value_noise(float x, float y, float z, LatticeCell& cell) {
  const float fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
  const std::array<float, 8>& c = cell.corners(int(fx), int(fy), int(fz));
  auto s = [](float t) { return t * t * (3 - 2 * t); };
  const float tx = s(x - fx), ty = s(y - fy), tz = s(z - fz);
  auto l = [](float a, float b, float t) { return a + (b - a) * t; };
  return l(l(l(c[0], c[1], tx), l(c[2], c[3], tx), ty), l(l(c[4], c[5], tx), l(c[6], c[7], tx), ty), tz);
}

/// Four octaves of value noise, each with its own lattice cell kept.
float fbm(float x, float y, float z, std::array<LatticeCell, 4>& cells) {
  float sum = 0, amplitude = 0.5f, f = 1.0f;
  for (int octave = 0; octave < 4; ++octave, amplitude *= 0.5f, f *= 2.03f)
    sum += amplitude * value_noise(x * f, y * f, z * f, cells[size_t(octave)]);
  return sum / 0.9375f; // [0,1]
}

/// The supernova field: a turbulent shell with filaments around a hot core. Keeps the noise's
/// lattice cells between calls, so neighbouring voxels in a row cost a fraction of the first.
class Supernova {
 public:
  float operator()(float x, float y, float z) {
    const float r = std::sqrt(x * x + y * y + z * z);
    const float turbulence = fbm(3.0f * x + 11.0f, 3.0f * y + 7.0f, 3.0f * z + 3.0f, turbulence_);
    const float shell_radius = 0.55f + 0.25f * (turbulence - 0.5f);
    const float shell = std::exp(-std::pow((r - shell_radius) / 0.07f, 2.0f));
    const float filaments = std::pow(fbm(9.0f * x, 9.0f * y, 9.0f * z, filaments_), 2.0f);
    const float core = 0.8f * std::exp(-std::pow(r / 0.12f, 2.0f));
    return std::min(1.0f, shell * (0.45f + 0.75f * filaments) + core);
  }

 private:
  std::array<LatticeCell, 4> turbulence_, filaments_;
};

enum class Field { marschner_lobb, sphere, supernova };

Field field_named(const std::string& name) {
  if (name == "marschner-lobb") return Field::marschner_lobb;
  if (name == "sphere") return Field::sphere;
  if (name == "supernova") return Field::supernova;
  throw Error("unknown synthetic volume '" + name + "' (known: marschner-lobb, sphere, supernova)");
}

/// One field evaluated at many points, one thread's: the name is looked up once, and the supernova
/// keeps its noise cells from one point to the next.
class FieldSampler {
 public:
  explicit FieldSampler(Field field) : field_(field) {}
  float operator()(float x, float y, float z) {
    switch (field_) {
    case Field::marschner_lobb:
      return marschner_lobb(x, y, z);
    case Field::sphere:
      return sphere(x, y, z);
    case Field::supernova:
      return supernova_(x, y, z);
    }
    return 0.0f;
  }

 private:
  Field field_;
  Supernova supernova_;
};

class SyntheticSource final : public VolumeSource {
 public:
  SyntheticSource(std::string name, int size, DType dtype) : name_(std::move(name)), size_(size), dtype_(dtype) {}
  Box3i box() const override { return {{0, 0, 0}, {size_, size_, size_}}; }
  DType dtype() const override { return dtype_; }
  std::string describe() const override {
    const std::string n = std::to_string(size_);
    return "synthetic " + name_ + " " + n + "x" + n + "x" + n + " " + to_string(dtype_);
  }
  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box());
    Brick brick(region, dtype_);
    const Vec3i s = region.size();
    // Computing the field is the slow part (the built-in 256^3 supernova takes seconds on 2 cores):
    // reported like a read, once it has taken a second.
    ProgressMeter meter(describe(), brick.bytes.size());
    const uint64_t slice_bytes = uint64_t(std::max(0, s.x)) * uint64_t(std::max(0, s.y)) * uint64_t(dtype_size(dtype_));
    const Field field = field_named(name_);
    tbb::parallel_for(0, std::max(0, s.z), [&](int kz) {
      FieldSampler sample(field);
      for (int ky = 0; ky < s.y; ++ky)
        for (int kx = 0; kx < s.x; ++kx) {
          const Vec3i v{region.lo.x + kx, region.lo.y + ky, region.lo.z + kz};
          // Voxel centres span [-1,1]^3: centre (i + 1/2) / n maps to 2 * that - 1.
          const float x = 2.0f * (v.x + 0.5f) / size_ - 1.0f, y = 2.0f * (v.y + 0.5f) / size_ - 1.0f,
                      z = 2.0f * (v.z + 0.5f) / size_ - 1.0f;
          const float f = sample(x, y, z);
          const size_t i = (size_t(kz) * s.y + ky) * s.x + kx;
          if (dtype_ == DType::float32)
            brick.data<float>()[i] = f;
          else
            brick.data<uint8_t>()[i] = uint8_t(std::lround(255.0f * clampf(f, 0.0f, 1.0f)));
        }
      meter.add(slice_bytes);
    });
    meter.finish();
    return brick;
  }

 private:
  std::string name_;
  int size_;
  DType dtype_;
};

} // namespace

std::vector<std::string> synthetic_names() { return {"marschner-lobb", "sphere", "supernova"}; }

float synthetic_field(const std::string& name, float x, float y, float z) {
  return FieldSampler(field_named(name))(x, y, z);
}

std::unique_ptr<VolumeSource> make_synthetic(const std::string& name, int size) {
  synthetic_field(name, 0, 0, 0); // validates the name
  require(size >= 1, "synthetic volume size must be at least 1, got " + std::to_string(size));
  return std::make_unique<SyntheticSource>(name, size, name == "marschner-lobb" ? DType::float32 : DType::uint8);
}

} // namespace libindex::io
