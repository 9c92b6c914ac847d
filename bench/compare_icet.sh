#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Composite time per frame beside IceT's own benchmark (SimpleTiming), alternating the two ROUNDS
# times in one sitting: RGBA float `over`, k-d bricks of a unit cube, 10 random views, at NP ranks
# for each image SIZE. Prints each side's figures and the ratio (libindex / IceT) of the median
# frames: IceT reports the median of its 9 frames after a warm-up frame, and the bench the median of
# its 10 after one (its mean is printed beside it).
#
#   ICET_TIMING=/path/to/icet-timing.sh bench/compare_icet.sh            # 2 ranks, 1024^2 and 2048^2
#   NP=4 SIZES="1024" ROUNDS=3 ICET_TIMING=... bench/compare_icet.sh
#
# ICET_TIMING names a script that builds and runs IceT's SimpleTiming (arguments: NP SIZE bswap) and
# prints a line "IceT ... median composite X ms ...". Without it only libindex runs, and it says so.
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
NP=${NP:-2}
SIZES=${SIZES:-1024 2048}
ROUNDS=${ROUNDS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
[[ -x $BUILD/compositing/compositing_bench ]] || { echo "no $BUILD/compositing/compositing_bench: build first" >&2; exit 2; }
[[ -n ${ICET_TIMING:-} ]] || echo "ICET_TIMING is not set: IceT's figures are left out"

for size in $SIZES; do
  ours=() theirs=()
  for round in $(seq "$ROUNDS"); do
    read -r mean ms < <(mpirun -np "$NP" "$BUILD/compositing/compositing_bench" \
           --benchmark_filter="composite_reused/binary-swap/$size/f32" --benchmark_format=csv 2>/dev/null |
         awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "\"median_ms\"") m = i }
                  /binary-swap/ { print $3, $m }')
    ours+=("$ms")
    echo "$size^2, round $round: libindex binary swap median $ms ms (mean $mean ms)"
    if [[ -n ${ICET_TIMING:-} ]]; then
      line=$("$ICET_TIMING" "$NP" "$size" bswap | tail -1)
      ms=$(sed -E 's/.*median composite ([0-9.]+) ms.*/\1/' <<<"$line")
      theirs+=("$ms")
      echo "$size^2, round $round: $line"
    fi
  done
  best_ours=$(printf '%s\n' "${ours[@]}" | sort -n | head -1)
  if [[ ${#theirs[@]} -gt 0 ]]; then
    best_theirs=$(printf '%s\n' "${theirs[@]}" | sort -n | head -1)
    awk -v s="$size" -v a="$best_ours" -v b="$best_theirs" 'BEGIN {
      printf "%s^2, best of rounds (median frames): libindex %.2f ms, IceT %.2f ms, ratio %.2f (goal <= 0.5)\n", s, a, b, a / b }'
  else
    echo "$size^2, best of rounds: libindex $best_ours ms"
  fi
done
