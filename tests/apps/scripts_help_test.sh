#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every script a user runs answers --help with what it does (its header) and exit 0, and runs
# nothing else: test.sh --help must not start the whole suite, run.sh --help must not install.
set -uo pipefail
source=$1
failed=0 passed=0
for script in scripts/run.sh scripts/test.sh scripts/build.sh scripts/install-deps.sh scripts/fuzz.sh \
              scripts/check_format.sh scripts/device-check.sh scripts/device-prepare.sh scripts/device-bundle.sh \
              scripts/mutation-check.sh scripts/slurm-local.sh bench/compare_icet.sh bench/compare_vtk.sh; do
  # Its header's first words, as a reader of the file sees them.
  first=$(sed -n '3p' "$source/$script" | sed 's/^# \{0,1\}//' | cut -c1-30)
  out=$(cd "$(mktemp -d)" && bash "$source/$script" --help 2>&1)
  rc=$?
  if [[ $rc == 0 && ( "$out" == *"$first"* || "$out" == *[Uu]sage* ) && $(wc -l <<<"$out") -le 40 ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL: $script --help: exit $rc, $(head -c 300 <<<"$out")"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
