// SPDX-License-Identifier: Apache-2.0
/// \file Agreement: every question of a frame as one array of 24-byte cells, reduced by one
/// user-defined MPI_Op. Each cell carries its own kind, so the reduction is element-wise whatever
/// way MPI splits the array, and a cell whose kind differs between ranks marks itself.
#include "libindex/mpi/agreement.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "libindex/error.h"
#include "libindex/mpi/check.h"

namespace libindex::mpi {

namespace {

/// How two cells combine. `conflict` marks cells whose kinds differed: it absorbs everything.
enum CellKind : int32_t {
  cell_unused = 0,   ///< padding: stays as it is
  cell_lowest = 1,   ///< a = min(a)
  cell_range = 2,    ///< a = min(a), b = max(b)
  cell_sum = 3,      ///< a = a + b, wrapping
  cell_max = 4,      ///< a = max of doubles (bits in a)
  cell_conflict = -1 ///< the kinds differed between ranks
};

struct Cell {
  int64_t a = 0, b = 0;
  int32_t kind = cell_unused, spare = 0;
};
static_assert(sizeof(Cell) == 24 && std::is_trivially_copyable_v<Cell>);

/// The header cells before the slots.
constexpr int failed_rank_cell = 0, slot_count_cell = 1, layout_cell = 2, header_cells = 3;
constexpr int64_t nobody = std::numeric_limits<int64_t>::max();

int64_t max_of_doubles(int64_t a, int64_t b) {
  const double x = std::bit_cast<double>(a), y = std::bit_cast<double>(b);
  // Order-free: NaN wins (one canonical NaN), +0 beats -0, else the larger.
  if (std::isnan(x) || std::isnan(y)) return std::bit_cast<int64_t>(std::numeric_limits<double>::quiet_NaN());
  if (x == y) return std::signbit(x) ? b : a;
  return x > y ? a : b;
}

/// The MPI_User_function: combines `in` into `inout`, cell by cell. Commutative and associative.
void combine(void* in_void, void* inout_void, int* len, MPI_Datatype*) {
  const Cell* in = static_cast<const Cell*>(in_void);
  Cell* inout = static_cast<Cell*>(inout_void);
  for (int i = 0; i < *len; ++i) {
    const Cell& s = in[i];
    Cell& d = inout[i];
    if (s.kind != d.kind) {
      d.kind = cell_conflict;
      continue;
    }
    switch (d.kind) {
    case cell_lowest:
      d.a = std::min(d.a, s.a);
      break;
    case cell_range:
      d.a = std::min(d.a, s.a);
      d.b = std::max(d.b, s.b);
      break;
    case cell_sum:
      d.a = int64_t(uint64_t(d.a) + uint64_t(s.a));
      break;
    case cell_max:
      d.a = max_of_doubles(d.a, s.a);
      break;
    default: // unused, conflict
      break;
    }
  }
}

/// The reduction's MPI objects, made once per process on first use.
struct Reduction {
  MPI_Datatype cell = MPI_DATATYPE_NULL;
  MPI_Op op = MPI_OP_NULL;
};

/// Frees the reduction inside MPI_Finalize (MPI deletes MPI_COMM_SELF's attributes first).
int free_reduction(MPI_Comm, int, void* attribute, void*) {
  auto* r = static_cast<Reduction*>(attribute);
  if (r->op != MPI_OP_NULL) MPI_Op_free(&r->op);
  if (r->cell != MPI_DATATYPE_NULL) MPI_Type_free(&r->cell);
  return MPI_SUCCESS;
}

const Reduction& reduction(MPI_Comm comm) {
  static Reduction r;
  static const bool made = [&] {
    LIBINDEX_MPI_CHECK(comm, MPI_Type_contiguous(int(sizeof(Cell)), MPI_BYTE, &r.cell));
    LIBINDEX_MPI_CHECK(comm, MPI_Type_commit(&r.cell));
    LIBINDEX_MPI_CHECK(comm, MPI_Op_create(&combine, /*commute=*/1, &r.op));
    int key = MPI_KEYVAL_INVALID;
    LIBINDEX_MPI_CHECK(comm, MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &free_reduction, &key, nullptr));
    LIBINDEX_MPI_CHECK(comm, MPI_Comm_set_attr(MPI_COMM_SELF, key, &r));
    LIBINDEX_MPI_CHECK(comm, MPI_Comm_free_keyval(&key)); // the attribute keeps it alive
    return true;
  }();
  (void)made;
  return r;
}

/// FNV-1a, 64-bit, over the slot layout: kinds and the names of same() slots.
struct LayoutHash {
  uint64_t h = 14695981039346656037ull;
  void add(unsigned char byte) { h = (h ^ byte) * 1099511628211ull; }
  void add(const std::string& s) {
    for (char c : s) add((unsigned char)c);
    add(0);
  }
};

Cell range_cell(int64_t v) { return {v, v, cell_range, 0}; }

} // namespace

void broadcast_string(std::string& text, MPI_Comm comm, int root) {
  long long n = (long long)text.size();
  LIBINDEX_MPI_CHECK(comm, MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm));
  text.resize(size_t(n));
  if (n > 0) LIBINDEX_MPI_CHECK(comm, MPI_Bcast(text.data(), int(n), MPI_CHAR, root, comm));
}

void Agreement::fail(std::string message) {
  if (failed_) return;
  failed_ = true;
  error_ = message.empty() ? std::string("unknown error") : std::move(message);
}

Agreement::Slot& Agreement::add(Kind kind, long long value) {
  if (count_ == slots_.size()) slots_.emplace_back();
  Slot& s = slots_[count_++];
  s.kind = kind;
  s.value = value;
  s.low = s.high = 0;
  s.what.clear();
  return s;
}

int Agreement::sum(long long value) {
  add(Kind::sum, value);
  return int(count_) - 1;
}

int Agreement::max(double value) {
  add(Kind::max, std::bit_cast<long long>(value));
  return int(count_) - 1;
}

int Agreement::same(long long value, std::string what) {
  add(Kind::same, value).what = std::move(what);
  return int(count_) - 1;
}

int Agreement::same(long long value, const char* what) {
  add(Kind::same, value).what.assign(what ? what : "");
  return int(count_) - 1;
}

void Agreement::clear() {
  count_ = 0;
  error_.clear();
  failed_ = agreed_ = false;
}

void Agreement::agree(MPI_Comm comm) {
  agreed_ = false;
  const Reduction& red = reduction(comm);
  const int me = comm_rank(comm);

  const size_t n = count_;
  LayoutHash layout;
  for (size_t i = 0; i < n; ++i) {
    layout.add((unsigned char)slots_[i].kind);
    if (slots_[i].kind == Kind::same) layout.add(slots_[i].what);
  }
  auto cell_of = [](const Slot& s) -> Cell {
    switch (s.kind) {
    case Kind::sum:
      return {s.value, 0, cell_sum, 0};
    case Kind::max:
      return {s.value, 0, cell_max, 0};
    case Kind::same:
      break;
    }
    return range_cell(s.value);
  };
  auto take = [](Slot& s, const Cell& c) {
    s.low = c.a;
    s.high = c.b;
  };

  constexpr int cells = header_cells + inline_slots;
  std::array<Cell, cells> in{}, out{};
  in[failed_rank_cell] = {failed_ ? me : nobody, 0, cell_lowest, 0};
  in[slot_count_cell] = range_cell(int64_t(n));
  in[layout_cell] = range_cell(std::bit_cast<int64_t>(layout.h));
  const int first = std::min(int(n), inline_slots);
  for (int i = 0; i < first; ++i) in[size_t(header_cells + i)] = cell_of(slots_[size_t(i)]);
  LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(in.data(), out.data(), cells, red.cell, red.op, comm));

  // 1. A failure: the lowest failing rank tells everyone why.
  const int64_t failed_rank = out[failed_rank_cell].a;
  if (failed_rank != nobody) {
    std::string message = failed_rank == me ? error_ : std::string();
    broadcast_string(message, comm, int(failed_rank));
    throw Error(comm_size(comm) > 1 ? "rank " + std::to_string(failed_rank) + ": " + message : message);
  }
  // 2. The layout: every rank must have added the same slots.
  const Cell& count = out[slot_count_cell];
  bool conflict = out[layout_cell].a != out[layout_cell].b;
  for (const Cell& c : out) conflict = conflict || c.kind == cell_conflict;
  if (count.a != count.b)
    throw Error("mpi::Agreement: ranks added different numbers of slots (" + std::to_string(count.a) + " to " +
                std::to_string(count.b) + ")");
  if (conflict)
    throw Error("mpi::Agreement: ranks added " + std::to_string(count.a) +
                " slots each, but of different kinds, order or names");
  for (int i = 0; i < first; ++i) take(slots_[size_t(i)], out[size_t(header_cells + i)]);
  // Slots beyond the inline ones: their count is now known to match, so one more reduction.
  if (int(n) > inline_slots) {
    const size_t rest = n - size_t(inline_slots);
    std::vector<Cell> more_in(rest), more_out(rest);
    for (size_t i = 0; i < rest; ++i) more_in[i] = cell_of(slots_[size_t(inline_slots) + i]);
    LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(more_in.data(), more_out.data(), int(rest), red.cell, red.op, comm));
    for (size_t i = 0; i < rest; ++i) {
      if (more_out[i].kind == cell_conflict)
        throw Error("mpi::Agreement: ranks added " + std::to_string(count.a) +
                    " slots each, but of different kinds, order or names");
      take(slots_[size_t(inline_slots) + i], more_out[i]);
    }
  }
  // 3. Values that must be alike.
  for (size_t i = 0; i < n; ++i)
    if (slots_[i].kind == Kind::same && slots_[i].low != slots_[i].high)
      throw Error(slots_[i].what + " differs across ranks");
  agreed_ = true;
}

const Agreement::Slot& Agreement::result(int slot, Kind kind) const {
  if (slot < 0 || slot >= int(count_) || slots_[size_t(slot)].kind != kind)
    throw Error("mpi::Agreement: slot " + std::to_string(slot) + " is not a " + (kind == Kind::sum ? "sum" : "max") +
                " slot");
  if (!agreed_) throw Error("mpi::Agreement: results read before agree() succeeded");
  return slots_[size_t(slot)];
}

long long Agreement::summed(int slot) const { return result(slot, Kind::sum).low; }

double Agreement::maximum(int slot) const { return std::bit_cast<double>(result(slot, Kind::max).low); }

void agree_on_errors(MPI_Comm comm, const std::string& local_error) {
  Agreement a;
  if (!local_error.empty()) a.fail(local_error);
  a.agree(comm);
}

} // namespace libindex::mpi
