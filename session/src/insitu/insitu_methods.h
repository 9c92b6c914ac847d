// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the head of an in-situ run shares with its clients, and the JSON-RPC methods that
/// read and change it: the fields (which one is shown) and the steering parameters.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/image.h"
#include "libindex/session.h"
#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/view_state.h"

namespace libindex::insitu {

struct Parameter {
  std::string name;
  double value, min, max;
};

/// The head's state, read and changed by clients between updates and by update() itself: every
/// access holds `mutex`.
struct InsituState {
  std::mutex mutex;
  ViewState view;
  std::vector<std::string> field_names; ///< those every rank publishes, as of the last update
  std::vector<std::string> field_types; ///< their voxel types (to_string(DType)), in the same order
  std::string shown;                    ///< the field shown (empty: the first published)
  std::string fitted;                   ///< the field the colormap domain was fitted to
  std::vector<Parameter> parameters;    ///< values requested by clients, applied at the next update
  long long step = 0;
  double time = 0;
  int ranks = 1;                                            ///< the simulation's communicator's
  std::string backend;                                      ///< the last frame's (Session::backend_name)
  std::deque<std::chrono::steady_clock::time_point> served; ///< when the last frames were served (fps)
  FrameStats last_stats;                                    ///< the last frame's timings
};

/// The server's counters, for insitu.status and session.stats.
struct ServingCounts {
  long long frames = 0; ///< published
  long long command_clients = 0, video_clients = 0;
};

/// insitu.status, insitu.show, insitu.parameters, insitu.set_parameter, and session.stats (the
/// viewer's method: fps, timings, ranks, backend, clients).
void add_insitu_methods(streaming::RpcDispatcher& rpc, InsituState& state, std::function<ServingCounts()> serving);

/// snapshot: the last frame served, as PNG (base64, or a new file under the view's output_root). The
/// ranks render only inside update(), so a snapshot is the frame as shown, at the canvas's size.
void add_snapshot_method(streaming::RpcDispatcher& rpc, const ViewState& view,
                         std::function<std::shared_ptr<const Image>()> last_frame);

} // namespace libindex::insitu
