// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The served session's JSON-RPC methods, one area a file (src/rpc/). Ours (camera, colormap,
/// roi, render, time, scene, snapshot, stats, cluster) and NVIDIA IndeX's (perflab, scene
/// management), so IndeX notebook clients work unchanged. Handlers run on the head, holding
/// Head::state_mutex(): they validate their params, change the view state and mark the next frame
/// dirty. The methods that run something collective (snapshot, movie.record, cluster.*) are marked
/// waits_for_frame: they run on the main thread between frames, without the lock, while the other
/// clients are answered, and take the lock themselves only to read the state.

#include <functional>

#include <nlohmann/json.hpp>

#include "libindex/head.h"
#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/view_state.h"

namespace libindex::rpc {

void add_camera_methods(streaming::RpcDispatcher& rpc, ViewState& state);
void add_colormap_methods(streaming::RpcDispatcher& rpc, ViewState& state);
/// roi.*, render.*, view.interaction, and plane.* (add_plane_methods)
void add_render_methods(streaming::RpcDispatcher& rpc, ViewState& state);
/// plane.list, plane.set, plane.remove: slice planes.
void add_plane_methods(streaming::RpcDispatcher& rpc, ViewState& state);
void add_time_methods(streaming::RpcDispatcher& rpc, ViewState& state);
/// program.get, program.set, program.remove: a volume's sample program, replaced live.
void add_program_methods(streaming::RpcDispatcher& rpc, ViewState& state);
/// IndeX's scene management: get_scene_graph, create_scene_element, set_scene_element.
void add_index_scene_methods(streaming::RpcDispatcher& rpc, ViewState& state);
/// scene.info, scene.load, snapshot (renders on every rank).
void add_scene_methods(streaming::RpcDispatcher& rpc, Head& head);
/// movie.record: an orbit of the view encoded as a video under --output-root.
void add_movie_methods(streaming::RpcDispatcher& rpc, Head& head);

/// What session.stats returns beyond the head's own counters: the server's and the encoder's.
using ServingStats = std::function<nlohmann::json()>;
/// session.stats, cluster.status, cluster.rebalance and IndeX's perflab (collective ones included).
void add_cluster_methods(streaming::RpcDispatcher& rpc, Head& head, ServingStats serving);

/// Every method above.
void add_all_methods(streaming::RpcDispatcher& rpc, Head& head, ServingStats serving);

/// The session.changed notification listing `methods` (a JSON array of names), as text: sent to
/// every client after a call changed what everyone sees, so other browsers and notebooks refresh.
std::string session_changed(const nlohmann::json& methods);

/// scene.info's result: name, description, credits, volumes, warnings, time.
nlohmann::json scene_info(const ViewState& state);
/// time.get's result.
nlohmann::json time_json(const ViewState& state);

} // namespace libindex::rpc
