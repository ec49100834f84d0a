#!/usr/bin/env bash
# The --workers supervisor (tools/parley/workers.c), for `parley server` and
# `parley proxy`: a worker killed with SIGKILL is replaced within a second and
# logged; handshakes keep succeeding; a SIGHUP after the restart reaches both
# live workers, the new one too (the proxy: a certificate swap that clients
# see); SIGTERM: the parent waits for the drain, a second SIGTERM or the
# kill deadline ends the workers, and none is left behind.
source "$(dirname "$0")/lib.sh" "$@"
# hold_conns OUT: four idle connections to $XPORT for 30 s (sets HOLD), so a
# worker has something to drain.
hold_conns() {
    python3 -c "
import socket, sys, time
ss = [socket.create_connection(('127.0.0.1', int(sys.argv[1]))) for _ in range(4)]
print('held', flush=True)
time.sleep(30)" "$XPORT" >"$1" 2>&1 &
    HOLD=$!
    PIDS+=("$HOLD")
    wait_line "$1" held
}
require_cmds pgrep python3 openssl
make_pki
P=$PKI
BPORT=$(free_port)
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
wait_port "$BPORT"

ms() { echo $(($(date +%s%N) / 1000000)); }
workers_of() { pgrep -P "$1" | sort -n | tr '\n' ' '; }
# handshakes PORT N: N clients through TLS 1.3, each must get the page
handshakes() {
    local i good=0
    for i in $(seq 1 "$2"); do
        timeout 10 "$PARLEY" client --cafile "$P/ca.pem" --servername localhost \
            --send 'GET /w HTTP/1.0\r\nHost: localhost\r\n\r\n' "127.0.0.1:$1" >"$WORK/hs.log" 2>&1 </dev/null &&
            grep -Eq 'Hello from parley|hello from backend' "$WORK/hs.log" && good=$((good + 1))
    done
    [ "$good" -eq "$2" ]
}
# gone PID...: none of the processes exists any more
gone() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# kill_one NAME PARENT LOG: SIGKILL the first worker, expect a new one within
# 1 s and the log line naming both; sets NEWW (the new worker) and KEPT.
kill_one() {
    local name=$1 parent=$2 log=$3 before victim t0 now
    read -r -a before <<<"$(workers_of "$parent")"
    if [ "${#before[@]}" -ne 2 ]; then bad "$name: 2 workers at start, got '${before[*]}'"; return 1; fi
    victim=${before[0]} KEPT=${before[1]} NEWW=
    t0=$(ms)
    kill -KILL "$victim"
    while [ $(($(ms) - t0)) -lt 1000 ]; do
        for now in $(workers_of "$parent"); do
            [ "$now" != "$victim" ] && [ "$now" != "$KEPT" ] && NEWW=$now
        done
        [ -n "$NEWW" ] && break
        sleep 0.02
    done
    if [ -n "$NEWW" ]; then ok "$name: SIGKILLed worker $victim replaced by $NEWW within 1 s"; else bad "$name: no new worker within 1 s: $(workers_of "$parent")"; return 1; fi
    wait_line "$log" "worker $victim ended by signal 9; restarted as worker $NEWW"
    check "$name: the restart is logged with the old and new pid" "$log" \
        "^parley $name: worker $victim ended by signal 9; restarted as worker $NEWW\$"
}

# --- server -----------------------------------------------------------------
SPORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$SPORT" --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2
SP=$LAST_PID
wait_count "$WORK/s.log" 'listening on' 2
kill_one server "$SP" "$WORK/s.log"
wait_count "$WORK/s.log" 'listening on' 3
handshakes "$SPORT" 6 && ok "server: 6 handshakes after the restart" || bad "server: handshakes after the restart: $(tail -3 "$WORK/hs.log")"
kill -HUP "$SP"
wait_count "$WORK/s.log" 'SIGHUP: nothing to reload' 2
check "server: SIGHUP reaches the restarted worker and the other one" "$WORK/s.log" \
    "SIGHUP: nothing to reload .*\\(pid $NEWW\\)" "SIGHUP: nothing to reload .*\\(pid $KEPT\\)"
# A worker that does not stop (SIGSTOP: SIGTERM waits) is killed at the
# deadline: the server's drain limit is 0, so 2 s after SIGTERM.
kill -STOP "$NEWW"
t0=$(ms)
kill -TERM "$SP"
wait "$SP"
rc=$? took=$(($(ms) - t0))
if [ "$rc" -eq 0 ] && [ "$took" -ge 1900 ] && [ "$took" -lt 4000 ] && gone "$NEWW" "$KEPT" && [ -z "$(workers_of "$SP")" ]; then
    ok "server: SIGTERM with a stuck worker: it is killed at the deadline, the parent exits 0 after ${took} ms, no worker left"
else
    bad "server: SIGTERM with a stuck worker: rc=$rc after ${took} ms, left: $(pgrep -f "127.0.0.1:$SPORT")"
fi
check "server: the stuck worker's kill is logged" "$WORK/s.log" "worker $NEWW still running 2000 ms after SIGTERM: killed"

# --- proxy ------------------------------------------------------------------
cp "$P/ec256.pem" "$WORK/cert.pem"
cp "$P/ec256.key" "$WORK/key.pem"
XPORT=$(free_port)
start_bg "$WORK/p.log" "$PARLEY" proxy --listen "127.0.0.1:$XPORT" --backend "127.0.0.1:$BPORT" \
    --cert "$WORK/cert.pem" --key "$WORK/key.pem" --workers 2 --handshake-timeout 60
XP=$LAST_PID
wait_count "$WORK/p.log" 'proxy listening on' 2
kill_one proxy "$XP" "$WORK/p.log"
wait_count "$WORK/p.log" 'proxy listening on' 3
handshakes "$XPORT" 6 && ok "proxy: 6 requests through it after the restart" || bad "proxy: requests after the restart: $(tail -3 "$WORK/hs.log")"
# Swap the certificate for a P-384 one and reload: both live workers say so,
# and every client from then on sees the new key.
cp "$P/ec384.pem" "$WORK/cert.pem"
cp "$P/ec384.key" "$WORK/key.pem"
kill -HUP "$XP"
wait_count "$WORK/p.log" 'certificates and ticket keys reloaded' 2
check "proxy: SIGHUP reloads the restarted worker and the other one" "$WORK/p.log" \
    "certificates and ticket keys reloaded \\(pid $NEWW\\)" "certificates and ticket keys reloaded \\(pid $KEPT\\)"
n384=0
for _ in 1 2 3 4 5 6; do
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$XPORT" -servername localhost -CAfile "$P/ca.pem" 2>/dev/null |
        grep -q 'Server public key is 384 bit' && n384=$((n384 + 1))
done
[ "$n384" -eq 6 ] && ok "proxy: after the reload every handshake shows the swapped certificate" || bad "proxy: $n384 of 6 handshakes show the swapped certificate"
# Open connections keep a worker draining: the parent waits for it (it is
# still there a second later), then a second SIGTERM ends it at once.
hold_conns "$WORK/hold.out"
sleep 0.3
kill -TERM "$XP"
sleep 1
if kill -0 "$XP" 2>/dev/null && grep -q 'stopping (pid [0-9]*): [1-9][0-9]* connections to finish' "$WORK/p.log"; then
    ok "proxy: after SIGTERM the parent waits for a worker that drains open connections"
else
    bad "proxy: parent during the drain: $(tail -4 "$WORK/p.log")"
fi
t0=$(ms)
kill -TERM "$XP"
wait "$XP"
rc=$? took=$(($(ms) - t0))
if [ "$rc" -eq 0 ] && [ "$took" -lt 1000 ] && gone "$NEWW" "$KEPT" && [ -z "$(workers_of "$XP")" ]; then
    ok "proxy: a second SIGTERM kills the draining workers; the parent exits 0 after ${took} ms, no worker left"
else
    bad "proxy: second SIGTERM: rc=$rc after ${took} ms, left: $(pgrep -f "127.0.0.1:$XPORT")"
fi
check "proxy: the second SIGTERM is logged" "$WORK/p.log" 'SIGTERM again while stopping: killing [0-9]+ workers'
stop_bg "$HOLD"

# A plain SIGTERM with nothing open: the workers drain at once and the
# parent follows them, well within the limit.
start_bg "$WORK/p2.log" "$PARLEY" proxy --listen "127.0.0.1:$XPORT" --backend "127.0.0.1:$BPORT" \
    --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2
XP=$LAST_PID
wait_count "$WORK/p2.log" 'proxy listening on' 2
read -r -a W2 <<<"$(workers_of "$XP")"
t0=$(ms)
kill -TERM "$XP"
wait "$XP"
rc=$? took=$(($(ms) - t0))
if [ "$rc" -eq 0 ] && [ "$took" -lt 2000 ] && gone "${W2[@]}" && [ "$(grep -c 'parley proxy: stopped (pid' "$WORK/p2.log")" -eq 2 ]; then
    ok "proxy: SIGTERM: both workers stop, the parent exits 0 after ${took} ms"
else
    bad "proxy: SIGTERM: rc=$rc after ${took} ms: $(tail -4 "$WORK/p2.log")"
fi
# Ctrl-C in a terminal: SIGINT to the whole process group (its own here,
# through setsid), parent and workers alike. The workers drain like at
# SIGTERM (before: they died at once, mid-connection, while the parent
# logged a drain); Ctrl-C again stops them now.
start_bg "$WORK/p3.log" setsid "$PARLEY" proxy --listen "127.0.0.1:$XPORT" --backend "127.0.0.1:$BPORT" \
    --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2
XP=$LAST_PID
wait_count "$WORK/p3.log" 'proxy listening on' 2
read -r -a W3 <<<"$(workers_of "$XP")"
hold_conns "$WORK/hold3.out"
sleep 0.3
kill -INT -- -"$XP"
sleep 1
alive=0
for w in "${W3[@]}"; do kill -0 "$w" 2>/dev/null && alive=$((alive + 1)); done
if kill -0 "$XP" 2>/dev/null && [ "$alive" -ge 1 ] && grep -q 'stopping (pid [0-9]*): [1-9][0-9]* connections to finish' "$WORK/p3.log"; then
    ok "proxy: Ctrl-C (SIGINT to the group): the workers with open connections drain, the parent waits"
else
    bad "proxy: after SIGINT to the group: parent alive=$(kill -0 "$XP" 2>/dev/null && echo yes || echo no), workers alive=$alive: $(tail -4 "$WORK/p3.log")"
fi
t0=$(ms)
kill -INT -- -"$XP"
wait "$XP"
rc=$? took=$(($(ms) - t0))
[ "$took" -lt 2000 ] && gone "${W3[@]}" && ok "proxy: Ctrl-C again stops everything at once (${took} ms, status $rc)" ||
    bad "proxy: second SIGINT: status $rc after ${took} ms"
stop_bg "$HOLD"
finish
