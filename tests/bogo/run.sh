#!/usr/bin/env bash
# BoringSSL's BoGo suite against Parley's shim (docs/testing.md, "BoGo").
#
#   tests/bogo/run.sh BUILD_DIR full|ci ["Name;Glob*"]
#
# Builds the runner offline from shared/vendor (once), runs the tests with
# tests/bogo/config.json on 2 workers and prints "N passed, M failed, K
# skipped" with the skips by reason. full: every test (`make bogo`;
# results in BUILD_DIR/bogo-results.json); ci: every test but the
# -Async/-ImplicitHandshake/-SplitHandshakeRecords/-PackHandshake variants
# of the same exchanges (`make test`; BUILD_DIR/bogo-ci-results.json).
# A third argument runs only those tests. Exit 1 when a test that is not
# disabled fails or is unimplemented (the shim's exit 89: a test the config
# does not list must run). PARLEY_VENDOR overrides where the runner's
# sources are (default: the checkout's ../shared/vendor).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR full|ci [tests]}" && pwd)
mode=${2:-full}
only=${3:-}
vendor=${PARLEY_VENDOR:-$src/../shared/vendor}
tarball=$vendor/bogo-runner-88a537f.tar.gz
if [ ! -f "$tarball" ] || [ ! -f "$vendor/build-bogo.sh" ]; then
  echo "bogo: the runner's sources are not at $vendor (set PARLEY_VENDOR to shared/vendor)" >&2
  exit 1
fi
out=$build/bogo
if [ ! -x "$out/runner.test" ] || [ "$tarball" -nt "$out/runner.test" ]; then
  bash "$vendor/build-bogo.sh" "$out" >"$build/bogo-build.log" 2>&1 || {
    cat "$build/bogo-build.log" >&2
    exit 1
  }
fi
shim=$build/tests/bogo/bogo_shim
[ -x "$shim" ] || { echo "bogo: no shim at $shim (cmake --build $build)" >&2; exit 1; }
rdir=$out/boringssl/ssl/test/runner
case $mode in
  full) results=$build/bogo-results.json ;;
  ci) results=$build/bogo-ci-results.json ;;
  *) echo "bogo: mode is full or ci" >&2; exit 2 ;;
esac
args=(-test.run TestAll -shim-path "$shim" -shim-config "$src/tests/bogo/config.json" -num-workers 2 -pipe
      -idle-timeout 10s -json-output "$out/runner-results.json")
skip=""
[ "$mode" = ci ] && skip="*-Async;*-Async-*;*-ImplicitHandshake;*-SplitHandshakeRecords;*-PackHandshake"
[ -n "$skip" ] && args+=(-skip "$skip")
[ -n "$only" ] && args+=(-test "$only")

# Every test's name, for the counts by reason: the runner with a stand-in
# shim that runs nothing (about 20 s).
lister=$out/list-shim.sh
printf '#!/bin/sh\n[ "$1" = -is-handshaker-supported ] && { echo No; exit 0; }\nexit 89\n' >"$lister"
chmod +x "$lister"
(cd "$rdir" && "$out/runner.test" -test.run TestAll -shim-path "$lister" -num-workers 4 -allow-unimplemented \
   -pipe ${only:+-test "$only"} ${skip:+-skip "$skip"}) 2>/dev/null |
  sed -n 's/^UNIMPLEMENTED (\(.*\))$/\1/p' >"$out/names.txt" || true

rm -f "$out/runner-results.json"
start=$(date +%s)
set +e
(cd "$rdir" && "$out/runner.test" "${args[@]}") >"$out/runner.log" 2>&1
runner_rc=$?
set -e
secs=$(( $(date +%s) - start ))
grep -E '^FAILED \(' -A12 "$out/runner.log" | head -200 || true
python3 "$src/tests/bogo/summary.py" "$out/runner-results.json" "$src/tests/bogo/config.json" "$out/names.txt" \
  "$results" "$mode" "$secs" "$runner_rc"
