#!/usr/bin/env bash
# `make bench` / `make bench-quick`: certificates for the benchmark (a P-256 CA,
# an ECDSA P-256 and an RSA-2048 leaf for "localhost"), then parley_bench.
# usage: run.sh BUILD_DIR SECONDS IDLE_CONNS [RESULTS_JSON]
set -eu
BUILD=${1:-build}
SECS=${2:-1}
IDLE=${3:-10000}
OUT=${4:-bench/results.json}
[ -x "$BUILD/parley_bench" ] || { echo "no $BUILD/parley_bench (is libgnutls28-dev installed?)"; exit 1; }
# BENCH_PKI=DIR keeps the certificates (e.g. to rerun parley_bench under perf).
if [ -n "${BENCH_PKI:-}" ]; then PKI=$BENCH_PKI; mkdir -p "$PKI"; else PKI=$(mktemp -d); trap 'rm -rf "$PKI"' EXIT; fi
cd "$PKI"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=Parley bench CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>/dev/null
leaf() {
    openssl req -new -newkey "$2" -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec256.key -out ec256.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >ec256.ext
openssl x509 -req -in ec256.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ec256.ext -out ec256.pem 2>/dev/null
leaf rsa2048 rsa:2048
cd - >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -r)"
echo "libraries: $(openssl version | cut -d' ' -f1-2), GnuTLS $(pkg-config --modversion gnutls), Parley $("$BUILD/parley" --version 2>/dev/null | head -1)"
"$BUILD/parley_bench" "$PKI" "$SECS" "$IDLE" "$OUT"
echo "results: $OUT"
