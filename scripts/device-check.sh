#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The first thing to run on a machine with a GPU (it needs only a compiler, CUDA, CMake and
# GoogleTest/benchmark): builds kernels/ alone, runs the CPU-vs-CUDA parity tests and the kernel
# tests, the GPU benchmarks, the multi-rank checks (below), then the parity tests once more under
# compute-sanitizer (memcheck): the order of what matters most if the machine's time runs out.
# Everything shares one deadline (DEADLINE_S, default 540 s from the start, inside one 600 s device
# call): each step's timeout is cut to the time left, and a step with under 20 s left is skipped
# and named, so a hang costs its own step, not the whole report.
# With MPI_BUNDLE (scripts/device-bundle.sh), also the multi-rank checks on the GPU: the session's
# backend, N ranks on the GPU against one on the CPU, in-situ GPU fields, end-to-end frame latency,
# and (when the bundle holds examples/gray_scott) the in-situ overhead on the GPU.
# Output goes to ${OUT:-/tmp/libindex-device} (logs, benchmark JSON), seven files at most.
#   scripts/device-check.sh                        # ~3-5 minutes on an H100/H200
#   PREBUILT=dir scripts/device-check.sh           # binaries built elsewhere (dir/bin, dir/lib; scripts/device-prepare.sh)
#   MPI_BUNDLE=mpi.tar.xz [SOURCE_LINK=/path/the/binaries/were/built/in] scripts/device-check.sh
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -uo pipefail
out=${OUT:-/tmp/libindex-device}
mkdir -p "$out"
deadline=$((SECONDS + ${DEADLINE_S:-540}))
status=0
# limited SECONDS COMMAND...: COMMAND with a timeout of SECONDS or the time left, whichever is less.
limited() {
  local want=$1 left=$((deadline - SECONDS - 5))
  shift
  if [ "$left" -lt 20 ]; then
    echo "SKIPPED (no time left before the deadline): $*"
    return 124
  fi
  timeout "$((want < left ? want : left))" "$@"
}
{ nvidia-smi --query-gpu=name,driver_version,memory.total,pci.bus_id,clocks.max.sm --format=csv || true
  lscpu | grep -E '^(Model name|CPU\(s\))' || true; } 2>&1 | tee "$out/gpu.txt"
# The sample programs' run-time compilers (NVRTC, nvJitLink) are loaded by name when a program
# first runs on the GPU: wherever this machine's CUDA keeps them.
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64:/usr/local/cuda/lib
ldconfig -p 2>/dev/null | grep -E 'libnvrtc\.so|libnvJitLink\.so' | head -4 | tee -a "$out/gpu.txt"
if [ -n "${PREBUILT:-}" ]; then
  bin=$PREBUILT/bin
  export LD_LIBRARY_PATH=$PREBUILT/lib:$LD_LIBRARY_PATH
  [ -z "${SOURCE_LINK:-}" ] && [ -f "$PREBUILT/source_dir" ] && SOURCE_LINK=$(cat "$PREBUILT/source_dir")
else
  bin=${BUILD_DIR:-build-kernels}/kernels
  cmake -S . -B "${BUILD_DIR:-build-kernels}" -DLIBINDEX_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
    ${CMAKE_ARGS:-} >"$out/configure.log" 2>&1 &&
    cmake --build "${BUILD_DIR:-build-kernels}" -j "$(nproc)" >"$out/build.log" 2>&1 ||
    { tail -40 "$out/configure.log" "$out/build.log"; exit 1; }
fi
# The sample-program tests in a process of their own: a fault in a kernel that has never run would
# leave the CUDA context broken for every test after it.
{
  s=0
  limited 150 "$bin/kernels_cuda_test" --gtest_filter='-*Program*' || s=1
  limited 90 "$bin/kernels_cuda_test" --gtest_filter='*Program*' || s=1
  exit $s
} 2>&1 | tee "$out/cuda_parity.log" || status=1
limited 90 "$bin/kernels_test" --gtest_brief=1 2>&1 | tail -15 | tee "$out/kernels_test.log" || status=1
if [ -x "$bin/kernels_bench" ]; then
  limited 150 "$bin/kernels_bench" --benchmark_filter="${BENCH_FILTER:-Cuda|BM_Cpu/|SkipGridBuild|BM_SampleProgram|BM_Mixed/}" --benchmark_min_time=0.2 \
    --benchmark_out="$out/gpu_bench.json" --benchmark_out_format=json 2>&1 | tee "$out/gpu_bench.txt"
fi
if [ -n "${MPI_BUNDLE:-}" ]; then
  # Unpacked at the paths Open MPI was built for: only on a machine that is given back afterwards.
  tar -xJf "$MPI_BUNDLE" -C / || status=1
  if [ -n "${SOURCE_LINK:-}" ] && [ ! -e "$SOURCE_LINK" ]; then mkdir -p "$(dirname "$SOURCE_LINK")" && ln -s "$PWD" "$SOURCE_LINK"; fi
  {
    # Debian's Open MPI and its libraries for these steps only: the steps above used this machine's.
    export PATH=/opt/libindex-run/bin:$PATH LD_LIBRARY_PATH=/opt/libindex-run/lib:$LD_LIBRARY_PATH
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 GTEST_COLOR=no
    export OMPI_MCA_btl_vader_single_copy_mechanism=none # no CMA in a VM or container
    mpi() { # mpi RANKS TIMEOUT BINARY ARGS...: one line of result, the whole output on failure
      local n=$1 t=$2
      shift 2
      echo "== mpirun -np $n $*"
      if ! limited "$t" mpirun -np "$n" "$@" >/tmp/mpi.out 2>&1; then
        grep -v "^\[ *\(RUN\|OK\) " /tmp/mpi.out | tail -150
        echo "FAILED: mpirun -np $n $*"
      else
        grep -E '^\[  (PASSED|SKIPPED|FAILED) |backend|^BM_|cuda \(|CUDA device' /tmp/mpi.out | sort -u | head -20
      fi
    }
    for n in 1 2 4; do mpi "$n" 60 session_backend_test; done
    for n in 1 2 4 8; do mpi "$n" 90 distributed_test --gtest_filter='*Gpu*'; done
    for n in 1 4; do mpi "$n" 120 insitu_test; done
    # The rest of the multi-rank suite where it was bundled: the automatic backend is CUDA here.
    for t in distributed_test frame_loop_test scene_render_test insitu_c_test; do
      command -v "$t" >/dev/null || continue
      for n in 1 3; do mpi "$n" 180 "$t"; done
    done
    for n in 1 2 4; do mpi "$n" 120 e2e_latency_bench --benchmark_color=false; done
    # In-situ overhead on the GPU (bench/gray_scott_overhead.md): no frames, synchronous, asynchronous.
    if command -v gray_scott >/dev/null; then
      for n in 1 2 4; do
        for args in "--viz-every 0" "--viz-every 10" "--viz-every 10 --async"; do
          echo "== mpirun -np $n gray_scott --size 128 --steps 200 --port 0 $args"
          # shellcheck disable=SC2086
          limited 120 mpirun -np "$n" gray_scott --size 128 --steps 200 --port 0 $args 2>&1 |
            grep -E '^gray_scott: (mean|[0-9]+ steps)|backend: ' || echo "FAILED: gray_scott -np $n $args"
        done
      done
    fi
  } 2>&1 | tee "$out/mpi.log"
  grep -q -E '^FAILED: |^SKIPPED \(no time' "$out/mpi.log" && status=1
fi
if command -v compute-sanitizer >/dev/null && [ -z "${NO_SANITIZER:-}" ]; then
  limited 180 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
    "$bin/kernels_cuda_test" --gtest_brief=1 >"$out/memcheck.log" 2>&1 || status=1
  tail -25 "$out/memcheck.log"
fi
echo "device check: $([ $status = 0 ] && echo passed || echo FAILED) in $SECONDS s; logs in $out"
exit $status
