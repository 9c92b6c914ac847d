// SPDX-License-Identifier: Apache-2.0
#include "viewer_app.h"

#include <csignal>
#include <filesystem>
#include <iostream>

#include "frame_json.h"
#include "libindex/error.h"
#include "libindex/io/project_file.h"
#include "libindex/streaming/video_header.h"

namespace libindex::viewer {
using nlohmann::json;

/// The state every rank keeps between ops: the scene it built, the time step it shows, the source
/// of the step it reads ahead, and the backend it renders with.
struct RankState {
  int scene_version = -1;
  SceneView view;
  int step = 0;
  int next_step = -1;
  std::shared_ptr<io::VolumeSource> next_source;
  std::string backend = "auto";
};

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

bool is_time_series(const SceneView& v) {
  return !v.scene.volumes.empty() && v.scene.volumes.front().time_last > v.scene.volumes.front().time_first;
}

/// Shows time step `step` (collective when it changes), then reads `next` ahead (-1: none).
void sync_time(int step, int next, RankState& state, Session& session) {
  if (!is_time_series(state.view)) return;
  const io::VolumeDesc& vol = state.view.scene.volumes.front();
  if (step != state.step) {
    std::shared_ptr<io::VolumeSource> source;
    std::string error;
    try {
      source = step == state.next_step && state.next_source ? state.next_source : vol.open_step(step);
    } catch (const std::exception& e) {
      error = e.what();
    }
    agree_on_errors(session.comm(), error);
    session.set_volume(source);
    state.step = step;
  }
  if (next >= 0 && next != state.next_step) {
    try {
      state.next_source = vol.open_step(next);
      state.next_step = next;
      session.prefetch(state.next_source);
    } catch (const std::exception&) {
      state.next_step = -1; // reported when that step is shown
    }
  }
}

/// Applies the scene part of an op: rebuilds the scene when its version changed (collective).
void sync_scene(const json& op, RankState& state, Session& session, bool log) {
  const int version = op.at("scene_version");
  if (version == state.scene_version) return;
  std::string error;
  try {
    state.view = build_scene(SceneSpec::from_json(op.at("scene")), log);
  } catch (const std::exception& e) {
    error = e.what();
  }
  agree_on_errors(session.comm(), error);
  session.set_volume(state.view.volume);
  state.scene_version = version;
  state.step = is_time_series(state.view) ? state.view.scene.volumes.front().time_first : 0;
  state.next_step = -1;
  state.next_source.reset();
}

/// What the ops do on every rank, head included. Returns the image on the head; `rebalanced` says
/// whether a rebalance op moved the leaves.
Image follow(const json& op, RankState& state, Session& session, bool log, bool* rebalanced = nullptr) {
  const std::string kind = op.at("op");
  if (kind == "ranks") {
    session.gather_rank_info();
    return {};
  }
  sync_scene(op, state, session, log);
  if (kind == "rebalance") {
    sync_time(op.at("time_step"), -1, state, session);
    const bool moved = session.rebalance(frame_from_json(op.at("frame")));
    if (rebalanced) *rebalanced = moved;
    return {};
  }
  sync_time(op.at("time_step"), op.at("next_step"), state, session);
  const std::string wanted = op.at("backend");
  if (wanted != state.backend) {
    session.set_backend(kernels::parse_backend_kind(wanted));
    state.backend = wanted;
  }
  return session.render_frame(frame_from_json(op.at("frame")), state.view.background);
}

/// The op of one frame. The scene spec travels only when its version is not the one every rank
/// already built: the head's own applied version stands for all, since scene errors are agreed on.
json frame_op(const Head& head, const RankState& applied, const FrameParams& frame) {
  const auto [first, last] = head.time_range();
  const int next = head.playing ? (head.time_step >= last ? first : head.time_step + 1) : -1;
  json op{{"op", "frame"},           {"scene_version", head.scene_version}, {"frame", frame_to_json(frame)},
          {"backend", head.backend}, {"time_step", head.time_step},         {"next_step", next}};
  if (head.scene_version != applied.scene_version) op["scene"] = head.spec.to_json();
  return op;
}

} // namespace

namespace {
json layers_to_json(const std::vector<SceneLayer>& layers) {
  json out = json::array();
  for (const SceneLayer& l : layers) out.push_back({{"file", l.file}, {"text", l.text}, {"name", l.name}});
  return out;
}
std::vector<SceneLayer> layers_from_json(const json& j) {
  std::vector<SceneLayer> out;
  for (const json& l : j) out.push_back({l.at("file"), l.at("text"), l.at("name")});
  return out;
}
void add_layers(io::ProjectFile& project, const std::vector<SceneLayer>& layers) {
  for (const SceneLayer& l : layers) {
    if (!l.file.empty())
      project.add_file(l.file);
    else
      project.add_text(l.text, l.name);
  }
}
} // namespace

json SceneSpec::to_json() const {
  return {{"use_default", use_default},
          {"layers", layers_to_json(layers)},
          {"overrides", overrides},
          {"edits", layers_to_json(edits)}};
}

SceneSpec SceneSpec::from_json(const json& j) {
  SceneSpec s;
  s.use_default = j.at("use_default");
  s.layers = layers_from_json(j.at("layers"));
  s.overrides = j.at("overrides").get<std::vector<std::pair<std::string, std::string>>>();
  s.edits = layers_from_json(j.at("edits"));
  return s;
}

SceneView build_scene(const SceneSpec& spec, bool log) {
  io::ProjectFile project;
  if (spec.use_default) project = io::default_project();
  add_layers(project, spec.layers);
  project.add_overrides(spec.overrides);
  add_layers(project, spec.edits);
  io::SceneDescription scene = io::load_scene(project);
  if (log)
    for (const std::string& w : scene.warnings) std::cerr << "warning: " << w << "\n";
  return make_scene_view(std::move(scene));
}

Head::Head(MPI_Comm comm, ViewerOptions opts, SceneSpec initial) : options(std::move(opts)), comm_(comm) {
  session_ = std::make_unique<Session>(comm_, options.session); // collective with run_worker's
  backend = kernels::to_string(options.session.backend);
  rank_ = std::make_unique<RankState>();
  rank_->backend = backend;
  try {
    load_scene(std::move(initial));
    register_viewer_methods(*this, rpc_);
    server_ = std::make_unique<streaming::Server>(options.server);
  } catch (...) {
    // The workers wait for an op: release them before reporting the error.
    std::string quit = json{{"op", "quit"}}.dump();
    broadcast_string(quit, comm_);
    throw;
  }
}

Head::~Head() = default; // here, where RankState is complete

void Head::load_scene(SceneSpec next) {
  SceneView built = build_scene(next, true); // throws before anything changes
  spec = std::move(next);
  view = std::move(built);
  frame = view.frame;
  home_camera = frame.camera;
  preset.clear();
  time_step = time_range().first;
  playing = false;
  ++scene_version;
  dirty = true;
}

Image Head::render(const FrameParams& f) {
  std::string op = frame_op(*this, *rank_, f).dump();
  broadcast_string(op, comm_);
  const auto start = std::chrono::steady_clock::now();
  Image image = follow(json::parse(op), *rank_, *session_, false);
  last_stats_ = session_->last_stats();
  frame_seconds_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (frame_seconds_.size() > 10) frame_seconds_.pop_front();
  return image;
}

bool Head::rebalance() {
  json op = frame_op(*this, *rank_, frame);
  op["op"] = "rebalance";
  std::string text = op.dump();
  broadcast_string(text, comm_);
  bool changed = false;
  follow(op, *rank_, *session_, false, &changed);
  dirty = dirty || changed;
  return changed;
}

std::vector<RankInfo> Head::rank_info() {
  std::string op = json{{"op", "ranks"}}.dump();
  broadcast_string(op, comm_);
  return session_->gather_rank_info();
}

void Head::publish(const Image& image, bool reduced) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<uint8_t> rgba = to_rgba8_premultiplied(image);
  streaming::EncodedFrame encoded =
      jpeg_.encode(rgba.data(), image.width(), image.height(), options.jpeg_quality, streaming::kVideoMessagePrefix);
  last_encode_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  streaming::VideoHeader h;
  h.encoding = streaming::Encoding::jpeg;
  h.flags = reduced ? streaming::kFlagInteractive : 0;
  h.frame = ++frame_number_;
  h.width = uint32_t(image.width()), h.height = uint32_t(image.height());
  h.render_ms = float(last_stats_.render_ms), h.composite_ms = float(last_stats_.composite_ms);
  h.encode_ms = float(last_encode_ms_);
  server_->publish_encoded(h, std::move(encoded)); // no copy: the prefix leaves room for framing
}

void Head::run() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  server_->start();
  std::cout << "[viewer] Application layer viewer server is running at " << server_->url() << std::endl;
  auto last_frame = std::chrono::steady_clock::now();
  while (!g_stop) {
    // Sleep on the command queue when there is nothing to draw; never block on a socket.
    if (!dirty && !refine) server_->wait_for_commands(std::chrono::milliseconds(playing ? 10 : 100));
    // Commands that change what everyone sees are announced to every client once per iteration,
    // so other browsers and notebooks refresh their controls (IndeX clients ignore the notification).
    json changed = json::array();
    for (streaming::Server::Command& c : server_->take_commands()) {
      const bool was_dirty = dirty;
      const int was_version = scene_version;
      dirty = false;
      if (auto reply = rpc_.handle(c.text)) server_->reply(c.connection, std::move(*reply));
      if (dirty || scene_version != was_version) {
        const json request = json::parse(c.text, nullptr, false);
        if (request.is_object() && request.contains("method")) changed.push_back(request["method"]);
      }
      dirty = dirty || was_dirty;
    }
    if (!changed.empty())
      server_->broadcast_text(
          json{{"jsonrpc", "2.0"}, {"method", "session.changed"}, {"params", {{"methods", changed}}}}.dump());
    // Playing a time series: the next step once per 1/fps (each rank has read it ahead).
    if (playing && std::chrono::steady_clock::now() - last_step_ >= std::chrono::duration<double>(1.0 / play_fps)) {
      const auto [first, last] = time_range();
      time_step = time_step >= last ? first : time_step + 1;
      last_step_ = std::chrono::steady_clock::now();
      dirty = true;
    }
    // New clients need a picture even when nothing changes: refresh once a second.
    const bool stale = std::chrono::steady_clock::now() - last_frame > std::chrono::seconds(1);
    if (!dirty && !refine && !stale) continue;
    const bool reduced = interactive && options.interactive_divisor > 1;
    FrameParams f = frame;
    if (reduced) {
      f.width = std::max(1, frame.width / options.interactive_divisor);
      f.height = std::max(1, frame.height / options.interactive_divisor);
    }
    try {
      const Image image = render(f);
      publish(image, reduced);
    } catch (const std::exception& e) {
      std::cerr << "[viewer] frame failed: " << e.what() << std::endl;
    }
    refine = reduced; // a reduced frame is followed by a full one once input stops
    dirty = false;
    last_frame = std::chrono::steady_clock::now();
  }
  std::string quit = json{{"op", "quit"}}.dump();
  broadcast_string(quit, comm_);
  server_->stop();
}

std::pair<int, int> Head::time_range() const {
  if (view.scene.volumes.empty()) return {0, 0};
  const io::VolumeDesc& v = view.scene.volumes.front();
  return {v.time_first, v.time_last};
}

json Head::time_json() const {
  const auto [first, last] = time_range();
  return {{"first", first}, {"last", last}, {"step", time_step}, {"playing", playing}, {"fps", play_fps}};
}

json Head::stats_json() const {
  double seconds = 0;
  for (double s : frame_seconds_) seconds += s;
  const double fps = seconds > 0 ? double(frame_seconds_.size()) / seconds : 0.0;
  const auto clients = server_ ? server_->stats() : streaming::Server::ClientStats{};
  return {{"frame", frame_number_},
          {"fps", fps},
          {"render_ms", last_stats_.render_ms},
          {"composite_ms", last_stats_.composite_ms},
          {"encode_ms", last_encode_ms_},
          {"samples", last_stats_.samples},
          {"ranks", last_stats_.ranks},
          {"contributing_leaves", last_stats_.contributing_leaves},
          {"compositing", compositing::to_string(last_stats_.strategy)},
          {"backend", session_->backend_name()},
          {"clients", {{"command", clients.command_clients}, {"video", clients.video_clients}}},
          {"frames_sent", clients.frames_sent},
          {"frames_skipped", clients.frames_skipped}};
}

std::string Head::resolve_data_path(const std::string& in) const {
  namespace fs = std::filesystem;
  std::string path = in;
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0)
    throw Error("'" + in + "': http(s) URLs are not supported by this build; copy the file under a data root");
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path));
  for (const std::string& root : options.data_roots) {
    const fs::path r = fs::weakly_canonical(fs::absolute(root));
    const auto mismatch = std::mismatch(r.begin(), r.end(), canonical.begin(), canonical.end());
    if (mismatch.first == r.end()) return canonical.string();
  }
  std::string roots;
  for (const std::string& r : options.data_roots) roots += (roots.empty() ? "" : ", ") + r;
  throw Error("'" + in + "' is outside the data roots (" + roots + "); start the viewer with --data-root DIR");
}

void run_worker(MPI_Comm comm, const SessionOptions& options) {
  Session session(comm, options);
  RankState state;
  state.backend = kernels::to_string(options.backend);
  for (;;) {
    std::string text;
    broadcast_string(text, comm);
    const json op = json::parse(text);
    if (op.at("op") == "quit") return;
    try {
      follow(op, state, session, false);
    } catch (const std::exception&) {
      // Every rank agreed on the error; the head reports it. Keep following.
    }
  }
}

} // namespace libindex::viewer
