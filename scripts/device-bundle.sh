#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Packs what the multi-rank checks need on a bare GPU machine that has CUDA's driver but no MPI and
# none of our libraries: Open MPI and PMIx as Debian installed them here (unpacked at the same
# paths there), the given binaries, and every shared library they and Open MPI's plugins load,
# except the C and C++ runtimes (the target's are newer). scripts/device-check.sh unpacks it.
#   scripts/device-bundle.sh OUT.tar.xz BINARY...
#   scripts/device-bundle.sh --libs DIR FILE...   # only copy the libraries FILEs load into DIR
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail

# copy_libraries DIR FILE...: the shared libraries the ELF files among FILEs load, into DIR, but
# the C and C++ runtimes and those already under DIR's tree (SKIP_UNDER).
copy_libraries() {
  local dir=$1
  shift
  for f in "$@"; do if file -b "$f" | grep -q ELF; then ldd "$f" || true; fi; done 2>/dev/null |
    awk '/=> \//{print $3}' | sort -u |
    grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libgcc_s|libstdc\+\+)\.so' |
    while read -r lib; do
      [ -e "${SKIP_UNDER:-/nonexistent}$lib" ] || cp -L "$lib" "$dir/"
    done
}

if [ "${1:-}" = --libs ]; then
  shift
  dir=$1
  shift
  mkdir -p "$dir"
  copy_libraries "$dir" "$@"
  exit 0
fi
out=$1
shift
stage=$(mktemp -d)
chmod 755 "$stage" # it becomes / on the device: mktemp's 0700 would close / to other users
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/opt/libindex-run/bin" "$stage/opt/libindex-run/lib"
dpkg -L openmpi-bin libopenmpi3 openmpi-common libpmix2 | grep -v -E '/share/(doc|man|lintian)/' |
  while read -r f; do [ -f "$f" ] || [ -L "$f" ] && echo "${f#/}"; done >"$stage/files"
tar -C / -cf - -T "$stage/files" | tar -C "$stage" -xf -
cp "$@" "$stage/opt/libindex-run/bin/"
ln -s /usr/bin/orterun "$stage/opt/libindex-run/bin/mpirun"
# Every ELF file here, the plugins included, and what each loads (but what the bundle holds).
mapfile -t elf < <(find "$stage" -type f \( -name '*.so*' -o -perm -u+x \))
SKIP_UNDER=$stage copy_libraries "$stage/opt/libindex-run/lib" "${elf[@]}"
tar -C "$stage" -cJf "$out" .
du -h "$out"
