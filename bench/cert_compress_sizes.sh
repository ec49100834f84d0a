#!/usr/bin/env bash
# Bytes saved by certificate compression (RFC 8879) on the test chains:
# `parley server` with each chain, `parley client --cert-compression ALG`
# against it; the client summary's cert_compression: line gives the
# Certificate message body as sent uncompressed and the CompressedCertificate
# body. Prints a Markdown table (docs/performance.md).
# usage: bench/cert_compress_sizes.sh [PATH_TO_PARLEY]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# lib.sh: the interop tests' PKI (make_pki, make_ca_pki) and peer helpers.
# shellcheck source=../tests/interop/lib.sh
source "$HERE/../tests/interop/lib.sh" "$(cd "$(dirname "${1:-build/parley}")" && pwd)/$(basename "${1:-build/parley}")" .
make_pki
make_ca_pki
P=$PKI
# An RSA-2048 intermediate and an RSA-2048 leaf under it (the common web shape).
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/rsainter.key" -out "$P/rsainter.csr" -subj "/CN=Parley RSA Intermediate" 2>/dev/null
openssl ca -batch -config "$(ca_dir main)/ca.cnf" -extensions inter -cert "$P/ca.pem" -keyfile "$P/ca.key" \
    -in "$P/rsainter.csr" -out "$P/rsainter.pem" -notext -days 30 2>/dev/null
RD=$(ca_dir rsainter)
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/rsaleaf.key" -out "$P/rsaleaf.csr" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,DNS:www.localhost,IP:127.0.0.1" 2>/dev/null
openssl ca -batch -config "$RD/ca.cnf" -extensions leaf -cert "$P/rsainter.pem" -keyfile "$P/rsainter.key" \
    -in "$P/rsaleaf.csr" -out "$P/rsaleaf.pem" -notext -days 30 2>/dev/null
cat "$P/rsaleaf.pem" "$P/rsainter.pem" >"$P/rsaleaf-chain.pem"

echo "| chain | Certificate (bytes) | zlib | brotli | zstd |"
echo "| --- | ---: | ---: | ---: | ---: |"
for c in "ec256:ec256:P-256 leaf (CA P-256)" "rsa2048:rsa2048:RSA-2048 leaf (CA P-256)" \
         "viainter-chain:viainter:P-256 leaf + P-256 intermediate" "rsaleaf-chain:rsaleaf:RSA-2048 leaf + RSA-2048 intermediate"; do
    pem=${c%%:*} rest=${c#*:} key=${rest%%:*} label=${rest#*:}
    PORT=$(free_port)
    start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/$pem.pem" --key "$P/$key.key"
    wait_line "$WORK/s.log" "listening on"
    row="| $label |" plain=""
    for alg in zlib brotli zstd; do
        line=$("$PARLEY" client --insecure --cert-compression "$alg" "127.0.0.1:$PORT" 2>/dev/null | grep '^cert_compression:' | tail -n 1)
        # cert_compression: brotli (3012 -> 2100 bytes)
        u=$(echo "$line" | sed -n 's/.*(\([0-9]*\) -> \([0-9]*\) bytes)/\1/p')
        z=$(echo "$line" | sed -n 's/.*(\([0-9]*\) -> \([0-9]*\) bytes)/\2/p')
        plain=$u
        row="$row ${z:-n/a} ($(( u ? 100 - 100 * z / u : 0 ))% saved) |"
    done
    echo "| $label | $plain |${row#*|*|}"
    stop_bg "$LAST_PID"
done
