#!/usr/bin/env bash
# Scenario 4, reload and drain (issue #17). SIGHUP under a crowd (10 % of it
# hostile, as in test_crowd.sh): `parley
# proxy --workers 2` gets new certificates (P-256 -> P-384) and a new ticket
# key ring (new key first, old key still there to open) while hundreds of
# keep-alive clients are mid-request: no request is lost, both workers reload,
# new handshakes show the new certificate, a session ticket issued before the
# reload still resumes, and one issued under a key since removed does not.
# SIGTERM under a crowd: new connections are refused at once, the connections
# in flight finish every request, and the parent exits (with no worker left)
# within the drain limit.
source "$(dirname "$0")/lib_load.sh" "$@"
CONNS=$(scale 400 3000)
raise_nofile $((CONNS * 4 + 4096)) >/dev/null
make_pki
P=$PKI
BPORT=$(free_port)
PORT=$(free_port)
start_bg "$WORK/backend.log" "$LOADGEN" backend --listen "127.0.0.1:$BPORT"
wait_line "$WORK/backend.log" 'listening on'
cp "$P/ec256.pem" "$WORK/cur.pem"
cp "$P/ec256.key" "$WORK/cur.key"
K1=$(openssl rand -hex 48) K2=$(openssl rand -hex 48)
echo "$K1" >"$WORK/tk"
start_proxy() {
    start_bg "$WORK/proxy$1.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" \
        --cert "$WORK/cur.pem" --key "$WORK/cur.key" --ticket-keys "$WORK/tk" --session-cache none --workers 2 \
        --max-conns $((CONNS + 1000)) --handshake-timeout 4 --idle-timeout 4
    PROXY=$LAST_PID
    wait_count "$WORK/proxy$1.log" '^(proxy )?listening on .*\(pid [0-9]+\)$' 2
}
client() { timeout 10 "$PARLEY" client --cafile "$P/ca.pem" "$@" "localhost:$PORT" 2>&1; }
# crowd_counts LOG: lost, sent, okn and broken from a crowd's summary.
crowd_counts() {
    lost=$(kv "$1" 'crowd: requests_sent' lost)
    sent=$(kv "$1" 'crowd: requests_sent' requests_sent)
    okn=$(kv "$1" 'crowd: requests_sent' answers_ok)
    broken=$(kv "$1" 'crowd: requests_sent' broken)
}

# --- SIGHUP under a crowd ------------------------------------------------------
start_proxy 1
read -r W1 W2 <<<"$(workers_of "$PROXY")"
client >/dev/null # the first handshake's one-time allocations are in the baseline
sleep 0.3
fdb=$(($(nfds "$W1") + $(nfds "$W2"))) rssb=$(($(rss_kb "$W1") + $(rss_kb "$W2")))
client --sess-out "$WORK/s1" >"$WORK/c1.log"
check "a session under the first ticket key" "$WORK/c1.log" '^signature: ecdsa_secp256r1_sha256' '^verify: ok'
# The crowd scenario's mix: 10 % hostile (test_crowd.sh), 20 % of the good on TLS 1.2.
"$LOADGEN" crowd --connect "127.0.0.1:$PORT" --conns "$CONNS" --hostile-pct 10 --requests 6 --interval-ms 400 \
    --ramp-ms "$(scale 2000 6000)" --ca "$P/ca.pem" --sni localhost --max-seconds 60 --tls12-pct 20 \
    --keepalive-ms 1500 --hostile-linger-ms 11000 >"$WORK/crowd1.log" 2>&1 &
LG=$!
sleep 1
cp "$P/ec384.pem" "$WORK/cur.pem"
cp "$P/ec384.key" "$WORK/cur.key"
printf '%s\n%s\n' "$K2" "$K1" >"$WORK/tk"
kill -HUP "$PROXY"
wait_count "$WORK/proxy1.log" 'certificates and ticket keys reloaded' 2 &&
    grep -q "reloaded (pid $W1)" "$WORK/proxy1.log" && grep -q "reloaded (pid $W2)" "$WORK/proxy1.log" &&
    ok "both workers ($W1, $W2) reloaded under the crowd" || bad "not both workers reloaded: $(grep 'reloaded' "$WORK/proxy1.log")"
client >"$WORK/c2.log"
check "new handshakes during the crowd get the new certificate" "$WORK/c2.log" '^signature: ecdsa_secp384r1_sha384' '^verify: ok'
wait "$LG"
rc=$?
cat "$WORK/crowd1.log"
crowd_counts "$WORK/crowd1.log"
figure "SIGHUP at 1 s into a crowd of $CONNS: requests=$sent answered_ok=$okn lost=$lost (exit $rc)"
[ "$rc" -eq 0 ] && [ "${lost:-1}" -eq 0 ] && [ "${okn:-0}" -eq "${sent:-1}" ] &&
    ok "the reload lost nothing: $okn of $sent requests answered, no connection dropped, every hostile one cut" || bad "the reload cost requests: lost=${lost:-?}, $okn of $sent answered (exit $rc)"
for i in $(seq 1 100); do [ $(($(nfds "$W1") + $(nfds "$W2"))) -le "$fdb" ] && break; sleep 0.1; done
sleep 1.5 # the idle proxy gives memory back
fda=$(($(nfds "$W1") + $(nfds "$W2"))) rssa=$(($(rss_kb "$W1") + $(rss_kb "$W2")))
figure "proxy across the SIGHUP crowd: descriptors $fdb -> $fda, rss_kb $rssb -> $rssa (both workers)"
[ "$fda" -le "$fdb" ] && ok "descriptors back to the baseline after the reload crowd ($fda)" || bad "descriptors $fdb -> $fda"
# The old ticket (sealed under K1, which now only opens) resumes.
for i in 1 2 3 4; do client --sess-in "$WORK/s1"; done >"$WORK/c3.log"
n=$(grep -c '^resumed: yes' "$WORK/c3.log")
[ "$n" -eq 4 ] && ok "a ticket from before the reload resumes (4 of 4 tries)" || bad "old ticket resumed $n of 4 times"
# Drop K1: the old ticket no longer opens (the ring really was replaced).
echo "$K2" >"$WORK/tk"
kill -HUP "$PROXY"
wait_count "$WORK/proxy1.log" 'certificates and ticket keys reloaded' 4
for i in 1 2 3 4; do client --sess-in "$WORK/s1"; done >"$WORK/c4.log"
n=$(grep -c '^resumed: no' "$WORK/c4.log")
[ "$n" -eq 4 ] && ok "once its key is removed, the old ticket is refused (full handshakes, 4 of 4)" || bad "removed key: $n of 4 not resumed"
stop_bg "$PROXY"

# --- SIGTERM under a crowd -----------------------------------------------------
cp "$P/ec256.pem" "$WORK/cur.pem"
cp "$P/ec256.key" "$WORK/cur.key"
start_proxy 2
read -r W1 W2 <<<"$(workers_of "$PROXY")"
# The clients connect over 0.5 s (or as fast as the machine can), each then
# making 8 requests 400 ms apart and staying until all are in: SIGTERM comes
# the moment the last one is in, with all of them mid-way.
"$LOADGEN" crowd --connect "127.0.0.1:$PORT" --conns "$CONNS" --hostile-pct 0 --requests 8 --interval-ms 400 \
    --ramp-ms 500 --ca "$P/ca.pem" --sni localhost --max-seconds 60 >"$WORK/crowd2.log" 2>&1 &
LG=$!
for i in $(seq 1 1200); do grep -q 'good connections settled' "$WORK/crowd2.log" && break; sleep 0.05; done
t0=$(now_ms)
kill -TERM "$PROXY"
# Once both workers have closed their listener: a new connection is refused.
wait_count "$WORK/proxy2.log" 'stopping \(pid' 2
if timeout 5 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c5.log" 2>&1; then
    bad "a new connection was served after SIGTERM"
else
    ok "new connections are refused once draining ($(head -1 "$WORK/c5.log"))"
fi
gone=""
for i in $(seq 1 150); do
    if ! kill -0 "$PROXY" 2>/dev/null; then
        gone=$(($(now_ms) - t0))
        left=$(ps -o pid= -p "$W1,$W2" | wc -l) # workers alive when the parent was found gone
        break
    fi
    sleep 0.1
done
wait "$PROXY" 2>/dev/null
prc=$?
wait "$LG"
rc=$?
cat "$WORK/crowd2.log"
crowd_counts "$WORK/crowd2.log"
figure "SIGTERM once a crowd of $CONNS was in: requests=$sent answered_ok=$okn lost=$lost broken=$broken; parent exited after ${gone:-never} ms (status $prc)"
[ "$rc" -eq 0 ] && [ "${lost:-1}" -eq 0 ] && [ "${broken:-1}" -eq 0 ] && [ "${okn:-0}" -eq "${sent:-1}" ] &&
    ok "the connections in flight finished: $okn of $sent requests answered, none cut" ||
    bad "the drain cut connections: lost=${lost:-?} broken=${broken:-?}, $okn of $sent answered (exit $rc)"
[ -n "$gone" ] && [ "$gone" -le 12000 ] && ok "the parent exited ${gone} ms after SIGTERM (drain limit 10 s)" || bad "the parent had not exited 15 s after SIGTERM"
[ "${left:-1}" -eq 0 ] && ok "the parent exited after its workers, not before (none alive when it was gone)" ||
    bad "the parent exited with ${left:-?} workers still draining"
[ "$prc" -eq 0 ] && ok "exit status 0" || bad "exit status $prc"
sleep 0.5
left=$(ps -o pid= -p "$W1,$W2" | wc -l)
[ "$left" -eq 0 ] && ok "no worker left" || bad "$left workers still running after the parent exited"
grep -q 'stopping (pid' "$WORK/proxy2.log" && ok "the workers logged the drain" || bad "no drain logged"
finish
