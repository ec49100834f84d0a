#!/usr/bin/env bash
# Certificate compression (RFC 8879) with GnuTLS (gnutls-cli / gnutls-serv
# --compress-cert=zlib|brotli|zstd), both roles, for the server's certificate
# and for a client certificate. That compression was used is read from
# Parley's side: the client summary's cert_compression: line and trace, the
# server's log lines (cert_compression:, client_cert_compression:).
#
# A GnuTLS built without a library says "Unknown compression method: X" and
# offers nothing: Debian 12's gnutls 3.7.9 is built without zlib, brotli and
# zstd. Then the 6 handshakes must still succeed uncompressed (GnuTLS neither
# offers nor sends it), the 12 compression checks are skipped, and the test
# exits 77, which ctest reports as Skipped (SKIP_RETURN_CODE in
# tests/CMakeLists.txt), not Passed: it has then shown nothing about
# compression. GNUTLS_BIN=DIR takes gnutls-cli and gnutls-serv from DIR
# instead (`make interop-gnutls-compress` builds Debian's GnuTLS with the
# three libraries into build/gnutls and runs this with it): all 18 checks
# run, and a skipped one is a failure.
source "$(dirname "$0")/lib.sh" "$@"
GCLI=${GNUTLS_BIN:+$GNUTLS_BIN/}gnutls-cli
GSERV=${GNUTLS_BIN:+$GNUTLS_BIN/}gnutls-serv
make_pki
make_ca_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
SKIPPED=0

# supported LOG ALG: did this GnuTLS know the algorithm?
supported() { ! grep -q "Unknown compression method" "$1"; }
# expect NAME LOG ALG FILE REGEX: with support, REGEX in FILE; without,
# the handshake's own success (checked by the caller) and a skip note.
expect() {
    local name=$1 glog=$2 alg=$3 file=$4 re=$5
    if supported "$glog"; then check "$name" "$file" "$re"
    else SKIPPED=$((SKIPPED + 1)); echo "skip - $name: this GnuTLS has no $alg (\"Unknown compression method: $alg\")"; fi
}

for alg in zlib brotli zstd; do
    # ---- parley client -> gnutls-serv (server's certificate; then a client certificate)
    PORT=$(free_port)
    start_bg "$WORK/gs.log" "$GSERV" --http -p "$PORT" --x509certfile "$P/viainter-chain.pem" --x509keyfile "$P/viainter.key" \
        --x509cafile "$P/ca.pem" --require-client-cert --verify-client-cert --compress-cert="$alg"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" --cert-compression "$alg" \
        --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> gnutls-serv --compress-cert=$alg: handshake" "$WORK/c.log" '^HTTP/1.0 200 OK' '^protocol: TLSv1.3$' '^verify: ok$'
    expect "parley client <- gnutls-serv: server certificate compressed with $alg" "$WORK/gs.log" "$alg" "$WORK/c.log" \
        "^cert_compression: $alg \\([0-9]+ -> [0-9]+ bytes\\)$"
    expect "parley client -> gnutls-serv: client certificate compressed with $alg" "$WORK/gs.log" "$alg" "$WORK/c.log" \
        "certificate compressed: $alg"
    stop_bg "$LAST_PID"

    # ---- gnutls-cli -> parley server (server's certificate; the client's)
    PORT=$(free_port)
    start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/viainter-chain.pem" --key "$P/viainter.key" \
        --client-ca "$P/ca.pem" --verify require --cert-compression "$alg"
    wait_line "$WORK/s.log" "listening on"
    printf "$REQ" | timeout 20 "$GCLI" --x509cafile "$P/ca.pem" --x509certfile "$P/alice.pem" --x509keyfile "$P/alice.key" \
        -p "$PORT" localhost --compress-cert="$alg" >"$WORK/g.log" 2>&1
    check "gnutls-cli --compress-cert=$alg -> parley server: handshake" "$WORK/g.log" 'protocol: TLSv1.3' \
        'client_certificate: /CN=alice'
    expect "gnutls-cli <- parley server: server certificate compressed with $alg" "$WORK/g.log" "$alg" "$WORK/s.log" \
        "cert_compression: $alg \\([0-9]+ -> [0-9]+ bytes\\)"
    expect "gnutls-cli -> parley server: client certificate compressed with $alg" "$WORK/g.log" "$alg" "$WORK/s.log" \
        "client_cert_compression: $alg"
    stop_bg "$LAST_PID"
done
echo "compression checks skipped: $SKIPPED"
if [ "$SKIPPED" -gt 0 ] && [ -n "${GNUTLS_BIN:-}" ]; then
    bad "GNUTLS_BIN=$GNUTLS_BIN: this GnuTLS cannot compress certificates ($SKIPPED checks could not run)"
elif [ "$SKIPPED" -gt 0 ] && [ "$FAIL" -eq 0 ]; then
    echo "$PASS passed, $FAIL failed, $SKIPPED skipped"
    echo "SKIPPED: $(command -v "$GCLI") cannot compress certificates (Debian's GnuTLS is built without zlib," \
        "brotli and zstd): only the uncompressed handshakes ran. make interop-gnutls-compress builds one that can."
    exit 77
fi
finish
