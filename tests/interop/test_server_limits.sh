#!/usr/bin/env bash
# parley server's bounds on what a client can make it hold: the number of
# connections served at once (--max-conns), the total time a handshake may
# take (--handshake-timeout) and then the request (--request-timeout), against
# a client that trickles one byte at a time so that no single read ever times
# out; descriptors (the cap fitted to RLIMIT_NOFILE, a back-off at EMFILE);
# and log lines (a flood of refusals is one line a second with a count).
source "$(dirname "$0")/lib.sh" "$@"
make_pki

PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
    --max-conns 3 --handshake-timeout 1.5 --request-timeout 1.5
SPID=$LAST_PID
wait_line "$WORK/s.log" "listening on" || { bad "server did not start"; cat "$WORK/s.log"; finish; exit 1; }

# trickle.py N SECONDS: N connections, each sending the first bytes of a TLS
# record one every 0.2 s (each read is answered well within the 10 s read
# timeout). Prints, per connection, after how many seconds the server closed
# it, or "open" if it was still open at the end.
cat >"$WORK/trickle.py" <<PY
import socket, sys, time, select
n, limit = int(sys.argv[1]), float(sys.argv[2])
hello = bytes([22, 3, 1, 0x02, 0x00, 1, 0, 1, 0xfc, 3, 3]) + bytes(1000)
socks = [socket.create_connection(("127.0.0.1", $PORT)) for _ in range(n)]
t0 = time.monotonic()
closed = [None] * n
i = 0
while time.monotonic() - t0 < limit and None in closed:
    for k, s in enumerate(socks):
        if closed[k] is not None:
            continue
        try:
            s.send(hello[i:i + 1])
            r, _, _ = select.select([s], [], [], 0)
            if r and not s.recv(100):
                closed[k] = time.monotonic() - t0
        except OSError:
            closed[k] = time.monotonic() - t0
    i += 1
    time.sleep(0.2)
print(" ".join("open" if c is None else "%.1f" % c for c in closed))
PY

# 1. A trickling handshake is cut by the total deadline, not left to the
#    per-read timeout (which it never trips).
timeout 30 python3 "$WORK/trickle.py" 1 8 >"$WORK/t1.log" 2>&1
read -r t <"$WORK/t1.log"
if [ "$t" != open ] && python3 -c "import sys; sys.exit(0 if 1.4 <= $t <= 5 else 1)"; then
    ok "a trickling handshake is cut after the handshake timeout (${t} s)"
else
    bad "a trickling handshake is cut after the handshake timeout (got: $t)"
fi
check "the cut is logged as a handshake timeout" "$WORK/s.log" "handshake failed: not complete within 1500 ms"

# 2. With 3 connections held open, a 4th is refused at once while the 3 stay
#    open; once they are cut, a real client is served again.
python3 - "$PORT" >"$WORK/t2.log" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(1.0)
t0 = time.monotonic()
try:
    data = s.recv(10)
    print("fourth:", "closed" if not data else "data", "%.2f" % (time.monotonic() - t0))
except socket.timeout:
    print("fourth: still open")
except OSError:
    print("fourth: closed %.2f" % (time.monotonic() - t0))
held[0].setblocking(False)
try:
    print("held:", "closed" if held[0].recv(10) == b"" else "data")
except BlockingIOError:
    print("held: open")
time.sleep(2.5)
PY
PY_PID=$!
wait "$PY_PID"
check "past --max-conns a connection is closed at once" "$WORK/t2.log" "^fourth: closed" "^held: open"
check "the refusal is logged" "$WORK/s.log" \
    "refused: 3 connections open \(--max-conns\): 1 connection closed at once since the last such line, the last from 127.0.0.1:"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "after the held connections are gone, a client is served" "$WORK/c.log" "^protocol: TLSv1.3" "Hello from parley"

# 3. After the handshake, a request trickled one byte every 0.2 s (no read
#    ever times out, and 16 KiB of buffer would last almost an hour) is cut
#    by --request-timeout.
cat >"$WORK/tlstrickle.py" <<'PY'
import socket, ssl, sys, time, select
port, ca, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
s.setblocking(False)
req = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 10000
t0 = time.monotonic()
closed, i = None, 0
while closed is None and time.monotonic() - t0 < limit:
    try:
        s.send(req[i:i + 1])
        if select.select([s], [], [], 0)[0] and not s.recv(100):
            closed = time.monotonic() - t0
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
    except OSError:
        closed = time.monotonic() - t0
    i += 1
    time.sleep(0.2)
print("open" if closed is None else "%.1f" % closed)
PY
timeout 30 python3 "$WORK/tlstrickle.py" "$PORT" "$PKI/ca.pem" 8 >"$WORK/t3.log" 2>&1
read -r t <"$WORK/t3.log"
if [ "$t" != open ] && python3 -c "import sys; sys.exit(0 if 1.4 <= $t <= 5 else 1)" 2>/dev/null; then
    ok "a trickled request is cut after the request timeout (${t} s)"
else
    bad "a trickled request is cut after the request timeout (got: $t)"; cat "$WORK/t3.log"
fi
check "the cut is logged as a request timeout" "$WORK/s.log" "request not complete within 1500 ms \(--request-timeout\)"

# 4. After the response the server drains what the client still sends for
#    1 s in all, then closes: a client that keeps sending does not keep it.
cat >"$WORK/drain.py" <<'PY'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except (ssl.SSLError, OSError):
    pass
t0 = time.monotonic()
raw = socket.socket(fileno=s.detach())
print("response:", "ok" if b"Hello from parley" in data else "missing")
while time.monotonic() - t0 < 8:
    try:
        raw.send(b"x" * 100)
    except OSError:
        break
    time.sleep(0.1)
print("closed after %.1f" % (time.monotonic() - t0))
PY
timeout 30 python3 "$WORK/drain.py" "$PORT" "$PKI/ca.pem" >"$WORK/t4.log" 2>&1
t=$(sed -n 's/^closed after //p' "$WORK/t4.log")
if grep -q "^response: ok" "$WORK/t4.log" && [ -n "$t" ] && python3 -c "import sys; sys.exit(0 if $t <= 2.5 else 1)"; then
    ok "after the response a sending client is closed within the 1 s drain (${t} s)"
else
    bad "after the response a sending client is closed within the 1 s drain"; cat "$WORK/t4.log"
fi
stop_bg "$SPID"

# 5. A flood of connections past --max-conns: one log line a second at most,
#    whose counts add up to every refused connection.
PORT=$(free_port)
start_bg "$WORK/s5.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
    --max-conns 3 --handshake-timeout 30
SPID=$LAST_PID
wait_line "$WORK/s5.log" "listening on" || bad "server 5 did not start"
timeout 60 python3 - "$PORT" >"$WORK/t5.log" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
t0 = time.monotonic()
flood = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
closed = 0
for s in flood:
    s.settimeout(20)
    try:
        if s.recv(10) == b"":
            closed += 1
    except OSError:
        closed += 1
print("flood closed:", closed)
print("flood seconds: %d" % (time.monotonic() - t0 + 0.999))
PY
check "the flood past --max-conns is closed" "$WORK/t5.log" "^flood closed: 40$"
count_refused() {
    sed -n 's/.*refused: 3 connections open (--max-conns): \([0-9]*\) connections\{0,1\} closed at once.*/\1/p' "$WORK/s5.log" |
        awk '{n += $1} END {print n + 0}'
}
for _ in $(seq 1 100); do [ "$(count_refused)" -ge 40 ] && break; sleep 0.05; done
lines=$(grep -c "refused:" "$WORK/s5.log")
secs=$(sed -n 's/^flood seconds: //p' "$WORK/t5.log")
# One line at the first refusal, then one a second at most.
if [ "$(count_refused)" -eq 40 ] && [ "$lines" -le $((2 + ${secs:-0})) ]; then
    ok "40 refusals are logged in $lines line(s) whose counts add up to 40"
else
    bad "40 refusals are logged in a few lines whose counts add up to 40 (lines: $lines, sum: $(count_refused))"
    head -n 5 "$WORK/s5.log"
fi
stop_bg "$SPID"

# 6. --max-conns is fitted to the descriptors: a low soft limit is raised
#    toward the hard one ...
PORT=$(free_port)
start_bg "$WORK/s6.log" bash -c 'ulimit -Sn 100 && exec "$@"' sh "$PARLEY" server --listen "127.0.0.1:$PORT" \
    --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --max-conns 500
SPID=$LAST_PID
if wait_line "$WORK/s6.log" "listening on"; then
    soft=$(awk '/^Max open files/ {print $4}' "/proc/$SPID/limits")
    if [ "$soft" -ge 564 ] 2>/dev/null; then ok "a soft descriptor limit of 100 is raised to fit --max-conns 500 (now $soft)"
    else bad "a soft descriptor limit of 100 is raised to fit --max-conns 500 (now $soft)"; fi
else
    bad "server 6 did not start"
fi
stop_bg "$SPID"

# ... and when the hard limit is too low the cap is lowered, with a line. With
# descriptors already taken (inherited: 60 of 100), connections still run the
# process out of descriptors before the cap: accept() then backs off instead
# of failing again at once (a busy loop writing a line each time), and after
# the flood a client is served.
PORT=$(free_port)
start_bg "$WORK/s7.log" bash -c 'ulimit -n 100 || exit 1; for fd in $(seq 10 69); do eval "exec $fd</dev/null"; done; exec "$@"' \
    sh "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --handshake-timeout 30
SPID=$LAST_PID
wait_line "$WORK/s7.log" "listening on" || bad "server 7 did not start"
check "with a hard limit of 100 descriptors the cap is lowered" "$WORK/s7.log" \
    "only 100 descriptors: --max-conns lowered from 1024 to 50"
timeout 60 python3 - "$PORT" "$WORK/t7.go" >"$WORK/t7.log" 2>&1 <<'PY' &
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
print("held", flush=True)
t0 = time.monotonic()
while not os.path.exists(go) and time.monotonic() - t0 < 40:
    time.sleep(0.05)
PY
FLOOD=$!
cpu() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
if wait_line "$WORK/t7.log" "^held" && wait_line "$WORK/s7.log" "accept failed: Too many open files"; then
    c0=$(cpu); t0=$(date +%s%N); l0=$(grep -c "accept failed" "$WORK/s7.log")
    sleep 2 # the window over which CPU time and log lines are measured
    c1=$(cpu); t1=$(date +%s%N); l1=$(grep -c "accept failed" "$WORK/s7.log")
    pct=$(( (c1 - c0) * 100 * 1000000000 / ($(getconf CLK_TCK) * (t1 - t0)) ))
    lines=$((l1 - l0)) # at most one a second: 3 over the window
    if [ "$pct" -le 10 ] && [ "$lines" -le 3 ]; then
        ok "out of descriptors the server backs off: ${pct}% CPU and $lines 'accept failed' line(s) over 2 s"
    else
        bad "out of descriptors the server backs off (${pct}% CPU and $lines 'accept failed' lines over 2 s)"
        head -c 2000 "$WORK/s7.log"
    fi
else
    bad "the flood did not run the server out of descriptors"; cat "$WORK/t7.log"; head -c 2000 "$WORK/s7.log"
fi
touch "$WORK/t7.go"
wait "$FLOOD"
served=no
for _ in $(seq 1 10); do
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c7.log" 2>&1
    grep -q "Hello from parley" "$WORK/c7.log" && { served=yes; break; }
    sleep 0.2
done
[ "$served" = yes ] && ok "after the flood a client is served" || { bad "after the flood a client is served"; cat "$WORK/c7.log"; }
stop_bg "$SPID"

finish
