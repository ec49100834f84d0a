#!/usr/bin/env bash
# Scenario 2, the key server killed (issue #17): keyless handshakes at a
# steady rate through two edges (`parley proxy --keyless`), with keep-alive
# connections held open meanwhile. SIGKILL the key server, restart it 3 s
# later: while it is down handshakes fail fast (within the keyless timeout)
# with a clear log line and no edge crashes or leaks; within 1 s of its return
# every handshake succeeds again; the connections already established are
# untouched. Then two key servers (`--keyless A,B`): killing one loses no
# handshake.
source "$(dirname "$0")/lib_load.sh" "$@"
RATE=$(scale 20 100)
KL_TIMEOUT=1000
make_pki
P=$PKI
make_keyless_pki
BPORT=$(free_port)
start_bg "$WORK/backend.log" "$LOADGEN" backend --listen "127.0.0.1:$BPORT"
wait_line "$WORK/backend.log" 'listening on'
K1=$(free_port)
K2=$(free_port)
start_keyserver() { # start_keyserver PORT: sets KS_PID
    start_bg "$WORK/ks$1.log" "$PARLEY" keyserver --listen "127.0.0.1:$1" --keys "$WORK/keys" --ca "$P/ca.pem" \
        --cert "$P/ksrv.pem" --key "$P/ksrv.key"
    KS_PID=$LAST_PID
    wait_line "$WORK/ks$1.log" 'listening on'
}
start_edges() { # start_edges KEYLESS_LIST: two edges, sets E1 E2 EP1 EP2
    E1=$(free_port) E2=$(free_port)
    local e
    for e in $E1 $E2; do
        start_bg "$WORK/edge$e.log" "$PARLEY" proxy --listen "127.0.0.1:$e" --backend "127.0.0.1:$BPORT" \
            --cert "$P/ec256.pem" --keyless "$1" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" \
            --keyless-key "$P/edge.key" --keyless-timeout $KL_TIMEOUT --idle-timeout 30
        wait_port "$e"
        if [ "$e" = "$E1" ]; then EP1=$LAST_PID; else EP2=$LAST_PID; fi
    done
}

# --- one key server, killed and restarted -----------------------------------
start_keyserver "$K1"
start_edges "127.0.0.1:$K1"
fd1=$(nfds "$EP1") fd2=$(nfds "$EP2") rss1=$(rss_kb "$EP1") rss2=$(rss_kb "$EP2")
SECS=$(scale 8 30)
KILL_AT=2
DOWN=3
"$LOADGEN" rate --connect "127.0.0.1:$E1,127.0.0.1:$E2" --rate "$RATE" --seconds "$SECS" --ca "$P/ca.pem" \
    --sni localhost --hold 8 --timeout-ms 5000 >"$WORK/rate1.log" 2>&1 &
LG=$!
# Kill and return are placed on the load generator's own clock (its t=0 is
# after its start and the held connections' handshakes).
for i in $(seq 1 200); do grep -q '^rate: start' "$WORK/rate1.log" && break; sleep 0.05; done
sleep $KILL_AT
kill -9 "$KS_PID"
tkill_unix=$(now_ms)
sleep $DOWN
start_keyserver "$K1"
tback_unix=$(now_ms)
wait "$LG"
timeline "$WORK/rate1.log"
start_unix=$(kv "$WORK/rate1.log" 'rate: start' unix_ms)
tkill=$((tkill_unix - start_unix)) tback=$((tback_unix - start_unix))
ks=$((tkill / 1000)) bs=$((tback / 1000)) # the seconds they fell in
last_fail=$(kv "$WORK/rate1.log" 'rate: total' last_fail_unix_ms)
before=$(rate_col "$WORK/rate1.log" failed 0 "$ks")
during_fail=$(rate_col "$WORK/rate1.log" failed $((ks + 1)) "$bs")
failmax=$(rate_max "$WORK/rate1.log" fail_max_ms 0)
after=$(rate_col "$WORK/rate1.log" failed $((bs + 2)))
after_ok=$(rate_col "$WORK/rate1.log" ok $((bs + 2)))
hold_broken=$(kv "$WORK/rate1.log" 'rate: total' hold_broken)
hold_req=$(kv "$WORK/rate1.log" 'rate: total' hold_requests)
recovery=$((${last_fail:-0} - tback_unix)) # when the last failed attempt started, after the return
figure "one key server: rate=$RATE/s for ${SECS}s over 2 edges; killed at ${tkill} ms, back at ${tback} ms; failures before=$before while down=$during_fail (slowest ${failmax} ms; keyless timeout $KL_TIMEOUT ms) after=$after; last failure ${recovery} ms after the return; held connections: $hold_req requests, $hold_broken broken"
[ "$before" -eq 0 ] && ok "no failure before the kill" || bad "$before failures before the kill"
[ "$during_fail" -gt 0 ] && ok "handshakes failed while the key server was down ($during_fail)" || bad "no failure while the key server was down: the test did not test"
[ "$failmax" -le $((KL_TIMEOUT + 500)) ] && ok "failures were fast: the slowest took $failmax ms (keyless timeout $KL_TIMEOUT ms)" ||
    bad "a failure took $failmax ms (keyless timeout $KL_TIMEOUT ms)"
[ "$recovery" -le 1000 ] && ok "every handshake succeeds again within 1 s of the key server's return (last failure at +$recovery ms)" ||
    bad "a handshake failed $recovery ms after the key server was back"
[ "$after" -eq 0 ] && [ "$after_ok" -gt 0 ] && ok "$after_ok handshakes after the return, none failed" || bad "$after of $((after + after_ok)) failed after the return"
[ "${hold_broken:-1}" -eq 0 ] && [ "${hold_req:-0}" -gt 0 ] && ok "the 8 established connections were untouched ($hold_req requests answered)" ||
    bad "established connections broke: ${hold_broken:-?} (requests ${hold_req:-?})"
for e in $E1 $E2; do
    check "edge $e logs the outage and the return" "$WORK/edge$e.log" 'key server 127.0.0.1:[0-9]+ is unreachable' 'is reachable again'
done
kill -0 "$EP1" 2>/dev/null && kill -0 "$EP2" 2>/dev/null && ok "both edges alive" || bad "an edge died"
sleep 1
fe1=$(nfds "$EP1") fe2=$(nfds "$EP2")
figure "edges: descriptors $fd1/$fd2 before, $fe1/$fe2 after; rss_kb $rss1/$rss2 before, $(rss_kb "$EP1")/$(rss_kb "$EP2") after"
[ "$fe1" -le $((fd1 + 2)) ] && [ "$fe2" -le $((fd2 + 2)) ] && ok "no descriptor leaked on the edges" || bad "edge descriptors grew: $fd1→$fe1, $fd2→$fe2"
stop_bg "$EP1"; stop_bg "$EP2"; stop_bg "$KS_PID"

# --- two key servers, one killed ---------------------------------------------
start_keyserver "$K1"
KA=$KS_PID
start_keyserver "$K2"
start_edges "127.0.0.1:$K1,127.0.0.1:$K2"
SECS=$(scale 4 20)
"$LOADGEN" rate --connect "127.0.0.1:$E1,127.0.0.1:$E2" --rate "$RATE" --seconds "$SECS" --ca "$P/ca.pem" \
    --sni localhost --hold 4 --timeout-ms 5000 >"$WORK/rate2.log" 2>&1 &
LG=$!
sleep 2
kill -9 "$KA"
wait "$LG"
timeline "$WORK/rate2.log"
tot_ok=$(kv "$WORK/rate2.log" 'rate: total' ok)
tot_fail=$(kv "$WORK/rate2.log" 'rate: total' failed)
hold_broken=$(kv "$WORK/rate2.log" 'rate: total' hold_broken)
figure "two key servers, one killed at 2 s: ${tot_ok} handshakes ok, ${tot_fail} failed; held connections broken: $hold_broken"
[ "${tot_fail:-1}" -eq 0 ] && [ "${tot_ok:-0}" -gt 0 ] && ok "no handshake lost when one of two key servers died ($tot_ok ok)" ||
    bad "${tot_fail:-?} handshakes failed when one of two key servers died"
[ "${hold_broken:-1}" -eq 0 ] && ok "established connections untouched" || bad "${hold_broken:-?} established connections broke"
grep -h 'rate: fail' "$WORK/rate2.log" | head -5
finish
