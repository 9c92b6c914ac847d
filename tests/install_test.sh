#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a temporary prefix, builds examples/render_from_code against it with
# find_package(libindex), and runs it on 2 ranks: the package must be complete for a simulation code.
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
# An example answers --help with its usage (exit 0) and a wrong argument with one line (exit 2).
check_arguments() { # PROGRAM WRONG_ARGUMENT...
  local program=$1 text rc=0
  shift
  text=$("$program" --help) && [[ "$text" == usage:* ]] || { echo "FAIL: $program --help: $text"; exit 1; }
  text=$("$program" "$@" 2>&1 >/dev/null) || rc=$?
  [[ $rc == 2 && "$text" == *"error: "* && $(wc -l <<<"$text") == 1 ]] ||
    { echo "FAIL: $program $*: exit $rc, $text"; exit 1; }
}
# What is installed: the scenes without their ignored data/ (generated and downloaded volumes), and
# libraries named libindex*.a, not liblibindex_*.a.
[ -f "$prefix/share/libindex/scenes/default.prj" ] && [ ! -e "$prefix/share/libindex/scenes/data" ] &&
  [ ! -e "$prefix/share/libindex/scenes/.gitignore" ] || { echo "FAIL: installed scenes: $(ls -A "$prefix/share/libindex/scenes")"; exit 1; }
libraries=$(cd "$prefix/lib" && ls ./*.a)
if grep -q liblibindex <<<"$libraries"; then echo "FAIL: library names: $libraries"; exit 1; fi
cmake -S "$source/examples/render_from_code" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work" -j2 >/dev/null
check_arguments "$work/render_from_code" a.png b.png
out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "$work/render_from_code" "$work/out.png")
echo "$out"
[[ "$out" == "rendered 256x192 on 2 ranks, "*" samples -> $work/out.png" ]] && [ -s "$work/out.png" ]
# A code built with make: pkg-config gives the flags, the MPI wrapper the rest.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
mpicxx -std=c++20 -O1 "$source/examples/insitu_minimal/main.cpp" $(pkg-config --cflags --libs libindex) \
  -o "$work/insitu_minimal"
check_arguments "$work/insitu_minimal" 3x
out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 3 --oversubscribe "$work/insitu_minimal" 3 2>&1)
echo "$out"
[[ "$out" == *"in situ: 3 steps on 3 ranks, 3 frames, 0 failures"* ]]
passed=2
# The same from C through libindex/insitu_c.h, built with mpicc.
# shellcheck disable=SC2046
mpicc -std=c99 -O1 "$source/examples/insitu_c/main.c" $(pkg-config --cflags --libs libindex) -o "$work/insitu_c"
check_arguments "$work/insitu_c" -1
out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "$work/insitu_c" 3 2>&1)
echo "$out"
[[ "$out" == *"in situ (C): 3 steps on 2 ranks, 3 frames, 0 failures"* ]]
passed=$((passed + 1))
# And from Fortran: the installed module source compiled with the code, when there is a Fortran compiler.
mpif90=${MPIF90:-mpif90}
if command -v "$mpif90" >/dev/null && "$mpif90" --version >/dev/null 2>&1; then
  "$mpif90" -O1 -J"$work" -c "$(pkg-config --variable=includedir libindex)/libindex/libindex_insitu.f90" -o "$work/libindex_insitu.o"
  # shellcheck disable=SC2046
  "$mpif90" -O1 -I"$work" "$source/examples/insitu_fortran/main.f90" "$work/libindex_insitu.o" \
    $(pkg-config --cflags --libs libindex) -o "$work/insitu_fortran"
  check_arguments "$work/insitu_fortran" three
  out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "$work/insitu_fortran" 2>&1)
  echo "$out"
  [[ "$out" == *"in situ (Fortran): 3 steps on 2 ranks, 0 failures"* ]]
  passed=$((passed + 1))
else
  echo "skipped the Fortran example: no working $mpif90 (install gfortran)"
fi
echo "$passed passed, 0 failed"
