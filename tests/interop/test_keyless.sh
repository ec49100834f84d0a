#!/usr/bin/env bash
# Keyless: parley server holds only certificates; parley keyserver holds the
# RSA and ECDSA keys. openssl s_client handshakes through it with TLS 1.3,
# TLS 1.2 ECDHE and TLS 1.2 static RSA; a client from the wrong CA is refused;
# the key server is killed (handshakes fail fast) and restarted (they succeed
# again); malformed and unknown-key requests get typed answers.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
# The key server's channel has its own CA: the edge server's client
# certificate and the key server's certificate come from it.
make_keyless_pki
cp "$P/rsa2048.key" "$WORK/keys/rsa2048.pem"

KPORT=$(free_port)
start_keyserver() {
    start_bg "$WORK/ks.log" "$PARLEY" keyserver --listen "127.0.0.1:$KPORT" --keys "$WORK/keys" --ca "$P/ca.pem" \
        --cert "$P/ksrv.pem" --key "$P/ksrv.key"
    KS_PID=$LAST_PID
    wait_line "$WORK/ks.log" 'listening on'
}
start_keyserver
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --cert "$P/rsa2048.pem" \
    --keyless "127.0.0.1:$KPORT" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" \
    --keyless-timeout 1500 --allow-rsa-kx
wait_port "$PORT"
wait_line "$WORK/ks.log" 'connected as /CN=edge'
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
for a in "-tls1_3:TLS_AES_128_GCM_SHA256" "-tls1_3 -sigalgs rsa_pss_rsae_sha256:TLS_AES_128_GCM_SHA256" \
    "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" \
    "-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305:TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" \
    "-tls1_2 -cipher AES256-GCM-SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384"; do
    args=${a%:*} iana=${a##*:}
    # shellcheck disable=SC2086
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" \
        -verify_return_error $args -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client $args through the key server" "$WORK/c.log" 'Verify return code: 0' "^cipher: $iana"
done
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v through the key server" "$WORK/c.log" '^verify: ok'
done
# Many handshakes at once: operations pipelined on the pool, answered out of order.
for i in $(seq 1 24); do
    ( timeout 30 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/par$i.log" 2>&1 ) &
done
for i in $(seq 1 24); do wait -n 2>/dev/null || true; done
sleep 0.5
n=$(grep -l '^verify: ok' "$WORK"/par*.log | wc -l)
[ "$n" -eq 24 ] && ok "24 concurrent handshakes through the key server" || bad "only $n of 24 concurrent handshakes succeeded"
check "the edge server has no private key, and says where operations go" "$WORK/s.log" 'private-key operations go to'
# A client whose certificate is not from the key server's CA is refused.
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/ca2.pem" --key "$P/ca2.key" --send 'x' "localhost:$KPORT" >"$WORK/c.log" 2>&1
check "a key-server client from another CA is refused" "$WORK/c.log" 'alert: received (certificate_required|unknown_ca)'
sleep 0.3
check "the key server logs one line per client" "$WORK/ks.log" 'client [0-9]+ .* connected as /CN=edge' \
    'client [0-9]+ .*: the client sent no certificate, and one is required'
# Typed errors for broken and unknown-key requests, over a raw mTLS channel.
cat >"$WORK/raw.py" <<PY
import socket, ssl, struct, sys
sys.path.insert(0, "$HERE")
from keyless_raw import connect, frame
s = connect($KPORT, "$P/ca.pem", "$P/edge.pem", "$P/edge.key")
def exact(n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise ConnectionError("closed")
        b += chunk
    return b
def answer():
    ver, typ, _, fid, blen = struct.unpack(">BBHII", exact(12))
    body = exact(blen)
    return fid, body[3]
s.sendall(frame(1, [(1, b"\\x01"), (2, bytes(32)), (3, b"\\x04\\x03"), (5, b"data")]))
print("unknown key: id %d status %d" % answer())
s.sendall(frame(2, [(1, b"\\x03"), (5, b"ping")]))
print("ping: id %d status %d" % answer())
s.sendall(frame(3, [(1, b"\\x09"), (2, bytes(32)), (5, b"x")]))
print("unknown opcode: id %d status %d" % answer())
s.sendall(b"\\x07" * 12)
try:
    print("after garbage:", s.recv(10))
except (ssl.SSLError, ConnectionError) as e:
    print("after garbage: closed")
PY
timeout 20 python3 "$WORK/raw.py" >"$WORK/c.log" 2>&1
check "typed answers to raw requests" "$WORK/c.log" '^unknown key: id 1 status 1$' '^ping: id 2 status 0$' \
    '^unknown opcode: id 3 status 3$' "^after garbage: (closed|b'')"
# SIGHUP reloads the key directory without dropping connections.
cp "$P/ec384.key" "$WORK/keys/ec384.pem"
kill -HUP "$KS_PID"
wait_line "$WORK/ks.log" 'reloaded 3 keys'
check "SIGHUP reloads the keys" "$WORK/ks.log" 'reloaded 3 keys'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "handshakes go on after the reload" "$WORK/c.log" '^verify: ok'
# The key server dies: handshakes fail fast with internal_error; it returns: they succeed.
stop_bg "$KS_PID"
sleep 0.5
start=$(date +%s%N)
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -ign_eof >"$WORK/c.log" 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "handshake with the key server down took ${ms} ms" >>"$WORK/c.log"
check "key server down: internal_error" "$WORK/c.log" 'alert internal error'
[ "$ms" -lt 3000 ] && ok "key server down: the handshake failed fast (${ms} ms)" || bad "key server down: took ${ms} ms"
check "key server down: one clear log line" "$WORK/s.log" 'key server 127.0.0.1:[0-9]+ is unreachable; handshakes fail until it is back'
start_keyserver
for _ in $(seq 1 60); do grep -q 'reachable again' "$WORK/s.log" && break; sleep 0.1; done
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -ign_eof >"$WORK/c.log" 2>&1
check "key server back: handshakes succeed again" "$WORK/c.log" '^protocol: TLSv1.3'
# A key server that answers with a malformed frame: the edge drops that
# connection at once (its operation fails now, not at its deadline) and
# reconnects, rather than keeping the garbage and losing every later answer.
FPORT=$(free_port)
cat >"$WORK/fake.py" <<PY
import socket, ssl, struct, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain("$P/ksrv.pem", "$P/ksrv.key")
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations("$P/ca.pem")
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", $FPORT))
ls.listen(16)
print("listening", flush=True)
n = 0
def serve(c, n):
    try:
        s = ctx.wrap_socket(c, server_side=True)
        print("connection %d" % n, flush=True)
        req = b""
        while len(req) < 2048:
            chunk = s.recv(2048 - len(req))
            if not chunk:
                return
            req += chunk
        fid = struct.unpack(">I", req[4:8])[0]
        s.sendall(struct.pack(">BBHII", 9, 2, 0, fid, 4) + bytes([8, 0, 1, 0]))  # version 9
        print("sent garbage", flush=True)
        while s.recv(4096):
            pass
    except Exception:
        pass
while True:
    c, _ = ls.accept()
    n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
start_bg "$WORK/fake.log" python3 "$WORK/fake.py"
wait_line "$WORK/fake.log" '^listening'
FEDGE=$(free_port)
start_bg "$WORK/s2.log" "$PARLEY" server --listen "127.0.0.1:$FEDGE" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$FPORT" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" \
    --keyless-timeout 8000 --keyless-pool 1
wait_port "$FEDGE"
wait_line "$WORK/fake.log" '^connection 1'
start=$(date +%s%N)
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$FEDGE" >"$WORK/c.log" 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Fast is not enough: it must have failed for this reason (the edge could not
# sign: internal_error to a client that did connect), not, say, because the
# client could not connect at all.
check "malformed answer: the client connected and got internal_error" "$WORK/c.log" '^alert: received internal_error$'
check "malformed answer: the edge failed the handshake for want of the signature" "$WORK/s2.log" \
    'handshake failed: the private-key provider could not complete the operation \(alert sent: internal_error\)'
[ "$ms" -lt 4000 ] && ok "malformed answer: the handshake failed at once (${ms} ms), not at the 8 s deadline" ||
    bad "malformed answer: the handshake took ${ms} ms"
wait_line "$WORK/fake.log" '^connection 2'
check "malformed answer: the edge drops the connection and reconnects" "$WORK/s2.log" \
    'connection 0: the key server sent a malformed frame' 'connection 0 to the key server closed'
check "malformed answer: the key server saw the reconnection" "$WORK/fake.log" '^connection 2'
finish
