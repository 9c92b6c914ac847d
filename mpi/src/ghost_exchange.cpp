// SPDX-License-Identifier: Apache-2.0
#include "libindex/mpi/ghost_exchange.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "libindex/decomposition.h"
#include "libindex/error.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"

namespace libindex::mpi {
namespace {

constexpr int ghost_tag = 1;

/// A private duplicate of the caller's communicator that reports errors (MPI_ERRORS_RETURN), so
/// the exchange's messages never meet the caller's; freed on scope exit.
class PrivateComm {
 public:
  explicit PrivateComm(MPI_Comm parent) {
    LIBINDEX_MPI_CHECK(parent, MPI_Comm_dup(parent, &comm_));
    try {
      LIBINDEX_MPI_CHECK(comm_, MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    } catch (...) {
      MPI_Comm_free(&comm_);
      throw;
    }
  }
  ~PrivateComm() { MPI_Comm_free(&comm_); }
  PrivateComm(const PrivateComm&) = delete;
  PrivateComm& operator=(const PrivateComm&) = delete;
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

/// MPI datatypes freed on scope exit.
struct Datatypes {
  std::vector<MPI_Datatype> types;
  Datatypes() = default;
  Datatypes(const Datatypes&) = delete;
  Datatypes& operator=(const Datatypes&) = delete;
  ~Datatypes() {
    for (MPI_Datatype& t : types) MPI_Type_free(&t);
  }
};

MPI_Datatype element_type(DType t) {
  return visit_dtype(t, [](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, uint8_t>)
      return MPI_UINT8_T;
    else if constexpr (std::is_same_v<T, uint16_t>)
      return MPI_UINT16_T;
    else if constexpr (std::is_same_v<T, int16_t>)
      return MPI_INT16_T;
    else
      return MPI_FLOAT;
  });
}

/// The voxels `part` of an x-fastest brick over `whole`, as one datatype (count 1 from the brick's
/// first byte).
MPI_Datatype subarray(MPI_Comm comm, const Box3i& whole, const Box3i& part, DType t, Datatypes& keep) {
  const Vec3i ws = whole.size(), ps = part.size();
  int sizes[3] = {ws.z, ws.y, ws.x}, sub[3] = {ps.z, ps.y, ps.x};
  int starts[3] = {part.lo.z - whole.lo.z, part.lo.y - whole.lo.y, part.lo.x - whole.lo.x};
  MPI_Datatype type = MPI_DATATYPE_NULL;
  LIBINDEX_MPI_CHECK(comm, MPI_Type_create_subarray(3, sizes, sub, starts, MPI_ORDER_C, element_type(t), &type));
  keep.types.push_back(type);
  LIBINDEX_MPI_CHECK(comm, MPI_Type_commit(&keep.types.back()));
  return keep.types.back();
}

/// FNV-1a over the global box and every box: equal on every rank when the ranks agree on them.
long long decomposition_hash(const Box3i& global, const std::vector<Box3i>& boxes) {
  uint64_t h = 1469598103934665603ull;
  auto add = [&](int v) {
    for (int byte = 0; byte < 4; ++byte) h = (h ^ ((uint32_t(v) >> (8 * byte)) & 0xffu)) * 1099511628211ull;
  };
  auto add_box = [&](const Box3i& b) {
    for (int a = 0; a < 3; ++a) add(b.lo[a]), add(b.hi[a]);
  };
  add_box(global);
  add(int(boxes.size()));
  for (const Box3i& b : boxes) add_box(b);
  return static_cast<long long>(h);
}

/// This rank's own faults ("" when none).
std::string local_error(int me, int ranks, const Box3i& global, const std::vector<Box3i>& boxes, const Brick& mine,
                        int ghost) {
  if (int(boxes.size()) != ranks)
    return "exchange_ghosts: " + std::to_string(boxes.size()) + (boxes.size() == 1 ? " box for " : " boxes for ") +
           std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks");
  if (ghost < 0) return "exchange_ghosts: ghost width " + std::to_string(ghost) + " is negative";
  try {
    check_decomposition(global, boxes);
  } catch (const Error& e) {
    return std::string("exchange_ghosts: ") + e.what();
  }
  const Box3i& own = boxes[size_t(me)];
  if (own.empty()) {
    if (!mine.box.empty() || !mine.bytes.empty())
      return "exchange_ghosts: this rank's box " + to_string(own) + " is empty but its brick holds " +
             to_string(mine.box) + " (" + std::to_string(mine.bytes.size()) + " bytes)";
    return {};
  }
  if (!(mine.box == own))
    return "exchange_ghosts: the brick holds " + to_string(mine.box) + ", this rank's box is " + to_string(own);
  const int t = int(mine.dtype);
  if (t < int(DType::uint8) || t > int(DType::float32))
    return "exchange_ghosts: invalid voxel format (DType value " + std::to_string(t) + ")";
  const size_t expected = size_t(own.voxel_count()) * size_t(dtype_size(mine.dtype));
  if (mine.bytes.size() != expected)
    return "exchange_ghosts: the brick of " + to_string(own) + " holds " + std::to_string(mine.bytes.size()) +
           " bytes, not " + std::to_string(expected) + " (" + std::to_string(own.voxel_count()) + " voxels of " +
           to_string(mine.dtype) + ")";
  return {};
}

constexpr DType all_dtypes[] = {DType::uint8, DType::uint16, DType::int16, DType::float32};

} // namespace

Brick exchange_ghosts(MPI_Comm parent, const Box3i& global, const std::vector<Box3i>& boxes, const Brick& mine,
                      int ghost) {
  const PrivateComm private_comm(parent);
  const MPI_Comm comm = private_comm.get();
  const int me = comm_rank(comm), ranks = comm_size(comm);

  // Settle every rank's faults and the voxel format before any voxel moves.
  const std::string error = local_error(me, ranks, global, boxes, mine, ghost);
  const bool has_data = error.empty() && !boxes[size_t(me)].empty();
  Agreement agreement;
  if (!error.empty()) agreement.fail(error);
  agreement.same(ghost, "exchange_ghosts: ghost width");
  agreement.same(decomposition_hash(global, boxes), "exchange_ghosts: the decomposition (global box and boxes)");
  int lowest_rank_with[4]; // per format: max of -rank over the ranks with data in that format
  for (int t = 0; t < 4; ++t)
    lowest_rank_with[t] =
        agreement.max(has_data && mine.dtype == all_dtypes[t] ? -double(me) : -std::numeric_limits<double>::infinity());
  agreement.agree(comm);
  DType dtype = DType::uint8;
  std::string formats;
  int present = 0;
  for (int t = 0; t < 4; ++t) {
    const double m = agreement.maximum(lowest_rank_with[t]);
    if (m == -std::numeric_limits<double>::infinity()) continue;
    if (present++ == 0) dtype = all_dtypes[t];
    formats += std::string(formats.empty() ? "" : ", ") + "rank " + std::to_string(int(-m)) + " has " +
               to_string(all_dtypes[t]);
  }
  if (present > 1) throw Error("exchange_ghosts: the ranks' bricks differ in voxel format: " + formats);

  const Box3i& own = boxes[size_t(me)];
  if (own.empty()) return Brick(own, dtype);
  const Box3i grown = grow(own, ghost, global);
  Brick out(grown, dtype);
  // The interior, row by row.
  const size_t es = size_t(dtype_size(dtype)), row = size_t(own.size().x) * es;
  const Vec3i gs = grown.size(), os = own.size();
  for (int z = 0; z < os.z; ++z)
    for (int y = 0; y < os.y; ++y) {
      const size_t to =
          ((size_t(z + own.lo.z - grown.lo.z) * size_t(gs.y) + size_t(y + own.lo.y - grown.lo.y)) * size_t(gs.x) +
           size_t(own.lo.x - grown.lo.x)) *
          es;
      const size_t from = (size_t(z) * size_t(os.y) + size_t(y)) * row;
      std::memcpy(out.bytes.data() + to, mine.bytes.data() + from, row);
    }

  // The plan first (every datatype built), then every message posted, so that nothing can fail
  // between posting a receive into `out` and waiting for it.
  struct Message {
    int rank;
    bool send;
    MPI_Datatype type;
  };
  std::vector<Message> plan;
  Datatypes types;
  for (int r = 0; r < ranks; ++r) {
    const Box3i& theirs = boxes[size_t(r)];
    if (r == me || theirs.empty()) continue;
    const Box3i need = intersect(grown, theirs);                    // their voxels in my ghost layer
    const Box3i give = intersect(grow(theirs, ghost, global), own); // my voxels in theirs
    if (!need.empty()) plan.push_back({r, false, subarray(comm, grown, need, dtype, types)});
    if (!give.empty()) plan.push_back({r, true, subarray(comm, own, give, dtype, types)});
  }
  std::vector<MPI_Request> requests(plan.size(), MPI_REQUEST_NULL);
  for (size_t i = 0; i < plan.size(); ++i) {
    const Message& m = plan[i];
    if (m.send)
      LIBINDEX_MPI_CHECK(comm, MPI_Isend(mine.bytes.data(), 1, m.type, m.rank, ghost_tag, comm, &requests[i]));
    else
      LIBINDEX_MPI_CHECK(comm, MPI_Irecv(out.bytes.data(), 1, m.type, m.rank, ghost_tag, comm, &requests[i]));
  }
  LIBINDEX_MPI_CHECK(comm, MPI_Waitall(int(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
  return out;
}

} // namespace libindex::mpi
