# SPDX-License-Identifier: Apache-2.0
# The optional parts of libindex: one CMake option each, resolved here to what this build has, and one
# macro of the same name in the generated libindex/config.h (cmake/config.h.in), 0 or 1:
#   LIBINDEX_WITH_CUDA     the CUDA backend (option and enable_language: the top-level CMakeLists.txt)
#   LIBINDEX_WITH_TBB      TBB threads for the CPU backend (no option: used when found; the full build needs it)
#   LIBINDEX_WITH_OPENVDB  io reads OpenVDB .vdb files
#   LIBINDEX_WITH_NANOVDB  io reads NanoVDB .nvdb files (header-only)
#   LIBINDEX_WITH_TLS      the viewer's server can speak https/wss (libwebsockets built with TLS)
#   LIBINDEX_WITH_MOVIE    index-render --movie encodes videos (FFmpeg's libavcodec/libavformat/libswscale)
# ON (the default) means "use it when found", OFF "never". From here on the variable of the same name
# holds the resolved ON/OFF (a normal variable over the cache option), so `if(LIBINDEX_WITH_X)`
# anywhere in the tree means "this build has X". The CPU's SIMD is the cache string LIBINDEX_CPU_SIMD
# (auto|avx512|avx2|off, cmake/cpu_simd.cmake), resolved to avx512|avx2|off and to the macro
# LIBINDEX_CPU_SIMD_WIDTH (16/8/1).
option(LIBINDEX_WITH_OPENVDB "Read OpenVDB files when OpenVDB is found (OFF: never)" ON)
option(LIBINDEX_WITH_NANOVDB "Read NanoVDB files when NanoVDB's headers are found (OFF: never)" ON)
option(LIBINDEX_WITH_TLS "Serve https/wss when libwebsockets was built with TLS (OFF: never)" ON)
option(LIBINDEX_WITH_MOVIE "Encode movies when FFmpeg's libraries are found (OFF: never)" ON)

# Resolves option `var` to ON when it is ON and `found`, else OFF, as a normal variable.
macro(libindex_resolve_feature var found)
  if(${var} AND ${found})
    set(${var} ON)
  else()
    set(${var} OFF)
  endif()
endmacro()

# CUDA: the top-level CMakeLists.txt enabled the language when the option is ON and nvcc was found.
libindex_resolve_feature(LIBINDEX_WITH_CUDA CMAKE_CUDA_COMPILER)

find_package(TBB QUIET)
set(LIBINDEX_WITH_TBB ON)
libindex_resolve_feature(LIBINDEX_WITH_TBB TBB_FOUND)

# io and streaming are not built with LIBINDEX_KERNELS_ONLY: their parts are off there.
set(_libindex_full_build ON)
if(LIBINDEX_KERNELS_ONLY)
  set(_libindex_full_build OFF)
endif()

# OpenVDB ships its Find module outside CMake's default path (Debian: libopenvdb-dev); its FindTBB
# reuses the TBB::tbb target found above. The module path is restored afterwards.
set(_openvdb_found OFF)
if(LIBINDEX_WITH_OPENVDB AND _libindex_full_build)
  set(_module_path ${CMAKE_MODULE_PATH})
  list(APPEND CMAKE_MODULE_PATH /usr/lib/x86_64-linux-gnu/cmake/OpenVDB)
  find_package(OpenVDB QUIET)
  set(CMAKE_MODULE_PATH ${_module_path})
  set(_openvdb_found ${OpenVDB_FOUND})
  if(NOT OpenVDB_FOUND)
    message(STATUS "libindex: OpenVDB not found (libopenvdb-dev); .vdb files will be refused with an error")
  endif()
endif()
libindex_resolve_feature(LIBINDEX_WITH_OPENVDB _openvdb_found)

# NanoVDB files are written uncompressed, ZIP- or Blosc-compressed (nanovdb_convert -z / -b): ZIP is
# read with zlib (always linked), Blosc when its library is found (libblosc-dev, through pkg-config;
# an imported target PkgConfig::BLOSC). LIBINDEX_NANOVDB_BLOSC says whether this build reads those.
set(_nanovdb_found OFF)
set(LIBINDEX_NANOVDB_BLOSC OFF)
if(LIBINDEX_WITH_NANOVDB AND _libindex_full_build)
  find_path(NANOVDB_INCLUDE_DIR nanovdb/NanoVDB.h)
  if(NANOVDB_INCLUDE_DIR)
    set(_nanovdb_found ON)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(BLOSC QUIET IMPORTED_TARGET blosc)
      if(BLOSC_FOUND)
        set(LIBINDEX_NANOVDB_BLOSC ON)
      endif()
    endif()
    if(NOT LIBINDEX_NANOVDB_BLOSC)
      message(STATUS "libindex: Blosc not found (libblosc-dev); Blosc-compressed NanoVDB files will be refused "
                     "with an error")
    endif()
  endif()
endif()
libindex_resolve_feature(LIBINDEX_WITH_NANOVDB _nanovdb_found)

# TLS is libwebsockets' (streaming/ links it): on when its lws_config.h says LWS_WITH_TLS.
set(_tls_found OFF)
if(LIBINDEX_WITH_TLS AND _libindex_full_build)
  find_package(libwebsockets CONFIG QUIET)
  if(TARGET websockets_shared)
    block(PROPAGATE _tls_found) # the CMAKE_REQUIRED_* settings stay inside
      include(CheckSymbolExists)
      get_target_property(_lws_includes websockets_shared INTERFACE_INCLUDE_DIRECTORIES)
      if(_lws_includes)
        list(APPEND CMAKE_REQUIRED_INCLUDES ${_lws_includes})
      endif()
      set(CMAKE_REQUIRED_QUIET ON)
      check_symbol_exists(LWS_WITH_TLS lws_config.h LIBINDEX_LWS_WITH_TLS)
      set(_tls_found ${LIBINDEX_LWS_WITH_TLS})
    endblock()
  endif()
endif()
libindex_resolve_feature(LIBINDEX_WITH_TLS _tls_found)

# Movies: FFmpeg's libraries from Debian (libavcodec-dev, libavformat-dev, libswscale-dev), through
# pkg-config; an imported target PkgConfig::LIBAV.
set(_movie_found OFF)
if(LIBINDEX_WITH_MOVIE AND _libindex_full_build)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(LIBAV QUIET IMPORTED_TARGET libavcodec libavformat libavutil libswscale)
    set(_movie_found ${LIBAV_FOUND})
  endif()
  if(NOT _movie_found)
    message(STATUS "libindex: FFmpeg libraries not found (libavcodec-dev libavformat-dev libswscale-dev); "
                   "index-render --movie will say so")
  endif()
endif()
libindex_resolve_feature(LIBINDEX_WITH_MOVIE _movie_found)

include(${CMAKE_CURRENT_LIST_DIR}/cpu_simd.cmake) # resolves LIBINDEX_CPU_SIMD and LIBINDEX_CPU_SIMD_WIDTH

configure_file(${CMAKE_CURRENT_LIST_DIR}/config.h.in ${CMAKE_BINARY_DIR}/generated/libindex/config.h @ONLY)
message(STATUS "libindex features: cuda=${LIBINDEX_WITH_CUDA} openvdb=${LIBINDEX_WITH_OPENVDB} "
               "nanovdb=${LIBINDEX_WITH_NANOVDB} (blosc=${LIBINDEX_NANOVDB_BLOSC}) tls=${LIBINDEX_WITH_TLS} simd=${LIBINDEX_CPU_SIMD} "
               "tbb=${LIBINDEX_WITH_TBB} movie=${LIBINDEX_WITH_MOVIE}")
