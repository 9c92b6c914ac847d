// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Portability macros: one source compiled for the CPU and, under nvcc, for the GPU.
/// Nothing here includes CUDA headers; the macros only expand differently under `__CUDACC__`.

#if defined(__CUDACC__)
#define LIBINDEX_HOST_DEVICE __host__ __device__
#define LIBINDEX_DEVICE __device__
#define LIBINDEX_FORCEINLINE __forceinline__
#else
#define LIBINDEX_HOST_DEVICE
#define LIBINDEX_DEVICE
#define LIBINDEX_FORCEINLINE inline __attribute__((always_inline))
#endif

/// True while compiling device code (the second nvcc pass); use with `#if`, never `#ifdef`.
#if defined(__CUDA_ARCH__)
#define LIBINDEX_DEVICE_PASS 1
#else
#define LIBINDEX_DEVICE_PASS 0
#endif
