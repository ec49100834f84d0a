#!/usr/bin/env bash
# keyless_tsan.sh BUILD_DIR SECONDS THREADS - the stress test (parley_stress)
# with its keyless server K too: the key is held by `parley keyserver`
# (BUILD_DIR/parley: the TSan build under `make test-tsan`), which
# parley_stress starts, kills while handshakes run, and restarts. Fails on a
# failed check or on any ThreadSanitizer report, in parley_stress or in the
# key server (its output is part of this one).
set -u
BUILD=${1:?usage: keyless_tsan.sh BUILD_DIR SECONDS THREADS}
SECS=${2:-20}
THREADS=${3:-8}
source "$(dirname "$0")/../interop/lib.sh" "$BUILD/parley" "$BUILD"
make_pki
make_keyless_pki
P=$PKI
KPORT=$(free_port)
"$BUILD/tests/parley_stress" --threads "$THREADS" --seconds "$SECS" --keyless "127.0.0.1:$KPORT" \
    --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" --keyless-chain "$P/ec256.pem" \
    -- "$BUILD/parley" keyserver --listen "127.0.0.1:$KPORT" --keys "$WORK/keys" --ca "$P/ca.pem" \
    --cert "$P/ksrv.pem" --key "$P/ksrv.key" >"$WORK/stress.log" 2>&1
rc=$?
cat "$WORK/stress.log"
if grep -q "WARNING: ThreadSanitizer" "$WORK/stress.log"; then
    echo "keyless_tsan: ThreadSanitizer reported (see above)"
    exit 66
fi
[ "$rc" -eq 0 ] || { echo "keyless_tsan: parley_stress exited with $rc"; exit "$rc"; }
echo "keyless_tsan: ok"
