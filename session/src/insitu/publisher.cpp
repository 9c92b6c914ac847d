// SPDX-License-Identifier: Apache-2.0
// The in-situ publisher: fields in the simulation's decomposition, one collective update per step.
#include "libindex/insitu.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <thread>

#include "../change_notice.h"
#include "../frame_time_responder.h"
#include "../wire.h"
#include "clock_warning.h"
#include "field.h"
#include "insitu_methods.h"
#include "libindex/decomposition.h"
#include "libindex/default_view.h"
#include "libindex/scene_view.h"
#include "libindex/error.h"
#include "libindex/frame_op.h"
#include "libindex/kernels/device_memory.h"
#include "libindex/kernels/local_values.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"
#include "libindex/mpi/clock_spread.h"
#include "libindex/mpi/gather.h"
#include "libindex/mpi/ghost_exchange.h"
#include "libindex/rpc_methods.h"
#include "libindex/session.h"
#include "libindex/streaming/frame_publisher.h"

namespace libindex::insitu {
using Clock = std::chrono::steady_clock;

namespace {

/// A failure of update(), with the code it reports.
struct Failure {
  int code;
  std::string message;
};

/// What the head tells every rank at each update: whether to render, what and how, and the
/// steering values. Sent as one broadcast.
struct UpdateMessage {
  bool render = false;
  bool fit_domain = false; ///< the shown field is new: its value range becomes the colormap domain
  bool has_field = false;  ///< the head has a field to show (else: none was published)
  std::string field_name;
  int ghost = 1; ///< ghost layers the frame needs
  /// Asynchronous, a frame rendering: the copy waiting for it is recent enough (copy_refresh_share)
  /// to stand for this update's due frame, with this update's view.
  bool keep_waiting = false;
  /// The steering values, by name: each rank reads the ones it registered, in whatever order it did.
  std::vector<std::pair<std::string, double>> parameters;
  Op view; ///< frame, background and backend (kind frame, no scene)
};

std::string encode(const UpdateMessage& m) {
  wire::Writer w;
  w.put(uint8_t(m.render)), w.put(uint8_t(m.fit_domain)), w.put(uint8_t(m.has_field)), w.put(m.field_name);
  w.put(int32_t(m.ghost)), w.put(uint8_t(m.keep_waiting));
  w.put(uint64_t(m.parameters.size()));
  for (const auto& [name, value] : m.parameters) w.put(name), w.put(value);
  const std::vector<uint8_t> op = libindex::encode(m.view);
  w.put_vector(op);
  const std::vector<uint8_t> bytes = w.take();
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

UpdateMessage decode(const std::string& text) {
  wire::Reader r({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, "in-situ update");
  UpdateMessage m;
  m.render = r.get<uint8_t>() != 0, m.fit_domain = r.get<uint8_t>() != 0;
  m.has_field = r.get<uint8_t>() != 0, m.field_name = r.get_string(), m.ghost = r.get<int32_t>();
  m.keep_waiting = r.get<uint8_t>() != 0;
  m.parameters.resize(r.get_count(sizeof(uint64_t) + sizeof(double)));
  for (auto& [name, value] : m.parameters) name = r.get_string(), value = r.get<double>();
  std::vector<uint8_t> op(r.get_count(1));
  for (uint8_t& b : op) b = r.get<uint8_t>();
  m.view = libindex::decode(op);
  return m;
}

/// Every rank's description of one field, gathered to check the decomposition.
struct FieldSummary {
  int32_t published, dtype, ghost, on_device;
  int32_t invalid; ///< layout_problem() found something: the rank's message follows by agreement
  int32_t local[6], global[6];
};

/// Sets `*over` once `seconds` have passed, unless destroyed first: the frame budget.
class FrameDeadline {
 public:
  FrameDeadline(std::atomic<bool>& over, double seconds)
      : thread_([this, &over, seconds] {
          std::unique_lock lock(mutex_);
          if (!done_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return finished_; }))
            over.store(true, std::memory_order_relaxed);
        }) {}
  ~FrameDeadline() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    done_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::thread thread_; ///< last: starts once the members above exist
};

Box3i box_of(const int32_t* v) { return {{v[0], v[1], v[2]}, {v[3], v[4], v[5]}}; }

/// The browser viewer's files: $LIBINDEX_WEB_ROOT, else the installed ones, else the source tree's.
std::string default_web_root() {
  if (const char* env = std::getenv("LIBINDEX_WEB_ROOT"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::exists(LIBINDEX_INSTALLED_WEB_ROOT "/index.html", ec)) return LIBINDEX_INSTALLED_WEB_ROOT;
  return LIBINDEX_SOURCE_WEB_ROOT;
}

} // namespace

/// The head's side: server, RPC, view state; answered between updates by the responder.
struct HeadSide {
  HeadSide(const PublisherOptions& options, InsituState& shared)
      : server(options.serve.server), publisher(server, options.serve.jpeg_quality), rpc(options.serve.rpc),
        state(shared) {
    ViewState& s = shared.view;
    s.limits = options.serve.limits;
    s.frame.width = options.width, s.frame.height = options.height;
    s.frame.colormap = colormap_preset("viridis", 0.6f);
    // The backend each update asks for: the one the simulation chose, until a client changes it.
    s.backend = options.serve.session.backend;
    rpc::add_camera_methods(rpc, s);
    rpc::add_colormap_methods(rpc, s);
    rpc::add_render_methods(rpc, s);
    add_insitu_methods(rpc, shared, [this] {
      const auto clients = server.stats();
      return ServingCounts{(long long)publisher.frames(), clients.command_clients, clients.video_clients};
    });
    s.output_root = options.serve.output_root;
    add_snapshot_method(rpc, s, [this] { return last_frame; });
    responder.emplace(server, rpc, [this](const streaming::Server::Command& c) { answer(c); });
  }

  /// Replies, holding the state's mutex for each call; the calls that changed the view or a
  /// steering value are announced to every client, so other browsers refresh their panels.
  void answer(const streaming::Server::Command& c) {
    nlohmann::json changed = nlohmann::json::array();
    const auto invoke = [this, &changed](const streaming::MethodInfo& method,
                                         const std::function<nlohmann::json()>& call) {
      std::lock_guard lock(state.mutex);
      const std::vector<Parameter> before = state.parameters;
      return detail::call_noting_change(state.view, method.name, changed, call, [&] {
        return !std::equal(before.begin(), before.end(), state.parameters.begin(), state.parameters.end(),
                           [](const Parameter& a, const Parameter& b) { return a.value == b.value; });
      });
    };
    if (auto reply = rpc.handle(c.text, invoke)) server.reply(c.connection, std::move(*reply));
    if (!changed.empty()) server.broadcast_text(rpc::session_changed(changed));
  }

  streaming::Server server;
  streaming::FramePublisher publisher;
  streaming::RpcDispatcher rpc;
  InsituState& state;
  std::shared_ptr<const Image> last_frame;     ///< as served; under the state's mutex
  std::optional<FrameTimeResponder> responder; ///< last: its thread uses everything above
};

/// One frame ready to render: every rank's leaf, this rank's voxels (borrowed or copied) and the
/// frame parameters.
struct Job {
  std::string field;
  long long step = 0;
  int ghost = 0;            ///< the ghost layers its voxels have (at least what the frame needed)
  Clock::time_point made{}; ///< when update() prepared it
  Box3i global, leaf;
  std::vector<Box3i> leaves;
  Brick copy;                       ///< the voxels when they could not be borrowed (always, asynchronous)
  kernels::DeviceBrick device_copy; ///< the same for a field in GPU memory: copied on the GPU
  BrickView borrowed{};             ///< else the simulation's
  FrameParams frame;
  Vec4f background{};

  BrickView voxels() const {
    if (!device_copy.empty()) return device_copy.view(leaf, global);
    return copy.bytes.empty() ? borrowed : BrickView{copy.bytes.data(), copy.dtype, copy.box, leaf, global, 0};
  }
};

/// A job rendering on a thread of its own (asynchronous mode); the session is its until done.
struct Rendering {
  Job job;
  Clock::time_point started = Clock::now();
  Session::LocalFrame part;
  std::atomic<bool> done{false};
  std::thread thread; ///< last: starts once the members above exist
};

struct Publisher::Impl {
  Impl(MPI_Comm c, PublisherOptions o) : options(std::move(o)), session(c, options.serve.session) {
    // The same options on every rank: every rank refuses them alike, and no rank waits for another.
    require(options.render_share > 0 && options.render_share <= 1,
            "in situ: render_share must be in (0, 1], got " + std::to_string(options.render_share));
    require(options.copy_refresh_share >= 0 && options.copy_refresh_share < 1e9,
            "in situ: copy_refresh_share must be 0 or more, got " + std::to_string(options.copy_refresh_share));
    if (options.serve.server.web_root.empty()) options.serve.server.web_root = default_web_root();
    LIBINDEX_MPI_CHECK(c, MPI_Comm_dup(c, &comm));
    rank = mpi::comm_rank(comm), ranks = mpi::comm_size(comm);
    backend = options.serve.session.backend;
    duty.store(float(options.render_share));
    // Paced render threads work in wall-clock windows meant to fall at the same moments on every
    // rank (kernels/src/tiles.h): say once if the ranks' clocks are too far apart for that.
    if (options.mode == Mode::asynchronous && options.render_share < 1 && ranks > 1) {
      const std::string warning = clock_spread_warning(mpi::wall_clock_spread_seconds(comm), options.render_share);
      if (rank == 0 && !warning.empty() && options.serve.session.log)
        std::cerr << "[libindex] " << warning << std::endl;
    }
  }
  ~Impl() {
    duty.store(1); // nobody waits for that frame now but the destructor: finish it at full speed
    if (rendering && rendering->thread.joinable()) rendering->thread.join(); // it uses the session
    head.reset();         // stops the responder and the server before the communicator goes
    mpi::free_comm(comm); // not after MPI_Finalize: the publisher may outlive it
  }

  Status update(long long step, double time);
  Status flush();
  UpdateMessage plan(long long step, double time); // head
  /// What prepare() does with this rank's voxels once every rank's part is checked.
  enum class Take { borrow_if_possible, copy, check_only };
  Job prepare(const UpdateMessage& m, long long step, Take take);
  void gather_field_names();
  void render_now(Job job);
  void start_rendering(Job job);
  bool all_done_rendering();
  void finish_rendering(Status& status);
  void serve(const Job& job, const Session::LocalFrame& part, Status& status);

  PublisherOptions options;
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, ranks = 1;
  Session session;
  kernels::BackendKind backend;
  std::vector<Field> fields;
  std::vector<Parameter> parameters; ///< this rank's copy: the values of the last update
  InsituState shared;                ///< the head's view, fields and requested values (under its mutex)
  std::unique_ptr<HeadSide> head;
  FrameParams frame;
  std::shared_ptr<const Image> image = std::make_shared<const Image>(); ///< the last frame served
  Job shown;                  ///< the last frame's voxels: the session may borrow them until the next
  std::optional<Job> waiting; ///< asynchronous: the newest copy, waiting for the renderer
  Brick spare; ///< asynchronous: the bytes of a copy no frame needs any more, which the next copy overwrites
  std::unique_ptr<Rendering> rendering; ///< asynchronous: the frame on the render thread
  /// The share of the time the render thread works (render_share); flush() and the destructor raise
  /// it to 1, since the simulation then waits for the frame instead of computing beside it.
  std::atomic<float> duty{1};
  long long updates_since_frame = 0, frames_served = 0;
  double last_render_seconds = 0;      ///< asynchronous: from the last frame's start until an update found it done
  bool warned_device_exchange = false; ///< said once that a GPU field's ghosts go through host memory
  Clock::time_point last_frame{};
  bool rendered_once = false;
};

Publisher::Publisher(MPI_Comm comm, PublisherOptions options) : impl_(std::make_unique<Impl>(comm, options)) {
  Impl& p = *impl_;
  std::string error;
  if (p.rank == 0) {
    try {
      p.shared.ranks = p.ranks, p.shared.backend = p.session.backend_name(); // before any client asks
      p.head = std::make_unique<HeadSide>(p.options, p.shared);
      p.head->server.start();
      if (p.options.serve.on_ready)
        p.options.serve.on_ready(p.head->server.url());
      else
        std::cout << "[libindex] in-situ viewer running at " << p.head->server.url() << std::endl;
      p.head->responder->begin_frame(); // answer clients while the simulation computes
    } catch (const std::exception& e) {
      p.head.reset();
      error = e.what();
    }
  }
  mpi::agree_on_errors(p.comm, error);
}

Publisher::~Publisher() = default;

namespace {
template <class T>
void add_field(std::vector<Field>& fields, const std::string& name, const T* data, const Box3i& local,
               const Box3i& global, int ghost, Strides strides) {
  Field f{name, dtype_of<T>(), data, local, global, ghost, strides, kernels::is_device_pointer(data)};
  const auto it = field_named(fields, name);
  if (it == fields.end())
    fields.push_back(f);
  else
    *it = f;
}
} // namespace

void Publisher::withdraw(const std::string& name) {
  std::vector<Field>& fields = impl_->fields;
  fields.erase(std::remove_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; }),
               fields.end());
}

void Publisher::publish(const std::string& name, const uint8_t* data, const Box3i& local, const Box3i& global,
                        int ghost_layers, Strides strides) {
  add_field(impl_->fields, name, data, local, global, ghost_layers, strides);
}
void Publisher::publish(const std::string& name, const uint16_t* data, const Box3i& local, const Box3i& global,
                        int ghost_layers, Strides strides) {
  add_field(impl_->fields, name, data, local, global, ghost_layers, strides);
}
void Publisher::publish(const std::string& name, const int16_t* data, const Box3i& local, const Box3i& global,
                        int ghost_layers, Strides strides) {
  add_field(impl_->fields, name, data, local, global, ghost_layers, strides);
}
void Publisher::publish(const std::string& name, const float* data, const Box3i& local, const Box3i& global,
                        int ghost_layers, Strides strides) {
  add_field(impl_->fields, name, data, local, global, ghost_layers, strides);
}

double Publisher::parameter(const std::string& name, double initial, double min, double max) {
  Impl& p = *impl_;
  for (const Parameter& q : p.parameters)
    if (q.name == name) return q.value;
  if (!(min <= max) || std::isnan(initial))
    throw Error("in situ: parameter '" + name + "' needs min <= max and numbers (got initial " +
                std::to_string(initial) + ", min " + std::to_string(min) + ", max " + std::to_string(max) + ")");
  const Parameter q{name, std::clamp(initial, min, max), min, max};
  p.parameters.push_back(q);
  if (p.head) {
    std::lock_guard lock(p.shared.mutex); // clients list the parameters between updates
    p.shared.parameters.push_back(q);
  }
  return q.value;
}

std::optional<std::string> Publisher::command(const std::string& json_rpc) {
  if (!impl_->head) return std::nullopt;
  std::lock_guard lock(impl_->shared.mutex);
  return impl_->head->rpc.handle(json_rpc);
}

const FrameParams& Publisher::frame() const { return impl_->frame; }
const Image& Publisher::last_image() const { return *impl_->image; }
long long Publisher::frames_served() const { return impl_->frames_served; }
std::string Publisher::url() const { return impl_->head ? impl_->head->server.url() : std::string(); }

Status Publisher::update(long long step, double time) { return impl_->update(step, time); }

namespace {
/// The voxels of `box` of a field in GPU memory, copied dense on the GPU.
kernels::DeviceBrick device_copy_of(const Field& f, const Box3i& box) {
  return kernels::DeviceBrick::copy(f.data, f.dtype, f.stored(), f.strides, box);
}
} // namespace

UpdateMessage Publisher::Impl::plan(long long step, double time) {
  UpdateMessage m;
  std::lock_guard lock(shared.mutex);
  ViewState& s = shared.view;
  shared.step = step, shared.time = time;
  // The field shown: the one a client chose while every rank publishes it (gather_field_names, just
  // before), else the first the head publishes that every rank does, else the head's first (whose
  // frame then names the rank without it).
  const auto everywhere = [&](const std::string& name) {
    return std::find(shared.field_names.begin(), shared.field_names.end(), name) != shared.field_names.end();
  };
  if (!everywhere(shared.shown)) { // field_names holds only fields the head publishes
    const auto first = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return everywhere(f.name); });
    shared.shown = first != fields.end() ? first->name : fields.empty() ? shared.shown : fields.front().name;
  }
  const auto shown_field = field_named(fields, shared.shown);
  m.has_field = shown_field != fields.end();
  m.field_name = shared.shown;
  const bool due_by_steps = options.every_steps > 0 && updates_since_frame + 1 >= options.every_steps;
  const bool due_by_time = options.every_seconds > 0 &&
                           std::chrono::duration<double>(Clock::now() - last_frame).count() >= options.every_seconds;
  m.render = !rendered_once || s.dirty || due_by_steps || due_by_time;
  m.fit_domain = m.render && shared.shown != shared.fitted;
  if (m.has_field) {
    // A new global box: frame it (a client's camera is kept while the box stays).
    const Box3f box = to_scene_box(shown_field->global, s.frame.settings);
    const Box3f& was = s.view.volume_box;
    if (!(box.lo == was.lo && box.hi == was.hi)) {
      s.view.volume_box = box;
      s.frame.camera = fitted_camera(s.view, float(s.frame.width) / float(s.frame.height));
      s.home_camera = s.frame.camera;
    }
  }
  m.ghost = s.frame.settings.shading.enabled ? 2 : 1;
  if (rendering && waiting) {
    // A frame's time: the last one's, or this one's so far if it is longer (or the first).
    const Clock::time_point now = Clock::now();
    const double frame_seconds =
        std::max(last_render_seconds, std::chrono::duration<double>(now - rendering->started).count());
    m.keep_waiting =
        m.render && !m.fit_domain && waiting->field == m.field_name && waiting->ghost >= m.ghost &&
        std::chrono::duration<double>(now - waiting->made).count() < options.copy_refresh_share * frame_seconds;
  }
  for (const Parameter& q : shared.parameters) m.parameters.emplace_back(q.name, q.value);
  m.view.kind = Op::Kind::frame;
  m.view.frame = s.frame;
  m.view.background = s.view.background;
  m.view.backend = s.backend;
  s.dirty = false;
  return m;
}

Status Publisher::flush() { return impl_->flush(); }

namespace {
/// The status of a failed collective step: the same on every rank.
void record_failure(Status& status, int code, std::string message) {
  if (status) status.code = code, status.message = std::move(message);
}
} // namespace

Status Publisher::Impl::update(long long step, double time) {
  Status status;
  if (!mpi::usable()) {
    status.code = Status::internal, status.message = "update() needs MPI, and MPI is finalized (or not initialized)";
    return status;
  }
  try {
    if (head) {
      for (const auto& c : head->responder->end_frame()) head->answer(c); // none wait today: none is collective
    }
    gather_field_names(); // which fields every rank publishes: those the head may show and list
    std::string text;
    if (head) text = encode(plan(step, time));
    mpi::broadcast_string(text, comm);
    const UpdateMessage m = decode(text);
    for (Parameter& q : parameters) // by name: a rank may have registered them in another order
      for (const auto& [name, value] : m.parameters)
        if (name == q.name) q.value = value; // the head's, checked against its range: the same everywhere
    if (m.view.backend != backend) {
      if (rendering) finish_rendering(status); // the backend is the render thread's until it is done
      session.set_backend(m.view.backend);
      backend = m.view.backend;
    }
    ++updates_since_frame;
    const bool asynchronous = options.mode == Mode::asynchronous;
    if (rendering && all_done_rendering()) finish_rendering(status);
    if (m.render) {
      const bool keep_waiting = asynchronous && m.keep_waiting && rendering && waiting;
      // The waiting copy is recent enough (copy_refresh_share): it stands for this frame, seen as the
      // clients see it now. The fields are checked all the same.
      Job job = prepare(m, step,
                        keep_waiting   ? Take::check_only
                        : asynchronous ? Take::copy
                                       : Take::borrow_if_possible);
      updates_since_frame = 0; // once the fields passed: a failed frame is due again at the next update
      last_frame = Clock::now();
      rendered_once = true;
      if (!asynchronous) {
        render_now(std::move(job)), status.rendered = true, status.frame_step = step;
      } else if (keep_waiting) {
        waiting->frame = m.view.frame, waiting->background = m.view.background;
      } else {
        if (waiting) spare = std::move(waiting->copy);
        waiting = std::move(job); // the newest copy wins
      }
    }
    if (!rendering && waiting) start_rendering(std::move(*waiting)), waiting.reset();
  } catch (const Failure& f) {
    record_failure(status, f.code, f.message);
  } catch (const std::exception& e) {
    record_failure(status, Status::render_failed, e.what());
  } catch (...) {
    record_failure(status, Status::internal, "unknown error");
  }
  if (head) {
    if (!status) {
      if (options.serve.session.log)
        std::cerr << "[libindex] in situ, step " << step << ": " << status.message << std::endl;
      head->server.broadcast_text(nlohmann::json{
          {"jsonrpc", "2.0"}, {"method", "session.frame_failed"}, {"params", {{"message", status.message}}}}
                                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    head->responder->begin_frame();
  }
  return status;
}

Status Publisher::Impl::flush() {
  Status status;
  if (!mpi::usable()) {
    status.code = Status::internal, status.message = "flush() needs MPI, and MPI is finalized (or not initialized)";
    return status;
  }
  duty.store(1); // the simulation waits now: the frames may take the whole cores
  try {
    while (rendering) {
      finish_rendering(status); // joins this rank's thread first: no rank waits in a collective
      if (waiting) start_rendering(std::move(*waiting)), waiting.reset();
    }
  } catch (const std::exception& e) {
    record_failure(status, Status::render_failed, e.what());
  }
  duty.store(float(options.render_share));
  if (head && !status && options.serve.session.log) std::cerr << "[libindex] in situ: " << status.message << std::endl;
  return status;
}

/// Collective, at every update before the head plans: the head learns which of its fields every rank
/// publishes; those are the ones it shows and clients list (a field only some ranks publish cannot
/// render).
void Publisher::Impl::gather_field_names() {
  std::string mine;
  for (const Field& f : fields) mine += f.name + '\n';
  const std::vector<std::string> all = mpi::gather_strings(comm, mine);
  if (!head) return;
  std::vector<std::string> names, types;
  for (const Field& f : fields) {
    if (f.name.empty() || f.name.find('\n') != std::string::npos) continue; // no name a client could give
    const std::string line = f.name + '\n';
    const auto listed = [&](const std::string& list) {
      for (size_t at = 0; (at = list.find(line, at)) != std::string::npos; at += line.size())
        if (at == 0 || list[at - 1] == '\n') return true;
      return false;
    };
    if (std::all_of(all.begin(), all.end(), listed)) names.push_back(f.name), types.push_back(to_string(f.dtype));
  }
  std::lock_guard lock(shared.mutex);
  shared.field_names = std::move(names), shared.field_types = std::move(types);
}

Job Publisher::Impl::prepare(const UpdateMessage& m, long long step, Take take) {
  // Which field, and every rank's part of it: the same checks run on every rank with the same data.
  const std::string what = "field '" + m.field_name + "'";
  if (!m.has_field) throw Failure{Status::bad_field, "no field published (publish() before update())"};
  const auto mine = field_named(fields, m.field_name);
  FieldSummary me{};
  std::string invalid;
  if (mine != fields.end()) {
    invalid = layout_problem(*mine);
    me.published = 1, me.dtype = int32_t(mine->dtype), me.ghost = mine->ghost, me.on_device = mine->on_device;
    me.invalid = !invalid.empty();
    for (int a = 0; a < 3; ++a) {
      me.local[a] = mine->local.lo[a], me.local[3 + a] = mine->local.hi[a];
      me.global[a] = mine->global.lo[a], me.global[3 + a] = mine->global.hi[a];
    }
  }
  std::vector<FieldSummary> all(static_cast<size_t>(ranks));
  LIBINDEX_MPI_CHECK(comm, MPI_Allgather(&me, sizeof me, MPI_BYTE, all.data(), sizeof me, MPI_BYTE, comm));
  if (std::any_of(all.begin(), all.end(), [](const FieldSummary& f) { return f.invalid; })) {
    try {
      mpi::agree_on_errors(comm, invalid); // every rank gets the lowest such rank's message
    } catch (const Error& e) {
      throw Failure{Status::bad_field, e.what()};
    }
  }
  Job job;
  job.field = m.field_name, job.step = step;
  job.global = box_of(all[0].global);
  bool exchange = false;
  for (int r = 0; r < ranks; ++r) {
    const FieldSummary& f = all[size_t(r)];
    if (!f.published) throw Failure{Status::bad_field, what + ": rank " + std::to_string(r) + " has not published it"};
    if (f.dtype != all[0].dtype)
      throw Failure{Status::bad_field, what + ": rank " + std::to_string(r) + " publishes " +
                                           to_string(DType(f.dtype)) + ", rank 0 " + to_string(DType(all[0].dtype))};
    if (!(box_of(f.global) == job.global))
      throw Failure{Status::bad_field, what + ": rank " + std::to_string(r) + "'s global box " +
                                           to_string(box_of(f.global)) + " differs from rank 0's " +
                                           to_string(job.global)};
    if (f.on_device && session.backend_kind() != kernels::BackendKind::cuda)
      throw Failure{Status::bad_field,
                    what + ": rank " + std::to_string(r) +
                        " publishes GPU memory (a device pointer), and this session renders with the CPU backend: "
                        "use the CUDA backend (PublisherOptions::serve.session.backend) or publish host memory"};
    const Box3i leaf = box_of(f.local);
    job.leaves.push_back(leaf.empty() ? Box3i{} : leaf);
    if (!leaf.empty() && f.ghost < m.ghost) exchange = true;
  }
  try {
    check_decomposition(job.global, job.leaves);
  } catch (const Error& e) {
    throw Failure{Status::bad_decomposition, what + ": " + e.what()};
  }
  if (take == Take::check_only) return job;
  job.ghost = m.ghost, job.made = Clock::now();
  const Field& field = *mine;
  job.leaf = job.leaves[size_t(rank)];
  // Borrow when the field is dense and has the ghosts; else copy, and fetch ghosts from neighbours.
  std::string error;
  try {
    if (!job.leaf.empty() && field.data == nullptr)
      throw Error(what + " has a box " + to_string(job.leaf) + " but no data"); // agreement names the rank
    if (exchange && field.on_device) {
      // The ghost exchange runs over host MPI: this rank's leaf goes through host memory once.
      job.copy = kernels::copy_to_host(device_copy_of(field, job.leaf).view(job.leaf, job.global), job.leaf);
      if (!warned_device_exchange)
        std::cerr << "[libindex] in situ, " << what << ": GPU memory without the " << m.ghost
                  << " ghost layer(s) a frame needs; they are exchanged through host memory (publish with "
                     "ghost_layers >= "
                  << m.ghost << " to keep the field on the GPU)" << std::endl;
      warned_device_exchange = true;
    } else if (exchange) {
      job.copy = dense_copy(field, job.leaf, std::move(spare));
    } else if (!job.leaf.empty() && (take == Take::copy || !field.dense())) {
      if (field.on_device)
        job.device_copy = device_copy_of(field, field.stored()); // device to device: no host copy
      else
        job.copy = dense_copy(field, field.stored(), std::move(spare));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  try {
    mpi::agree_on_errors(comm, error);
  } catch (const Error& e) {
    throw Failure{Status::bad_field, e.what()};
  }
  if (exchange) job.copy = mpi::exchange_ghosts(comm, job.global, job.leaves, job.copy, m.ghost);
  if (job.copy.bytes.empty() && job.device_copy.empty() && !job.leaf.empty())
    job.borrowed = {field.data, field.dtype, field.stored(), job.leaf, job.global, 0, field.on_device};

  job.frame = m.view.frame, job.background = m.view.background;
  if (m.fit_domain) {
    std::pair<double, double> range{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    if (!job.leaf.empty() && job.voxels().on_device) {
      range = kernels::device_value_range(job.voxels(), job.leaf);
    } else if (!job.leaf.empty()) {
      const ValueStatistics values = kernels::local_values(job.voxels(), job.leaf).range; // as Session::statistics
      range = {values.min, values.max};
    }
    double lo_hi[2] = {range.first, -range.second};
    LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(MPI_IN_PLACE, lo_hi, 2, MPI_DOUBLE, MPI_MIN, comm));
    double lo = lo_hi[0], hi = -lo_hi[1];
    if (!(lo <= hi)) lo = 0, hi = 1; // no finite value anywhere
    if (hi == lo) hi = lo + 1;
    job.frame.colormap.domain_min = float(lo), job.frame.colormap.domain_max = float(hi);
    if (head) {
      std::lock_guard lock(shared.mutex);
      auto& c = shared.view.frame.colormap;
      c.domain_min = job.frame.colormap.domain_min, c.domain_max = job.frame.colormap.domain_max;
      shared.fitted = m.field_name;
    }
  }
  return job;
}

namespace {
/// This rank's part of `job`, under the frame budget; paced to `duty` when it renders in the
/// background (null: at full speed).
Session::LocalFrame render_part(Session& session, const Job& job, const PublisherOptions& options,
                                const std::atomic<float>* duty) {
  FrameParams f = job.frame;
  f.host_duty = duty;
  std::atomic<bool> over{false};
  std::optional<FrameDeadline> deadline;
  if (options.max_frame_seconds > 0) {
    deadline.emplace(over, options.max_frame_seconds);
    f.cancel = &over;
  }
  Session::LocalFrame part;
  kernels::with_thread_limit(options.render_threads, [&] { part = session.render_local(f); });
  return part;
}
} // namespace

void Publisher::Impl::render_now(Job job) {
  shown = std::move(job);
  session.set_distributed_volume(shown.global, shown.leaves, shown.voxels());
  Status status;
  serve(shown, render_part(session, shown, options, nullptr), status);
  if (!status) throw Failure{status.code, status.message};
}

void Publisher::Impl::start_rendering(Job job) {
  rendering = std::make_unique<Rendering>();
  rendering->job = std::move(job);
  session.set_distributed_volume(rendering->job.global, rendering->job.leaves, rendering->job.voxels());
  Rendering& r = *rendering;
  r.thread = std::thread([this, &r] {
    r.part = render_part(session, r.job, options, &duty); // no MPI: the simulation's thread makes those
    r.done.store(true, std::memory_order_release);
  });
}

/// Collective: whether every rank's render thread is done (then each may join without waiting).
bool Publisher::Impl::all_done_rendering() {
  int done = rendering->done.load(std::memory_order_acquire) ? 1 : 0;
  LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(MPI_IN_PLACE, &done, 1, MPI_INT, MPI_LAND, comm));
  return done != 0;
}

/// Collective: joins the render thread, composites its frame and serves it.
void Publisher::Impl::finish_rendering(Status& status) {
  std::unique_ptr<Rendering> r = std::move(rendering);
  if (r->thread.joinable()) r->thread.join();
  last_render_seconds = std::chrono::duration<double>(Clock::now() - r->started).count();
  spare = std::move(shown.copy); // the session renders r->job's voxels since start_rendering
  shown = std::move(r->job);     // the session borrows its voxels until the next frame
  serve(shown, r->part, status);
}

/// Collective: composites this rank's part, and on the head publishes the image.
void Publisher::Impl::serve(const Job& job, const Session::LocalFrame& part, Status& status) {
  try {
    image = std::make_shared<const Image>(session.composite(job.frame, part, job.background));
  } catch (const Error& e) {
    // The same text on every rank (agreed), so the same status.
    std::string text = e.what();
    if (options.max_frame_seconds > 0 && text.find("frame cancelled") != std::string::npos)
      text = "the frame took longer than its budget of " + nlohmann::json(options.max_frame_seconds).dump() + " s (" +
             text + ")";
    record_failure(status, Status::render_failed, text);
    return;
  }
  frame = job.frame;
  frame.cancel = nullptr;
  status.rendered = true, status.frame_step = job.step;
  ++frames_served;
  if (head) {
    const FrameStats& st = session.last_stats();
    head->publisher.publish(*image, {st.render_ms, st.composite_ms}, false);
    std::lock_guard lock(shared.mutex); // the responder's snapshot and session.stats read them
    head->last_frame = image;
    shared.last_stats = st, shared.backend = session.backend_name();
    shared.served.push_back(Clock::now());
    if (shared.served.size() > 10) shared.served.pop_front();
  }
}

} // namespace libindex::insitu
