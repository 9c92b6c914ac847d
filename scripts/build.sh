#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds libindex into ./build (Release). Extra arguments go to CMake's configure step.
#   ./scripts/build.sh [-DOPTION=VALUE...]   e.g. -DLIBINDEX_WITH_CUDA=OFF
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
grep -E "^-- (libindex|CUDA)" build-configure.log || true
cmake --build build -j"$(nproc)"
