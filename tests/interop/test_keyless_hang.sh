#!/usr/bin/env bash
# Keyless failover when a key server HANGS rather than dies (docs/keyless.md,
# "A key server that hangs"): key server A is SIGSTOPped, so its TCP
# connections stay up and nothing ever drops them. `parley server --keyless
# A,B --keyless-timeout 2000`: 10 handshakes in a row all succeed, none waits
# a whole timeout (operations on A's silent connections are copied to B after
# half of it), and once A's connections have been silent a whole timeout they
# are dropped, so the handshakes after that are fast; the log says A is not
# answering. SIGCONT A: it is reachable again within about a second and
# carries operations (B is then killed and handshakes still succeed). Last, a
# provider whose connect to a stopped key server hangs in the TLS handshake is
# freed at once (`parley server --check-config` with A stopped).
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
make_keyless_pki
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
KL_TLS=(--keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key")
# 2 s: the gaps this test tells apart (a handshake, half a timeout more, a
# whole one more) stay wide on a loaded machine under ASan, where a plain
# handshake with its client process can take 400 ms.
TIMEOUT=2000

KA=$(free_port)
KB=$(free_port)
start_ks() { # start_ks PORT LOG: sets KS_PID
    start_bg "$2" "$PARLEY" keyserver --listen "127.0.0.1:$1" --keys "$WORK/keys" --ca "$P/ca.pem" \
        --cert "$P/ksrv.pem" --key "$P/ksrv.key" --log-ops
    KS_PID=$LAST_PID
    wait_line "$2" 'listening on'
}
start_ks "$KA" "$WORK/ksA.log"; PID_A=$KS_PID
start_ks "$KB" "$WORK/ksB.log"; PID_B=$KS_PID
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$KA,127.0.0.1:$KB" "${KL_TLS[@]}" --keyless-timeout "$TIMEOUT" --keyless-pool 2
wait_port "$PORT"
wait_count "$WORK/ksA.log" 'connected as /CN=edge' 2
wait_count "$WORK/ksB.log" 'connected as /CN=edge' 2

hs() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT" >"$1" 2>&1 && grep -q '^verify: ok' "$1"; }
signed() { grep -c 'operation 1 -> status 0' "$1"; }
fails=0 base=0
for i in 1 2 3 4; do
    t0=$(now_ns)
    hs "$WORK/c.log" || fails=$((fails + 1))
    t=$(ms_since "$t0")
    [ "$t" -gt "$base" ] && base=$t
done
# "Slow" is relative to a handshake with both up (a client process, and under
# ASan on a busy machine that alone can take 400 ms): 30 % of the timeout
# more than the slowest of those. An operation that waited on A takes at
# least half the timeout more.
SLOW=$((base + TIMEOUT * 3 / 10))
a=$(signed "$WORK/ksA.log")
[ "$fails" -eq 0 ] && [ "$a" -ge 1 ] && ok "both up: 4 handshakes, A signed $a" || bad "both up: $fails failed, A signed $a"

# --- A hangs: SIGSTOP ---------------------------------------------------------
kill -STOP "$PID_A"
stopped=$(now_ns)
: >"$WORK/times"
for i in $(seq 1 10); do
    t0=$(now_ns)
    if hs "$WORK/c$i.log"; then r=ok; else r=fail; fi
    echo "$((t0 - stopped)) $(ms_since "$t0") $r" >>"$WORK/times" # start (ns after the stop), ms taken, result
done
echo "handshakes with A stopped (start ms after SIGSTOP, ms taken, result):"
awk '{ printf "  %6d ms  %5d ms  %s\n", $1 / 1000000, $2, $3 }' "$WORK/times"
nfail=$(grep -c ' fail$' "$WORK/times")
[ "$nfail" -eq 0 ] && ok "A stopped: all 10 handshakes succeeded" || bad "A stopped: $nfail of 10 failed"
worst=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$WORK/times")
[ "$worst" -lt $((TIMEOUT + base)) ] && ok "A stopped: none waited a whole timeout (slowest ${worst} ms, timeout ${TIMEOUT} ms, a handshake ${base} ms)" ||
    bad "A stopped: the slowest took ${worst} ms (timeout ${TIMEOUT} ms, a handshake ${base} ms)"
# A whole timeout (plus 300 ms of slack) after the first slow handshake began,
# A's connections have been dropped: every handshake from then on is fast.
first_slow=$(awk -v slow="$SLOW" '$2 >= slow { print $1; exit }' "$WORK/times")
if [ -z "$first_slow" ]; then
    bad "A stopped: no handshake was slowed at all (were operations still going to A?)"
else
    after=$(awk -v t="$((first_slow + (TIMEOUT + 300) * 1000000))" '$1 > t' "$WORK/times")
    nafter=$(printf '%s' "$after" | grep -c .)
    slow_after=$(printf '%s' "$after" | awk -v slow="$SLOW" '$2 >= slow' | grep -c .)
    [ "$nafter" -ge 4 ] && [ "$slow_after" -eq 0 ] &&
        ok "A stopped: after the first timeout all $nafter handshakes were fast (< $SLOW ms: both up, the slowest took $base ms)" ||
        bad "A stopped: after the first timeout $slow_after of $nafter handshakes took $SLOW ms or more (both up, the slowest took $base ms)"
fi
check "A stopped: logged as not answering, its operations going to B" "$WORK/s.log" \
    "key server 127.0.0.1:$KA is not answering; its operations go to the other key servers until it is back"
n=$(grep -c "key server 127.0.0.1:$KA is not answering" "$WORK/s.log")
[ "$n" -eq 1 ] && ok "A stopped: the outage is logged once" || bad "A stopped: logged $n times"
n=$(grep -c 'timed out' "$WORK/s.log")
[ "$n" -eq 0 ] && ok "A stopped: no operation timed out" || bad "A stopped: $n operations timed out"

# --- A continues: used again ---------------------------------------------------
before=$(signed "$WORK/ksA.log")
kill -CONT "$PID_A"
cont=$(now_ns)
for _ in $(seq 1 150); do grep -q "key server 127.0.0.1:$KA is reachable again" "$WORK/s.log" && break; sleep 0.02; done
ms=$(ms_since "$cont")
grep -q "key server 127.0.0.1:$KA is reachable again" "$WORK/s.log" && [ "$ms" -lt 2500 ] &&
    ok "A continued: reachable again within ${ms} ms" || bad "A continued: not reachable again within ${ms} ms"
sleep 0.6 # the second connection's backoff (at most 500 ms)
fails=0
for i in $(seq 1 6); do hs "$WORK/c.log" || fails=$((fails + 1)); done
a=$(( $(signed "$WORK/ksA.log") - before ))
[ "$fails" -eq 0 ] && [ "$a" -ge 2 ] && ok "A continued: 6 handshakes, A signed $a of them" ||
    bad "A continued: $fails failed, A signed $a"
kill -9 "$PID_B"; wait "$PID_B" 2>/dev/null
fails=0
for i in 1 2 3; do hs "$WORK/c.log" || fails=$((fails + 1)); done
[ "$fails" -eq 0 ] && ok "B killed: 3 handshakes through A alone" || bad "B killed: $fails of 3 failed"

# --- freeing a provider stuck connecting to a stopped key server --------------
# The kernel of a SIGSTOPped A still completes TCP handshakes, so the
# provider's connect hangs in TLS; parley_keyless_new gives up waiting after
# the operation timeout (500 ms here) and the free must not wait for the
# connect attempt (bounded at 2 s) to end. Measured against the same check
# with A running (loading the configuration takes its own time).
check_config() { # check_config: sets CC_MS
    local start rc
    start=$(now_ns)
    timeout 20 "$PARLEY" server --check-config --listen "127.0.0.1:$(free_port)" --cert "$P/ec256.pem" \
        --keyless "127.0.0.1:$KA" "${KL_TLS[@]}" --keyless-timeout 500 >"$WORK/check.log" 2>&1
    rc=$?
    CC_MS=$(ms_since "$start")
    [ "$rc" -eq 0 ] && grep -q '^config ok' "$WORK/check.log" || { bad "--check-config failed (exit $rc)"; cat "$WORK/check.log"; }
}
check_config
base=$CC_MS
kill -STOP "$PID_A"
check_config
extra=$((CC_MS - base))
[ "$extra" -lt 1000 ] &&
    ok "A stopped: --check-config took ${CC_MS} ms, ${extra} ms more than with A running (500 ms of it waiting to connect)" ||
    bad "A stopped: --check-config took ${CC_MS} ms, ${extra} ms more than with A running (${base} ms)"
kill -CONT "$PID_A"
finish
