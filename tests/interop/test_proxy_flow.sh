#!/usr/bin/env bash
# parley proxy: the flow of bytes at the edges (review of issue #14):
#  - an upload to a backend that accepts late arrives whole (the client,
#    paused while its bytes waited for the backend, is read again even when
#    the socket takes them all at once);
#  - a client that reads slowly but steadily is not cut as idle (progress is
#    what its TCP acknowledges, not only whole writes completing), while one
#    that never reads still is;
#  - an end of stream without close_notify is told apart (log, --status);
#  - refusals over --max-conns do not log one line each under a flood.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
HERE=$(cd "$(dirname "$0")" && pwd)

# 1. A backend whose accept queue is full (listen backlog 0, filled by its
# own connections) until 2.5 s after the upload begins: the proxy's SYNs are
# dropped and retried, so the client's first 256 KB wait in the proxy.
cat >"$WORK/late.py" <<'PY'
import hashlib, os, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0)); data = self.rfile.read(n)
        body = (hashlib.sha256(data).hexdigest() + " " + str(len(data)) + "\n").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
class S(ThreadingHTTPServer):
    request_queue_size = 0
srv = S(("127.0.0.1", int(sys.argv[1])), H)
fill = []
for _ in range(3):
    f = socket.socket(); f.setblocking(False); f.connect_ex(("127.0.0.1", int(sys.argv[1]))); fill.append(f)
print("queue full", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
time.sleep(2.5)
for f in fill: f.close()
print("accepting", flush=True)
srv.serve_forever()
PY
LPORT=$(free_port)
start_bg "$WORK/late.log" python3 "$WORK/late.py" "$LPORT" "$WORK/go"
wait_line "$WORK/late.log" 'queue full'
PORT=$(free_port)
start_bg "$WORK/px1.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$LPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --idle-timeout 10
wait_port "$PORT"
head -c 2000000 /dev/urandom >"$WORK/up.bin"
want=$(sha256sum "$WORK/up.bin" | cut -c1-64)
touch "$WORK/go"
curl -s --http1.1 --cacert "$P/ca.pem" --max-time 40 -X POST --data-binary @"$WORK/up.bin" \
    "https://localhost:$PORT/up" >"$WORK/c1.out" 2>&1
check "a 2 MB upload to a backend that accepts 2.5 s late arrives intact" "$WORK/c1.out" "^$want 2000000$" ||
    { cat "$WORK/late.log"; tail -n 3 "$WORK/px1.log"; }
stop_bg "$LAST_PID"

# The proxy for the rest: --idle-timeout 2.
BPORT=$(free_port)
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
wait_port "$BPORT"
PORT=$(free_port)
ST=$(free_port)
start_bg "$WORK/px.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --idle-timeout 2 --status "127.0.0.1:$ST"
PX=$LAST_PID
wait_port "$PORT"

# 2. A slow but steady reader: 16 KB every 50 ms (320 KB/s) of a 6 MB download
# (the kernel buffers hold about 4 MB of it: a write completes only after
# more than 2 s).
python3 - "$PORT" "$P/ca.pem" "${SLOW_N:-6000000}" <<'PY' >"$WORK/slow.out" 2>&1
import hashlib, socket, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"GET /big/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % n)
data = bytearray()
start = time.time()
while b"\r\n\r\n" not in data or len(data) - data.index(b"\r\n\r\n") - 4 < n:
    try:
        chunk = s.recv(16384)
    except (ssl.SSLError, OSError):
        chunk = b""
    if not chunk:
        break
    data += chunk
    time.sleep(0.05 * len(chunk) / 16384)
body = bytes(data[data.index(b"\r\n\r\n") + 4:]) if b"\r\n\r\n" in data else b""
p = bytes((i * 7) & 255 for i in range(256))
ok = body == (p * (n // 256 + 1))[:n]
print("slow reader: %d of %d bytes in %.1f s, %s" % (len(body), n, time.time() - start, "intact" if ok else "cut"))
PY
check "a reader taking 16 KB every 50 ms is not cut by --idle-timeout 2" "$WORK/slow.out" '^slow reader: ([0-9]+) of \1 bytes .* intact$' ||
    tail -n 2 "$WORK/px.log"
# ... while a client that never reads (and keeps sending) still is.
python3 "$(dirname "$0")/sends_never_reads.py" "$PORT" "$P/ca.pem" 20 >"$WORK/trickle.out" 2>&1
check "a client that never reads but keeps sending is still cut by --idle-timeout 2" "$WORK/trickle.out" '^cut after ([2-9]|1[0-9])\.'

# A client that resets the connection in the middle of a download: the
# proxy's write fails because the peer is gone, and the log says so (it said
# "out of memory" before).
cat >"$WORK/reset.py" <<'PY'
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
for _ in range(5):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
    s.sendall(b"GET /big/3000000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.recv(100)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
timeout 30 python3 "$WORK/reset.py" "$PORT" "$P/ca.pem" >"$WORK/reset.out" 2>&1
# The reset is named as such when the failed write says ECONNRESET; a write
# after the reset was already seen fails with EPIPE: "client write failed".
wait_count "$WORK/px.log" 'result=client (reset the connection|write failed)' 1 >/dev/null
grep -Eq 'result=client (reset the connection|write failed)' "$WORK/px.log" && ! grep -q 'result=out of memory' "$WORK/px.log" &&
    ok "a client that resets mid-download: result=client reset the connection (or write failed), not out of memory" ||
    { bad "a client that resets mid-download is logged as such"; grep -o 'result=[a-z -]*' "$WORK/px.log" | sort | uniq -c; }

# 3. End of stream without close_notify: a complete request then a bare
# FIN, and half a record then a FIN. Both are told (eof=truncated, the
# counter); a close_notify is not.
cat >"$WORK/eof.py" <<'PY'
import os, socket, ssl, sys
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.settimeout(20)
s.sendall(b"GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % mode.encode())
got = b""
while b"hello from backend" not in got:  # the whole answer first
    got += s.recv(4096)
if mode == "notify":
    s.unwrap().close()  # close_notify, the proxy's close_notify back, then FIN
    sys.exit(0)
if mode == "partial":
    os.write(s.fileno(), bytes.fromhex("1703030040") + b"x" * 20)  # half an application record
raw = socket.socket(fileno=os.dup(s.fileno()))
raw.shutdown(socket.SHUT_WR)  # FIN, no close_notify
while raw.recv(4096):  # until the proxy closes (its close_notify read raw)
    pass
PY
truncated_count() {
    curl -s --max-time 5 "http://127.0.0.1:$ST/" | python3 -c "import json, sys; print(json.load(sys.stdin).get('truncated', 'none'))"
}
t0=$(truncated_count)
n0=$(grep -c 'result=' "$WORK/px.log")
for mode in notify bare partial; do
    python3 "$WORK/eof.py" "$PORT" "$P/ca.pem" $mode >"$WORK/eof_$mode.out" 2>&1
done
wait_count "$WORK/px.log" 'result=' $((n0 + 3))
tail -n 3 "$WORK/px.log" >"$WORK/eof.log"
[ "$(grep -c 'result=ok eof=truncated$' "$WORK/eof.log")" -eq 2 ] &&
    ok "an end of stream without close_notify is logged (eof=truncated), whole record or not" ||
    { bad "truncated streams not logged"; cat "$WORK/eof.log"; }
[ "$(grep -c 'result=ok$' "$WORK/eof.log")" -eq 1 ] && ok "... and a close_notify is not" ||
    bad "close_notify logged as truncated"
t1=$(truncated_count)
[ "$t0" != none ] && [ $((t1 - t0)) -eq 2 ] && ok "--status counts truncated streams ($t0 -> $t1)" ||
    bad "--status truncated: $t0 -> $t1"
kill -0 "$PX" 2>/dev/null && ok "the proxy is still up" || bad "the proxy died"
stop_bg "$PX"

# 4. A flood over --max-conns 1: 200 refusals are all counted, not all logged.
PORT=$(free_port)
ST=$(free_port)
start_bg "$WORK/px4.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --max-conns 1 --status "127.0.0.1:$ST"
PX=$LAST_PID
wait_port "$PORT"
wait_line "$WORK/px4.log" 'result=client closed during the handshake' # wait_port's probe is gone
python3 - "$PORT" "$P/ca.pem" "$ST" <<'PY' >"$WORK/flood.out" 2>&1
import json, socket, ssl, sys, time, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
hold = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.close()
# Hold the one allowed connection until all 200 have been turned away (bounded).
for _ in range(300):
    d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[3], timeout=5))
    if d["rejected_max_conns"] >= 200: break
    time.sleep(0.05)
hold.close()
print("flooded", d["rejected_max_conns"])
PY
# Wait (bounded: two 5 s windows at most) until every refusal is either
# logged or summed up.
for _ in $(seq 1 300); do
    lines=$(grep -c 'result=over --max-conns' "$WORK/px4.log")
    more=$(grep -o '[0-9]* more connections refused' "$WORK/px4.log" | awk '{s += $1} END {print s + 0}')
    [ $((lines + more)) -ge 200 ] && break
    sleep 0.05
done
curl -s --max-time 5 "http://127.0.0.1:$ST/" >"$WORK/st.json"
rej=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['rejected_max_conns'])" "$WORK/st.json")
[ "$lines" -le 41 ] && [ "$rej" -eq 200 ] && [ $((lines + more)) -eq 200 ] &&
    ok "200 refusals over --max-conns: $lines lines, $more summed up, all 200 counted" ||
    bad "refusals over --max-conns: $lines lines, $more summed up, $rej counted"
kill -0 "$PX" 2>/dev/null && ok "the proxy is still up" || bad "the proxy died"
finish
