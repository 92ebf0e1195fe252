#!/usr/bin/env bash
# Bucket scan throughput at scale: N objects (default 100,000) listed with
# LIST page by page, LIST in parallel key ranges (--listing auto), and an S3
# Inventory report (CSV.gz), each as a full scan and as a list-only rescan
# (every object unchanged in --state, so nothing but the object list is
# fetched). Prints a markdown table: objects/s, requests/object, atrest's CPU
# time against wall time, and moto's CPU time (the emulator is one Python
# process: when it is saturated, atrest waits).
#
#   bash benches/bucket_throughput.sh [N]
#
# Needs .emu/venv from tests/emulators/up.sh (moto, boto3). Starts a moto of
# its own on a free port (the shared one on :5000 is left alone and not
# filled with N objects) and stops it at the end. Objects are 1 KiB: a
# quarter are short WAVs (findings), the rest text and random bytes, under
# calls/<day>/<hour>/ folders (100 folders of N/100).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-100000}
PY=.emu/venv/bin/python
[ -x .emu/venv/bin/moto_server ] || { echo "run tests/emulators/up.sh first (.emu/venv)" >&2; exit 1; }
PROFILE=${PROFILE:-release}   # PROFILE=debug for a quick try of the script itself
if [ "$PROFILE" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
BIN=$ROOT/target/$PROFILE/atrest
WORK=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.emu/venv/bin/moto_server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null || true; rm -rf "$WORK"' EXIT
EP=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$EP" && break; sleep 0.2; done
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

t0=$(date +%s)
$PY - "$EP" "$N" "$ROOT/fixtures/audio/wav/pcm16.wav" <<'PY'
import boto3, concurrent.futures, gzip, hashlib, io, json, os, sys
from botocore.config import Config
ep, n, wav = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, max_pool_connections=32))
for b in ["bench", "bench-inv"]:
    s3.create_bucket(Bucket=b)
def body(i):
    kind = i % 4
    if kind == 0:   # a short WAV: header + 980 bytes of speech
        return wav[:4] + (1016).to_bytes(4, "little") + wav[8:40] + (980).to_bytes(4, "little") + wav[44:1024]
    if kind == 1:
        return (b"call notes %d " % i) * 64
    return os.urandom(1024)
def key(i):
    return f"calls/{i % 100:02d}/{i:07d}.bin"
rows = [None] * n
def put(i):
    b = body(i)
    s3.put_object(Bucket="bench", Key=key(i), Body=b)
    rows[i] = f'"bench","{key(i).replace("/", "%2F")}","{len(b)}","{hashlib.md5(b).hexdigest()}","STANDARD","NOT-SSE"\n'
with concurrent.futures.ThreadPoolExecutor(32) as pool:
    list(pool.map(put, range(n)))
data = gzip.compress("".join(rows).encode(), mtime=0)
files = []
per = (len(rows) + 3) // 4   # four data files, as a large report has several
for f in range(4):
    part = gzip.compress("".join(rows[f * per:(f + 1) * per]).encode(), mtime=0)
    k = f"inv/bench/daily/data/part-{f}.csv.gz"
    s3.put_object(Bucket="bench-inv", Key=k, Body=part)
    files.append({"key": k, "size": len(part), "MD5checksum": hashlib.md5(part).hexdigest()})
manifest = json.dumps({"sourceBucket": "bench", "destinationBucket": "arn:aws:s3:::bench-inv",
                       "version": "2016-11-30", "fileFormat": "CSV",
                       "fileSchema": "Bucket, Key, Size, ETag, StorageClass, EncryptionStatus",
                       "files": files}).encode()
run = "inv/bench/daily/2026-01-02T00-00Z"
s3.put_object(Bucket="bench-inv", Key=f"{run}/manifest.json", Body=manifest)
s3.put_object(Bucket="bench-inv", Key=f"{run}/manifest.checksum", Body=hashlib.md5(manifest).hexdigest().encode())
print(f"seeded {n} objects and a {sum(f['size'] for f in files)}-byte inventory", file=sys.stderr)
PY
echo "seeded in $(( $(date +%s) - t0 )) s" >&2

moto_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$MOTO/stat"; }
run() { # name, then atrest scan arguments
  local name=$1; shift
  local before; before=$(moto_cpu)
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/$name.time" \
    "$BIN" scan s3://bench --endpoint "$EP" --no-exposure --format json --fail-on never \
    -o "$WORK/$name.json" "$@" 2>"$WORK/$name.err" || true
  # GNU time puts "Command exited with non-zero status N" first when the
  # scan exits non-zero (exit 3: incomplete); the figures are the last line.
  printf '%s\t%s %s %s\n' "$name" "$(tail -1 "$WORK/$name.time")" "$before" "$(moto_cpu)" >>"$WORK/runs"
  tail -1 "$WORK/$name.err" >&2
}
INV=s3://bench-inv/inv/bench/daily/
STATE=$WORK/state.db
run "LIST, page by page (full scan, writes --state)" --listing sequential --state "$STATE"
run "LIST, parallel ranges (full scan)" --listing auto
run "inventory CSV.gz (full scan)" --inventory-from "$INV"
run "LIST, page by page (list only: --state warm)" --listing sequential --state "$STATE"
run "LIST, parallel ranges (list only: --state warm)" --listing auto --state "$STATE"
run "inventory CSV.gz (list only: --state warm)" --inventory-from "$INV" --state "$STATE"

$PY - "$WORK" "$(nproc)" "$PROFILE" <<'PY'
import json, sys
work, cores, profile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
print(f"\n{cores} cores; moto is one Python process; {profile} build.\n")
print("| run | objects | errors | limits | wall s | objects/s | requests/object | atrest CPU s (% of wall) | moto CPU s | atrest peak RSS MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in open(f"{work}/runs"):
    name, numbers = line.rstrip("\n").split("\t")
    wall, user, sys_, rss, before, after = map(float, numbers.split())
    s = json.load(open(f"{work}/{name}.json"))["summary"]
    seen = s["objects_seen"]
    cpu = user + sys_
    print(f"| {name} | {seen:,} | {s['errors']:,} | {s['limits_hit']:,} | {wall:.1f} | {seen / wall:,.0f} | {s['requests'] / seen:.3f} "
          f"| {cpu:.1f} ({100 * cpu / wall:.0f}%) | {after - before:.1f} | {rss / 1024:.0f} |")
PY
