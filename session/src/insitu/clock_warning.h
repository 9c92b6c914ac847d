// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the in-situ publisher says when the ranks' clocks disagree: paced render threads work
/// in windows of the wall clock (FrameParams::host_duty) meant to fall at the same moments on every
/// rank, so that a simulation whose ranks wait for each other loses the same moments on all of them.

#include <chrono>
#include <cstdio>
#include <string>

#include "libindex/frame.h"

namespace libindex::insitu {

/// Empty when the ranks' clocks (`spread_seconds` apart, mpi::wall_clock_spread_seconds) agree to
/// within half a work window at `render_share`, or when nothing is paced (a share of 1); otherwise
/// one line that says by how much they disagree and what it costs.
inline std::string clock_spread_warning(double spread_seconds, double render_share) {
  if (!(render_share < 1)) return {};
  const double window_ms = std::chrono::duration<double, std::milli>(host_work_window(render_share)).count();
  const double spread_ms = 1e3 * spread_seconds;
  if (!(spread_ms > 0.5 * window_ms)) return {};
  char line[400];
  std::snprintf(line, sizeof line,
                "in situ: the ranks' clocks are up to %.1f ms apart, more than half of a render window "
                "(%.1f ms at render_share %g): paced render threads of different ranks will not work at "
                "the same moments, and frames will cost the simulation more; keep the nodes' clocks in "
                "step (NTP, chrony)",
                spread_ms, window_ms, render_share);
  return line;
}

} // namespace libindex::insitu
