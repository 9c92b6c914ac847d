#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Renders one raw volume with index-render and with VTK's CPU ray caster (vtkFixedPointVolumeRayCast-
# Mapper) under the same camera, colormap domain and sampling, alternating the two ROUNDS times on
# this machine, and prints each side's steady-state frame time and the ratio (index-render / VTK).
#
#   bench/compare_vtk.sh                       # the CT-like volume (bench/ct_volume.py), bone window
#   ROUNDS=3 bench/compare_vtk.sh
#   VTK_PEER=/path/to/vtk_raycast.py bench/compare_vtk.sh
#
# Needs a built index-render (BUILD, default build/), python3-numpy, and for the peer python3-vtk9,
# python3-pil and xvfb (apt-get install python3-vtk9 python3-pil xvfb). VTK_PEER names the peer
# script that renders a raw volume with VTK (arguments: RAW --dims --dtype --from --dir --up
# --aperture --focal --domain --sampling-distance --size --frames); without one only libindex runs.
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-2}
WIDTH=${WIDTH:-1024}
HEIGHT=${HEIGHT:-768}
FRAMES=${FRAMES:-5}
VOLUME=${VOLUME:-/tmp/libindex-bench/ct_256x256x100_int16.raw} # an int16 raw file, size in its name
DIMS=$(sed -E 's/.*_([0-9]+)x([0-9]+)x([0-9]+)_int16\.raw$/\1 \2 \3/' <<<"$VOLUME")
# The bone window, 300..1500 HU, in IndeX's normalisation of int16 (value / 32767).
VIEW=(--from 428 -172 350 --dir -0.6 0.6 -0.6 --up 0 0 1 --aperture 0.8 --focal 1
      --domain 0.009156 0.045777 --sampling-distance 0.5)

if [[ ! -f $VOLUME ]]; then
  mkdir -p "$(dirname "$VOLUME")"
  /usr/bin/python3 bench/ct_volume.py "$VOLUME" --dims $DIMS
fi
[[ -x $BUILD/apps/index-render ]] || { echo "no $BUILD/apps/index-render: build first" >&2; exit 2; }

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ours=() theirs=()
for round in $(seq "$ROUNDS"); do
  line=$("$BUILD/apps/index-render" "$VOLUME" "${VIEW[@]}" --width "$WIDTH" --height "$HEIGHT" \
           --colormap grayscale --background 0 0 0 1 -o /tmp/libindex-bench/compare_libindex.png \
           --repeat "$FRAMES" 2>/dev/null | grep '^steady state')
  ms=$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")
  ours+=("$ms")
  echo "round $round: index-render $ms ms/frame ($line)"
  if [[ -n ${VTK_PEER:-} ]]; then
    line=$(xvfb-run -a /usr/bin/python3 "$VTK_PEER" "$VOLUME" --dims $DIMS --dtype sint16 "${VIEW[@]}" \
             --size "$WIDTH" "$HEIGHT" --frames "$FRAMES" --png /tmp/libindex-bench/compare_vtk.png | tail -1)
    ms=$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")
    theirs+=("$ms")
    echo "round $round: VTK $ms ms/frame ($line)"
  fi
done
best_ours=$(printf '%s\n' "${ours[@]}" | median)
if [[ ${#theirs[@]} -gt 0 ]]; then
  best_theirs=$(printf '%s\n' "${theirs[@]}" | median)
  awk -v a="$best_ours" -v b="$best_theirs" 'BEGIN {
    printf "median of rounds: index-render %.1f ms, VTK %.1f ms, ratio %.2f (goal <= 0.25)\n", a, b, a / b }'
else
  echo "median of rounds: index-render $best_ours ms (set VTK_PEER to run the VTK peer beside it)"
fi
