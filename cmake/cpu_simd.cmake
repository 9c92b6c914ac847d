# SPDX-License-Identifier: Apache-2.0
# LIBINDEX_CPU_SIMD picks the instruction set of the CPU's ray packets (kernels/cpu/packet_march.cpp):
# auto (default) is the build host's best, as HPC codes such as GROMACS choose their SIMD; avx512 and
# avx2 force one; off marches one ray at a time. A binary run on a CPU without the chosen set falls
# back to one ray at a time (the backend asks the CPU first).
set(LIBINDEX_CPU_SIMD "auto" CACHE STRING "SIMD of the CPU ray packets: auto, avx512, avx2, off")
set_property(CACHE LIBINDEX_CPU_SIMD PROPERTY STRINGS auto avx512 avx2 off)
if(NOT LIBINDEX_CPU_SIMD MATCHES "^(auto|avx512|avx2|off)$")
  message(FATAL_ERROR "LIBINDEX_CPU_SIMD is '${LIBINDEX_CPU_SIMD}': expected auto, avx512, avx2 or off")
endif()

# GCC 12 warns about the undefined operands inside its own AVX-512 intrinsics (GCC bug 105593).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  set(_gcc12_avx512 -Wno-maybe-uninitialized -Wno-uninitialized)
endif()

function(libindex_cpu_simd_flags isa out)
  if(isa STREQUAL "avx512")
    set(${out} -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 ${_gcc12_avx512} PARENT_SCOPE)
  elseif(isa STREQUAL "avx2")
    set(${out} -mavx2 PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

if(LIBINDEX_CPU_SIMD STREQUAL "auto" AND NOT DEFINED CACHE{LIBINDEX_CPU_SIMD_DETECTED})
  set(_probe ${CMAKE_BINARY_DIR}/CMakeFiles/cpu_simd_probe.cpp)
  file(WRITE ${_probe} [=[
#include <cstdio>
int main() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) std::puts("avx512");
  else if (__builtin_cpu_supports("avx2")) std::puts("avx2");
  else std::puts("off");
}
]=])
  try_run(_run _compiled ${CMAKE_BINARY_DIR}/cpu_simd_probe ${_probe} RUN_OUTPUT_VARIABLE _isa)
  string(STRIP "${_isa}" _isa)
  if(NOT _compiled OR NOT _isa MATCHES "^(avx512|avx2|off)$")
    set(_isa off)
  endif()
  set(LIBINDEX_CPU_SIMD_DETECTED ${_isa} CACHE INTERNAL "the build host's best SIMD for ray packets")
endif()
if(LIBINDEX_CPU_SIMD STREQUAL "auto")
  set(LIBINDEX_CPU_SIMD ${LIBINDEX_CPU_SIMD_DETECTED})
endif()
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(LIBINDEX_CPU_SIMD off)
endif()
# The lanes of a packet, for config.h's LIBINDEX_CPU_SIMD_WIDTH (1: one ray at a time).
if(LIBINDEX_CPU_SIMD STREQUAL "avx512")
  set(LIBINDEX_CPU_SIMD_WIDTH 16)
elseif(LIBINDEX_CPU_SIMD STREQUAL "avx2")
  set(LIBINDEX_CPU_SIMD_WIDTH 8)
else()
  set(LIBINDEX_CPU_SIMD_WIDTH 1)
endif()
