#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mutation check: do the tests notice a wrong line? Each line of scripts/mutations.txt names a file,
# a line (a Python regular expression, the first line it matches), what the matched text becomes,
# and the CTest tests (a ctest -R expression) that should fail:
#
#   kernels/src/skip_grid.cpp|visible \|= cm\.entries\[0\]\.w > 0\.0f;|;|ColormapBoundary|Skipping
#
# Fields are separated by '|'; write a literal '|' in the first three as '\|' (in the line expression
# that is also the regex for '|'). The last field is the rest of the line, '|' included.
#
# The mutations go to a SCRATCH COPY of the working tree (MUT_SRC, default /tmp/mut-src, refreshed
# from the working tree's tracked and untracked-not-ignored files), built once in MUT_BUILD (default
# /tmp/mut-build); the shared tree is never written. Per mutation: apply, rebuild the targets of the
# named tests, run them, record killed (a test failed or timed out) or survived, restore the file.
# Every test expression is first run on the unmutated copy: one that fails there is reported and its
# mutations are not run. Mutants that do not compile are reported apart and not scored.
#
# Slow (hours on two cores): run it by hand, never in CI (it refuses to when CI is set).
#   scripts/mutation-check.sh [--check] [--no-sync] [--only 3,7-9] [mutations.txt]
#     --check    only verify that every mutation applies to exactly one line (no build)
#     --no-sync  use MUT_SRC as it is (after an interrupted run: the script restores files on exit)
#     --only     run these mutation numbers (1-based, as listed in the report)
# Environment: MUT_SRC, MUT_BUILD, MUT_JOBS (2), MUT_TEST_TIMEOUT (300 s a test),
# MUT_CMAKE_ARGS (extra configure arguments). Report: $MUT_BUILD/mutation-report.md, logs in
# $MUT_BUILD/mutants/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=${MUT_SRC:-/tmp/mut-src}
build=${MUT_BUILD:-/tmp/mut-build}
jobs=${MUT_JOBS:-2}
test_timeout=${MUT_TEST_TIMEOUT:-300}
check_only=0 sync=1 only="" list=""
while [ $# -gt 0 ]; do
  case "$1" in
  --check) check_only=1 ;;
  --no-sync) sync=0 ;;
  --only) only=$2; shift ;;
  -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
  *) list=$1 ;;
  esac
  shift
done
list=${list:-$repo/scripts/mutations.txt}

if [ -n "${CI:-}" ] && [ "$check_only" = 0 ]; then
  echo "mutation-check: refusing to run in CI (CI is set): it takes hours; run it by hand" >&2
  exit 2
fi
src=$(realpath -m "$src")
case "$src/" in
"$repo/"*) echo "mutation-check: MUT_SRC ($src) must lie outside the repository" >&2; exit 2 ;;
esac

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

# --- the scratch copy -------------------------------------------------------------------------------
# Files whose content differs are copied (with a new mtime, so whatever was built from an older
# content, a mutant's included, rebuilds); equal files are left alone, so a second run builds little.
if [ "$sync" = 1 ]; then
  mkdir -p "$src"
  (cd "$repo" && git ls-files -z -c -o --exclude-standard) | python3 -c '
import os, shutil, sys
repo, src = sys.argv[1], sys.argv[2]
for rel in sys.stdin.buffer.read().decode().split("\0"):
    a, b = os.path.join(repo, rel), os.path.join(src, rel)
    if not rel or not os.path.isfile(a) or os.path.islink(a):
        continue
    if os.path.isfile(b) and open(a, "rb").read() == open(b, "rb").read():
        continue
    os.makedirs(os.path.dirname(b), exist_ok=True)
    shutil.copyfile(a, b)
    shutil.copymode(a, b)' "$repo" "$src"
fi

# mutations.txt -> one JSON object a line (number, file, pattern, replacement, tests), "#" and blank
# lines skipped; --check stops after this.
parse_and_check() {
  python3 - "$list" "$src" "$check_only" <<'EOF'
import json, re, sys
path, src, check_only = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
ok = True
n = 0
for lineno, raw in enumerate(open(path, encoding="utf-8"), 1):
    line = raw.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    n += 1
    fields, cur, i = [], "", 0
    while i < len(line):
        if len(fields) < 3 and line[i] == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur += "\\|"; i += 2; continue
        if len(fields) < 3 and line[i] == "|":
            fields.append(cur); cur = ""; i += 1; continue
        cur += line[i]; i += 1
    fields.append(cur)
    if len(fields) != 4:
        print(f"{path}:{lineno}: expected file|line-regex|replacement|ctest-regex", file=sys.stderr); ok = False; continue
    file, pattern, replacement, tests = fields
    replacement = replacement.replace("\\|", "|")
    try:
        text = open(f"{src}/{file}", encoding="utf-8").read().split("\n")
        rx = re.compile(pattern)
    except (OSError, re.error) as e:
        print(f"{path}:{lineno}: {e}", file=sys.stderr); ok = False; continue
    hits = [k for k, l in enumerate(text) if rx.search(l)]
    if len(hits) != 1:
        print(f"{path}:{lineno}: '{pattern}' matches {len(hits)} lines of {file}, expected 1", file=sys.stderr)
        ok = False; continue
    before = text[hits[0]]
    after = rx.sub(lambda m: replacement, before, count=1)
    if after == before:
        print(f"{path}:{lineno}: the replacement changes nothing", file=sys.stderr); ok = False; continue
    if check_only:
        print(f"{n:3d} {file}:{hits[0] + 1}: {before.strip()}  ->  {after.strip()}   [{tests}]")
    else:
        print(json.dumps({"n": n, "file": file, "pattern": pattern, "replacement": replacement, "tests": tests,
                          "line": hits[0] + 1, "before": before.strip(), "after": after.strip()}))
sys.exit(0 if ok else 1)
EOF
}

if [ "$check_only" = 1 ]; then
  parse_and_check
  exit
fi
mutations=$(parse_and_check)

# --- one build of the unmutated copy -----------------------------------------------------------------
mkdir -p "$build/mutants"
if [ ! -f "$build/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLIBINDEX_WITH_CUDA=OFF -DLIBINDEX_BUILD_BENCHMARKS=OFF \
    -DLIBINDEX_WITH_OPENVDB=OFF ${MUT_CMAKE_ARGS:-} >"$build/mutants/configure.log"
fi
echo "mutation-check: building the unmutated copy in $build (log: $build/mutants/build.log)"
cmake --build "$build" -j"$jobs" >"$build/mutants/build.log" 2>&1 </dev/null || {
  echo "mutation-check: the unmutated copy does not build; see $build/mutants/build.log" >&2
  exit 1
}

# The executables (hence targets) the tests matching a ctest expression run.
targets_of() {
  ctest --test-dir "$build" -N -R "$1" --show-only=json-v1 2>/dev/null </dev/null | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
names = set()
for t in json.load(sys.stdin).get("tests", []):
    for arg in t.get("command", []):
        p = os.path.realpath(arg)
        if p.startswith(build + "/") and os.access(p, os.X_OK) and os.path.isfile(p):
            names.add(os.path.basename(p))
print(" ".join(sorted(names)))' "$build"
}

run_tests() { # regex log -> ctest's status (stdin closed: mpirun would forward it to rank 0)
  ctest --test-dir "$build" -R "$1" --timeout "$test_timeout" --output-on-failure >"$2" 2>&1 </dev/null
}

# --- baseline: every test expression passes unmutated ------------------------------------------------
declare -A baseline
while IFS= read -r tests; do
  [ -n "$tests" ] || continue
  log="$build/mutants/baseline-$(echo "$tests" | md5sum | cut -c1-8).log"
  if [ -z "$(targets_of "$tests")" ]; then
    baseline[$tests]="no tests"
  elif run_tests "$tests" "$log"; then
    baseline[$tests]=ok
  else
    baseline[$tests]="fails unmutated ($log)"
  fi
  echo "baseline [$tests]: ${baseline[$tests]}"
done < <(echo "$mutations" | python3 -c 'import json,sys
def wanted(n, only):
    if not only: return True
    for part in only.split(","):
        a, _, b = part.partition("-")
        if int(a) <= n <= int(b or a): return True
    return False
seen=[]
for l in sys.stdin:
    m=json.loads(l)
    if wanted(m["n"], sys.argv[1]) and m["tests"] not in seen: seen.append(m["tests"]); print(m["tests"])' "$only")

selected() { # is mutation $1 in --only?
  [ -z "$only" ] && return 0
  python3 -c 'import sys
n=int(sys.argv[1]); ok=False
for part in sys.argv[2].split(","):
    a,_,b=part.partition("-"); ok = ok or int(a) <= n <= int(b or a)
sys.exit(0 if ok else 1)' "$1" "$only"
}

# --- the mutants --------------------------------------------------------------------------------------
report="$build/mutation-report.md"
current="" backup="$build/mutants/original"
restore() {
  if [ -n "$current" ]; then
    cp "$backup" "$src/$current" && touch "$src/$current" # a new mtime: objects built from the mutant rebuild
    current=""
  fi
}
trap restore EXIT INT TERM

killed=0 survived=0 stillborn=0 skipped=0
{
  echo "| # | file:line | mutation | tests | result |"
  echo "|---|---|---|---|---|"
} >"$report"
while IFS= read -r m; do
  get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$m" "$1"; }
  n=$(get n) file=$(get file) pattern=$(get pattern) replacement=$(get replacement) tests=$(get tests)
  line=$(get line) before=$(get before) after=$(get after)
  selected "$n" || continue
  log="$build/mutants/$n.log"
  result=""
  if [ "${baseline[$tests]}" != ok ]; then
    result="not run: tests ${baseline[$tests]}"
    skipped=$((skipped + 1))
  else
    cp "$src/$file" "$backup"
    current=$file
    python3 - "$src/$file" "$pattern" "$replacement" <<'EOF'
import re, sys
path, pattern, replacement = sys.argv[1:]
lines = open(path, encoding="utf-8").read().split("\n")
rx = re.compile(pattern)
k = next(i for i, l in enumerate(lines) if rx.search(l))
lines[k] = rx.sub(lambda m: replacement, lines[k], count=1)
open(path, "w", encoding="utf-8").write("\n".join(lines))
EOF
    targets=$(targets_of "$tests")
    # shellcheck disable=SC2086
    if ! cmake --build "$build" -j"$jobs" --target $targets >"$log" 2>&1 </dev/null; then
      result="does not compile (not scored)"
      stillborn=$((stillborn + 1))
    elif run_tests "$tests" "$log.tests"; then
      result="**SURVIVED**"
      survived=$((survived + 1))
    else
      result="killed: $(grep -E '^\s*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Child aborted|OTHER_FAULT)' "$log.tests" | head -3 | sed -E 's/^\s*[0-9]+ - //' | tr '\n' ' ')"
      killed=$((killed + 1))
    fi
    restore
    cmp -s "$backup" "$src/$file" || { echo "mutation-check: could not restore $src/$file" >&2; exit 1; }
  fi
  esc() { sed 's/|/\\|/g; s/`/'"'"'/g'; }
  printf '| %s | %s:%s | `%s` → `%s` | %s | %s |\n' "$n" "$file" "$line" "$(echo "$before" | esc)" \
    "$(echo "$after" | esc)" "$(echo "$tests" | esc)" "$result" >>"$report"
  echo "mutant $n ($file:$line): $result"
done < <(echo "$mutations")

scored=$((killed + survived))
score=$([ "$scored" -gt 0 ] && echo "$((100 * killed / scored))" || echo 0)
{
  echo
  echo "Killed $killed of $scored scored mutants ($score %); $stillborn did not compile; $skipped not run."
} >>"$report"
echo "mutation-check: killed $killed of $scored ($score %), $stillborn did not compile, $skipped not run; report: $report"
