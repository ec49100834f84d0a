#!/usr/bin/env bash
# Keyless with several key servers (docs/keyless.md, "Several key servers and
# failover"): `parley server --keyless A,B` spreads operations over both; A is
# SIGKILLed under load and not one handshake fails; A comes back and is used
# again within a second, B is killed and still none fails; with both down a
# handshake fails fast with an alert and the outage is logged; one back and
# handshakes succeed within a second. An operation in flight on a key server
# that dies is re-sent to the other (a key server that takes requests and
# never answers, then is killed: the handshake succeeds long before its
# deadline). A malformed --keyless list is refused at start, named.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
make_keyless_pki
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
kill9() { kill -9 "$1"; wait "$1" 2>/dev/null; } # reaped here: no "Killed" line from bash

# --- a malformed list is refused at start ------------------------------------
KL_TLS=(--keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key")
bad_list() { # bad_list NAME LIST REGEX
    timeout 10 "$PARLEY" server --listen "127.0.0.1:$(free_port)" --cert "$P/ec256.pem" --keyless "$2" "${KL_TLS[@]}" \
        >"$WORK/bad.log" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then check "$1 (exit $rc)" "$WORK/bad.log" "$3"
    else bad "$1: the server started (exit $rc)"; fi
}
bad_list "malformed list: an empty entry" "127.0.0.1:1,,127.0.0.1:2" 'keyless address list: entry 2 is empty'
bad_list "malformed list: an entry without a port" "127.0.0.1:1,keys.example" \
    'keyless address list: entry 2 \("keys.example"\) is not HOST:PORT'
nine=$(for i in 1 2 3 4 5 6 7 8 9; do printf '127.0.0.1:%d,' "$i"; done)
bad_list "malformed list: more than 8 key servers" "${nine%,}" 'keyless address list: more than 8 key servers'

# --- two key servers, one edge ------------------------------------------------
KA=$(free_port)
KB=$(free_port)
start_ks() { # start_ks NAME PORT LOG: sets KS_PID
    start_bg "$3" "$PARLEY" keyserver --listen "127.0.0.1:$2" --keys "$WORK/keys" --ca "$P/ca.pem" \
        --cert "$P/ksrv.pem" --key "$P/ksrv.key" --log-ops
    KS_PID=$LAST_PID
    wait_line "$3" 'listening on'
}
start_ks A "$KA" "$WORK/ksA1.log"; PID_A=$KS_PID
start_ks B "$KB" "$WORK/ksB1.log"; PID_B=$KS_PID
PORT=$(free_port)
TIMEOUT=2000
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$KA,127.0.0.1:$KB" "${KL_TLS[@]}" --keyless-timeout "$TIMEOUT" --keyless-pool 2
wait_port "$PORT"
wait_line "$WORK/ksA1.log" 'connected as /CN=edge'
wait_line "$WORK/ksB1.log" 'connected as /CN=edge'

hs() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT" >"$1" 2>&1 && grep -q '^verify: ok' "$1"; }
fails=0
for i in $(seq 1 10); do hs "$WORK/c.log" || fails=$((fails + 1)); done
[ "$fails" -eq 0 ] && ok "both up: 10 handshakes" || bad "both up: $fails of 10 handshakes failed"
a=$(grep -c 'operation 1 -> status 0' "$WORK/ksA1.log")
b=$(grep -c 'operation 1 -> status 0' "$WORK/ksB1.log")
[ "$a" -ge 2 ] && [ "$b" -ge 2 ] && ok "both up: operations spread over both key servers (A $a, B $b)" ||
    bad "both up: operations not spread (A $a, B $b)"

# Handshakes in 3 loops until $WORK/stop exists; one line per handshake:
# "<ns timestamp> ok|fail".
loops_start() {
    rm -f "$WORK/stop" "$WORK"/loop*.res
    LOOPS=()
    for l in 1 2 3; do
        (while [ ! -e "$WORK/stop" ]; do
            if hs "$WORK/loop$l.log"; then r=ok; else r=fail; cp "$WORK/loop$l.log" "$WORK/loopfail$l.log"; fi
            echo "$(date +%s%N) $r" >>"$WORK/loop$l.res"
        done) &
        LOOPS+=($!)
    done
}
loops_stop() { touch "$WORK/stop"; wait "${LOOPS[@]}"; }
# loops_judge NAME SINCE_NS: no failure at all, and handshakes did succeed after SINCE_NS
loops_judge() {
    local nfail nok after
    nfail=$(cat "$WORK"/loop*.res | grep -c ' fail$')
    nok=$(cat "$WORK"/loop*.res | grep -c ' ok$')
    after=$(cat "$WORK"/loop*.res | awk -v t="$2" '$1 > t && $2 == "ok"' | wc -l)
    if [ "$nfail" -eq 0 ] && [ "$after" -ge 5 ]; then ok "$1: $nok handshakes, none failed ($after after the kill)"
    else bad "$1: $nfail of $((nok + nfail)) handshakes failed, $after succeeded after the kill"; cat "$WORK"/loopfail*.log 2>/dev/null | head; fi
}

# --- A dies under load: nothing fails ----------------------------------------
loops_start
sleep 0.7
kill9 "$PID_A"
killed=$(date +%s%N)
sleep 1.5
loops_stop
loops_judge "A SIGKILLed under load" "$killed"
check "A down: the outage is logged, operations go to B" "$WORK/s.log" \
    "key server 127.0.0.1:$KA is unreachable; its operations go to the other key servers until it is back"

# --- A returns (same port), B dies: A is used again, nothing fails -----------
start_ks A "$KA" "$WORK/ksA2.log"; PID_A=$KS_PID
back=$(date +%s%N)
for _ in $(seq 1 60); do grep -q "key server 127.0.0.1:$KA is reachable again" "$WORK/s.log" && break; sleep 0.02; done
ms=$(ms_since "$back")
grep -q "key server 127.0.0.1:$KA is reachable again" "$WORK/s.log" && [ "$ms" -lt 1000 ] &&
    ok "A back: reconnected within ${ms} ms of listening" || bad "A back: not reconnected within ${ms} ms"
loops_start
sleep 0.7
kill9 "$PID_B"
killed=$(date +%s%N)
sleep 1.5
loops_stop
loops_judge "B SIGKILLed under load, A back" "$killed"
a=$(grep -c 'operation 1 -> status 0' "$WORK/ksA2.log")
[ "$a" -ge 5 ] && ok "the restarted A carried the operations ($a)" || bad "the restarted A carried $a operations"

# --- both down: fail fast with an alert; one back: success within 1 s --------
kill9 "$PID_A"
for _ in $(seq 1 100); do
    [ "$(grep -c "key server 127.0.0.1:$KA is unreachable" "$WORK/s.log")" -ge 2 ] && break
    sleep 0.05
done
start=$(date +%s%N)
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT" >"$WORK/c.log" 2>&1
ms=$(ms_since "$start")
check "both down: the handshake fails with an alert" "$WORK/c.log" '^alert: received internal_error$'
[ "$ms" -lt "$TIMEOUT" ] && ok "both down: it failed in ${ms} ms (timeout ${TIMEOUT} ms)" || bad "both down: it took ${ms} ms"
check "both down: the outage of each is logged" "$WORK/s.log" \
    "key server 127.0.0.1:$KB is unreachable; its operations go to the other key servers until it is back" \
    "key server 127.0.0.1:$KA is unreachable; handshakes fail until a key server is back \((cannot connect to 127.0.0.1:$KA: Connection refused|TLS with 127.0.0.1:$KA failed: .+)\)"
start_ks B "$KB" "$WORK/ksB2.log"
back=$(date +%s%N)
for _ in $(seq 1 100); do hs "$WORK/c.log" && break; [ "$(ms_since "$back")" -gt 3000 ] && break; done
ms=$(ms_since "$back")
grep -q '^verify: ok' "$WORK/c.log" && [ "$ms" -lt 1000 ] && ok "B back: a handshake succeeded ${ms} ms after it listened" ||
    bad "B back: no success within ${ms} ms"
check "B back: logged" "$WORK/s.log" "key server 127.0.0.1:$KB is reachable again"

# --- an operation in flight on a key server that dies is re-sent -------------
# HOLE takes requests and never answers. Operations round-robin over HOLE and
# B; those on HOLE wait until it is SIGKILLed, then go to B: their handshakes
# succeed long before the 8 s deadline that would otherwise fail them.
HPORT=$(free_port)
cat >"$WORK/hole.py" <<PY
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain("$P/ksrv.pem", "$P/ksrv.key")
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations("$P/ca.pem")
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", $HPORT))
ls.listen(16)
print("listening", flush=True)
def serve(c):
    try:
        s = ctx.wrap_socket(c, server_side=True)
        print("connection", flush=True)
        while True:
            req = b""
            while len(req) < 2048:
                chunk = s.recv(2048 - len(req))
                if not chunk:
                    return
                req += chunk
            print("request (not answered)", flush=True)
    except Exception:
        pass
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
start_bg "$WORK/hole.log" python3 "$WORK/hole.py"
HOLE_PID=$LAST_PID
wait_line "$WORK/hole.log" '^listening'
PORT2=$(free_port)
start_bg "$WORK/s2.log" "$PARLEY" server --listen "127.0.0.1:$PORT2" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$HPORT,127.0.0.1:$KB" "${KL_TLS[@]}" --keyless-timeout 8000 --keyless-pool 1
wait_port "$PORT2"
wait_line "$WORK/hole.log" '^connection'
HS=()
for i in 1 2 3 4; do
    ( timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT2" >"$WORK/h$i.log" 2>&1 ) &
    HS+=($!)
done
wait_line "$WORK/hole.log" 'request \(not answered\)'
sleep 0.5
waiting=$(for i in 1 2 3 4; do grep -q '^verify: ok' "$WORK/h$i.log" || echo "$i"; done | wc -l)
[ "$waiting" -ge 1 ] && ok "hole: $waiting handshakes wait on the key server that does not answer" ||
    bad "hole: no handshake waits on it"
kill9 "$HOLE_PID"
killed=$(date +%s%N)
wait "${HS[@]}"
ms=$(ms_since "$killed")
n=$(grep -l '^verify: ok' "$WORK"/h[1-4].log | wc -l)
[ "$n" -eq 4 ] && [ "$ms" -lt 4000 ] && ok "hole killed: all 4 handshakes succeeded, ${ms} ms after the kill (deadline 8 s)" ||
    bad "hole killed: $n of 4 succeeded, ${ms} ms after the kill"
check "hole killed: its operations were re-sent, none failed" "$WORK/s2.log" \
    "connection [0-9]+ closed with [1-9][0-9]* operations in flight: [1-9][0-9]* re-sent on other connections, 0 failed"
finish
