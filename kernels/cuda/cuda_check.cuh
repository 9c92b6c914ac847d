// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file One macro checks every CUDA call, in every build type: it throws libindex::Error carrying the
/// call's text, file:line and CUDA's error string.
#include <cuda_runtime.h>

#include <string>

#include "libindex/error.h"

#define LIBINDEX_CUDA_CHECK(call)                                                                                      \
  do {                                                                                                                 \
    const cudaError_t libindex_cuda_status_ = (call);                                                                  \
    if (libindex_cuda_status_ != cudaSuccess)                                                                          \
      throw ::libindex::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) +                                 \
                              ": " #call " failed: " + cudaGetErrorString(libindex_cuda_status_));                     \
  } while (0)
