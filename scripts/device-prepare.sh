#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds here what scripts/device-check.sh runs on a lent GPU machine that has only the driver, and
# packs it into one folder (default .device/, which git ignores through .git/info/exclude):
# bin/ and lib/ (the kernel tests and benchmarks, with the libraries they load), mpi.tar.xz (Open
# MPI and the multi-rank tests, scripts/device-bundle.sh) and gray_scott built against the install.
# Then, in one device call carrying that folder:
#   PREBUILT=.device MPI_BUNDLE=.device/mpi.tar.xz scripts/device-check.sh
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
build=${BUILD_DIR:-build}
out=${1:-.device}
cmake --build "$build" -j "$(nproc)" --target kernels_cuda_test kernels_test kernels_bench distributed_test \
  session_backend_test insitu_test insitu_c_test frame_loop_test scene_render_test e2e_latency_bench
mkdir -p "$out/bin" "$out/lib"
case $out in /*) ;; *) grep -qx "/$out/" .git/info/exclude 2>/dev/null || echo "/$out/" >>.git/info/exclude ;; esac
cp "$build"/kernels/{kernels_cuda_test,kernels_test,kernels_bench} "$out/bin/"
scripts/device-bundle.sh --libs "$out/lib" "$out"/bin/*
prefix=$(mktemp -d) gs=$(mktemp -d)
trap 'rm -rf "$prefix" "$gs"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S examples/gray_scott -B "$gs" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$gs" -j "$(nproc)" >/dev/null
rm -f "$out/mpi.tar.xz"
scripts/device-bundle.sh "$out/mpi.tar.xz" "$build"/tests/{distributed_test,insitu_test,insitu_c_test,frame_loop_test} \
  "$build"/tests/scene_render_test "$build"/session/session_backend_test "$build"/bench/e2e_latency_bench "$gs/gray_scott"
# The binaries look for test data and the web page under the tree they were built in: device-check.sh
# links that path to wherever the tree lands on the device.
pwd >"$out/source_dir"
du -sh "$out"
