#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The first thing to run on a machine with a GPU (it needs only a compiler, CUDA, CMake and
# GoogleTest/benchmark): builds kernels/ alone, runs the CPU-vs-CUDA parity tests and the kernel
# tests, then the GPU benchmarks. Output goes to ${OUT:-/tmp/libindex-device} (logs, benchmark JSON).
#   scripts/device-check.sh            # ~3-5 minutes on an H100/H200
set -uo pipefail
out=${OUT:-/tmp/libindex-device}
build=${BUILD_DIR:-build-kernels}
mkdir -p "$out"
{ nvidia-smi --query-gpu=name,driver_version,memory.total,pci.bus_id --format=csv || true; } | tee "$out/gpu.txt"
cmake -S . -B "$build" -DLIBINDEX_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release >"$out/configure.log" 2>&1 &&
  cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
status=0
"$build/kernels/kernels_cuda_test" 2>&1 | tee "$out/cuda_parity.log" || status=1
"$build/kernels/kernels_test" --gtest_brief=1 2>&1 | tail -5 | tee "$out/kernels_test.log" || status=1
if [ -x "$build/kernels/kernels_bench" ]; then
  "$build/kernels/kernels_bench" --benchmark_filter='Cuda' --benchmark_min_time=0.2 \
    --benchmark_out="$out/gpu_bench.json" --benchmark_out_format=json 2>&1 | tee "$out/gpu_bench.txt"
fi
echo "device check: $([ $status = 0 ] && echo passed || echo FAILED); logs in $out"
exit $status
