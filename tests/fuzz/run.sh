#!/usr/bin/env bash
# Run every fuzz target for a bounded time on a copy of its seed corpus, as
# many at a time as there are cores (FUZZ_JOBS to change it): each target
# still gets SECS seconds of one core, and `make test` waits half as long.
# Usage: run.sh BUILD_DIR SECONDS
set -u
BUILD=$(cd "${1:?build dir}" && pwd)
SECS=${2:-10}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
HERE=$(cd "$(dirname "$0")" && pwd)

# run_one BIN: the target's verdict line in BUILD/NAME.result.
run_one() {
    local bin=$1 name corpus runs
    name=$(basename "$bin")
    corpus="$BUILD/corpus/$name"
    mkdir -p "$corpus"
    [ -d "$HERE/seeds/${name#fuzz_}" ] && cp -n "$HERE/seeds/${name#fuzz_}"/* "$corpus/" 2>/dev/null
    if (cd "$BUILD" && "$bin" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        "$corpus" >"$BUILD/$name.log" 2>&1); then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/$name.log" | grep -o '[0-9]*$')
        echo "ok - $name ($runs inputs in ${SECS}s)" >"$BUILD/$name.result"
    else
        echo "FAIL - $name: see $BUILD/$name.log" >"$BUILD/$name.result"
    fi
}

names=()
for bin in "$BUILD"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    names+=("$(basename "$bin")")
    rm -f "$BUILD/${names[-1]}.result"
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    run_one "$bin" &
done
wait
pass=0 fail=0
for name in "${names[@]}"; do
    line=$(cat "$BUILD/$name.result" 2>/dev/null || echo "FAIL - $name: no result")
    echo "$line"
    case $line in
    ok*) pass=$((pass + 1)) ;;
    *) fail=$((fail + 1)); tail -n 30 "$BUILD/$name.log" ;;
    esac
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
