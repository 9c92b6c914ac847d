#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds libindex into ./build (Release). Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
grep -E "^-- (libindex|CUDA)" build-configure.log || true
cmake --build build -j"$(nproc)"
