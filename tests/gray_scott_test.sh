#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a temporary prefix, builds examples/gray_scott against it with
# find_package(libindex), runs it on 4 ranks with in-situ frames, and checks its physics against a
# 1-rank run: the sum of v after 50 steps is wrong if the halo exchange is.
# --compare (blocks with and without visualization) must leave the physics as without any.
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$source/examples/gray_scott" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work" -j2 >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$work/gray_scott" --help | grep -q -- "--viz-every K"
out4=$(mpirun -np 4 --oversubscribe "$work/gray_scott" --size 48 --steps 50 --viz-every 10 --port 0)
echo "$out4"
[[ "$(tail -n 1 <<<"$out4")" == "gray_scott: 50 steps on 4 ranks (1x2x2), 5 frames, 0 failed updates" ]]
# Asynchronous: frames render on a thread from copies; some may be replaced by newer ones.
outa=$(mpirun -np 4 --oversubscribe "$work/gray_scott" --size 48 --steps 50 --viz-every 10 --port 0 --async)
echo "$outa"
grep -q "(5 updates: publish + update + parameters, asynchronous)" <<<"$outa"
[[ "$(tail -n 1 <<<"$outa")" =~ ^"gray_scott: 50 steps on 4 ranks (1x2x2), "[2-5]" frames, 0 failed updates"$ ]]
out1=$(mpirun -np 1 "$work/gray_scott" --size 48 --steps 50 --viz-every 0)
echo "$out1"
[[ "$(tail -n 1 <<<"$out1")" == "gray_scott: 50 steps on 1 ranks (1x1x1), 0 frames, 0 failed updates" ]]
sum4=$(sed -n 's/^gray_scott: sum(v) = \([^,]*\),.*/\1/p' <<<"$out4")
suma=$(sed -n 's/^gray_scott: sum(v) = \([^,]*\),.*/\1/p' <<<"$outa")
sum1=$(sed -n 's/^gray_scott: sum(v) = \([^,]*\),.*/\1/p' <<<"$out1")
echo "sum(v): 4 ranks $sum4, 4 ranks asynchronous $suma, 1 rank $sum1"
# The seed cubes hold 0.25 each; 50 steps of reaction and diffusion must have changed the sum.
for sum in "$sum4" "$suma"; do
  awk -v a="$sum" -v b="$sum1" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= 1e-9 * b) }'
done
# --compare: blocks with and without visualization alternate; the physics is the run without any.
outc=$(mpirun -np 1 "$work/gray_scott" --size 24 --steps 80 --compare 20 --viz-every 5 --port 0 --async \
  --render-share 0.5 --copy-refresh 0.1)
echo "$outc"
grep -q "^gray_scott: --compare 20: 1 pairs of blocks (the first left out); a step costs .* ms with visualization" <<<"$outc"
grep -q "^gray_scott: --compare: overhead by pair: median " <<<"$outc"
grep -q "(8 updates: publish + update + parameters, asynchronous)" <<<"$outc" # 2 a watched block, 2 blocks
out0=$(mpirun -np 1 "$work/gray_scott" --size 24 --steps 80 --viz-every 0)
sumc=$(sed -n 's/^gray_scott: sum(v) = \([^,]*\),.*/\1/p' <<<"$outc")
sum0=$(sed -n 's/^gray_scott: sum(v) = \([^,]*\),.*/\1/p' <<<"$out0")
echo "sum(v) at 24^3, 80 steps: with --compare $sumc, without visualization $sum0"
[[ -n "$sumc" && "$sumc" == "$sum0" ]]
refused=$("$work/gray_scott" --compare 20 --steps 50 2>&1 || true) # exits 2
grep -q -- "--compare B needs --viz-every K >= 1 and --steps of at least 4 B" <<<"$refused"
echo "4 passed, 0 failed"
