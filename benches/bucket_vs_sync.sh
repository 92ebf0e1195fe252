#!/usr/bin/env bash
# Bucket scan with ranged GETs vs "download everything, then scan",
# both against the local S3 emulator that tests/emulators/up.sh starts and
# seeds. This script adds atrest-mixed: 2,000 objects of 20 KB–1 MB (long
# WAVs, MP3s, gzipped WAVs, random ciphertext-like blobs, JSON), about 500 MB;
# atrest-big is one 200 MiB object.
#
#   bash tests/emulators/up.sh && bash benches/bucket_vs_sync.sh
#
# Prints objects/s, requests/object and bytes/object for each approach. The
# download side uses boto3 with 32 threads (as many requests in flight as
# atrest's default --concurrency) and counts its own requests and bytes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cargo build --release --quiet
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
EP=http://127.0.0.1:5000
now() { date +%s.%N; }
.emu/venv/bin/python - fixtures <<'PY'
import boto3, concurrent.futures, gzip, os, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))
if any(b["Name"] == "atrest-mixed" for b in s3.list_buckets()["Buckets"]):
    sys.exit(0)  # seeded by an earlier run against the same emulator
s3.create_bucket(Bucket="atrest-mixed")
fx = sys.argv[1]
wav = open(f"{fx}/audio/wav/pcm16.wav", "rb").read()
pcm = wav[44:]
def long_wav(seconds):
    data = (pcm * (seconds * 32000 // len(pcm) + 1))[: seconds * 32000]
    return wav[:4] + (36 + len(data)).to_bytes(4, "little") + wav[8:40] + len(data).to_bytes(4, "little") + data
mp3 = open(f"{fx}/audio/mp3/no-tag.mp3", "rb").read()
kinds = [
    ("wav", lambda i: long_wav(4 + i % 12)),                 # 128–480 KB
    ("mp3", lambda i: mp3 * (10 + i % 60)),                  # 60 KB–400 KB
    ("wav.gz", lambda i: gzip.compress(long_wav(2 + i % 6), 1)),
    ("bin", lambda i: os.urandom(200_000 + (i % 8) * 100_000)),  # ciphertext-like, 200–900 KB
    ("json", lambda i: b'{"id": %d, "note": "call back"}' % i * (1 + i % 600)),
]
def put(i):
    ext, make = kinds[i % len(kinds)]
    s3.put_object(Bucket="atrest-mixed", Key=f"audit/{i:05d}.{ext}", Body=make(i))
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(2000)))
PY
for bucket in atrest-mixed atrest-big; do
  t0=$(now)
  ./target/release/atrest scan "s3://$bucket" --endpoint $EP --format json --fail-on never -o "$WORK/remote.json"
  t1=$(now)
  .emu/venv/bin/python - "$bucket" "$WORK/sync" "$WORK/sync.json" <<'PY'
import boto3, concurrent.futures, json, os, sys
from botocore.config import Config
bucket, dest, out = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, max_pool_connections=32))
sent = [0]
def count(**_):
    sent[0] += 1
s3.meta.events.register("before-send.s3", count)
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    keys += [o["Key"] for o in page.get("Contents", [])]
def get(key):
    path = os.path.join(dest, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s3.download_file(bucket, key, path)
    return os.path.getsize(path)
with concurrent.futures.ThreadPoolExecutor(32) as pool:
    total = sum(pool.map(get, keys))
json.dump({"objects": len(keys), "requests": sent[0], "bytes": total}, open(out, "w"))
PY
  t2=$(now)
  ./target/release/atrest scan "$WORK/sync" --format json --fail-on never -o "$WORK/local.json"
  t3=$(now)
  python3 - "$bucket" "$WORK" "$t0" "$t1" "$t2" "$t3" <<'PY'
import json, sys
bucket, work = sys.argv[1:3]
t0, t1, t2, t3 = map(float, sys.argv[3:])
r = json.load(open(f"{work}/remote.json"))["summary"]
s = json.load(open(f"{work}/sync.json"))
l = json.load(open(f"{work}/local.json"))
n = r["objects_seen"]
print(f"\n{bucket}: {n} objects")
print(f"{'approach':34} {'seconds':>8} {'objects/s':>10} {'requests/object':>16} {'bytes/object':>14}")
print(f"{'atrest scan s3:// (ranged GETs)':34} {t1 - t0:8.2f} {n / (t1 - t0):10.0f} {r['requests'] / n:16.2f} {r['bytes_read'] / n:14.0f}")
print(f"{'download all (boto3) + local scan':34} {t3 - t1:8.2f} {n / (t3 - t1):10.0f} {s['requests'] / n:16.2f} {s['bytes'] / n:14.0f}")
rf = {(f['location'].split('/', 3)[3], f['rule']) for f in json.load(open(f"{work}/remote.json"))["findings"]}
lf = {(f['location'].split('/sync/', 1)[1], f['rule']) for f in l["findings"]}
print("same findings both ways:", rf == lf, f"({len(rf)})")
PY
  rm -rf "$WORK/sync"
done
