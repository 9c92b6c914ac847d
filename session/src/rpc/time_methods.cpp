// SPDX-License-Identifier: Apache-2.0
// time.*: the shown step of a time series, and playing it (each rank reads the next step ahead).
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

json time_json(const ViewState& s) {
  const auto [first, last] = s.time_range();
  return {{"first", first}, {"last", last}, {"step", s.time_step}, {"playing", s.playing}, {"fps", s.play_fps}};
}

void add_time_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({"time.get",
           "The time series: first and last step, the shown step, playing and its rate.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&s](const json&) { return time_json(s); });
  rpc.add({"time.set",
           "Shows one time step.",
           {{"step", param_doc("integer", "between first and last", true)}},
           {{"type", "object"}},
           {"-32602 when the step is outside the series"}},
          [&s](const json& q) {
            const int step = param<int>(q, "step");
            const auto [first, last] = s.time_range();
            if (step < first || step > last)
              bad("'step' " + std::to_string(step) + " is outside " + std::to_string(first) + ".." +
                  std::to_string(last));
            s.time_step = step;
            s.dirty = true;
            return time_json(s);
          });
  rpc.add({"time.play",
           "Plays or pauses the time series; each rank reads its leaf of the next step ahead.",
           {{"playing", param_doc("boolean", "play (true) or pause (false)", true)},
            {"fps", param_doc("number", "steps per second, in [0.001, 1000]")}},
           {{"type", "object"}},
           {"-32602 when fps is out of range"}},
          [&s](const json& q) {
            const float fps = param_or<float>(q, "fps", s.play_fps);
            // At least a step in 1000 s: 1 / fps becomes a clock duration in nanoseconds, which a rate
            // of 1e-40 overflowed (undefined behaviour).
            if (!(fps >= 0.001f && fps <= 1000)) bad("'fps' must be in [0.001, 1000]");
            const bool playing = param<bool>(q, "playing");
            s.play_fps = fps;
            const auto [first, last] = s.time_range();
            s.playing = playing && last > first;
            s.dirty = true;
            return time_json(s);
          });
}

} // namespace libindex::rpc
