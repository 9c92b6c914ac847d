#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails, naming the files, when C++/CUDA sources differ from .clang-format (clang-format 14, Debian 12's).
# Fix with: clang-format-14 -i FILE...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
cd "$root"
mapfile -t files < <(find apps bench compositing examples io kernels libindex mpi png session streaming tests -type f \
  \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) -not -path '*/node_modules/*' | sort)
bad=()
for f in "${files[@]}"; do
  "$format" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format: ${bad[*]}" >&2
  echo "check_format: fix with: $format -i ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files follow .clang-format"
