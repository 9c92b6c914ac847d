// SPDX-License-Identifier: Apache-2.0
// lanes.h's exp2, log2 and pow polynomials against libm in double precision, over every range the
// marcher feeds them (opacity correction: 1 - alpha in (0, 1], exponents from 0.05 to 8; shading:
// n.l in [0, 1], shininess up to 128), and at their documented edges.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

#include "libindex/lanes.h"

using namespace libindex;

namespace {

TEST(LaneMath, Exp2IsWithinOneUlpOfLibmOverItsRange) {
  double worst = 0;
  for (double x = -126.0; x <= 127.0; x += 0.000173) {
    const float got = polynomial_exp2(float(x));
    const double want = std::exp2(double(float(x)));
    worst = std::max(worst, std::abs(got - want) / want);
  }
  EXPECT_LT(worst, 2.4e-7) << "largest relative error";
  EXPECT_EQ(polynomial_exp2(0.0f), 1.0f);
  EXPECT_EQ(polynomial_exp2(10.0f), 1024.0f);
  EXPECT_EQ(polynomial_exp2(-3.0f), 0.125f);
  // Clamped: 2^-126 (the smallest normal) below, 2^127 above, and NaN reads as the bottom.
  EXPECT_EQ(polynomial_exp2(-1000.0f), FLT_MIN);
  EXPECT_EQ(polynomial_exp2(NAN), FLT_MIN);
  EXPECT_EQ(polynomial_exp2(1000.0f), std::ldexp(1.0f, 127));
}

TEST(LaneMath, Log2IsWithinTwoUlpOfLibmForEveryExponent) {
  double worst = 0;
  // Every 4099th float from the smallest normal up: all exponents, mantissas across [1, 2).
  for (int bits = float_bits(FLT_MIN); bits < float_bits(FLT_MAX); bits += 4099) {
    const float x = bits_float(bits);
    const double want = std::log2(double(x));
    const double err = std::abs(polynomial_log2(x) - want);
    worst = std::max(worst, err / std::max(std::abs(want), 1e-30));
  }
  EXPECT_LT(worst, 2.4e-7) << "largest relative error";
  // Near 1, where 1 - alpha lies for faint samples, the error is relative to a tiny result.
  for (float x = 0.999f; x < 1.001f; x = bits_float(float_bits(x) + 7)) {
    if (x == 1.0f) continue;
    const double want = std::log2(double(x));
    EXPECT_LT(std::abs(polynomial_log2(x) - want), 2.4e-7 * std::abs(want)) << x;
  }
  EXPECT_EQ(polynomial_log2(1.0f), 0.0f);
  EXPECT_EQ(polynomial_log2(8.0f), 3.0f);
  EXPECT_EQ(polynomial_log2(0.0f), -126.0f);
  EXPECT_EQ(polynomial_log2(-5.0f), -126.0f);
}

TEST(LaneMath, PowMatchesLibmWhereTheMarcherUsesIt) {
  for (float e : {0.05f, 0.3f, 1.236f, 2.0f, 8.0f, 32.0f, 128.0f}) {
    double worst_relative = 0, worst_absolute = 0;
    for (double x = 0; x <= 1.0; x += 1.0 / 65536) {
      const double want = std::pow(double(float(x)), double(e));
      const double err = std::abs(polynomial_pow(float(x), e) - want);
      worst_absolute = std::max(worst_absolute, err);
      if (want > 1e-3) worst_relative = std::max(worst_relative, err / want);
    }
    // The exponent scales log2's relative error: e log2(x) carries ~2 ulp of itself into exp2.
    // Whole exponents are squarings: each doubles the error so far and adds half an ulp, which
    // stays below e ulp (for shininess 32, 4e-6: far below a colour step of 1/255).
    const bool squared = e > 1 && e == float(int(e));
    EXPECT_LT(worst_relative, squared ? e * 0x1p-23 : 1e-6) << "x^" << e;
    EXPECT_LT(worst_absolute, squared ? e * 0x1p-23 : 1.5e-7) << "x^" << e;
  }
  EXPECT_EQ(polynomial_pow(0.0f, 32.0f), 0.0f);
  EXPECT_EQ(polynomial_pow(0.0f, 0.0f), 1.0f); // as powf
  EXPECT_EQ(polynomial_pow(0.7f, 0.0f), 1.0f);
  EXPECT_EQ(polynomial_pow(1.0f, 32.0f), 1.0f);
  EXPECT_EQ(polynomial_pow(NAN, 2.0f), 0.0f);
  EXPECT_EQ(polynomial_pow(NAN, 2.5f), 0.0f);
  EXPECT_EQ(polynomial_pow(-0.5f, 3.0f), 0.0f); // x < 0 reads as 0 (n.l is never negative)
  EXPECT_EQ(polynomial_pow(0.5f, 3.0f), 0.125f);
  EXPECT_EQ(polynomial_pow(3.0f, 5.0f), 243.0f);
}

TEST(LaneMath, OneRayOnTheHostUsesThePolynomials) {
  // lane_exp2/log2/pow on floats must be the polynomials bit for bit: SIMD packets use them, and a
  // packet's lane must equal one ray's pixel (kernels' packet tests).
  for (float x : {0.013f, 0.5f, 0.77f, 0.999f, 3.5f, -7.25f}) {
    EXPECT_EQ(float_bits(lane_exp2(x)), float_bits(polynomial_exp2(x))) << x;
    if (x > 0) {
      EXPECT_EQ(float_bits(lane_log2(x)), float_bits(polynomial_log2(x))) << x;
      EXPECT_EQ(float_bits(lane_pow(x, 32.0f)), float_bits(polynomial_pow(x, 32.0f))) << x;
    }
  }
}

} // namespace
