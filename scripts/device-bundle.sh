#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Packs what the multi-rank checks need on a bare GPU machine that has CUDA's driver but no MPI and
# none of our libraries: Open MPI and PMIx as Debian installed them here (unpacked at the same
# paths there), the given binaries, and every shared library they and Open MPI's plugins load,
# except the C and C++ runtimes (the target's are newer). scripts/device-check.sh unpacks it.
#   scripts/device-bundle.sh OUT.tar.xz BINARY...
set -euo pipefail
out=$1
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/opt/libindex-run/bin" "$stage/opt/libindex-run/lib"
dpkg -L openmpi-bin libopenmpi3 openmpi-common libpmix2 | grep -v -E '/share/(doc|man|lintian)/' |
  while read -r f; do [ -f "$f" ] || [ -L "$f" ] && echo "${f#/}"; done >"$stage/files"
tar -C / -cf - -T "$stage/files" | tar -C "$stage" -xf -
cp "$@" "$stage/opt/libindex-run/bin/"
ln -s /usr/bin/orterun "$stage/opt/libindex-run/bin/mpirun"
# Every ELF file here, the plugins included, and what each loads.
find "$stage" -type f \( -name '*.so*' -o -perm -u+x \) -exec sh -c 'file -b "$1" | grep -q ELF && ldd "$1"' _ {} \; 2>/dev/null |
  awk '/=> \//{print $3}' | sort -u |
  grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libgcc_s|libstdc\+\+)\.so' |
  while read -r lib; do
    [ -e "$stage$lib" ] || cp -L "$lib" "$stage/opt/libindex-run/lib/"
  done
tar -C "$stage" -cJf "$out" .
du -h "$out"
