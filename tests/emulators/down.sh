#!/usr/bin/env bash
# Stops the emulators up.sh started, by their recorded PIDs only.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${STATE:-$ROOT/.emu}
for n in moto azurite fake-gcs; do
  f="$STATE/$n.pid"; [ -f "$f" ] || continue
  kill "$(cat "$f")" 2>/dev/null && echo "stopped $n" >&2
  rm -f "$f"
done
