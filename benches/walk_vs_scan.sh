#!/usr/bin/env bash
# Compares a full atrest scan of a tree of many small files with the floor it
# cannot beat: walking the same tree and reading each file's first 64 KiB.
# Both run in one invocation, on the same warm page cache, so the ratio is
# meaningful on a noisy shared machine; absolute times are not.
#
#   bash benches/walk_vs_scan.sh [FILES] [THREADS]     (default 100000, all cores)
set -euo pipefail
N=${1:-100000}
J=${2:-$(nproc)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ATREST:-$ROOT/target/release/atrest}
[ -x "$BIN" ] || cargo build --release --manifest-path "$ROOT/Cargo.toml" >/dev/null
TREE=$(mktemp -d); trap 'rm -rf "$TREE"' EXIT
python3 - "$TREE" "$N" "$ROOT/fixtures" <<'PY'
import os, random, sys
tree, n, fixtures = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(1)
# A mix like a file share: recordings, encrypted blobs, text, binaries.
seeds = [open(os.path.join(fixtures, p), 'rb').read()[:4096] for p in
         ['audio/wav/pcm16.wav', 'audio/mp3/speech.mp3', 'encrypted/age/speech.wav.age', 'other/text/notes.txt', 'other/elf/true']]
for i in range(n):
    d = os.path.join(tree, f"d{i // 1000:03d}")
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    data = seeds[i % len(seeds)] if i % 7 else os.urandom(rng.randint(512, 4096))
    with open(os.path.join(d, f"f{i:06d}.bin"), 'wb') as f:
        f.write(data)
PY
cat "$(find "$TREE" -type f | head -1)" >/dev/null
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null   # warm the cache for both runs
t0=$(date +%s.%N)
find "$TREE" -type f -print0 | xargs -0 -n 2000 -P "$J" head -q -c 65536 >/dev/null
t1=$(date +%s.%N)
"$BIN" scan "$TREE" -j "$J" --format json --fail-on never --progress never -o "$TREE.report.json"
t2=$(date +%s.%N)
python3 - "$TREE.report.json" "$t0" "$t1" "$t2" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t0, t1, t2, n = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = r['summary']
walk, scan = t1 - t0, t2 - t1
print(f"files: {n}")
print(f"walk + read 64 KiB heads (find | xargs head): {walk:.2f} s")
print(f"atrest scan:                                  {scan:.2f} s  ({n / scan:,.0f} objects/s)")
print(f"ratio scan / walk-and-read:                   {scan / walk:.2f}")
print(f"bytes read per object:                        {s['bytes_read'] / max(1, s['objects_scanned']):,.0f}")
print(f"findings: {s['findings']}  by class: {s['by_class']}")
PY
rm -f "$TREE.report.json"
