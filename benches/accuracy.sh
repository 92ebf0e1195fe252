#!/usr/bin/env bash
# Accuracy benchmark: builds a labeled corpus from real recordings
# and Debian tools (different from fixtures/), scans it with the release
# binary and prints recall and false-positive rate per kind.
#
#   bash benches/accuracy.sh [WORKDIR]
#
# Needs Debian's espeak-ng sox ffmpeg age gnupg openssl zip p7zip-full
# xz-utils zstd bzip2 lz4 qpdf alsa-utils sound-theme-freedesktop, and python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$(mktemp -d)}
cd "$ROOT"
cargo build --release --quiet
python3 benches/accuracy.py build "$DIR"
start=$(date +%s.%N)
./target/release/atrest scan "$DIR/corpus" --format json --fail-on never -o "$DIR/report.json"
end=$(date +%s.%N)
python3 benches/accuracy.py score "$DIR"
echo "scan took $(echo "$end - $start" | bc) s"
