// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The simulation's own domain decomposition: a 3D Cartesian grid of ranks (MPI_Dims_create,
/// MPI_Cart_create), each a block of the global cube stored with one ghost layer where it has a
/// neighbour, and the halo exchange of a field over the 6 faces.
///
/// A block stores the voxels of grow(local, 1, global), x fastest: exactly what
/// insitu::Publisher::publish(name, data, local, global, 1) borrows. There is no ghost layer outside
/// the global box (the boundaries are zero-flux, see main.cpp).

#include <mpi.h>

#include <array>
#include <cstddef>
#include <utility>

#include "libindex/box.h"

class Block {
 public:
  /// Collective over `comm`: the Cartesian communicator and this rank's block of an n^3 cube
  /// (n at least the largest of grid(ranks), so that no block is empty).
  Block(MPI_Comm comm, int n) {
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    dims_ = grid(ranks);
    const int periods[3] = {0, 0, 0};
    MPI_Cart_create(comm, 3, dims_.data(), periods, 1, &cart_);
    int rank = 0;
    MPI_Comm_rank(cart_, &rank);
    std::array<int, 3> c{};
    MPI_Cart_coords(cart_, rank, 3, c.data());
    global = {{0, 0, 0}, {n, n, n}};
    local = {{n * c[0] / dims_[0], n * c[1] / dims_[1], n * c[2] / dims_[2]},
             {n * (c[0] + 1) / dims_[0], n * (c[1] + 1) / dims_[1], n * (c[2] + 1) / dims_[2]}};
    stored = libindex::grow(local, 1, global);
    const libindex::Vec3i s = stored.size();
    extent_ = {s.x, s.y, s.z};
    for (int axis = 0; axis < 3; ++axis) MPI_Cart_shift(cart_, axis, 1, &lower_[axis], &upper_[axis]);
    make_face_types();
  }
  ~Block() {
    for (MPI_Datatype& t : types_)
      if (t != MPI_DATATYPE_NULL) MPI_Type_free(&t);
    MPI_Comm_free(&cart_);
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  /// Ranks along x, y and z: MPI_Dims_create's, largest first, cut z most and x least, so rows stay
  /// long and the faces of the most-cut axis are contiguous planes. Cartesian dimension a is axis a.
  static std::array<int, 3> grid(int ranks) {
    std::array<int, 3> d{0, 0, 0};
    MPI_Dims_create(ranks, 3, d.data());
    std::swap(d[0], d[2]);
    return d;
  }

  MPI_Comm comm() const { return cart_; }
  const std::array<int, 3>& dims() const { return dims_; } ///< ranks along x, y and z
  size_t stored_count() const { return size_t(stored.voxel_count()); }
  /// The element of voxel (x, y, z) of `stored`.
  size_t index(int x, int y, int z) const {
    return (size_t(z - stored.lo.z) * size_t(extent_[1]) + size_t(y - stored.lo.y)) * size_t(extent_[0]) +
           size_t(x - stored.lo.x);
  }

  /// Fills the ghost layers of `field` (stored_count() floats) from the neighbours. Axis by axis,
  /// each axis's faces spanning the ghosts of the axes before it, so edges and corners are filled too
  /// (the 7-point stencil needs only the faces; the renderer's interpolation reads the rest).
  void exchange_halo(float* field) const {
    for (int axis = 0; axis < 3; ++axis) {
      // Up: send my top interior plane, receive my lower ghost plane; then down.
      MPI_Sendrecv(field, 1, types_[face(axis, 1, true)], upper_[axis], axis, field, 1, types_[face(axis, 0, false)],
                   lower_[axis], axis, cart_, MPI_STATUS_IGNORE);
      MPI_Sendrecv(field, 1, types_[face(axis, 0, true)], lower_[axis], 3 + axis, field, 1,
                   types_[face(axis, 1, false)], upper_[axis], 3 + axis, cart_, MPI_STATUS_IGNORE);
    }
  }

  libindex::Box3i global, local, stored;

 private:
  static int face(int axis, int side, bool send) { return (axis * 2 + side) * 2 + (send ? 0 : 1); }

  /// One subarray type per axis, side (0 lower, 1 upper) and direction: a plane of the stored block,
  /// over the whole stored extent of the axes before it and the interior of the axes after it.
  void make_face_types() {
    types_.fill(MPI_DATATYPE_NULL);
    const std::array<int, 3> lo{local.lo.x - stored.lo.x, local.lo.y - stored.lo.y, local.lo.z - stored.lo.z};
    const std::array<int, 3> hi{local.hi.x - stored.lo.x, local.hi.y - stored.lo.y, local.hi.z - stored.lo.z};
    // MPI subarrays in C order: slowest axis first, so z, y, x.
    const int sizes[3] = {extent_[2], extent_[1], extent_[0]};
    for (int axis = 0; axis < 3; ++axis)
      for (int side = 0; side < 2; ++side)
        for (int send = 0; send < 2; ++send) {
          std::array<int, 3> sub{}, start{};
          for (int a = 0; a < 3; ++a) {
            if (a < axis)
              sub[a] = extent_[a], start[a] = 0; // including the ghosts filled before
            else
              sub[a] = hi[a] - lo[a], start[a] = lo[a];
          }
          const bool neighbour = (side == 0 ? lower_[axis] : upper_[axis]) != MPI_PROC_NULL;
          sub[axis] = 1;
          if (send)
            start[axis] = side == 0 ? lo[axis] : hi[axis] - 1;
          else
            start[axis] = side == 0 ? lo[axis] - 1 : hi[axis];
          if (!neighbour) start[axis] = lo[axis]; // never sent or received: any valid plane
          const int subsizes[3] = {sub[2], sub[1], sub[0]}, starts[3] = {start[2], start[1], start[0]};
          MPI_Datatype& t = types_[size_t(face(axis, side, send == 1))];
          MPI_Type_create_subarray(3, sizes, subsizes, starts, MPI_ORDER_C, MPI_FLOAT, &t);
          MPI_Type_commit(&t);
        }
  }

  MPI_Comm cart_ = MPI_COMM_NULL;
  std::array<int, 3> dims_{0, 0, 0}, extent_{}, lower_{}, upper_{};
  std::array<MPI_Datatype, 12> types_{};
};
