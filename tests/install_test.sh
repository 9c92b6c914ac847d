#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a temporary prefix, builds examples/render_from_code against it with
# find_package(libindex), and runs it on 2 ranks: the package must be complete for a simulation code.
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$source/examples/render_from_code" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work" -j2 >/dev/null
out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "$work/render_from_code" "$work/out.png")
echo "$out"
[[ "$out" == "rendered 256x192 on 2 ranks, "*" samples -> $work/out.png" ]] && [ -s "$work/out.png" ]
# A code built with make: pkg-config gives the flags, the MPI wrapper the rest.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
mpicxx -std=c++20 -O1 "$source/examples/insitu_minimal/main.cpp" $(pkg-config --cflags --libs libindex) \
  -o "$work/insitu_minimal"
out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 3 --oversubscribe "$work/insitu_minimal" 3 2>&1)
echo "$out"
[[ "$out" == *"in situ: 3 steps on 3 ranks, 3 frames, 0 failures"* ]]
echo "2 passed, 0 failed"
