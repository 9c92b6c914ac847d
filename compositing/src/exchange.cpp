// SPDX-License-Identifier: Apache-2.0
#include "exchange.h"

#include <algorithm>
#include <string>

#include "libindex/error.h"
#include "libindex/mpi/check.h"

namespace libindex::compositing::detail {

Round::Round(Context& ctx, int tag) : ctx_(ctx), s_(ctx.work->round), tag_(tag) {
  if (s_.in_use) throw Error("compositing: internal error: two rounds at once");
  s_.in_use = true;
  s_.sends.clear();
}

Round::~Round() {
  // Only an exception leaves sends active. A send cannot be recalled, so its buffer is leaked
  // rather than freed (or reused) under MPI's feet.
  for (size_t i = 0; i < s_.sends.size(); ++i)
    if (s_.sends[i] != MPI_REQUEST_NULL) {
      MPI_Request_free(&s_.sends[i]);
      s_.outgoing[i].storage.abandon();
    }
  s_.sends.clear();
  s_.in_use = false;
}

int Round::expect(int source, const Rect& region, size_t room) {
  if (expected_ == s_.incoming.size()) s_.incoming.emplace_back();
  RoundStorage::Incoming& in = s_.incoming[expected_];
  in.buffer.make_room(room ? room : dense_message_bytes(region.area(), region.height(), ctx_.format));
  in.source = source;
  in.region = region;
  in.bytes = 0;
  in.arrived = false;
  ++pending_;
  return int(expected_++);
}

Buffer& Round::next_message() {
  if (sent_ == s_.outgoing.size()) s_.outgoing.emplace_back();
  return s_.outgoing[sent_];
}

void Round::send(int dest) {
  const Buffer& b = s_.outgoing[sent_];
  ctx_.bytes_sent += (long long)b.size;
  s_.sends.push_back(MPI_REQUEST_NULL);
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Isend(b.data(), int(b.size), MPI_BYTE, dest, tag_, ctx_.comm, &s_.sends.back()));
  ++sent_;
}

void Round::take(MPI_Message& handle, const MPI_Status& status) {
  const auto first = s_.incoming.begin(), last = first + std::ptrdiff_t(expected_);
  auto in = std::find_if(first, last,
                         [&](const RoundStorage::Incoming& i) { return i.source == status.MPI_SOURCE && !i.arrived; });
  if (in == last)
    throw Error("compositing: unexpected message from rank " + std::to_string(status.MPI_SOURCE) + " (tag " +
                std::to_string(tag_) + ")");
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Get_count(&status, MPI_BYTE, &in->bytes));
  std::byte* bytes = in->buffer.resize(size_t(in->bytes));
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Mrecv(bytes, in->bytes, MPI_BYTE, &handle, MPI_STATUS_IGNORE));
  in->arrived = true;
  ctx_.bytes_received += in->bytes;
  --pending_;
  s_.arrived.push_back(int(in - first));
}

std::span<const int> Round::receive_some() {
  if (pending_ == 0) throw Error("compositing: internal error: waiting for a message none will send");
  s_.arrived.clear();
  s_.arrived.reserve(expected_); // how many arrive at once varies: size for all, so frames fit
  // Any source: this round's tag on the Compositor's own communicator reaches only the expected
  // ones (the frame's agreement keeps frames apart).
  MPI_Message handle;
  MPI_Status status;
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Mprobe(MPI_ANY_SOURCE, tag_, ctx_.comm, &handle, &status));
  take(handle, status);
  for (int more = 1; more && pending_ > 0;) {
    LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Improbe(MPI_ANY_SOURCE, tag_, ctx_.comm, &more, &handle, &status));
    if (more) take(handle, status);
  }
  return s_.arrived;
}

Message Round::message(int index) const {
  const RoundStorage::Incoming& in = s_.incoming[size_t(index)];
  return parse(in.buffer.data(), size_t(in.bytes), in.region, ctx_.format);
}

void Round::finish() {
  LIBINDEX_MPI_CHECK(ctx_.comm, MPI_Waitall(int(s_.sends.size()), s_.sends.data(), MPI_STATUSES_IGNORE));
  s_.sends.clear();
  sent_ = 0;
}

void composite_in_order(Context& ctx, Tile& tile, Round& round, std::span<const int> member_of, int me, int k) {
  Workspace& w = *ctx.work;
  std::vector<Message>& messages = w.messages;
  std::vector<char>& arrived = w.arrived;
  std::vector<char>& done = w.done;
  messages.assign(size_t(k), Message{});
  arrived.assign(size_t(k), 0);
  done.assign(size_t(k), 0);
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
  std::vector<int>& member_of = ctx.work->member_of;
  member_of.clear();
  for (int i = 1; i < k; ++i) {
    const int d = (me + k - i) % k;
    member_of.push_back(d);
    round.expect(members[size_t(d)], mine);
  }
  // Start with the next member, not member 0, so the group's sends spread over its receivers.
  for (int i = 1; i < k; ++i) {
    const int d = (me + i) % k;
    encode(tile, split(region, k, d), ctx.format, Walk::bounds, round.next_message(), ctx.work->chunk_counts);
    round.send(members[size_t(d)]);
  }
  tile.keep(mine);
  composite_in_order(ctx, tile, round, member_of, me, k);
  round.finish();
}

std::span<const int> fold(Context& ctx, Tile& tile, int m, int& group) {
  const int extra = ctx.size - m, pos = ctx.position;
  std::vector<int>& leaders = ctx.work->leaders;
  leaders.resize(size_t(m));
  for (int g = 0; g < m; ++g) leaders[size_t(g)] = ctx.order[size_t(g < extra ? 2 * g : g + extra)];
  if (pos >= 2 * extra) {
    group = pos - extra;
    return leaders;
  }
  Round round(ctx, fold_tag);
  if (pos % 2 == 1) {
    encode(tile, tile.region(), ctx.format, Walk::bounds, round.next_message(), ctx.work->chunk_counts);
    round.send(ctx.order[size_t(pos - 1)]);
    round.finish();
    tile.clear();
    group = -1;
  } else {
    round.expect(ctx.order[size_t(pos + 1)], tile.region());
    tile.make_room();
    const int member_of[1] = {1};
    composite_in_order(ctx, tile, round, member_of, 0, 2);
    group = pos / 2;
  }
  return leaders;
}

} // namespace libindex::compositing::detail
