#!/usr/bin/env bash
# instructions.sh ROOT [ATREST...]: instructions per object under callgrind,
# a count a busy machine does not disturb (wall time on a shared machine
# moves by more than most changes).
#
# ROOT is a directory `benches/compare.sh` (or `compare_tree.py`) filled:
# ROOT/trees/tiny and ROOT/trees/mixed. Fixed samples are copied from them
# once, in name order (every k-th file), into ROOT/instr/: 10,000 tiny
# files, 2,000 mixed ones, and the tiny tree's text (.txt .json .log),
# random (.bin) and structured (.dat) files, 1,500 each. Each ATREST binary
# (default target/release/atrest) scans each sample with one thread; the
# start-up cost, measured on an empty folder, is left out of the per-object
# figure. Needs valgrind.
set -euo pipefail
ROOT=${1:?usage: instructions.sh ROOT [ATREST...]}
shift
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=("$(cd "$(dirname "$0")/.." && pwd)/target/release/atrest")
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed" >&2; exit 2; }
S=$ROOT/instr

# sample NAME TREE COUNT [NAME-PATTERN...]: every k-th matching file, by name.
sample() {
  local name=$1 tree=$2 count=$3
  shift 3
  local dir=$S/$name
  [ -d "$dir" ] && return
  mkdir -p "$dir.tmp"
  local pat=()
  for p in "$@"; do pat+=(-o -name "$p"); done
  local list
  if [ ${#pat[@]} -gt 0 ]; then
    list=$(find "$tree" -type f \( "${pat[@]:1}" \) | LC_ALL=C sort)
  else
    list=$(find "$tree" -type f | LC_ALL=C sort)
  fi
  local total step
  total=$(printf '%s\n' "$list" | wc -l)
  step=$(( total / count )); [ "$step" -ge 1 ] || step=1
  printf '%s\n' "$list" | awk -v s="$step" -v n="$count" '(NR - 1) % s == 0 && c < n { print; c++ }' |
    while IFS= read -r f; do cp "$f" "$dir.tmp/$(printf '%s' "${f#"$tree"/}" | tr / _)"; done
  mv "$dir.tmp" "$dir"
}
sample tiny "$ROOT/trees/tiny" 10000
sample mixed "$ROOT/trees/mixed" 2000
sample tiny-text "$ROOT/trees/tiny" 1500 '*.txt' '*.json' '*.log'
sample tiny-random "$ROOT/trees/tiny" 1500 '*.bin'
sample tiny-structured "$ROOT/trees/tiny" 1500 '*.dat'
mkdir -p "$S/empty"

count() {
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" scan "$2" -j 1 \
    --allow-empty --format json -o /dev/null --fail-on never --progress never 2>&1) || {
    printf 'instructions.sh: %s failed on %s:\n%s\n' "$1" "$2" "$out" >&2
    exit 1
  }
  printf '%s\n' "$out" | awk '/Collected :/ { print $NF }'
}
echo "| atrest | sample | objects | instructions | per object |"
echo "| --- | --- | ---: | ---: | ---: |"
for bin in "${BINS[@]}"; do
  base=$(count "$bin" "$S/empty")
  for name in tiny mixed tiny-text tiny-random tiny-structured; do
    n=$(find "$S/$name" -type f | wc -l)
    ir=$(count "$bin" "$S/$name")
    echo "| $bin | $name | $n | $ir | $(( (ir - base) / n )) |"
  done
done
