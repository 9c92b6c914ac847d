// SPDX-License-Identifier: Apache-2.0
// clock_spread_warning: the in-situ publisher's line when the ranks' clocks disagree by more than
// half a render window (kHostPacingPeriod 100 ms: a window of 5 ms at render_share 0.05).
#include <gtest/gtest.h>

#include "insitu/clock_warning.h"

using libindex::insitu::clock_spread_warning;

TEST(ClockWarning, SaidOnlyBeyondHalfAWindowAndOnlyWhenPaced) {
  EXPECT_EQ(clock_spread_warning(0.0, 0.05), "");
  EXPECT_EQ(clock_spread_warning(0.0024, 0.05), ""); // just under half of 5 ms
  EXPECT_EQ(clock_spread_warning(0.020, 0.5), "");   // half of 50 ms is 25
  EXPECT_EQ(clock_spread_warning(10.0, 1.0), "");    // not paced: nothing to line up
  const std::string line = clock_spread_warning(0.0031, 0.05);
  EXPECT_NE(line.find("up to 3.1 ms apart"), std::string::npos) << line;
  EXPECT_NE(line.find("(5.0 ms at render_share 0.05)"), std::string::npos) << line;
  EXPECT_NE(clock_spread_warning(0.026, 0.5).find("up to 26.0 ms apart"), std::string::npos);
}
