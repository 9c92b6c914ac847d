#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what libindex needs from Debian 12's packages, and only what is missing (idempotent, quiet).
#   ./scripts/install-deps.sh                as root; LIBINDEX_WITH_BROWSER=0, LIBINDEX_WITH_SLURM=0 skip
#                                            those tests' packages, LIBINDEX_WITH_FUZZ=1 adds Clang's
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libtbb-dev libopenmpi-dev openmpi-bin
  libcli11-dev nlohmann-json3-dev
  libopenvdb-dev libboost-iostreams-dev libnanovdb-dev libnanovdb-tools libblosc-dev
  libwebsockets-dev libturbojpeg0-dev libpng-dev zlib1g-dev libbz2-dev libssl-dev
  libavcodec-dev libavformat-dev libswscale-dev # index-render --movie
  python3 python3-websocket clang-format
  gfortran # the Fortran in-situ module and example (tests/install_test.sh)
  teem-apps # NRRD files written by Teem's unu (io/tests/teem_files_test.cpp)
)
if [ "${LIBINDEX_WITH_BROWSER:-1}" = 1 ]; then packages+=(chromium nodejs npm); fi
# tests/slurm: a private local Slurm (scripts/slurm-local.sh); srun --mpi=pmix needs Slurm's PMIx plugin.
if [ "${LIBINDEX_WITH_SLURM:-1}" = 1 ]; then packages+=(slurmctld slurmd slurm-client munge); fi
# scripts/fuzz.sh: Clang 14 with libFuzzer and the sanitizer runtimes (-DLIBINDEX_FUZZ=ON).
if [ "${LIBINDEX_WITH_FUZZ:-0}" = 1 ]; then packages+=(clang-14 libclang-rt-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (the CI image has its own); accept any working one.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "[install] apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
