// SPDX-License-Identifier: Apache-2.0
#include "op_channel.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "libindex/error.h"
#include "libindex/mpi/check.h"

namespace libindex {

namespace {
constexpr size_t kLengthBytes = sizeof(uint64_t);
}

void OpChannel::send(const Op& op) {
  const std::vector<uint8_t> bytes = encode(op);
  const uint64_t n = bytes.size();
  std::memcpy(block_.data(), &n, kLengthBytes);
  const size_t first = std::min<size_t>(n, kBlockBytes - kLengthBytes);
  std::memcpy(block_.data() + kLengthBytes, bytes.data(), first);
  MPI_Request request;
  LIBINDEX_MPI_CHECK(comm_, MPI_Ibcast(block_.data(), int(kBlockBytes), MPI_BYTE, 0, comm_, &request));
  LIBINDEX_MPI_CHECK(comm_, MPI_Wait(&request, MPI_STATUS_IGNORE));
  ++broadcasts_;
  if (n > first) {
    std::vector<uint8_t> rest(bytes.begin() + long(first), bytes.end());
    LIBINDEX_MPI_CHECK(comm_, MPI_Bcast(rest.data(), int(rest.size()), MPI_BYTE, 0, comm_));
    ++broadcasts_;
  }
}

Op OpChannel::receive() {
  MPI_Request request;
  LIBINDEX_MPI_CHECK(comm_, MPI_Ibcast(block_.data(), int(kBlockBytes), MPI_BYTE, 0, comm_, &request));
  // Test, then sleep a little longer each time: an op that follows another at once (a frame loop
  // under interaction) costs microseconds, an idle session a few hundred wake-ups a second.
  std::chrono::microseconds sleep{20};
  for (;;) {
    int done = 0;
    LIBINDEX_MPI_CHECK(comm_, MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) break;
    std::this_thread::sleep_for(sleep);
    sleep = std::min(kMaxSleep, sleep * 2);
  }
  ++broadcasts_;
  uint64_t n = 0;
  std::memcpy(&n, block_.data(), kLengthBytes);
  const size_t first = std::min<size_t>(n, kBlockBytes - kLengthBytes);
  std::vector<uint8_t> bytes(block_.begin() + kLengthBytes, block_.begin() + long(kLengthBytes + first));
  if (n > first) {
    if (n > (uint64_t(1) << 31)) throw Error("frame op: length " + std::to_string(n) + " is not an op");
    bytes.resize(n);
    LIBINDEX_MPI_CHECK(comm_, MPI_Bcast(bytes.data() + first, int(n - first), MPI_BYTE, 0, comm_));
    ++broadcasts_;
  }
  return decode(bytes);
}

} // namespace libindex
