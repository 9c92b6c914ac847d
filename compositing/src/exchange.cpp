// SPDX-License-Identifier: Apache-2.0
#include "exchange.h"

#include <algorithm>
#include <string>

#include "libindex/error.h"
#include "mpi_check.h"

namespace libindex::compositing::detail {

Round::~Round() {
  // Only an exception leaves sends active. A send cannot be recalled, so its buffer is leaked
  // rather than freed under MPI's feet.
  for (size_t i = 0; i < sends_.size(); ++i)
    if (sends_[i] != MPI_REQUEST_NULL) {
      MPI_Request_free(&sends_[i]);
      (void)outgoing_[i].data.release();
    }
}

int Round::expect(int source, const Rect& region) {
  incoming_.push_back({source, region, {}, 0, false});
  ++pending_;
  return int(incoming_.size()) - 1;
}

void Round::send(int dest, Buffer message) {
  ctx_.bytes_sent += (long long)message.size;
  outgoing_.push_back(std::move(message));
  sends_.push_back(MPI_REQUEST_NULL);
  const Buffer& b = outgoing_.back();
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Isend(b.data.get(), int(b.size), MPI_BYTE, dest, tag_, ctx_.comm, &sends_.back()));
}

void Round::take(MPI_Message& handle, const MPI_Status& status) {
  auto in = std::find_if(incoming_.begin(), incoming_.end(),
                         [&](const Incoming& i) { return i.source == status.MPI_SOURCE && !i.arrived; });
  if (in == incoming_.end())
    throw Error("compositing: unexpected message from rank " + std::to_string(status.MPI_SOURCE) + " (tag " +
                std::to_string(tag_) + ")");
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Get_count(&status, MPI_BYTE, &in->bytes));
  in->buffer = make_buffer(size_t(in->bytes));
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Mrecv(in->buffer.data.get(), in->bytes, MPI_BYTE, &handle, MPI_STATUS_IGNORE));
  in->arrived = true;
  ctx_.bytes_received += in->bytes;
  --pending_;
  arrived_.push_back(int(in - incoming_.begin()));
}

std::span<const int> Round::receive_some() {
  if (pending_ == 0) throw Error("compositing: internal error: waiting for a message none will send");
  arrived_.clear();
  // Any source: this round's tag on this call's own communicator reaches only the expected ones.
  MPI_Message handle;
  MPI_Status status;
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Mprobe(MPI_ANY_SOURCE, tag_, ctx_.comm, &handle, &status));
  take(handle, status);
  for (int more = 1; more && pending_ > 0;) {
    LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Improbe(MPI_ANY_SOURCE, tag_, ctx_.comm, &more, &handle, &status));
    if (more) take(handle, status);
  }
  return arrived_;
}

Message Round::message(int index) const {
  const Incoming& in = incoming_[size_t(index)];
  return parse(in.buffer.data.get(), size_t(in.bytes), in.region, ctx_.format);
}

void Round::finish() {
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Waitall(int(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE));
  outgoing_.clear();
  sends_.clear();
}

void composite_in_order(Context& ctx, Tile& tile, Round& round, std::span<const int> member_of, int me, int k) {
  std::vector<int> index_of(size_t(k), -1);
  for (size_t i = 0; i < member_of.size(); ++i) index_of[size_t(member_of[i])] = int(i);
  std::vector<Message> messages(static_cast<size_t>(k));
  std::vector<char> arrived(size_t(k), 0), done(size_t(k), 0);
  done[size_t(me)] = 1;
  int lo = me, hi = me, remaining = int(member_of.size());
  while (remaining > 0) {
    Rect grow;
    for (int i : round.receive_some()) {
      const int d = member_of[size_t(i)];
      messages[size_t(d)] = round.message(i);
      arrived[size_t(d)] = 1;
      grow = bounding(grow, messages[size_t(d)].header.tight);
    }
    // One growth for all that arrived together; a round of markers copies nothing.
    const Canvas canvas = tile.writable(grow);
    auto take = [&](int d, Blend mode) {
      blend(messages[size_t(d)], canvas, mode);
      messages[size_t(d)] = {};
      round.release(index_of[size_t(d)]);
      done[size_t(d)] = 1;
      --remaining;
    };
    if (ctx.op == Operator::max) {
      for (int d = 0; d < k; ++d)
        if (arrived[size_t(d)] && !done[size_t(d)]) take(d, Blend::max);
    } else {
      // A fixed sequence, not arrival order: all farther members first, then the nearer ones.
      // Any sequence of neighbours is correct; a fixed one makes every run round identically.
      while (hi < k - 1 && arrived[size_t(hi + 1)]) take(++hi, Blend::back);
      while (hi == k - 1 && lo > 0 && arrived[size_t(lo - 1)]) take(--lo, Blend::front);
    }
  }
}

void swap_round(Context& ctx, Tile& tile, std::span<const int> members, int me, int tag) {
  const int k = int(members.size());
  if (k <= 1) return;
  const Rect region = tile.region();
  const Rect mine = split(region, k, me);
  Round round(ctx, tag);
  std::vector<int> member_of;
  for (int i = 1; i < k; ++i) {
    const int d = (me + k - i) % k;
    member_of.push_back(d);
    round.expect(members[size_t(d)], mine);
  }
  // Start with the next member, not member 0, so the group's sends spread over its receivers.
  for (int i = 1; i < k; ++i) {
    const int d = (me + i) % k;
    round.send(members[size_t(d)], encode(tile, split(region, k, d), ctx.format));
  }
  tile.keep(mine);
  composite_in_order(ctx, tile, round, member_of, me, k);
  round.finish();
}

std::vector<int> fold(Context& ctx, Tile& tile, int m, int& group) {
  const int extra = ctx.size - m, pos = ctx.position;
  std::vector<int> leaders(static_cast<size_t>(m));
  for (int g = 0; g < m; ++g) leaders[size_t(g)] = ctx.order[size_t(g < extra ? 2 * g : g + extra)];
  if (pos >= 2 * extra) {
    group = pos - extra;
    return leaders;
  }
  Round round(ctx, fold_tag);
  if (pos % 2 == 1) {
    round.send(ctx.order[size_t(pos - 1)], encode(tile, tile.region(), ctx.format));
    round.finish();
    tile.clear();
    group = -1;
  } else {
    round.expect(ctx.order[size_t(pos + 1)], tile.region());
    const int member_of[1] = {1};
    composite_in_order(ctx, tile, round, member_of, 0, 2);
    group = pos / 2;
  }
  return leaders;
}

} // namespace libindex::compositing::detail
