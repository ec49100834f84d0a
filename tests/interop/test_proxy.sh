#!/usr/bin/env bash
# parley proxy in front of a small HTTP/1.1 backend: curl and openssl s_client
# through it, large bodies both ways (checksums), keep-alive, ALPN h2,
# resumption across workers, keyless, PROXY protocol v2, mutual TLS, a dead backend, and bad clients
# (garbage, a stalled handshake, a client that never reads, one too many)
# cut off by their limits while others keep working; SIGHUP and SIGTERM under
# traffic drop no established connection.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
HERE=$(cd "$(dirname "$0")" && pwd)
BPORT=$(free_port)
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
wait_port "$BPORT"
openssl rand -hex 48 >"$WORK/tk"
PORT=$(free_port)
ST1=$(free_port)
start_bg "$WORK/px.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --alpn h2,http/1.1 --ticket-keys "$WORK/tk" --handshake-timeout 2 --idle-timeout 3 \
    --status "127.0.0.1:$ST1"
PX_PID=$LAST_PID
wait_port "$PORT"
URL="https://localhost:$PORT"
C=(curl -s --http1.1 --cacert "$P/ca.pem" --max-time 20)

"${C[@]}" "$URL/one" "$URL/two" >"$WORK/c.out" 2>&1
check "curl: two requests on one kept-alive connection" "$WORK/c.out" 'hello from backend /one' 'hello from backend /two'
sleep 0.2
[ "$(grep -c 'result=ok' "$WORK/px.log")" -eq 1 ] && ok "one proxy connection served both" || bad "keep-alive: $(grep -c result=ok "$WORK/px.log") connections"
check "one log line per connection" "$WORK/px.log" 'sni=localhost version=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 resumed=no alpn=http/1.1 bytes_in=[0-9]+ bytes_out=[0-9]+ duration_ms=[0-9]+ result=ok'
head -c 4000000 /dev/urandom >"$WORK/up.bin"
"${C[@]}" -X POST --data-binary @"$WORK/up.bin" "$URL/up" >"$WORK/c.out"
want=$(sha256sum "$WORK/up.bin" | cut -c1-64)
check "4 MB upload arrives intact" "$WORK/c.out" "^$want 4000000$"
"${C[@]}" "$URL/big/6000000" | sha256sum | cut -c1-64 >"$WORK/down.sum"
expect_sum() { python3 -c "import hashlib,sys; n=int(sys.argv[1]); p=bytes((i*7)&255 for i in range(256)); print(hashlib.sha256((p*(n//256+1))[:n]).hexdigest())" "$1"; }
expect_sum 6000000 >"$WORK/down.want"
cmp -s "$WORK/down.sum" "$WORK/down.want" && ok "6 MB download arrives intact" || bad "6 MB download differs"
printf 'GET /s_client HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" \
    -servername localhost -CAfile "$P/ca.pem" -alpn h2 -ign_eof >"$WORK/o.log" 2>&1
check "openssl s_client through the proxy, ALPN h2 negotiated" "$WORK/o.log" 'ALPN protocol: h2' 'hello from backend /s_client'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --reconnect 1 "localhost:$PORT" >"$WORK/p.log" 2>&1
check "TLS 1.2 through the proxy, resumed" "$WORK/p.log" '^resumed: yes'

# Bad clients, each cut off by its limit, while a good one goes on.
python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'this is not a ClientHello\r\n\r\n')
s.settimeout(3)
try: s.recv(100)
except Exception: pass" "$PORT"
python3 - "$PORT" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex("16030100"))  # half a record header, then nothing
time.sleep(5)
PY
SLOW=$!
# A client that asks for 200 MB and never reads.
python3 - "$PORT" "$P/ca.pem" <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b"GET /big/200000000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
time.sleep(8)
PY
STUCK=$!
sleep 1
"${C[@]}" "$URL/meanwhile" >"$WORK/c.out" 2>&1
check "a good client is served while bad ones hang on" "$WORK/c.out" 'hello from backend /meanwhile'
rss1=$(awk '/VmRSS/ {print $2}' /proc/"$PX_PID"/status)
wait "$SLOW" "$STUCK" 2>/dev/null
check "garbage instead of a ClientHello: an error, logged" "$WORK/px.log" 'result=.*(record|ClientHello|decode|protocol|unexpected)'
check "a stalled handshake is cut by --handshake-timeout" "$WORK/px.log" 'result=handshake timeout'
check "a client that never reads is cut by --idle-timeout" "$WORK/px.log" 'bytes_out=[0-9]{6,}.*result=idle timeout'
# The same, but it keeps sending (a byte every 100 ms): its bytes are not
# progress while what waits for it does not move, so --idle-timeout (3 s)
# still cuts it, long before it would stop by itself (12 s).
python3 "$(dirname "$0")/sends_never_reads.py" "$PORT" "$P/ca.pem" 12 >"$WORK/trickle.out" 2>&1
check "a client that never reads but keeps sending is cut by --idle-timeout too" "$WORK/trickle.out" '^cut after [3-9]\.'
[ "${rss1:-0}" -lt 60000 ] && ok "backpressure: proxy RSS ${rss1} kB with 200 MB unread" || bad "proxy RSS grew to ${rss1} kB"
curl -s --max-time 5 "http://127.0.0.1:$ST1/" >"$WORK/st1.json"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
r = d['failed_by_reason']
assert d['handshake_timeouts'] >= 1 and r.get('unexpected_message', 0) >= 1 and d['handshakes_full'] >= 5, d
print('counted', d['handshakes_full'], d['handshakes_resumed'], d['handshake_timeouts'], r['unexpected_message'])" "$WORK/st1.json" >"$WORK/st1.log" 2>&1
check "counters: full and resumed handshakes, timeouts, failures by alert" "$WORK/st1.log" '^counted [0-9]+ [0-9]+ [0-9]+ [0-9]+$'

# SIGHUP and SIGTERM under traffic: the download in flight completes.
( "${C[@]}" "$URL/big/30000000" | sha256sum | cut -c1-64 >"$WORK/long.sum" ) &
DL=$!
sleep 0.3
kill -HUP "$PX_PID"
wait "$DL"
expect_sum 30000000 >"$WORK/long.want"
cmp -s "$WORK/long.sum" "$WORK/long.want" && ok "SIGHUP during a 30 MB download: it completes intact" || bad "download broken by SIGHUP"
check "SIGHUP reloads certificates and ticket keys" "$WORK/px.log" 'certificates and ticket keys reloaded'
"${C[@]}" "$URL/after-reload" >"$WORK/c.out" 2>&1
check "new connections after the reload are served" "$WORK/c.out" 'hello from backend /after-reload'
( "${C[@]}" "$URL/big/30000000" | sha256sum | cut -c1-64 >"$WORK/long2.sum" ) &
DL=$!
sleep 0.3
kill -TERM "$PX_PID"
wait "$DL"
cmp -s "$WORK/long2.sum" "$WORK/long.want" && ok "SIGTERM during a download: it completes, then the proxy stops" || bad "download broken by SIGTERM"
sleep 0.5
kill -0 "$PX_PID" 2>/dev/null && bad "the proxy did not stop after SIGTERM" || ok "the proxy stopped"
check "SIGTERM is logged" "$WORK/px.log" 'stopping .* connections to finish'

# Workers (from a config file): TLS 1.3 tickets and TLS 1.2 sessions resume across them.
PORT=$(free_port)
SPORT=$(free_port)
cat >"$WORK/proxy.conf" <<CONF
# parley proxy options, one per line
listen 127.0.0.1:$PORT
backend 127.0.0.1:$BPORT
cert $P/ec256.pem
key $P/ec256.key
workers 3
status 127.0.0.1:$SPORT
CONF
start_bg "$WORK/w.log" "$PARLEY" proxy --config "$WORK/proxy.conf"
wait_count "$WORK/w.log" '^(proxy )?listening on .*\(pid [0-9]+\)$' 3
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 8 "localhost:$PORT" >"$WORK/r13.log" 2>&1
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --reconnect 8 "localhost:$PORT" >"$WORK/r12.log" 2>&1
[ "$(grep -c '^resumed: yes$' "$WORK/r13.log")" -eq 8 ] && ok "TLS 1.3: 8 of 8 reconnections resumed across proxy workers" || bad "TLS 1.3 across workers: $(grep -c '^resumed: yes$' "$WORK/r13.log") of 8"
[ "$(grep -c '^resumed: yes$' "$WORK/r12.log")" -eq 8 ] && ok "TLS 1.2: 8 of 8 resumed through the shared cache" || bad "TLS 1.2 across workers: $(grep -c '^resumed: yes$' "$WORK/r12.log") of 8"
pids=$(grep -o 'pid [0-9]*)' "$WORK/w.log" | sort -u | wc -l)
[ "$pids" -eq 3 ] && ok "three workers listening" || bad "$pids workers listening"
curl -s --max-time 5 "http://127.0.0.1:$SPORT/" >"$WORK/status.json"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {'pid', 'open_connections', 'accepted', 'handshakes_full', 'handshakes_resumed', 'handshakes_failed', 'bytes_in', 'bytes_out'}, d
print('status ok', d['pid'], d['handshakes_full'] + d['handshakes_resumed'])" "$WORK/status.json" >"$WORK/status.log" 2>&1
check "--status answers a worker's counters as JSON" "$WORK/status.log" '^status ok [0-9]+ [0-9]+$'
stop_bg "$LAST_PID"

# PROXY protocol v2 and --max-conns.
B2=$(free_port)
start_bg "$WORK/b2.log" python3 "$HERE/backend_http.py" "$B2" --proxy-v2
wait_port "$B2"
PORT=$(free_port)
mkdir -p "$WORK/certs"
cp "$P/ec256.pem" "$P/ec256.key" "$P/rsa2048.pem" "$P/rsa2048.key" "$WORK/certs/"
start_bg "$WORK/pp.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$B2" --cert-dir "$WORK/certs" \
    --proxy-protocol --max-conns 1 --idle-timeout 3
wait_port "$PORT"
"${C[@]}" -v "https://localhost:$PORT/who" >"$WORK/c.out" 2>&1
check "PROXY v2 header carries the client's address (certificates from --cert-dir)" "$WORK/c.out" 'proxied_from 127.0.0.1:[0-9]+'
# The holder says when its handshake is done: on a loaded machine Python
# alone can take longer to start than a fixed sleep.
python3 - "$PORT" "$P/ca.pem" >"$WORK/hold1.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
print("held", flush=True)
time.sleep(2)
PY
HOLD=$!
wait_line "$WORK/hold1.out" '^held'
sleep 0.1
"${C[@]}" "https://localhost:$PORT/second" >"$WORK/c.out" 2>&1 || true
check "--max-conns 1: a second connection is turned away" "$WORK/pp.log" 'result=over --max-conns'
wait "$HOLD"
sleep 0.3
"${C[@]}" "https://localhost:$PORT/later" >"$WORK/c.out" 2>&1
check "... and served once the first is gone" "$WORK/c.out" 'hello from backend /later'

# Without --max-conns the cap follows the descriptor limit: with 200
# descriptors, (200 - 64) / 2 = 68 connections; the rest are turned away with
# a log line instead of running the worker out of descriptors.
PORT=$(free_port)
start_bg "$WORK/cap.log" bash -c "ulimit -n 200 && exec \"\$0\" \"\$@\"" "$PARLEY" proxy --listen "127.0.0.1:$PORT" \
    --backend "127.0.0.1:$B2" --cert "$P/ec256.pem" --key "$P/ec256.key" --handshake-timeout 5
wait_port "$PORT"
# The client holds its 90 connections (30 s at most) while we wait, with a
# bounded retry, for the proxy to log its refusals: under ASan it may log them
# well after the connections are made.
python3 - "$PORT" <<'PY' >"$WORK/cap.out" 2>&1 &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(90)]
print("holding", flush=True)
time.sleep(30)
PY
HOLD=$!
PIDS+=("$HOLD")
wait_line "$WORK/cap.out" '^holding'
wait_count "$WORK/cap.log" 'result=over --max-conns' 15
n=$(grep -c 'result=over --max-conns' "$WORK/cap.log")
stop_bg "$HOLD"
[ "$n" -ge 15 ] && ok "default --max-conns follows the descriptor limit ($n of 90 turned away)" ||
    { bad "default --max-conns follows the descriptor limit ($n turned away)"; tail -5 "$WORK/cap.log"; }

# A backend that refuses connections: the client gets close_notify, the proxy logs it and goes on.
DEAD=$(free_port)
PORT=$(free_port)
start_bg "$WORK/dead.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$DEAD" --cert "$P/ec256.pem" \
    --key "$P/ec256.key"
wait_port "$PORT"
"${C[@]}" "https://localhost:$PORT/a" >/dev/null 2>&1 || true
"${C[@]}" "https://localhost:$PORT/b" >/dev/null 2>&1 || true
sleep 0.2
[ "$(grep -c 'result=backend unreachable' "$WORK/dead.log")" -eq 2 ] && kill -0 "$LAST_PID" 2>/dev/null &&
    ok "backend unreachable: each connection ends cleanly, logged, the proxy goes on" || bad "backend unreachable not handled"
stop_bg "$LAST_PID"

# Mutual TLS at the proxy: a client certificate from the CA is required.
main=$(ca_dir main)
sign "$main" "$P/ca.pem" "$P/ca.key" alice alice client
PORT=$(free_port)
start_bg "$WORK/mt.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --client-ca "$P/ca.pem" --verify require
wait_port "$PORT"
"${C[@]}" --cert "$P/alice.pem" --key "$P/alice.key" "https://localhost:$PORT/mtls" >"$WORK/c.out" 2>&1
check "client certificate required by the proxy: accepted" "$WORK/c.out" 'hello from backend /mtls'
"${C[@]}" "https://localhost:$PORT/no-cert" >"$WORK/c.out" 2>&1 || true
check "... and without one: refused, logged" "$WORK/mt.log" 'result=.*(certificate|required)'
stop_bg "$LAST_PID"

# Keyless through the proxy.
sign "$main" "$P/ca.pem" "$P/ca.key" edge edge client
sign "$main" "$P/ca.pem" "$P/ca.key" ksrv localhost leaf "DNS:localhost,IP:127.0.0.1"
mkdir -p "$WORK/keys"
cp "$P/ec256.key" "$WORK/keys/ec256.pem"
KPORT=$(free_port)
start_bg "$WORK/ks.log" "$PARLEY" keyserver --listen "127.0.0.1:$KPORT" --keys "$WORK/keys" --ca "$P/ca.pem" \
    --cert "$P/ksrv.pem" --key "$P/ksrv.key"
wait_line "$WORK/ks.log" 'listening on'
PORT=$(free_port)
start_bg "$WORK/kl.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$KPORT" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key"
wait_port "$PORT"
"${C[@]}" "https://localhost:$PORT/keyless" >"$WORK/c.out" 2>&1
check "keyless: the proxy signs through the key server" "$WORK/c.out" 'hello from backend /keyless'
"${C[@]}" --tlsv1.2 --tls-max 1.2 "https://localhost:$PORT/keyless12" >"$WORK/c.out" 2>&1
check "keyless with TLS 1.2" "$WORK/c.out" 'hello from backend /keyless12'
# Many at once: each handshake waits on the loop, woken by the provider's notice.
jobs_=()
for i in $(seq 1 16); do ("${C[@]}" "https://localhost:$PORT/kl$i" >"$WORK/kl$i.out" 2>&1) & jobs_+=($!); done
wait "${jobs_[@]}"
n=$(grep -l 'hello from backend /kl[0-9]' "$WORK"/kl[0-9]*.out | wc -l)
[ "$n" -eq 16 ] && ok "keyless: 16 concurrent handshakes through the proxy" || bad "keyless: $n of 16 concurrent handshakes"
stop_bg "$LAST_PID"

# A key server that never answers (TLS with the client certificate checked,
# then silence). An operation times out on its own
# deadline and the waiting handshake fails at once; a client that leaves while
# its operation is out is forgotten (its operation cancelled, never completed
# into freed memory), and the proxy goes on.
SPORT2=$(free_port)
cat >"$WORK/mute.py" <<'PY'
import socket, ssl, sys, threading
port, cert, key, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        while t.recv(65536):  # read requests, answer none
            pass
    except Exception:
        pass
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
start_bg "$WORK/mute.log" python3 "$WORK/mute.py" "$SPORT2" "$P/ksrv.pem" "$P/ksrv.key" "$P/ca.pem"
wait_port "$SPORT2"
PORT=$(free_port)
start_bg "$WORK/mute_px.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$SPORT2" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key" \
    --keyless-timeout 600
MPX=$LAST_PID
wait_port "$PORT"
sleep 0.3 # the provider's connections to the mute key server come up
start=$(date +%s%N)
"${C[@]}" "https://localhost:$PORT/mute" >"$WORK/c.out" 2>&1 || true
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 5000 ] && ! grep -q 'hello from backend' "$WORK/c.out" && grep -q 'timed out after 600 ms' "$WORK/mute_px.log" &&
    ok "keyless: an unanswered operation fails the handshake on its deadline (${ms} ms)" ||
    { bad "keyless: unanswered operation took ${ms} ms"; tail -n 5 "$WORK/mute_px.log" "$WORK/mute.log"; }
n0=$(grep -c 'timed out after' "$WORK/mute_px.log")
python3 - "$PORT" <<'PY'
import socket, ssl, sys, time
# Send a real ClientHello, let the proxy start the key operation, then leave.
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ssl.create_default_context().wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(out.read())
time.sleep(0.2)
s.close()
PY
sleep 1
n1=$(grep -c 'timed out after' "$WORK/mute_px.log")
kill -0 "$MPX" 2>/dev/null && [ "$n1" -eq "$n0" ] && grep -q 'result=client closed during the handshake' "$WORK/mute_px.log" &&
    ok "keyless: a client gone mid-operation is cancelled, not timed out, and the proxy goes on" ||
    bad "keyless: client gone mid-operation (alive? timeouts $n0 -> $n1)"
finish
