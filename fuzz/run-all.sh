#!/bin/sh
# Runs fuzz targets for SECONDS each, TWO at a time, at the lowest priority,
# with the per-input budget libFuzzer enforces: 256 MB of RSS (and no single
# allocation above it) and 10 s per input. Logs go to fuzz/logs/TARGET.log;
# crashes, timeouts and OOMs to fuzz/artifacts/TARGET/. AddressSanitizer
# keeps freed blocks in a quarantine (256 MB by default) that counts in the
# RSS libFuzzer watches; 32 MB keeps the 256 MB limit about the target's own
# memory.
#
#   cd fuzz && CARGO_TARGET_DIR=$PWD/target sh run-all.sh 600 sevenz tar zip
set -u
seconds=$1
shift
mkdir -p logs
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32}"
run() {
    nice -n 19 cargo +nightly fuzz run -O "$1" -- \
        -max_total_time="$seconds" -rss_limit_mb=256 -timeout=10 \
        -print_final_stats=1 >"logs/$1.log" 2>&1
    echo "$1: exit $?" >>logs/summary.txt
}
while [ $# -gt 0 ]; do
    first=$1
    shift
    if [ $# -gt 0 ]; then
        second=$1
        shift
        run "$first" &
        run "$second"
        wait
    else
        run "$first"
    fi
done
