#!/usr/bin/env bash
# Run every fuzz target for a bounded time on a copy of its seed corpus.
# Usage: run.sh BUILD_DIR SECONDS
set -u
BUILD=$(cd "${1:?build dir}" && pwd)
SECS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
for bin in "$BUILD"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus="$BUILD/corpus/$name"
    mkdir -p "$corpus"
    [ -d "$HERE/seeds/${name#fuzz_}" ] && cp -n "$HERE/seeds/${name#fuzz_}"/* "$corpus/" 2>/dev/null
    if (cd "$BUILD" && "$bin" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        "$corpus" >"$BUILD/$name.log" 2>&1); then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/$name.log" | grep -o '[0-9]*$')
        echo "ok - $name ($runs inputs in ${SECS}s)"
        pass=$((pass + 1))
    else
        echo "FAIL - $name: see $BUILD/$name.log"
        tail -n 30 "$BUILD/$name.log"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
