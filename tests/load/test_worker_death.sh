#!/usr/bin/env bash
# Scenario 5, a worker dies (issue #17): handshakes with resumption at a
# steady rate into `parley server --workers 2 --session-cache shm:4m
# --no-tickets` (sessions live in shared memory) and into `parley proxy
# --workers 2` (tickets under keys the workers derive from one secret).
# SIGKILL one worker: the parent logs it and starts a new one within 1 s, the
# handshakes on the other worker go on, and the sessions survive: with the
# other worker stopped (SIGSTOP) for a moment, so that only the new one
# accepts, a session saved before the kill resumes.
source "$(dirname "$0")/lib_load.sh" "$@"
RATE=$(scale 40 200)
SECS=$(scale 5 30)
KILL_AT=2
make_pki
P=$PKI
BPORT=$(free_port)
start_bg "$WORK/backend.log" "$LOADGEN" backend --listen "127.0.0.1:$BPORT"
wait_line "$WORK/backend.log" 'listening on'

run_case() { # run_case NAME COMMAND...: the command listens on $PORT with --workers 2
    local name=$1
    shift
    start_bg "$WORK/$name.log" "$@"
    local parent=$LAST_PID
    wait_count "$WORK/$name.log" '^(proxy )?listening on .*\(pid [0-9]+\)$' 2
    read -r W1 W2 <<<"$(workers_of "$parent")"
    "$LOADGEN" rate --connect "127.0.0.1:$PORT" --rate "$RATE" --seconds "$SECS" --ca "$P/ca.pem" --sni localhost \
        --resume --timeout-ms 3000 >"$WORK/$name.rate" 2>&1 &
    local lg=$!
    timeout 10 "$PARLEY" client --cafile "$P/ca.pem" --sess-out "$WORK/$name.sess" "localhost:$PORT" >/dev/null 2>&1
    local fdb rssb fda rssa
    fdb=$(nfds "$W2") rssb=$(rss_kb "$W2") # the worker that lives on
    sleep $KILL_AT
    local t0
    t0=$(now_ms)
    kill -9 "$W1"
    local new="" i
    for i in $(seq 1 40); do
        new=$(workers_of "$parent" | tr ' ' '\n' | grep -vx -e "$W2" -e "$W1" -e '' | head -1)
        [ -n "$new" ] && break
        sleep 0.05
    done
    local took=$(($(now_ms) - t0))
    wait "$lg"
    sleep 0.5
    fda=$(nfds "$W2") rssa=$(rss_kb "$W2")
    figure "$name: the surviving worker: descriptors $fdb -> $fda, rss_kb $rssb -> $rssa"
    [ "$fda" -le "$fdb" ] && ok "$name: the surviving worker's descriptors back to $fda" || bad "$name: surviving worker's descriptors $fdb -> $fda"
    # Only the new worker accepting (the other stopped, once the rate is
    # over): the session saved before the kill.
    kill -STOP "$W2"
    timeout 10 "$PARLEY" client --cafile "$P/ca.pem" --sess-in "$WORK/$name.sess" "localhost:$PORT" >"$WORK/$name.old" 2>&1
    kill -CONT "$W2"
    check "$name: the new worker alone resumes a session made before the kill" "$WORK/$name.old" '^resumed: yes' '^verify: ok' 
    echo "$name, per second (worker $W1 killed at ${KILL_AT}s):"
    timeline "$WORK/$name.rate"
    grep 'rate: fail' "$WORK/$name.rate" | head -5
    local tot_ok tot_fail res_after ok_after
    tot_ok=$(kv "$WORK/$name.rate" 'rate: total' ok)
    tot_fail=$(kv "$WORK/$name.rate" 'rate: total' failed)
    res_after=$(rate_col "$WORK/$name.rate" resumed $((KILL_AT + 1)))
    ok_after=$(rate_col "$WORK/$name.rate" ok $((KILL_AT + 1)))
    figure "$name: rate=$RATE/s for ${SECS}s; worker killed at ${KILL_AT}s, replaced after ${took} ms; ok=$tot_ok failed=$tot_fail; resumed after the kill $res_after/$ok_after"
    [ -n "$new" ] && [ "$took" -le 1000 ] && ok "$name: a new worker ($new) within $took ms" || bad "$name: no new worker within 2 s"
    grep -Eq "worker $W1 ended by signal 9.*restarted as worker ${new:-none}" "$WORK/$name.log" &&
        ok "$name: the parent logs the death and the restart" ||
        { bad "$name: no log line of the death and restart"; grep -v 'client=' "$WORK/$name.log" | tail -5; }
    [ "$(workers_of "$parent" | wc -w)" -eq 2 ] && ok "$name: two workers again" || bad "$name: workers now: $(workers_of "$parent")"
    # The kill can take the handshakes that were on that worker at that
    # instant (at this rate, at most one or two); none of the others.
    [ "${tot_fail:-9}" -le 2 ] && [ "${tot_ok:-0}" -gt 0 ] && ok "$name: $tot_ok handshakes ok, $tot_fail failed (only what was on the killed worker)" ||
        bad "$name: $tot_fail handshakes failed"
    [ "$ok_after" -gt 0 ] && [ $((res_after * 100)) -ge $((ok_after * 90)) ] &&
        ok "$name: $res_after of $ok_after handshakes resumed after the kill" ||
        bad "$name: only $res_after of $ok_after resumed after the kill"
    timeout 10 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/$name.after" 2>&1
    check "$name: served after the restart" "$WORK/$name.after" '^verify: ok'
    stop_bg "$parent"
}

PORT=$(free_port)
run_case server "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2 \
    --session-cache shm:4m --no-tickets
PORT=$(free_port)
run_case proxy "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --workers 2
finish
