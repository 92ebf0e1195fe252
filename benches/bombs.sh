#!/usr/bin/env bash
# A tree holding a 20-deep nested archive, gzip and zip
# bombs (512 MiB of zeros each), a 7z of 64 MiB of zeros and a 2 GiB sparse
# file must scan quickly, in bounded memory, reporting every limit it hit.
#
#   bash benches/bombs.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cargo build --release --quiet
TREE=$(mktemp -d); trap 'rm -rf "$TREE"' EXIT
python3 - "$TREE" <<'PY'
import gzip, sys, zipfile
tree = sys.argv[1]
d = open("fixtures/audio/wav/pcm16.wav", "rb").read()
for _ in range(20):
    d = gzip.compress(d)
open(f"{tree}/deep.wav.gz", "wb").write(d)
zeros = bytes(512 << 20)
open(f"{tree}/bomb.gz", "wb").write(gzip.compress(zeros, 9))
with zipfile.ZipFile(f"{tree}/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", zeros)
open(f"{tree}/sparse.img", "wb").truncate(2 << 30)
PY
cp fixtures/limits/zeros-bomb.7z "$TREE/bomb.7z"
/usr/bin/time -f "%e s wall, %M KiB max resident" ./target/release/atrest scan "$TREE" \
  --format json --fail-on never -o "$TREE/report.json"
python3 - "$TREE/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("bytes read:", r["summary"]["bytes_read"])
for l in r["limits"]:
    print("limit:", l["location"].rsplit("/", 1)[1], l["limit"], "-", l["message"])
PY
