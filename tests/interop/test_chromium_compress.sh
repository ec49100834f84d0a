#!/usr/bin/env bash
# Certificate compression (RFC 8879) with headless Chromium, which offers
# brotli: Chromium (a client only) against `parley server`, with the chain
# of an intermediate and a leaf. The page Chromium renders is the server's
# answer, which names how the server's Certificate went out; the server's log
# and trace must show the CompressedCertificate. Skipped (exit 77, which
# ctest reports as Skipped) when chromium is not installed: `make test`
# installs it (scripts/install-deps.sh --test), `make build` does not.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds chromium
make_pki
make_ca_pki
P=$PKI

chromium_get() { # chromium_get URL OUT
    timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$WORK/chromium.XXXXXX")" --ignore-certificate-errors \
        --dump-dom "$1" >"$2" 2>"$2.err"
}

for chain in viainter-chain:viainter rsa2048:rsa2048; do
    pem=${chain%%:*} key=${chain#*:}
    PORT=$(free_port)
    start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/$pem.pem" --key "$P/$key.key" --trace
    wait_line "$WORK/s.log" "listening on"
    chromium_get "https://127.0.0.1:$PORT/" "$WORK/page.html"
    check "chromium gets a brotli-compressed $pem" "$WORK/page.html" 'Hello from parley' 'protocol: TLSv1.3' \
        'cert_compression: brotli \([0-9]+ -&gt; [0-9]+ bytes\)'
    check "server trace and log: CompressedCertificate with brotli ($pem)" "$WORK/s.log" \
        'C <- S  CompressedCertificate' 'certificate compressed: brotli' 'cert_compression: brotli \([0-9]+ -> [0-9]+ bytes\)'
    stop_bg "$LAST_PID"
done

# Compression turned off on the server: the same page, with a plain Certificate.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/viainter-chain.pem" --key "$P/viainter.key" \
    --trace --cert-compression none
wait_line "$WORK/s.log" "listening on"
chromium_get "https://127.0.0.1:$PORT/" "$WORK/page.html"
check "chromium, compression off on the server" "$WORK/page.html" 'Hello from parley' 'cert_compression: none'
if grep -q 'CompressedCertificate' "$WORK/s.log"; then bad "server sent a CompressedCertificate with --cert-compression none"
else ok "no CompressedCertificate with --cert-compression none"; fi
stop_bg "$LAST_PID"

finish
