// SPDX-License-Identifier: Apache-2.0
#include "call_counter.h"

#include <mpi.h>

namespace libindex::mpi::testing {

namespace {
MpiCalls calls; // MPI calls come from one thread in the tests
} // namespace

MpiCalls mpi_calls() { return calls; }

MpiCalls MpiCalls::operator-(const MpiCalls& b) const {
  MpiCalls d;
  d.allreduce = allreduce - b.allreduce;
  d.iallreduce = iallreduce - b.iallreduce;
  d.reduce = reduce - b.reduce;
  d.bcast = bcast - b.bcast;
  d.barrier = barrier - b.barrier;
  d.gather = gather - b.gather;
  d.gatherv = gatherv - b.gatherv;
  d.allgather = allgather - b.allgather;
  d.allgatherv = allgatherv - b.allgatherv;
  d.alltoall = alltoall - b.alltoall;
  d.alltoallv = alltoallv - b.alltoallv;
  d.scatter = scatter - b.scatter;
  d.scan = scan - b.scan;
  d.exscan = exscan - b.exscan;
  d.reduce_scatter_block = reduce_scatter_block - b.reduce_scatter_block;
  d.comm_dup = comm_dup - b.comm_dup;
  d.comm_idup = comm_idup - b.comm_idup;
  d.comm_split = comm_split - b.comm_split;
  d.comm_create = comm_create - b.comm_create;
  d.comm_free = comm_free - b.comm_free;
  d.op_create = op_create - b.op_create;
  d.isend = isend - b.isend;
  d.mprobe = mprobe - b.mprobe;
  return d;
}

} // namespace libindex::mpi::testing

using libindex::mpi::testing::calls;

// The profiling interface: these definitions take the place of the library's MPI_* entry points.
extern "C" {

int MPI_Allreduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  ++calls.allreduce;
  return PMPI_Allreduce(s, r, n, t, op, c);
}
int MPI_Iallreduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* q) {
  ++calls.iallreduce;
  return PMPI_Iallreduce(s, r, n, t, op, c, q);
}
int MPI_Reduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm c) {
  ++calls.reduce;
  return PMPI_Reduce(s, r, n, t, op, root, c);
}
int MPI_Bcast(void* b, int n, MPI_Datatype t, int root, MPI_Comm c) {
  ++calls.bcast;
  return PMPI_Bcast(b, n, t, root, c);
}
int MPI_Barrier(MPI_Comm c) {
  ++calls.barrier;
  return PMPI_Barrier(c);
}
int MPI_Gather(const void* s, int sn, MPI_Datatype st, void* r, int rn, MPI_Datatype rt, int root, MPI_Comm c) {
  ++calls.gather;
  return PMPI_Gather(s, sn, st, r, rn, rt, root, c);
}
int MPI_Gatherv(const void* s, int sn, MPI_Datatype st, void* r, const int* rn, const int* d, MPI_Datatype rt, int root,
                MPI_Comm c) {
  ++calls.gatherv;
  return PMPI_Gatherv(s, sn, st, r, rn, d, rt, root, c);
}
int MPI_Allgather(const void* s, int sn, MPI_Datatype st, void* r, int rn, MPI_Datatype rt, MPI_Comm c) {
  ++calls.allgather;
  return PMPI_Allgather(s, sn, st, r, rn, rt, c);
}
int MPI_Allgatherv(const void* s, int sn, MPI_Datatype st, void* r, const int* rn, const int* d, MPI_Datatype rt,
                   MPI_Comm c) {
  ++calls.allgatherv;
  return PMPI_Allgatherv(s, sn, st, r, rn, d, rt, c);
}
int MPI_Alltoall(const void* s, int sn, MPI_Datatype st, void* r, int rn, MPI_Datatype rt, MPI_Comm c) {
  ++calls.alltoall;
  return PMPI_Alltoall(s, sn, st, r, rn, rt, c);
}
int MPI_Alltoallv(const void* s, const int* sn, const int* sd, MPI_Datatype st, void* r, const int* rn, const int* rd,
                  MPI_Datatype rt, MPI_Comm c) {
  ++calls.alltoallv;
  return PMPI_Alltoallv(s, sn, sd, st, r, rn, rd, rt, c);
}
int MPI_Scatter(const void* s, int sn, MPI_Datatype st, void* r, int rn, MPI_Datatype rt, int root, MPI_Comm c) {
  ++calls.scatter;
  return PMPI_Scatter(s, sn, st, r, rn, rt, root, c);
}
int MPI_Scan(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  ++calls.scan;
  return PMPI_Scan(s, r, n, t, op, c);
}
int MPI_Exscan(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  ++calls.exscan;
  return PMPI_Exscan(s, r, n, t, op, c);
}
int MPI_Reduce_scatter_block(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  ++calls.reduce_scatter_block;
  return PMPI_Reduce_scatter_block(s, r, n, t, op, c);
}
int MPI_Comm_dup(MPI_Comm c, MPI_Comm* out) {
  ++calls.comm_dup;
  return PMPI_Comm_dup(c, out);
}
int MPI_Comm_idup(MPI_Comm c, MPI_Comm* out, MPI_Request* q) {
  ++calls.comm_idup;
  return PMPI_Comm_idup(c, out, q);
}
int MPI_Comm_split(MPI_Comm c, int color, int key, MPI_Comm* out) {
  ++calls.comm_split;
  return PMPI_Comm_split(c, color, key, out);
}
int MPI_Comm_create(MPI_Comm c, MPI_Group g, MPI_Comm* out) {
  ++calls.comm_create;
  return PMPI_Comm_create(c, g, out);
}
int MPI_Comm_free(MPI_Comm* c) {
  ++calls.comm_free;
  return PMPI_Comm_free(c);
}
int MPI_Op_create(MPI_User_function* f, int commute, MPI_Op* op) {
  ++calls.op_create;
  return PMPI_Op_create(f, commute, op);
}
int MPI_Isend(const void* b, int n, MPI_Datatype t, int dest, int tag, MPI_Comm c, MPI_Request* q) {
  ++calls.isend;
  return PMPI_Isend(b, n, t, dest, tag, c, q);
}
int MPI_Mprobe(int source, int tag, MPI_Comm c, MPI_Message* m, MPI_Status* s) {
  ++calls.mprobe;
  return PMPI_Mprobe(source, tag, c, m, s);
}

} // extern "C"
