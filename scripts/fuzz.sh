#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (tests/fuzz, -DLIBINDEX_FUZZ=ON, Clang, ASan + UBSan) in build-fuzz/ and
# runs each for N seconds, as many at once as there are cores. scripts/test.sh (and so CI) runs it
# for 30 s a target.
#
#   scripts/fuzz.sh [seconds] [target...]      default: 60 seconds, every target
#
# Needs clang-14 and libclang-rt-14-dev (LIBINDEX_WITH_FUZZ=1 scripts/install-deps.sh).
# Environment: CC / CXX (default clang-14 / clang++-14), BUILD_DIR (default build-fuzz), JOBS (build
# jobs, default nproc), FUZZ_PARALLEL (targets fuzzed at once, default nproc), FUZZ_FLAGS (more
# libFuzzer flags, e.g. "-jobs=4 -workers=4").
# Each target starts from its seeds (tests/fuzz/corpus/<target> and, for the binary formats, the
# seeds/<target> its build wrote from the real writers; both read only) and keeps what it finds in
# build-fuzz/corpus/<target>; a crash, leak, timeout or out-of-memory input is saved as
# tests/fuzz/crashers/<target>/<kind>-<sha1>. Replay one with `build-fuzz/tests/fuzz/<target> <file>`;
# once fixed, move it into the seed corpus so that `ctest -L fuzz` keeps it fixed. Exit status 1 when
# any target found something.
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_project_file fuzz_rpc_dispatcher fuzz_nrrd_header fuzz_nanovdb fuzz_openvdb fuzz_cmap
    fuzz_compositing_decoders)
fi
build=$(realpath -m "${BUILD_DIR:-build-fuzz}")
export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIBINDEX_FUZZ=ON -DLIBINDEX_WITH_CUDA=OFF \
  -DLIBINDEX_BUILD_TESTS=OFF -DLIBINDEX_BUILD_BENCHMARKS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]}"

# One target: fuzzes for `seconds` and leaves its exit status in $build/<target>.rc.
fuzz_one() {
  local t=$1 rc=0
  local crashers="$root/tests/fuzz/crashers/$t" corpus="$build/corpus/$t"
  mkdir -p "$crashers" "$corpus"
  # The first folder collects new inputs; the seed folders are only read.
  local seeds=()
  if [ -d "$root/tests/fuzz/corpus/$t" ]; then seeds+=("$root/tests/fuzz/corpus/$t"); fi
  if [ -d "$build/tests/fuzz/seeds/$t" ]; then seeds+=("$build/tests/fuzz/seeds/$t"); fi
  # shellcheck disable=SC2086
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$crashers/" ${FUZZ_FLAGS:-} "$corpus" "${seeds[@]}" >"$build/$t.log" 2>&1 ||
    rc=$?
  rmdir "$crashers" 2>/dev/null || true
  echo "$rc" >"$build/$t.rc"
}

# libFuzzer runs one process on one core: as many targets at once as there are cores
# (FUZZ_PARALLEL), each still fuzzing for `seconds`.
parallel=${FUZZ_PARALLEL:-$(nproc)}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  echo "[fuzz] $t for ${seconds}s"
  rm -f "$build/$t.rc"
  fuzz_one "$t" &
done
wait

found=0
for t in "${targets[@]}"; do
  echo "[fuzz] $t:"
  grep -E "^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix)" \
    "$build/$t.log" || true
  rc=$(cat "$build/$t.rc" 2>/dev/null || echo 1)
  if [ "$rc" -ne 0 ]; then
    found=1
    echo "[fuzz] $t: FOUND SOMETHING (exit $rc), see $build/$t.log and tests/fuzz/crashers/$t/"
  fi
done
exit $found
