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
echo "1 passed, 0 failed"
