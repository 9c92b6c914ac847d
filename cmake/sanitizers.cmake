# SPDX-License-Identifier: Apache-2.0
# Sanitizers and fuzzing (docs/security.md, "Fuzzing and sanitizers").
#
#   -DLIBINDEX_SANITIZE=address,undefined   every libindex target (libraries, tests, apps, benchmarks)
#                                           compiled and linked with -fsanitize=<list>
#                                           -fno-omit-frame-pointer -fno-sanitize-recover=all, so the
#                                           unit and MPI tests run under ASan + UBSan (GCC or Clang)
#   -DLIBINDEX_FUZZ=ON                      also builds the libFuzzer targets of tests/fuzz (Clang only);
#                                           the libraries get -fsanitize=fuzzer-no-link (coverage) and
#                                           LIBINDEX_SANITIZE defaults to address,undefined
#
# The flags go on each target of this project (not on imported ones: GoogleTest, MPI, TBB stay as
# installed) once every folder has been read: this file defers that to the end of the top-level
# CMakeLists.txt. Every executable also gets cmake/sanitizer_defaults.cpp.in: the runtime options and
# leak suppressions (Open MPI's and its plugins' allocations at MPI_Init) that make the MPI tests
# usable under ASan without any environment variable.
set(LIBINDEX_SANITIZE "" CACHE STRING "Sanitizers for every libindex target, e.g. address,undefined (empty: none)")
option(LIBINDEX_FUZZ "Build the libFuzzer targets in tests/fuzz (Clang only)" OFF)

set(LIBINDEX_SANITIZERS "${LIBINDEX_SANITIZE}") # resolved below; empty: none
if(LIBINDEX_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LIBINDEX_FUZZ needs Clang (libFuzzer): configure with CC=clang-14 CXX=clang++-14 "
                        "(got ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER})")
  endif()
  if(LIBINDEX_SANITIZERS STREQUAL "")
    set(LIBINDEX_SANITIZERS "address,undefined")
  endif()
endif()

if(NOT LIBINDEX_SANITIZERS STREQUAL "")
  set(_libindex_san_compile -fsanitize=${LIBINDEX_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  set(_libindex_san_link -fsanitize=${LIBINDEX_SANITIZERS} -fno-sanitize-recover=all)
  # nvcc hands -Xcompiler values to the host compiler split at commas: one sanitizer each.
  string(REPLACE "," ";" _libindex_san_list "${LIBINDEX_SANITIZERS}")
  set(_libindex_san_link_cuda -Xcompiler=-fno-sanitize-recover=all)
  foreach(s IN LISTS _libindex_san_list)
    list(APPEND _libindex_san_link_cuda -Xcompiler=-fsanitize=${s})
  endforeach()
  if(LIBINDEX_FUZZ)
    list(APPEND _libindex_san_compile -fsanitize=fuzzer-no-link)
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang") # third-party headers' known findings, each with why
    list(APPEND _libindex_san_compile -fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/sanitizer_ignorelist.txt)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized reports false positives under -fsanitize (in libstdc++'s <regex>).
    list(APPEND _libindex_san_compile -Wno-maybe-uninitialized)
  endif()
  # CUDA's runtime maps memory where ASan keeps its shadow gap: protect_shadow_gap=0 with CUDA.
  set(LIBINDEX_SANITIZE_CUDA 0)
  if(LIBINDEX_WITH_CUDA)
    set(LIBINDEX_SANITIZE_CUDA 1)
  endif()
  set(_libindex_san_defaults ${PROJECT_BINARY_DIR}/sanitizer_defaults.cpp)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cpp.in ${_libindex_san_defaults} @ONLY)
  if(LIBINDEX_FUZZ)
    message(STATUS "libindex: sanitizers ${LIBINDEX_SANITIZERS}, libFuzzer targets in tests/fuzz")
  else()
    message(STATUS "libindex: sanitizers ${LIBINDEX_SANITIZERS}")
  endif()

  # Adds the flags to every target defined in `dir` and below.
  function(_libindex_sanitize_directory dir)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
        continue()
      endif()
      get_target_property(plain ${t} LIBINDEX_NOT_SANITIZED) # a tool that links no instrumented library
      if(plain)
        continue()
      endif()
      # C and C++ only: nvcc does not take these flags (host code in .cu files stays uninstrumented).
      target_compile_options(${t} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:${_libindex_san_compile}>")
      if(type MATCHES "^(SHARED_LIBRARY|MODULE_LIBRARY|EXECUTABLE)$")
        target_link_options(${t} PRIVATE "$<$<LINK_LANGUAGE:C,CXX>:${_libindex_san_link}>")
        target_link_options(${t} PRIVATE "$<$<LINK_LANGUAGE:CUDA>:${_libindex_san_link_cuda}>")
      endif()
      if(type STREQUAL "EXECUTABLE")
        target_sources(${t} PRIVATE ${_libindex_san_defaults})
      endif()
    endforeach()
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(d IN LISTS subdirs)
      _libindex_sanitize_directory(${d})
    endforeach()
  endfunction()

  function(_libindex_sanitize_all)
    _libindex_sanitize_directory(${PROJECT_SOURCE_DIR})
  endfunction()
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _libindex_sanitize_all)
endif()
