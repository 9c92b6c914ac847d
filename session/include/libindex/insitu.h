// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file In-situ visualization: a simulation publishes its fields, in its own domain decomposition,
/// and browsers watch and steer the run live, without files.
///
///     libindex::insitu::Publisher viz(MPI_COMM_WORLD);         // collective; rank 0 serves
///     double feed = viz.parameter("feed", 0.055, 0.0, 0.1);     // steerable from the browser
///     for (long step = 0;; ++step) {
///       simulate(u, feed);
///       viz.publish("u", u.data(), my_box, global_box, 1);      // borrowed: no copy
///       if (auto st = viz.update(step, t); !st) log(st.message); // collective; never throws
///       feed = viz.parameter("feed", 0.055, 0.0, 0.1);          // the browser's value, same on every rank
///     }
///
/// update() is collective over the publisher's communicator: every rank calls it, publishes the
/// same field names before it, and registers the same parameters (in any order). Between updates the head
/// answers the browsers' and notebooks' JSON-RPC calls on a thread of its own; what they change
/// takes effect at the next update.

#include <mpi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "libindex/box.h"
#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/serve.h"
#include "libindex/volume.h"

namespace libindex::insitu {

/// How update() renders. Synchronous: within update(), from the simulation's own memory (no copy).
/// Asynchronous: update() copies the shown field and returns; a thread renders the copy while the
/// simulation computes, and a later update() composites and serves it. A frame that falls due while
/// one is still rendering replaces any copy waiting for its turn: the newest copy wins.
enum class Mode { synchronous, asynchronous };

struct PublisherOptions {
  /// The server (port, bind, credentials, origins), JSON-RPC limits, view limits and JPEG quality.
  /// serve.on_ready gets the URL once the server listens (default: print it).
  ServeOptions serve;
  int width = 512, height = 512; ///< the canvas
  Mode mode = Mode::synchronous;
  /// Threads each rank renders with on the CPU backend; 0: all the cores. Asynchronous, the frame
  /// renders beside the simulation: leave it its cores (a single-threaded rank per core: 1).
  int render_threads = 0;
  /// Asynchronous: the share of the time each render thread may work, in (0, 1]. Below 1 the
  /// threads start tiles only in the first `render_share` of every 100 ms of the wall clock, the same
  /// windows on every rank, so a frame costs the simulation about this share of a core (where
  /// the frame's threads share the simulation's cores, memory or caches) and takes 1 / share as
  /// long. 1: render as fast as possible. A max_frame_seconds budget counts the rests too.
  double render_share = 1;
  /// Asynchronous, while a frame renders: a frame that falls due copies the field again only when
  /// the copy waiting for the renderer is older than this share of the last frame's time (its view,
  /// the camera and colormap, is the newest either way). 0: every frame that falls due copies, so
  /// the newest copy wins exactly and flush() serves the data of the last update. 0.1: a frame
  /// rendering for a second lets at most about ten copies be made meanwhile instead of one per due
  /// update, and each frame shows data at most a tenth of a frame's time older than the newest;
  /// the copies are most of what watching costs a simulation whose frames fall due often.
  double copy_refresh_share = 0;
  /// A frame every `every_steps` updates (0: never for that reason), or once `every_seconds` passed
  /// since the last one (0: never for that reason); a client's change renders at the next update.
  int every_steps = 1;
  double every_seconds = 0;
  /// A frame still rendering after this many seconds on some rank is cancelled there (CPU
  /// backend: at its next tile) and update() returns render_failed; 0: no limit.
  double max_frame_seconds = 0;
};

/// What update() came to. Every rank gets the same status for a failure of a collective step.
struct Status {
  enum Code : int {
    ok = 0,
    bad_field = 1,         ///< a field is missing, empty, of another type on some rank, or unknown
    bad_decomposition = 2, ///< boxes overlap, leave a gap or lie outside the global box
    render_failed = 3,     ///< the frame failed on some rank (the message names it)
    internal = 4,          ///< anything else libindex threw
  };
  int code = ok;
  std::string message;   ///< one line: the rank, the field and what is wrong
  bool rendered = false; ///< this update served a frame
  /// The step whose data that frame shows: this one when synchronous, an earlier one when not.
  long long frame_step = -1;
  explicit operator bool() const { return code == ok; }
};

/// Elements (of the field's type) between neighbouring voxels along x, y and z; {0, 0, 0}: dense.
using Strides = std::array<long long, 3>;

class Publisher {
 public:
  /// Collective over `comm` (duplicated). Rank 0 starts the server; throws libindex::Error on every
  /// rank when it cannot listen.
  explicit Publisher(MPI_Comm comm, PublisherOptions options = {});
  /// Collective. May run after MPI_Finalize (a publisher declared in main): it then frees nothing
  /// of MPI's, which is gone, and the job ends normally.
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// This rank's part of field `name`: the voxels of `local` (a box of `global`, empty on a rank
  /// without data) plus `ghost_layers` voxels around it where `global` has them, x fastest, at
  /// `data`. Borrowed: an update() that renders it reads `data` then, with no copy when the field is
  /// dense and has the ghost layers a frame needs (1, or 2 with shading); otherwise update() copies
  /// it and fetches missing ghost voxels from the neighbours. The field stays published, and every
  /// later update() may read `data`, until it is published again (do so whenever the array moves,
  /// as when the simulation swaps two buffers) or withdrawn: withdraw() it before freeing its
  /// memory, or a later update() reads freed memory. `strides` may order the axes any way
  /// (z fastest for a C array [x][y][z]), pad rows and interleave components; they must be 1 or more
  /// and each axis must step past the extent of those that step less. Not collective; nothing is
  /// checked until update() (an empty name, negative ghost layers or such strides: bad_field).
  ///
  /// `data` may be GPU memory (cudaMalloc): with the CUDA backend it is rendered where it is, device
  /// to device, never through host memory, when it has the ghost layers a frame needs; without
  /// them, this rank's part goes through host memory once for the ghost exchange (said once on
  /// stderr). Asynchronous mode copies it on the GPU. The CPU backend refuses it (bad_field, saying
  /// why). The field must be complete when update() is called (synchronize the stream that wrote
  /// it) and should be on the device this rank renders with (its rank on the node modulo the
  /// devices it sees, as most GPU codes choose).
  void publish(const std::string& name, const uint8_t* data, const Box3i& local, const Box3i& global,
               int ghost_layers = 0, Strides strides = {});
  void publish(const std::string& name, const uint16_t* data, const Box3i& local, const Box3i& global,
               int ghost_layers = 0, Strides strides = {});
  void publish(const std::string& name, const int16_t* data, const Box3i& local, const Box3i& global,
               int ghost_layers = 0, Strides strides = {});
  void publish(const std::string& name, const float* data, const Box3i& local, const Box3i& global,
               int ghost_layers = 0, Strides strides = {});
  /// Stops publishing field `name` on this rank (nothing if it is not published): no update() reads
  /// its memory after this. Not collective; a field some rank does not publish cannot be shown.
  void withdraw(const std::string& name);

  /// Collective. Renders the shown field when a frame is due (see PublisherOptions) and serves it;
  /// applies the steering values clients set since the last update. Never throws: a failure comes
  /// back as a Status, and the next update() starts afresh.
  Status update(long long step, double time);

  /// Collective. Asynchronous mode: waits for the frame rendering in the background and for a copy
  /// waiting its turn, and serves them (e.g. after the last step); they render at full speed, not
  /// at render_share, since the simulation waits for them. Synchronous: returns ok at once.
  Status flush();

  /// A steering value: `initial` until a client sets another (in [min, max]) through the parameters
  /// panel or `insitu.set_parameter`; then the new value on every rank from the next update() on.
  /// The first call registers it (on every rank, in any order: values go by name); later calls just
  /// read it. From the next update() on every rank reads the head's value, so an `initial` that
  /// differs between ranks is the head's from then on. Throws libindex::Error when min > max or a
  /// number is NaN.
  double parameter(const std::string& name, double initial, double min, double max);

  /// Handles one JSON-RPC message as if a client had sent it (on rank 0; nullopt elsewhere and for
  /// notifications): lets the simulation script the view, e.g. set a camera or a colormap.
  std::optional<std::string> command(const std::string& json_rpc);

  /// The frame parameters of the last served frame (every rank), and its image (rank 0).
  const FrameParams& frame() const;
  const Image& last_image() const;
  /// Frames served so far (by update() and flush()).
  long long frames_served() const;
  /// http(s)://host:port/ on rank 0, empty elsewhere.
  std::string url() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

} // namespace libindex::insitu
