#!/usr/bin/env bash
# Scenario 3, Redis killed (issue #17): resumption through Redis across two
# servers at a steady rate (each new connection offers the last session made
# on either server; --no-tickets, so TLS 1.3 tickets and TLS 1.2 session ids
# live in Redis). SIGKILL redis-server and restart it 2 s later: while it is
# down every handshake still succeeds, in full, with no stall beyond a short
# timeout; after it returns resumption recovers. Full vs resumed handshakes per
# second are printed.
source "$(dirname "$0")/lib_load.sh" "$@"
require_cmds redis-server
RATE=$(scale 20 100)
SECS=$(scale 7 30)
KILL_AT=2
DOWN=2
make_pki
P=$PKI
RPORT=$(free_port)
openssl rand -hex 32 >"$WORK/secret"
start_redis # before the servers, so that the only outages they log are the two below
A=$(free_port)
B=$(free_port)
for port in $A $B; do
    start_bg "$WORK/s$port.log" "$PARLEY" server --listen "127.0.0.1:$port" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache "redis://127.0.0.1:$RPORT" --no-tickets --ticket-secret "$WORK/secret"
    wait_port "$port"
done
SA=$(pgrep -f "server --listen 127.0.0.1:$A " | head -1) SB=$(pgrep -f "server --listen 127.0.0.1:$B " | head -1)
# The baseline after a first handshake on each (its Redis connection is made then).
for port in $A $B; do timeout 10 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$port" >/dev/null 2>&1; done
sleep 0.3
fdb="$(nfds "$SA")/$(nfds "$SB")" rssb="$(rss_kb "$SA")/$(rss_kb "$SB")"
for v in 1.3 1.2; do
    T0=$(now_ms)
    "$LOADGEN" rate --connect "127.0.0.1:$A,127.0.0.1:$B" --rate "$RATE" --seconds "$SECS" --ca "$P/ca.pem" \
        --sni localhost --resume --tls "$v" --timeout-ms 5000 >"$WORK/rate$v.log" 2>&1 &
    LG=$!
    sleep $KILL_AT
    kill -9 "$REDIS_PID"
    wait "$REDIS_PID" 2>/dev/null
    sleep $DOWN
    start_redis
    tback=$(($(now_ms) - T0))
    wait "$LG"
    echo "TLS $v, per second (redis killed at ${KILL_AT}s, back at ${tback} ms):"
    timeline "$WORK/rate$v.log"
    tot_ok=$(kv "$WORK/rate$v.log" 'rate: total' ok)
    tot_fail=$(kv "$WORK/rate$v.log" 'rate: total' failed)
    res_before=$(rate_col "$WORK/rate$v.log" resumed 1 $KILL_AT)
    ok_before=$(rate_col "$WORK/rate$v.log" ok 1 $KILL_AT)
    res_down=$(rate_col "$WORK/rate$v.log" resumed $((KILL_AT + 1)) $((KILL_AT + DOWN)))
    full_down=$(rate_col "$WORK/rate$v.log" full $((KILL_AT + 1)) $((KILL_AT + DOWN)))
    slow_down=$(rate_max "$WORK/rate$v.log" ok_max_ms $KILL_AT $((KILL_AT + DOWN + 1)))
    res_after=$(rate_col "$WORK/rate$v.log" resumed $((KILL_AT + DOWN + 1)))
    ok_after=$(rate_col "$WORK/rate$v.log" ok $((KILL_AT + DOWN + 1)))
    figure "TLS $v: rate=$RATE/s for ${SECS}s over 2 servers; redis killed at ${KILL_AT}s for ${DOWN}s; ok=$tot_ok failed=$tot_fail; resumed before $res_before/$ok_before, while down $res_down resumed + $full_down full (slowest $slow_down ms), after $res_after/$ok_after"
    [ "${tot_fail:-1}" -eq 0 ] && [ "${tot_ok:-0}" -gt 0 ] && ok "TLS $v: every one of $tot_ok handshakes succeeded, Redis down or not" ||
        bad "TLS $v: ${tot_fail:-?} handshakes failed"
    [ "$ok_before" -gt 0 ] && [ $((res_before * 100)) -ge $((ok_before * 80)) ] && ok "TLS $v: $res_before of $ok_before resumed across the two servers before the kill" ||
        bad "TLS $v: only $res_before of $ok_before resumed before the kill"
    [ "$full_down" -gt 0 ] && ok "TLS $v: full handshakes while Redis was down ($full_down; $res_down resumed)" || bad "TLS $v: no full handshake while Redis was down"
    [ "$slow_down" -le 1000 ] && ok "TLS $v: no stall while Redis was down (slowest handshake and request $slow_down ms)" ||
        bad "TLS $v: a connection took $slow_down ms while Redis was down"
    [ "$ok_after" -gt 0 ] && [ $((res_after * 100)) -ge $((ok_after * 70)) ] && ok "TLS $v: resumption recovered: $res_after of $ok_after resumed after Redis returned" ||
        bad "TLS $v: only $res_after of $ok_after resumed after Redis returned"
done
sleep 1
fda="$(nfds "$SA")/$(nfds "$SB")" rssa="$(rss_kb "$SA")/$(rss_kb "$SB")"
figure "servers across both outages: descriptors $fdb -> $fda, rss_kb $rssb -> $rssa"
[ "$fda" = "$fdb" ] && ok "the servers' descriptors are back where they were ($fda)" || bad "server descriptors $fdb -> $fda"
# Two outages (one per version): each logged once when it starts, once when it ends.
for port in $A $B; do
    down=$(grep -c 'session cache: redis .* unreachable' "$WORK/s$port.log")
    up=$(grep -c 'session cache: redis .* is back' "$WORK/s$port.log")
    [ "$down" -eq 2 ] && [ "$up" -eq 2 ] && ok "server $port logged each of the 2 outages once, and each return" ||
        { bad "server $port logged $down outages and $up returns (expected 2 and 2)"; grep redis "$WORK/s$port.log"; }
done
finish
