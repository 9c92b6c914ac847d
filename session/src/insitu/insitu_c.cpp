// SPDX-License-Identifier: Apache-2.0
// The C API over insitu::Publisher (libindex/insitu_c.h): every entry point catches everything, so no
// C++ exception reaches C or Fortran; a failure is a code and a message kept per publisher (or per
// thread for create and null publishers).
#include "libindex/insitu_c.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "field.h"
#include "libindex/insitu.h"

using libindex::Box3i;
namespace insitu = libindex::insitu;

struct libindex_insitu_publisher {
  std::unique_ptr<insitu::Publisher> viz;
  std::string error;
  std::string url;
  bool rendered = false;
};

namespace {

thread_local std::string g_error; // create failures and calls given a null publisher

/// Records `message` where libindex_insitu_last_error(p) finds it and returns `code`.
int fail(libindex_insitu_publisher* p, int code, const std::string& message) noexcept {
  try {
    (p ? p->error : g_error) = message;
  } catch (...) { // no memory for the message: keep the code
  }
  return code;
}

/// Runs `f` (returning an int code), turning any exception into LIBINDEX_INSITU_INTERNAL and its message.
template <class F>
int guarded(libindex_insitu_publisher* p, const char* what, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(p, LIBINDEX_INSITU_INTERNAL, std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return fail(p, LIBINDEX_INSITU_INTERNAL, std::string(what) + ": " + e.what());
  } catch (...) {
    return fail(p, LIBINDEX_INSITU_INTERNAL, std::string(what) + ": unknown error");
  }
}

int null_publisher(const char* what) noexcept {
  return fail(nullptr, LIBINDEX_INSITU_INVALID_ARGUMENT, std::string(what) + ": null publisher");
}

template <class T>
int publish(libindex_insitu_publisher* p, const char* what, const char* name, const T* data, const int local_lo[3],
            const int local_hi[3], const int global_lo[3], const int global_hi[3], int ghost_layers,
            const long long strides[3]) noexcept {
  if (!p || !p->viz) return null_publisher(what);
  return guarded(p, what, [&] {
    if (!name) return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, std::string(what) + ": null field name");
    if (!local_lo || !local_hi || !global_lo || !global_hi)
      return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, std::string(what) + " '" + name + "': null box corner");
    const Box3i local{{local_lo[0], local_lo[1], local_lo[2]}, {local_hi[0], local_hi[1], local_hi[2]}};
    const Box3i global{{global_lo[0], global_lo[1], global_lo[2]}, {global_hi[0], global_hi[1], global_hi[2]}};
    insitu::Strides s{};
    if (strides) s = {strides[0], strides[1], strides[2]};
    // What update() would refuse on this rank alone, said here (the boxes need every rank's).
    const insitu::Field field{name, insitu::dtype_of<T>(), data, local, global, ghost_layers, s, false};
    if (const std::string problem = insitu::layout_problem(field); !problem.empty()) {
      p->viz->withdraw(name); // a refused publish leaves no earlier array of that name to be read
      return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, std::string(what) + ": " + problem);
    }
    p->viz->publish(name, data, local, global, ghost_layers, s);
    p->error.clear();
    return int(LIBINDEX_INSITU_OK);
  });
}

/// The first option out of its range, as "width -5 must be 1 or more", or "".
std::string invalid_option(const libindex_insitu_options& o) {
  const auto number = [](double v) { return std::to_string(v); };
  if (o.port < 0 || o.port > 65535) return "port " + std::to_string(o.port) + " must be in [0, 65535]";
  if (o.width <= 0) return "width " + std::to_string(o.width) + " must be 1 or more";
  if (o.height <= 0) return "height " + std::to_string(o.height) + " must be 1 or more";
  if (o.every_steps < 0) return "every_steps " + std::to_string(o.every_steps) + " must be 0 or more";
  if (!(o.every_seconds >= 0)) return "every_seconds " + number(o.every_seconds) + " must be 0 or more";
  if (!(o.max_frame_seconds >= 0)) return "max_frame_seconds " + number(o.max_frame_seconds) + " must be 0 or more";
  if (o.render_threads < 0) return "render_threads " + std::to_string(o.render_threads) + " must be 0 or more";
  if (!(o.render_share > 0 && o.render_share <= 1))
    return "render_share " + number(o.render_share) + " must be in (0, 1]";
  if (!(o.copy_refresh_share >= 0 && o.copy_refresh_share < 1e9))
    return "copy_refresh_share " + number(o.copy_refresh_share) + " must be 0 or more";
  return "";
}

/// Copies `s` into reply[0..n) NUL-terminated; false when it was cut.
bool copy_out(const std::string& s, char* reply, size_t n) {
  if (n == 0 || !reply) return s.empty();
  const size_t k = std::min(s.size(), n - 1);
  std::memcpy(reply, s.data(), k);
  reply[k] = '\0';
  return k == s.size();
}

} // namespace

extern "C" {

void libindex_insitu_options_init(libindex_insitu_options* o) {
  if (!o) return;
  const insitu::PublisherOptions d;
  o->port = d.serve.server.port;
  o->bind = nullptr; // the default, d.serve.server.bind
  o->width = d.width, o->height = d.height;
  o->every_steps = d.every_steps;
  o->every_seconds = d.every_seconds;
  o->quiet = 0;
  o->max_frame_seconds = d.max_frame_seconds;
  o->asynchronous = d.mode == insitu::Mode::asynchronous;
  o->render_threads = d.render_threads;
  o->backend = nullptr; // auto
  o->render_share = d.render_share;
  o->copy_refresh_share = d.copy_refresh_share;
}

int libindex_insitu_create(MPI_Comm comm, const libindex_insitu_options* options, libindex_insitu_publisher** out) {
  if (out) *out = nullptr;
  return guarded(nullptr, "libindex_insitu_create", [&] {
    // Only arguments that are the same on every rank (the options) may fail before the collective
    // constructor, so a refusal never leaves other ranks waiting in it.
    if (!out) return fail(nullptr, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_create: null out");
    if (comm == MPI_COMM_NULL)
      return fail(nullptr, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_create: MPI_COMM_NULL");
    libindex_insitu_options o;
    libindex_insitu_options_init(&o);
    if (options) o = *options;
    if (const std::string bad = invalid_option(o); !bad.empty())
      return fail(nullptr, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_create: " + bad);
    insitu::PublisherOptions po;
    try {
      if (o.backend) po.serve.session.backend = libindex::kernels::parse_backend_kind(o.backend);
    } catch (const std::exception& e) {
      return fail(nullptr, LIBINDEX_INSITU_INVALID_ARGUMENT, std::string("libindex_insitu_create: ") + e.what());
    }
    po.serve.server.port = o.port;
    if (o.bind) po.serve.server.bind = o.bind;
    po.width = o.width, po.height = o.height;
    po.every_steps = o.every_steps;
    po.every_seconds = o.every_seconds;
    po.max_frame_seconds = o.max_frame_seconds;
    po.render_threads = o.render_threads;
    po.render_share = o.render_share;
    po.copy_refresh_share = o.copy_refresh_share;
    po.mode = o.asynchronous ? insitu::Mode::asynchronous : insitu::Mode::synchronous;
    if (o.quiet) {
      po.serve.on_ready = [](const std::string&) {};
      po.serve.session.log = false;
    }
    auto p = std::make_unique<libindex_insitu_publisher>();
    try {
      p->viz = std::make_unique<insitu::Publisher>(comm, po);
    } catch (const std::exception& e) { // libindex::Error on every rank when the server cannot listen
      return fail(nullptr, LIBINDEX_INSITU_INTERNAL, std::string("libindex_insitu_create: ") + e.what());
    }
    p->url = p->viz->url();
    *out = p.release();
    g_error.clear();
    return int(LIBINDEX_INSITU_OK);
  });
}

int libindex_insitu_create_f(MPI_Fint comm, const libindex_insitu_options* options, libindex_insitu_publisher** out) {
  return libindex_insitu_create(MPI_Comm_f2c(comm), options, out);
}

void libindex_insitu_destroy(libindex_insitu_publisher* p) {
  if (!p) return;
  try {
    delete p;
  } catch (...) { // destructors do not throw; nothing can be reported after the publisher is gone
  }
}

int libindex_insitu_publish_uint8(libindex_insitu_publisher* p, const char* name, const uint8_t* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]) {
  return publish(p, "libindex_insitu_publish_uint8", name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers,
                 strides);
}
int libindex_insitu_publish_uint16(libindex_insitu_publisher* p, const char* name, const uint16_t* data,
                                   const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                   const int global_hi[3], int ghost_layers, const long long strides[3]) {
  return publish(p, "libindex_insitu_publish_uint16", name, data, local_lo, local_hi, global_lo, global_hi,
                 ghost_layers, strides);
}
int libindex_insitu_publish_int16(libindex_insitu_publisher* p, const char* name, const int16_t* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]) {
  return publish(p, "libindex_insitu_publish_int16", name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers,
                 strides);
}
int libindex_insitu_publish_float(libindex_insitu_publisher* p, const char* name, const float* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]) {
  return publish(p, "libindex_insitu_publish_float", name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers,
                 strides);
}

int libindex_insitu_withdraw(libindex_insitu_publisher* p, const char* name) {
  if (!p || !p->viz) return null_publisher("libindex_insitu_withdraw");
  return guarded(p, "libindex_insitu_withdraw", [&] {
    if (!name) return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_withdraw: null field name");
    p->viz->withdraw(name);
    p->error.clear();
    return int(LIBINDEX_INSITU_OK);
  });
}

int libindex_insitu_update(libindex_insitu_publisher* p, long long step, double time) {
  if (!p || !p->viz) return null_publisher("libindex_insitu_update");
  return guarded(p, "libindex_insitu_update", [&] {
    p->rendered = false;
    const insitu::Status st = p->viz->update(step, time); // never throws; the guard is for the copies
    p->rendered = st.rendered;
    p->error = st.message;
    return st.code;
  });
}

int libindex_insitu_flush(libindex_insitu_publisher* p) {
  if (!p || !p->viz) return null_publisher("libindex_insitu_flush");
  return guarded(p, "libindex_insitu_flush", [&] {
    p->rendered = false;
    const insitu::Status st = p->viz->flush();
    p->rendered = st.rendered;
    p->error = st.message;
    return st.code;
  });
}

int libindex_insitu_rendered(const libindex_insitu_publisher* p) { return p && p->rendered ? 1 : 0; }
long long libindex_insitu_frames_rendered(const libindex_insitu_publisher* p) {
  return p && p->viz ? p->viz->frames_served() : 0;
}

double libindex_insitu_parameter(libindex_insitu_publisher* p, const char* name, double initial, double min,
                                 double max) {
  double value = initial;
  if (!p || !p->viz) {
    null_publisher("libindex_insitu_parameter");
    return value;
  }
  guarded(p, "libindex_insitu_parameter", [&] {
    if (!name) return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_parameter: null name");
    if (!(min <= max) || std::isnan(initial))
      return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT,
                  std::string("libindex_insitu_parameter '") + name + "': needs min <= max and numbers (initial " +
                      std::to_string(initial) + ", min " + std::to_string(min) + ", max " + std::to_string(max) + ")");
    value = p->viz->parameter(name, initial, min, max);
    p->error.clear();
    return int(LIBINDEX_INSITU_OK);
  });
  return value;
}

int libindex_insitu_command(libindex_insitu_publisher* p, const char* json_rpc, char* reply, size_t reply_size) {
  if (reply && reply_size) reply[0] = '\0';
  if (!p || !p->viz) return null_publisher("libindex_insitu_command");
  return guarded(p, "libindex_insitu_command", [&] {
    if (!json_rpc) return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_command: null message");
    if (!reply && reply_size)
      return fail(p, LIBINDEX_INSITU_INVALID_ARGUMENT, "libindex_insitu_command: null reply with a size");
    const std::string answer = p->viz->command(json_rpc).value_or(std::string());
    if (!copy_out(answer, reply, reply_size))
      return fail(p, LIBINDEX_INSITU_TRUNCATED,
                  "libindex_insitu_command: the reply needs " + std::to_string(answer.size() + 1) + " bytes, got " +
                      std::to_string(reply_size));
    p->error.clear();
    return int(LIBINDEX_INSITU_OK);
  });
}

const char* libindex_insitu_url(const libindex_insitu_publisher* p) { return p ? p->url.c_str() : ""; }

const char* libindex_insitu_last_error(const libindex_insitu_publisher* p) {
  return p ? p->error.c_str() : g_error.c_str();
}

} // extern "C"
