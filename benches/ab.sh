#!/usr/bin/env bash
# ab.sh ROOT ATREST... : wall and CPU time of one or several atrest builds
# against the read floor, on the trees `benches/compare.sh` built in ROOT,
# in one hyperfine run per tree. hyperfine runs each command's rounds in
# turn after warm-up runs: compare builds within one run, on a quiet
# machine; the spread between runs is as large as a small change.
#
# ROOT/trees/{mixed,tiny} and ROOT/bin/readfloor{,-z} come from
# `bash benches/compare.sh ROOT`. Needs hyperfine (Debian: apt-get install
# hyperfine). RUNS (default 15), THREADS (default 2) and TREES (default
# "mixed tiny") may be set.
set -euo pipefail
ROOT=${1:?usage: ab.sh ROOT ATREST...}
shift
[ $# -gt 0 ] || { echo "ab.sh: name at least one atrest binary" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "ab.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
RUNS=${RUNS:-15}
THREADS=${THREADS:-2}
for tree in ${TREES:-mixed tiny}; do
  T=$ROOT/trees/$tree
  [ -d "$T" ] || { echo "ab.sh: no $T; run benches/compare.sh $ROOT first" >&2; exit 2; }
  cmds=()
  for floor in readfloor readfloor-z; do
    [ -x "$ROOT/bin/$floor" ] && cmds+=("$ROOT/bin/$floor $T $THREADS")
  done
  for bin in "$@"; do
    cmds+=("$bin scan $T -j $THREADS --format json -o /dev/null --fail-on never --progress never")
  done
  echo "## $tree ($(find "$T" -type f | wc -l) files, $THREADS threads, $RUNS runs each)"
  out=$(mktemp)
  hyperfine -N -w 2 -r "$RUNS" --export-json "$out" "${cmds[@]}" >/dev/null
  python3 - "$out" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
floor = results[0]["mean"] if "readfloor " in results[0]["command"] else None
print("| command | mean | σ | user | system | × floor |")
print("| --- | --: | --: | --: | --: | --: |")
for r in results:
    ratio = f"{r['mean'] / floor:.2f}" if floor else ""
    print(f"| `{r['command'].split(' scan ')[0].split(' ')[0]}` | {r['mean'] * 1000:.1f} ms | {r['stddev'] * 1000:.1f} | "
          f"{r['user'] * 1000:.0f} ms | {r['system'] * 1000:.0f} ms | {ratio} |")
PY
  rm -f "$out"
done
