#!/usr/bin/env bash
# make demo: a live TLS 1.3 handshake on 127.0.0.1. parley server generates a
# self-signed certificate, parley client trusts exactly that certificate,
# shows the handshake ladder and the page, and the server is stopped.
set -eu
BIN=${1:-build/parley}
DIR=$(mktemp -d /tmp/parley-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" server --listen "127.0.0.1:$PORT" --export-cert "$DIR/server.pem" >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 200); do
    grep -q '^listening on' "$DIR/server.log" 2>/dev/null && break
    sleep 0.05
done
echo "== parley server on 127.0.0.1:$PORT"
sed 's/^/   /' "$DIR/server.log"
echo
echo "== parley client --trace --cafile server.pem localhost:$PORT"
echo
"$BIN" client --trace --cafile "$DIR/server.pem" "localhost:$PORT"
echo
echo "== server log"
grep " TLSv1" "$DIR/server.log" | sed "s/^/   /" | tail -n 1   # the handshake line (other lines may follow it)
