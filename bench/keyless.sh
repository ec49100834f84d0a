#!/usr/bin/env bash
# Keyless vs local-key handshake rates, measured in the same run on loopback.
# usage: keyless.sh BUILD_DIR SECONDS
set -u
BUILD=${1:-build}
SECS=${2:-5}
source "$(dirname "$0")/../tests/interop/lib.sh" "$BUILD/parley" "$BUILD"
make_pki
P=$PKI
main=$(ca_dir main)
sign "$main" "$P/ca.pem" "$P/ca.key" edge edge client
sign "$main" "$P/ca.pem" "$P/ca.key" ksrv localhost leaf "DNS:localhost,IP:127.0.0.1"
mkdir -p "$WORK/keys"
cp "$P/ec256.key" "$WORK/keys/ec.pem"
cp "$P/rsa2048.key" "$WORK/keys/rsa.pem"
KPORT=$(free_port) LPORT=$(free_port) XPORT=$(free_port)
start_bg "$WORK/ks.log" "$PARLEY" keyserver --listen "127.0.0.1:$KPORT" --keys "$WORK/keys" --ca "$P/ca.pem" --cert "$P/ksrv.pem" --key "$P/ksrv.key"
wait_line "$WORK/ks.log" listening
for cert in ec256 rsa2048; do
    start_bg "$WORK/l.log" "$PARLEY" server --listen "127.0.0.1:$LPORT" --cert "$P/$cert.pem" --key "$P/$cert.key"
    L=$LAST_PID
    start_bg "$WORK/x.log" "$PARLEY" server --listen "127.0.0.1:$XPORT" --cert "$P/$cert.pem" --keyless "127.0.0.1:$KPORT" \
        --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" --keyless-pool 4
    X=$LAST_PID
    wait_port "$LPORT"
    wait_port "$XPORT"
    sleep 0.5
    for v in tls1.3 tls1.2; do
        l=$("$BUILD/bench_handshakes" 127.0.0.1 "$LPORT" "$P/ca.pem" 4 "$SECS" $v)
        x=$("$BUILD/bench_handshakes" 127.0.0.1 "$XPORT" "$P/ca.pem" 4 "$SECS" $v)
        lr=${l%% *} xr=${x%% *}
        printf '%-8s %-7s local key: %-10s keyless: %-10s keyless/local: %s\n' "$cert" "$v" "$lr/s" "$xr/s" \
            "$(python3 -c "print('%.2f' % ($xr / $lr))" 2>/dev/null || echo ?)"
    done
    stop_bg "$L"
    stop_bg "$X"
done
