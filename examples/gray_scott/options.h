// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The command line of gray_scott: parsed the same way on every rank.

#include <cstdio>
#include <cstdlib>
#include <string>

struct Options {
  int size = 128;            ///< the global cube: size^3 voxels
  long long steps = -1;      ///< -1: until SIGINT or SIGTERM
  int viz_every = 10;        ///< publish and update() every K steps; 0: no visualization
  int port = 8080;           ///< the head's server; 0: any free port
  bool asynchronous = false; ///< render on a thread while the simulation goes on (copies the fields)
  int render_threads = 0;    ///< threads each rank renders with; 0: all the cores
  double render_share = 1;   ///< --async: the share of the time the render threads may work
  double copy_refresh = 0;   ///< --async: a waiting copy stands for due frames up to this share of a frame's time
  long long compare = 0;     ///< >0: alternate blocks of this many steps with and without visualization
  double feed = 0.037;       ///< F: the rate u is fed at
  double kill = 0.06;        ///< k: the rate v is removed at (plus F)
  double Du = 0.2, Dv = 0.1; ///< diffusion rates, voxels^2 per unit time
  double dt = 0.5;           ///< the explicit Euler step
};

inline const char* const kUsage =
    "usage: gray_scott [options]\n"
    "A 3D Gray-Scott reaction-diffusion code with its own MPI decomposition (a Cartesian grid of blocks),\n"
    "watched and steered from a browser through libindex's in-situ API.\n"
    "  --size N       the global cube is N^3 voxels (default 128)\n"
    "  --steps S      run S steps (default: until SIGINT or SIGTERM, then finish cleanly)\n"
    "  --viz-every K  publish u and v and call update() every K steps; 0: no visualization (default 10)\n"
    "  --port P       the port rank 0 serves the viewer on (default 8080; 0: any free port)\n"
    "  --async        render on a thread while the simulation computes the next steps (copies u and v\n"
    "                 at each update; a frame shows an earlier step). Default: synchronous, no copy\n"
    "  --render-threads N  threads each rank renders with (default 0: all the cores; with --async,\n"
    "                 leave the simulation its cores)\n"
    "  --render-share S  with --async: the render threads work at most this share of the time, in\n"
    "                 (0, 1] (default 1); a frame then costs the run about S of a core, and takes 1/S as long\n"
    "  --copy-refresh S  with --async: while a frame renders, copy the fields for a due frame only when\n"
    "                 the waiting copy is older than S times the last frame's time (default 0: every due\n"
    "                 frame copies; 0.1: at most about ten copies a frame, each frame at most a tenth of a\n"
    "                 frame's time older than the newest data)\n"
    "  --compare B    measure the cost of watching: alternate blocks of B steps with visualization (an\n"
    "                 update after a block's first step and every K steps) and without (the frames in\n"
    "                 flight are finished first, untimed); at the end print what a step costs in each\n"
    "                 kind of block. Pairs of blocks in one run share the machine's state, which varies\n"
    "                 more between runs than the cost itself. Needs --steps (at least 4 B) and --viz-every\n"
    "  --F feed       the feed rate F (default 0.037; steerable from the browser as 'feed')\n"
    "  --k kill       the kill rate k (default 0.06; steerable from the browser as 'kill')\n"
    "  --Du D         the diffusion rate of u (default 0.2)\n"
    "  --Dv D         the diffusion rate of v (default 0.1)\n"
    "  --dt T         the time step (default 0.5; stable while 6 * dt * max(Du, Dv) <= 1)\n"
    "  --help         this text\n"
    "Boundaries are zero-flux. At the end rank 0 prints the mean step time (halo exchange and stencil),\n"
    "the mean update() time, the global sum of v and a summary line.\n";

/// Parses argv; on --help prints the usage and sets `exit_code` to 0, on an error to 2 (printing
/// both only when `print`); otherwise leaves it at -1.
inline Options parse_options(int argc, char** argv, bool print, int& exit_code) {
  Options o;
  exit_code = -1;
  auto fail = [&](const std::string& message) {
    if (print) std::fprintf(stderr, "gray_scott: %s\n%s", message.c_str(), kUsage);
    exit_code = 2;
    return o;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      if (print) std::fputs(kUsage, stdout);
      exit_code = 0;
      return o;
    }
    if (arg == "--async") {
      o.asynchronous = true;
      continue;
    }
    if (i + 1 >= argc) return fail("unknown option or missing value: " + arg);
    const std::string value = argv[++i];
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0') return fail(arg + " wants a number, not '" + value + "'");
    if (arg == "--size")
      o.size = int(number);
    else if (arg == "--steps")
      o.steps = (long long)number;
    else if (arg == "--viz-every")
      o.viz_every = int(number);
    else if (arg == "--render-threads")
      o.render_threads = int(number);
    else if (arg == "--render-share")
      o.render_share = number;
    else if (arg == "--copy-refresh")
      o.copy_refresh = number;
    else if (arg == "--compare")
      o.compare = (long long)number;
    else if (arg == "--port")
      o.port = int(number);
    else if (arg == "--F")
      o.feed = number;
    else if (arg == "--k")
      o.kill = number;
    else if (arg == "--Du")
      o.Du = number;
    else if (arg == "--Dv")
      o.Dv = number;
    else if (arg == "--dt")
      o.dt = number;
    else
      return fail("unknown option: " + arg);
  }
  if (o.size < 1) return fail("--size must be at least 1");
  if (o.steps < -1) return fail("--steps must not be negative");
  if (o.viz_every < 0) return fail("--viz-every must not be negative");
  if (o.render_threads < 0) return fail("--render-threads must not be negative");
  if (!(o.render_share > 0 && o.render_share <= 1)) return fail("--render-share must be in (0, 1]");
  if (!(o.copy_refresh >= 0 && o.copy_refresh < 1e9)) return fail("--copy-refresh must be 0 or more");
  if (o.compare < 0) return fail("--compare must not be negative");
  if (o.compare > 0 && (o.viz_every < 1 || o.steps < 4 * o.compare))
    return fail("--compare B needs --viz-every K >= 1 and --steps of at least 4 B (two pairs of blocks)");
  if (o.port < 0 || o.port > 65535) return fail("--port must be in [0, 65535]");
  if (!(o.dt > 0) || !(o.Du >= 0) || !(o.Dv >= 0)) return fail("--dt must be positive, --Du and --Dv not negative");
  if (6 * o.dt * (o.Du > o.Dv ? o.Du : o.Dv) > 1) return fail("unstable: 6 * dt * max(Du, Dv) must be at most 1");
  return o;
}
