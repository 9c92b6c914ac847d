#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs every test (unit, MPI at several rank counts, browser),
# then 30 s of fuzzing per libFuzzer target (FUZZ_SECONDS; CI keeps the whole run well under 30 minutes).
#   ./scripts/test.sh                        as root on Debian 12; FUZZ_SECONDS=0: no fuzzing
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
# Clang and libFuzzer too: every fuzz target runs for 30 s after the tests (FUZZ_SECONDS=0: none).
LIBINDEX_WITH_FUZZ=1 ./scripts/install-deps.sh
./scripts/build.sh
# playwright-core drives Debian's Chromium in the browser test (no browser download).
if command -v npm >/dev/null; then
  (cd tests/browser && npm install --no-audit --no-fund --silent >/dev/null) || echo "[test] npm install failed: the browser test will fail"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
(cd build && ctest --output-on-failure --timeout 600 -j1)
# ASan + UBSan builds of the libFuzzer targets, each fed its seed corpus (every past finding among
# them) and then fuzzed; a crash, leak or hang fails the run and is saved in tests/fuzz/crashers/.
if [ "${FUZZ_SECONDS:-30}" -gt 0 ]; then
  BUILD_DIR=build-fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
