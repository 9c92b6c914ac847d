/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LIBINDEX_INSITU_C_H
#define LIBINDEX_INSITU_C_H
/** \file In-situ visualization from C (and from Fortran through ISO_C_BINDING, fortran/libindex_insitu.f90):
 * a C API over libindex::insitu::Publisher (libindex/insitu.h, which documents the semantics).
 *
 *     libindex_insitu_publisher* viz;
 *     if (libindex_insitu_create(MPI_COMM_WORLD, NULL, &viz) != 0)             // collective
 *       fprintf(stderr, "%s\n", libindex_insitu_last_error(NULL));
 *     for (long long step = 0;; ++step) {
 *       double feed = libindex_insitu_parameter(viz, "feed", 0.055, 0.0, 0.1); // steerable
 *       simulate(u, feed);
 *       libindex_insitu_publish_float(viz, "u", u, lo, hi, glo, ghi, 1, NULL); // borrowed
 *       if (libindex_insitu_update(viz, step, t) != 0)                         // collective
 *         fprintf(stderr, "%s\n", libindex_insitu_last_error(viz));
 *     }
 *     libindex_insitu_destroy(viz);                                            // collective
 *
 * Boxes are half-open voxel ranges [lo, hi) along x, y, z, 0-based, x fastest in memory. No C++
 * exception crosses this API: every failure is a return code (LIBINDEX_INSITU_*) and a message that
 * libindex_insitu_last_error() returns. Link with `pkg-config --libs libindex` and your MPI wrapper.
 */
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes: 0 to 4 are insitu::Status's codes, the same on every rank for a collective step. */
enum {
  LIBINDEX_INSITU_OK = 0,
  LIBINDEX_INSITU_BAD_FIELD = 1,         /**< a field is missing, empty, of another type on some rank, or unknown */
  LIBINDEX_INSITU_BAD_DECOMPOSITION = 2, /**< boxes overlap, leave a gap or lie outside the global box */
  LIBINDEX_INSITU_RENDER_FAILED = 3,     /**< the frame failed on some rank (the message names it) */
  LIBINDEX_INSITU_INTERNAL = 4,          /**< anything else libindex threw (e.g. the server cannot listen) */
  LIBINDEX_INSITU_INVALID_ARGUMENT = 5,  /**< a null publisher, name or box, or an out-of-range option */
  LIBINDEX_INSITU_TRUNCATED = 6          /**< libindex_insitu_command: the reply did not fit */
};

typedef struct libindex_insitu_publisher libindex_insitu_publisher; /**< opaque */

typedef struct libindex_insitu_options {
  int port;                  /**< 8080; 0: any free port */
  const char* bind;          /**< "127.0.0.1"; copied by create. NULL: the default */
  int width, height;         /**< the canvas: 512 x 512 */
  int every_steps;           /**< a frame every N updates (1; 0: never for that reason) */
  double every_seconds;      /**< or once this many seconds passed since the last frame (0: never) */
  int quiet;                 /**< nonzero: do not print the URL, no session log (0) */
  double max_frame_seconds;  /**< cancel a frame that takes longer; update() then fails (0: no limit) */
  int asynchronous;          /**< nonzero: update() copies the field and a thread renders it while the
                                  simulation goes on; a later update (or flush) serves it (0) */
  int render_threads;        /**< threads each rank renders with on the CPU (0: all the cores) */
  const char* backend;       /**< "auto", "cpu" or "cuda"; NULL: "auto" (CUDA when every rank has a
                                  device). A field in GPU memory needs CUDA. Copied by create */
  double render_share;       /**< asynchronous: the share of the time render threads may work, in (0, 1]
                                  (1); below 1 they rest between tiles, so a frame costs the run about
                                  that share of a core and takes 1 / share as long */
  double copy_refresh_share; /**< asynchronous, while a frame renders: a due frame copies the field again
                                 only when the waiting copy is older than this share of the last frame's
                                 time (0: every due frame copies, and flush serves the last update's data;
                                 0.1: about ten copies a frame at most) */
} libindex_insitu_options;

/** Sets the defaults above. */
void libindex_insitu_options_init(libindex_insitu_options* options);

/** Collective over `comm` (duplicated): rank 0 starts the server. `options` NULL: the defaults. On
 * failure returns nonzero on every rank, *out is NULL and libindex_insitu_last_error(NULL) says why. */
int libindex_insitu_create(MPI_Comm comm, const libindex_insitu_options* options, libindex_insitu_publisher** out);
/** The same with a Fortran communicator handle (MPI_Comm_f2c). */
int libindex_insitu_create_f(MPI_Fint comm, const libindex_insitu_options* options, libindex_insitu_publisher** out);
/** Collective; NULL is allowed. */
void libindex_insitu_destroy(libindex_insitu_publisher* p);

/** This rank's part of field `name`: the voxels [local_lo, local_hi) of the global box [global_lo,
 * global_hi) (an empty local box on a rank without data) plus `ghost_layers` voxels around it where the
 * global box has them, at `data`. Borrowed: read by the updates that render it, until it is published
 * again or withdrawn (libindex_insitu_withdraw before freeing it). `strides`: elements between
 * neighbouring voxels along x, y, z, 1 or more, any axis order (libindex/insitu.h); NULL: dense. `data` may be GPU
 * memory (cudaMalloc), rendered where it is by the CUDA backend (libindex/insitu.h says how). Not collective; returns 0
 * or LIBINDEX_INSITU_INVALID_ARGUMENT. */
int libindex_insitu_publish_uint8(libindex_insitu_publisher* p, const char* name, const uint8_t* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]);
int libindex_insitu_publish_uint16(libindex_insitu_publisher* p, const char* name, const uint16_t* data,
                                   const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                   const int global_hi[3], int ghost_layers, const long long strides[3]);
int libindex_insitu_publish_int16(libindex_insitu_publisher* p, const char* name, const int16_t* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]);
int libindex_insitu_publish_float(libindex_insitu_publisher* p, const char* name, const float* data,
                                  const int local_lo[3], const int local_hi[3], const int global_lo[3],
                                  const int global_hi[3], int ghost_layers, const long long strides[3]);
/** Stops publishing field `name` on this rank: no update reads its memory after this. Not collective;
 * returns 0 (also when it was not published) or LIBINDEX_INSITU_INVALID_ARGUMENT. */
int libindex_insitu_withdraw(libindex_insitu_publisher* p, const char* name);

/** Collective: renders and serves a frame when one is due, applies steering values. Returns the status
 * code (0: ok; the message of a failure is in libindex_insitu_last_error(p)). */
int libindex_insitu_update(libindex_insitu_publisher* p, long long step, double time);
/** Collective. Asynchronous: waits for the frame rendering in the background (and a copy waiting for its
 * turn) and serves it, e.g. after the last step; they render at full speed, not at render_share.
 * Synchronous: returns 0 at once. Returns the status code. */
int libindex_insitu_flush(libindex_insitu_publisher* p);
/** Whether the last update (or flush) served a frame (1) or not (0). */
int libindex_insitu_rendered(const libindex_insitu_publisher* p);
/** Frames rendered by all updates so far. */
long long libindex_insitu_frames_rendered(const libindex_insitu_publisher* p);

/** A steering value: `initial` (clamped to [min, max]) until a client sets another; then that value on
 * every rank from the next update on. Register on every rank in the same order. On a null publisher or
 * name returns `initial` and sets the error. */
double libindex_insitu_parameter(libindex_insitu_publisher* p, const char* name, double initial, double min,
                                 double max);

/** Handles one JSON-RPC message as if a client had sent it (e.g. set a camera, a colormap or a steering
 * value). On rank 0 writes the reply (NUL-terminated, "" for a notification) into reply[0..reply_size)
 * and returns 0, or LIBINDEX_INSITU_TRUNCATED when it did not fit; on other ranks writes "". `reply` may
 * be NULL when reply_size is 0. */
int libindex_insitu_command(libindex_insitu_publisher* p, const char* json_rpc, char* reply, size_t reply_size);

/** http(s)://host:port/ on rank 0, "" elsewhere; valid until destroy. */
const char* libindex_insitu_url(const libindex_insitu_publisher* p);

/** Why the last call on `p` failed ("" when it succeeded; valid until the next call on `p`); with NULL,
 * why the last create, or the last call given a NULL publisher, failed on this thread. */
const char* libindex_insitu_last_error(const libindex_insitu_publisher* p);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LIBINDEX_INSITU_C_H */
