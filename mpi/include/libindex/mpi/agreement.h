// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What all ranks of a communicator must agree on, in one collective. A frame of the
/// distributed renderer gathers everything its ranks must settle before going on (did any rank
/// fail? are the arguments alike everywhere? sums and maxima of counters) into one Agreement and
/// settles it with a single MPI_Allreduce, instead of one collective per question.

#include <mpi.h>

#include <string>
#include <vector>

namespace libindex::mpi {

/// Broadcasts a string from `root` to every rank of comm (two MPI_Bcast: the length, then the
/// bytes when there are any). Collective.
void broadcast_string(std::string& text, MPI_Comm comm, int root = 0);

/// The per-frame agreement of all ranks of a communicator. Each rank adds the same slots in the
/// same order (sum, max, same), records its failure if it has one (fail), then every rank calls
/// agree(): one MPI_Allreduce with a user-defined reduction settles all of it. After agree()
/// returns, summed() and maximum() hold the same results on every rank; when it throws, it throws
/// on every rank alike, so no rank is left waiting in a later collective.
///
/// What agree() checks, in this order, each making every rank throw libindex::Error:
///  1. a failure: the lowest failing rank broadcasts its message, every rank throws
///     "rank R: message" ("message" alone on a communicator of one rank). A failing rank may
///     have added fewer slots than the others (it may bail out early): that is not reported.
///  2. the slot layout: the ranks added different slots (count, kinds, order, or `what` of a
///     same() slot differ): "mpi::Agreement: ...", naming the counts.
///  3. same() values: the first slot (in order) whose value differs throws "<what> differs
///     across ranks".
///
/// Cost: exactly one MPI_Allreduce of inline_slots + 3 cells of 24 bytes when nobody failed and
/// at most `inline_slots` slots were added; one more MPI_Allreduce for the slots beyond that, and
/// two MPI_Bcast (the message) when a rank failed. Results are exact: sums are of 64-bit integers
/// (two's complement wrap-around, as unsigned arithmetic), maxima of doubles (a NaN anywhere
/// gives NaN; +0 beats -0), so every rank gets identical bits whatever order MPI combines in.
///
/// The reduction (an MPI_Op and a 24-byte MPI datatype) is created once per process on the first
/// agree() and freed inside MPI_Finalize, by the delete callback of an attribute on
/// MPI_COMM_SELF (MPI deletes those first thing in MPI_Finalize). Not thread-safe: one Agreement
/// per thread, and MPI's own threading rules apply to agree().
class Agreement {
 public:
  /// Slots carried by the first (usually the only) MPI_Allreduce.
  static constexpr int inline_slots = 29;

  /// This rank failed; the first message is kept (an empty one reads "unknown error").
  void fail(std::string message);
  /// Whether fail() was called on this rank.
  bool failed() const { return failed_; }
  /// Adds a slot whose result is the sum of `value` over the ranks; returns the slot.
  int sum(long long value);
  /// Adds a slot whose result is the maximum of `value` over the ranks; returns the slot.
  int max(double value);
  /// Adds a slot that must hold the same `value` on every rank; `what` names it in the error
  /// ("compositing: image width" gives "compositing: image width differs across ranks").
  int same(long long value, std::string what);
  /// The same with a C string, copied into storage the Agreement keeps across clear(): a frame
  /// loop that adds the same slots every frame then allocates nothing.
  int same(long long value, const char* what);

  /// Collective over comm: settles every slot and every failure (see the class comment). Each
  /// rank of comm must call it. Throws libindex::Error on every rank alike.
  void agree(MPI_Comm comm);

  /// The sum over the ranks of a sum() slot, after agree().
  long long summed(int slot) const;
  /// The maximum over the ranks of a max() slot, after agree().
  double maximum(int slot) const;
  /// Slots added so far.
  int slots() const { return int(count_); }
  /// Forgets slots, failure and results, keeping its storage: one Agreement can serve every frame.
  void clear();

 private:
  enum class Kind : int { sum = 1, max = 2, same = 3 };
  struct Slot {
    Kind kind = Kind::sum;
    long long value = 0;         ///< this rank's value (a max(): the double's bits)
    long long low = 0, high = 0; ///< after agree(): sum in low; max's bits in low; same's min and max
    std::string what;            ///< same() only
  };
  Slot& add(Kind kind, long long value);
  const Slot& result(int slot, Kind kind) const;

  std::vector<Slot> slots_; ///< the first count_ are in use; the rest keep their storage
  size_t count_ = 0;
  std::string error_;
  bool failed_ = false;
  bool agreed_ = false;
};

/// An Agreement with just fail(): every rank passes its local error message ("" = fine). If any
/// rank failed, every rank throws Error("rank R: message") for the lowest failing rank
/// ("message" alone on one rank). One MPI_Allreduce when nobody failed. Collective.
void agree_on_errors(MPI_Comm comm, const std::string& local_error);

} // namespace libindex::mpi
