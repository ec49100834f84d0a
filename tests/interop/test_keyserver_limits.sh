#!/usr/bin/env bash
# What a peer can make `parley keyserver` spend is bounded:
#  1. half-open handshakes (TCP connects that send nothing, or part of a
#     ClientHello) are cut after --handshake-timeout;
#  2. at --max-conns a new connection takes the place of the oldest one still
#     unauthenticated (so a new edge gets in through a flood of half-open
#     connections), and once every connection is authenticated new ones are
#     closed at once; the edges' authenticated connections keep working (a
#     keyless handshake through `parley server` still succeeds);
#  3. an authenticated client that pipelines requests without reading its
#     answers is held back: the key server stops reading from it (at
#     --max-inflight operations, and when its unsent answers pile up), so the
#     client's sends block after a bounded amount, and other clients go on.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
make_keyless_pki
# ASan keeps freed memory in quarantine: the RSS check only means something without it.
ASAN=0
grep -qa "__asan_init" "$PARLEY" && ASAN=1

# start_edge LOG POOL: an edge server (PORT) using the key server at KPORT.
start_edge() {
    PORT=$(free_port)
    start_bg "$1" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" \
        --keyless "127.0.0.1:$KPORT" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" \
        --keyless-timeout 5000 --keyless-pool "$2"
    wait_port "$PORT"
}
# start_pair LOG_SUFFIX KEYSERVER_OPTIONS...: a key server and an edge server using it.
start_pair() {
    local n=$1; shift
    KPORT=$(free_port)
    start_bg "$WORK/ks$n.log" "$PARLEY" keyserver --listen "127.0.0.1:$KPORT" --keys "$WORK/keys" --ca "$P/ca.pem" \
        --cert "$P/ksrv.pem" --key "$P/ksrv.key" "$@"
    KS_PID=$LAST_PID
    wait_line "$WORK/ks$n.log" 'listening on'
    start_edge "$WORK/s$n.log" 1
    wait_line "$WORK/ks$n.log" 'connected as /CN=edge'
}
through_edge() { # through_edge NAME: a TLS 1.3 handshake that needs the key server
    timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "$1" "$WORK/c.log" '^verify: ok'
}

# A raw client: N connections that send nothing or a partial ClientHello,
# then wait (at most WAIT s) for each to be closed by the server, and say
# how many were closed within EARLY s and in all, and which were not.
cat >"$WORK/halfopen.py" <<'PY'
import select, socket, sys, time
port, n, early, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
# A ClientHello record header announcing 512 bytes, and 20 of them.
partial = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + bytes(20)
socks, closed = [], {}
t0 = time.monotonic()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if i % 2:
        s.sendall(partial)
    socks.append(s)
while len(closed) < n and time.monotonic() - t0 < wait:
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.1)
    for s in r:
        try:
            data = s.recv(4096)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            closed[s] = time.monotonic() - t0
times = sorted(closed.values())
n_early = sum(1 for t in times if t < early)
print("closed %d of %d, %d within %.1f s" % (len(times), n, n_early, early))
if times:
    print("first close after %.2f s, last after %.2f s" % (times[0], times[-1]))
sys.stdout.flush()
# Hold the ones still open, if asked, until the file named there appears.
if len(sys.argv) > 5:
    print("holding %d: %s" % (n - len(closed), " ".join(str(i) for i, s in enumerate(socks) if s not in closed)))
    sys.stdout.flush()
    import os
    while not os.path.exists(sys.argv[5]):
        time.sleep(0.05)
PY

# 1. Half-open handshakes are cut after --handshake-timeout (2 s here).
start_pair 1 --handshake-timeout 2 --max-inflight 4
timeout 60 python3 "$WORK/halfopen.py" "$KPORT" 40 1.5 20 >"$WORK/h.log" 2>&1
check "40 half-open handshakes (silent and partial ClientHello) are all cut" "$WORK/h.log" '^closed 40 of 40, 0 within 1.5 s$'
check "the key server logs each cut" "$WORK/ks1.log" 'client [0-9]+ 127\.0\.0\.1:[0-9]+: handshake timeout after 0 operations'
through_edge "the edge's pooled connection outlives the handshake timeout"

# A request shorter than 2048 bytes (a ping without its padding) is refused
# at its header: short frames would buy more work per byte.
cat >"$WORK/short.py" <<PY
import socket, ssl, struct, sys
sys.path.insert(0, "$HERE")
from keyless_raw import connect
s = connect($KPORT, "$P/ca.pem", "$P/edge.pem", "$P/edge.key")
body = struct.pack(">BHB", 1, 1, 3) + struct.pack(">BH", 5, 4) + b"ping"
s.sendall(struct.pack(">BBHII", 1, 1, 0, 1, len(body)) + body)
s.settimeout(10)
try:
    print("short request: answered" if s.recv(100) else "short request: closed")
except (ssl.SSLError, ConnectionError):
    print("short request: closed")
PY
timeout 30 python3 "$WORK/short.py" >"$WORK/short.log" 2>&1
check "a request frame of the wrong size closes the connection" "$WORK/short.log" '^short request: closed$'
check "and says why" "$WORK/ks1.log" 'client [0-9]+ .*: sent a frame of the wrong size after 0 operations'

# 3. An authenticated client pipelining requests without reading its answers.
cat >"$WORK/flood.py" <<PY
import socket, ssl, struct, sys, time
sys.path.insert(0, "$HERE")
from keyless_raw import connect, frame
s = connect($KPORT, "$P/ca.pem", "$P/edge.pem", "$P/edge.key")
# Pings echo their payload: each answer is about as large as its request.
total = 32768
batch = b"".join(frame(i, [(1, b"\x03"), (5, bytes(1900))]) for i in range(64))
s.settimeout(4)
sent = 0
try:
    for _ in range(total // 64):
        s.sendall(batch)
        sent += len(batch)
    print("all %d MB sent: the key server read everything" % (sent >> 20))
except (socket.timeout, TimeoutError):
    print("blocked after %d MB of %d MB" % (sent >> 20, (total * 2048) >> 20))
sys.stdout.flush()
print("holding")
sys.stdout.flush()
import os
while not os.path.exists("$WORK/release1"):
    time.sleep(0.05)
PY
rss() { awk '/^VmRSS/ {print $2}' "/proc/$KS_PID/status"; }
rss0=$(rss)
start_bg "$WORK/f.log" timeout 120 python3 "$WORK/flood.py"
FLOOD=$LAST_PID
for _ in $(seq 1 1200); do grep -q '^holding' "$WORK/f.log" && break; sleep 0.05; done
rss1=$(rss)
check "a client that does not read is held back: its sends block" "$WORK/f.log" '^blocked after [0-9]+ MB of 64 MB'
mb=$(sed -n 's/^blocked after \([0-9]*\) MB.*/\1/p' "$WORK/f.log")
[ -n "$mb" ] && [ "$mb" -lt 40 ] && ok "it got ${mb} MB in before the key server stopped reading" || bad "it got ${mb:-all} MB in"
check "the in-flight limit and the unread answers are logged" "$WORK/ks1.log" \
    'client [0-9]+ .*: paused reading: 4 operations in flight \(--max-inflight\)' \
    'client [0-9]+ .*: paused reading: [0-9]+ bytes of answers unsent \(not reading\)'
grow=$(( (rss1 - rss0) / 1024 ))
echo "key server RSS: ${rss0} kB before the flood, ${rss1} kB while held (ASan: $ASAN)"
if [ "$ASAN" -eq 0 ]; then
    [ "$grow" -lt 48 ] && ok "the key server's RSS grew by ${grow} MB" || bad "the key server's RSS grew by ${grow} MB"
fi
through_edge "while that client is held back, the edge's handshakes go on"
touch "$WORK/release1"
wait "$FLOOD" 2>/dev/null
stop_bg "$KS_PID"

# 2. The connection cap, 6: one edge with one pool connection, then 20
# half-open connections: each past the cap evicts the oldest unauthenticated
# one, so the last 5 are held and the first 15 closed at once.
start_pair 2 --handshake-timeout 60 --max-conns 6
S2_PORT=$PORT
start_bg "$WORK/h2.log" timeout 120 python3 "$WORK/halfopen.py" "$KPORT" 20 3 4 "$WORK/release2"
HOLD=$LAST_PID
wait_line "$WORK/h2.log" '^holding' || true
check "at --max-conns the oldest unauthenticated connections make room" "$WORK/h2.log" \
    '^closed 15 of 20, 15 within 3.0 s$' '^holding 5: 15 16 17 18 19$'
check "evictions are logged (rate-limited, with counts)" "$WORK/ks2.log" \
    'over --max-conns \(6 open\): refused 0, evicted [0-9]+ unauthenticated \(oldest first\)'
through_edge "at the cap, the edge's authenticated connection keeps working"
# A new edge with 5 pool connections gets in through the half-open ones.
start_edge "$WORK/s3.log" 5
wait_count "$WORK/ks2.log" 'connected as /CN=edge' 6
through_edge "a new edge connects through a flood of half-open connections"
# Now every connection is authenticated: a new one is closed at once.
timeout 60 python3 "$WORK/halfopen.py" "$KPORT" 5 3 4 >"$WORK/h3.log" 2>&1
check "with every connection authenticated, new ones are refused at once" "$WORK/h3.log" '^closed 5 of 5, 5 within 3.0 s$'
wait_line "$WORK/ks2.log" 'refused [1-9][0-9]*, evicted'
check "refusals are logged" "$WORK/ks2.log" 'over --max-conns \(6 open\): refused [1-9][0-9]*, evicted [0-9]+'
PORT=$S2_PORT
through_edge "and the first edge still works"
touch "$WORK/release2"
wait "$HOLD" 2>/dev/null
stop_bg "$KS_PID"
# Under a sanitizer build, a report in any key server log is a failure.
if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$WORK"/ks*.log >/dev/null; then
    bad "sanitizer report in the key server's log"; grep -hE -A20 'ERROR: |runtime error' "$WORK"/ks*.log | head -40
else
    ok "no sanitizer report from the key server"
fi
finish
