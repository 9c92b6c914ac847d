// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Every MPI call of the session goes through one macro that throws Error with the call's text,
/// file:line, the rank and MPI's own error string (communicators use MPI_ERRORS_RETURN).
#include <mpi.h>

#include <string>

#include "libindex/error.h"

namespace libindex::detail {
[[noreturn]] inline void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0, rank = -1;
  MPI_Error_string(code, text, &length);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw Error(std::string(file) + ":" + std::to_string(line) + ": rank " + std::to_string(rank) + ": " + call +
              " failed: " + std::string(text, size_t(length)));
}
} // namespace libindex::detail

#define LIBINDEX_MPI_CHECK(call)                                                                           \
  do {                                                                                                     \
    const int libindex_mpi_status_ = (call);                                                               \
    if (libindex_mpi_status_ != MPI_SUCCESS)                                                               \
      ::libindex::detail::throw_mpi_error(libindex_mpi_status_, #call, __FILE__, __LINE__);               \
  } while (0)
