#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails, naming the files, when C++/CUDA sources differ from .clang-format (clang-format 14, Debian 12's).
# Fix with: clang-format-14 -i FILE...
#   ./scripts/check_format.sh
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
cd "$root"
mapfile -t files < <(find apps bench compositing examples io kernels libindex mpi png session streaming tests -type f \
  \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) -not -path '*/node_modules/*' | sort)
# One clang-format for all files (it starts slowly): each that differs is named in its errors.
bad=()
if ! report=$("$format" --dry-run --Werror "${files[@]}" 2>&1 >/dev/null); then
  mapfile -t bad < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: (error|warning):' <<<"$report" | cut -d: -f1 | sort -u)
  [ "${#bad[@]}" -gt 0 ] || { echo "$report" >&2; exit 1; } # failed without naming a file
fi
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format: ${bad[*]}" >&2
  echo "check_format: fix with: $format -i ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files follow .clang-format"
