#!/usr/bin/env bash
# What a nightly audit costs once the tree has been scanned: atrest's second
# run with --state over an unchanged tree, against a bare walk that stats
# every file (find -printf of size, mtime, ctime and inode: what atrest's
# version of a local file holds).
#
#   bash benches/state_rerun.sh [WORKDIR] [compare_tree.py options]
#   bash benches/state_rerun.sh "$TMPDIR/ac" --tiny-files 300000
#
# The tree is compare_tree.py's "tiny" tree (1,000,000 files by default).
# The first run writes the state; then the walk and the second run take
# turns RUNS times (default 5) on a warm cache, and the medians and their
# ratio are printed. Environment: ATREST (binary), THREADS (2), RUNS (5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${TMPDIR:-/tmp}/atrest-compare
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then WORK=$1; shift; fi
BIN=${ATREST:-$ROOT/target/release/atrest}
THREADS=${THREADS:-2}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || cargo build --release --manifest-path "$ROOT/Cargo.toml" >/dev/null
python3 "$ROOT/benches/compare_tree.py" "$WORK" --trees tiny "$@" >&2
TREE=$WORK/trees/tiny
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT

seconds() { # command... -> wall nanoseconds on stdout
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  echo $((t1 - t0))
}
scan() {
  "$BIN" scan "$TREE" -j "$THREADS" --state "$STATE/state.db" --format jsonl \
    -o "$STATE/report.jsonl" --fail-on never --progress never -q
}
walk() { find "$TREE" -type f -printf '%s %T@ %C@ %i\n'; }

first=$(seconds scan)
walks=() reruns=()
for _ in $(seq "$RUNS"); do
  walks+=("$(seconds walk)")
  reruns+=("$(seconds scan)")
done
python3 - "$first" "${walks[*]}" "${reruns[*]}" "$(find "$TREE" -type f | wc -l)" <<'PY'
import statistics, sys
first = int(sys.argv[1]) / 1e9
walks = [int(x) / 1e9 for x in sys.argv[2].split()]
reruns = [int(x) / 1e9 for x in sys.argv[3].split()]
n = int(sys.argv[4])
w, r = statistics.median(walks), statistics.median(reruns)
print(f"files:                                {n:,}")
print(f"first run (writes --state):           {first:.2f} s")
print(f"bare walk with stats (find -printf):  {w:.2f} s  (median of {len(walks)})")
print(f"second run, tree unchanged:           {r:.2f} s  (median of {len(reruns)})")
print(f"ratio second run / bare walk:         {r / w:.2f}")
PY
