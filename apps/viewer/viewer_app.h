// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The viewer's ranks. The head owns the server, the JSON-RPC dispatcher and the scene state;
/// at every frame boundary it broadcasts one op (frame, rank info, quit) that every rank follows, so
/// all collectives happen in the same order everywhere and no rank ever waits on a socket.

#include <mpi.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/scene_view.h"
#include "libindex/session.h"
#include "libindex/streaming/frame_encoder.h"
#include "libindex/streaming/rpc_dispatcher.h"
#include "libindex/streaming/server.h"

namespace libindex::viewer {

struct RankState; // what every rank keeps between ops (viewer_app.cpp)

/// A layer of the scene: a project file, or project text made by the API (IndeX scene edits).
struct SceneLayer {
  std::string file;       ///< a .prj path, or empty
  std::string text, name; ///< project text and the name its messages use
};

/// Everything every rank needs to build the same scene.
struct SceneSpec {
  bool use_default = true; ///< start from the built-in default scene
  std::vector<SceneLayer> layers;
  std::vector<std::pair<std::string, std::string>> overrides; ///< -key value from the command line
  std::vector<SceneLayer> edits; ///< scene edits from the API: later than (so over) the command line
  nlohmann::json to_json() const;
  static SceneSpec from_json(const nlohmann::json& j);
};

/// Builds the scene of a spec (every rank does it with the same spec).
SceneView build_scene(const SceneSpec& spec, bool log);

struct ViewerOptions {
  streaming::ServerOptions server;
  std::vector<std::string> data_roots;
  int jpeg_quality = 85;
  int interactive_divisor = 2; ///< reduced resolution while the user drags
  SessionOptions session;
};

/// The head rank: serves clients, applies their commands between frames, renders and publishes.
class Head {
 public:
  Head(MPI_Comm comm, ViewerOptions options, SceneSpec spec);
  ~Head();
  /// Runs until SIGINT/SIGTERM; then tells every rank to quit.
  void run();

  // Collective operations, driven from the head (each one broadcasts its op first).
  Image render(const FrameParams& frame);
  std::vector<RankInfo> rank_info();
  /// Re-partitions by visible work under the current colormap; true when leaves moved.
  bool rebalance();

  // State the RPC methods read and change.
  SceneSpec spec;
  int scene_version = 0;
  SceneView view;
  FrameParams frame;  ///< the current view (camera, colormap, settings, canvas)
  Camera home_camera; ///< what camera.reset returns to
  std::string preset; ///< the preset the colormap came from, if any
  std::string backend = "auto";
  bool dirty = true;        ///< something changed: render a new frame
  bool interactive = false; ///< the user is dragging: reduced resolution
  bool refine = false;      ///< render full resolution once input stops
  int time_step = 0;        ///< the shown step of a time series (its first step when loaded)
  bool playing = false;     ///< advance time_step at play_fps, wrapping around
  float play_fps = 2.0f;
  ViewerOptions options;

  /// Validates a spec on the head (parse + open headers) and makes it current; throws Error otherwise.
  void load_scene(SceneSpec next);
  std::string resolve_data_path(const std::string& path_or_url) const;
  nlohmann::json scene_info() const;
  nlohmann::json stats_json() const;
  nlohmann::json scene_graph() const;
  nlohmann::json time_json() const;
  /// [first, last] steps of the scene's time series ({0, 0} without one).
  std::pair<int, int> time_range() const;
  streaming::Server& server() { return *server_; }

 private:
  void register_methods();
  void publish(const Image& image, bool reduced);

  MPI_Comm comm_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<RankState> rank_; ///< the head's own rank state: it renders its leaf like the others
  std::unique_ptr<streaming::Server> server_;
  streaming::RpcDispatcher rpc_;
  streaming::JpegEncoder jpeg_;
  uint64_t frame_number_ = 0;
  double last_encode_ms_ = 0;
  std::deque<double> frame_seconds_;                ///< wall time of recent frames, for frames_per_second
  std::chrono::steady_clock::time_point last_step_; ///< when the time series last advanced
  FrameStats last_stats_;
  friend void register_viewer_methods(Head&, streaming::RpcDispatcher&);
};

/// Every other rank: follows the head's ops until told to quit.
void run_worker(MPI_Comm comm, const SessionOptions& options);

void register_viewer_methods(Head& head, streaming::RpcDispatcher& rpc);

} // namespace libindex::viewer
