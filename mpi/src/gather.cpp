// SPDX-License-Identifier: Apache-2.0
#include "libindex/mpi/gather.h"

#include <numeric>

#include "libindex/mpi/check.h"

namespace libindex::mpi {

std::vector<std::string> gather_strings(MPI_Comm comm, const std::string& mine, int root) {
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  const bool is_root = rank == root;
  const int length = int(mine.size());
  std::vector<int> lengths(is_root ? size_t(ranks) : 0);
  LIBINDEX_MPI_CHECK(comm, MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, root, comm));
  std::vector<int> offsets(lengths.size(), 0);
  if (is_root) std::exclusive_scan(lengths.begin(), lengths.end(), offsets.begin(), 0);
  std::string all(is_root ? size_t(offsets.back() + lengths.back()) : 0, '\0');
  LIBINDEX_MPI_CHECK(comm, MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                                       MPI_CHAR, root, comm));
  std::vector<std::string> out;
  for (size_t r = 0; r < lengths.size(); ++r) out.push_back(all.substr(size_t(offsets[r]), size_t(lengths[r])));
  return out;
}

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int length = 0;
  if (MPI_Get_processor_name(name, &length) != MPI_SUCCESS) return "?";
  return std::string(name, size_t(length));
}

} // namespace libindex::mpi
