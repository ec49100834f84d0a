#!/usr/bin/env bash
# The benchmark still runs end to end (a very short run): every configuration
# completes for Parley, OpenSSL and GnuTLS where each can do it, and
# results.json has the rows docs/performance.md describes. No number is
# judged here: speed is read from `make bench`, never from a timed test.
source "$(dirname "$0")/lib.sh" "$@"
BUILD=${2:?build dir}
if [ ! -x "$BUILD/parley_bench" ]; then
    bad "no $BUILD/parley_bench (GnuTLS headers missing? scripts/install-deps.sh installs libgnutls28-dev)"
    finish
    exit
fi
bash "$(dirname "$0")/../../bench/run.sh" "$BUILD" 0.02 20 "$WORK/results.json" >"$WORK/bench.log" 2>&1
check "the benchmark runs" "$WORK/bench.log" '^results: ' 'server_us_per_handshake' 'encrypt_mb_s'
python3 - "$WORK/results.json" >"$WORK/check.log" 2>&1 <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
metrics = {r["metric"] for r in rows}
want = {"server_us_per_handshake", "client_us_per_handshake", "handshakes_per_s", "resumed_handshakes_per_s",
        "server_us_per_resumed_handshake", "encrypt_mb_s", "decrypt_mb_s", "server_bytes_per_idle_conn",
        "client_bytes_per_idle_conn"}
assert want <= metrics, "missing metrics: %s" % (want - metrics)
for r in rows:
    assert set(r) == {"config", "metric", "unit", "parley", "openssl", "gnutls", "bound"}, r
    assert r["parley"] is not None, "parley has no value for %s / %s" % (r["config"], r["metric"])
    # OpenSSL can do every configuration; GnuTLS has no allocation hook.
    assert r["openssl"] is not None, "openssl has no value for %s / %s" % (r["config"], r["metric"])
    assert r["gnutls"] is not None or "alloc hook" in r["config"], "gnutls has no value for %s / %s" % (r["config"], r["metric"])
print("rows:", len(rows))
PY
check "results.json has every metric, a value for each library that can run it" "$WORK/check.log" '^rows: [0-9]+'
finish
