#!/usr/bin/env bash
# Sessions across hosts through a real redis-server: two parley servers on
# different ports resume each other's TLS 1.2 sessions; with Redis stopped
# handshakes go on in full (logged once) and resume again once it is back.
source "$(dirname "$0")/lib.sh" "$@"
command -v redis-server >/dev/null || { bad "redis-server is not installed (scripts/install-deps.sh)"; finish; exit; }
make_pki
P=$PKI
RPORT=$(free_port)
start_redis() {
    start_bg "$WORK/redis.log" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no
    REDIS_PID=$LAST_PID
    wait_port "$RPORT"
}
start_redis
A=$(free_port)
B=$(free_port)
for port in $A $B; do
    start_bg "$WORK/s$port.log" "$PARLEY" server --listen "127.0.0.1:$port" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache "redis://127.0.0.1:$RPORT" --no-tickets
    wait_port "$port"
done
c() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 "$@" >"$WORK/c.log" 2>&1; }
c --sess-out "$WORK/s.sess" "localhost:$A"
check "full handshake on server A" "$WORK/c.log" '^resumed: no'
c --sess-in "$WORK/s.sess" "localhost:$B"
check "server B resumes server A's session through Redis" "$WORK/c.log" '^resumed: yes'
redis-cli -p "$RPORT" --scan --pattern 'parley:sess:*' >"$WORK/keys.txt" 2>&1 || true
check "the session is stored under a prefixed key with a TTL" "$WORK/keys.txt" '^parley:sess:[0-9a-f]{64}$'
ttl=$(redis-cli -p "$RPORT" ttl "$(head -1 "$WORK/keys.txt")" 2>/dev/null)
[ "${ttl:-0}" -gt 7000 ] && ok "TTL is the session lifetime ($ttl s)" || bad "unexpected TTL '$ttl'"
stop_bg "$REDIS_PID"
c --sess-in "$WORK/s.sess" "localhost:$A"
check "Redis down: the handshake goes on in full" "$WORK/c.log" '^resumed: no' '^verify: ok'
c "localhost:$A"
check "Redis down: still serving" "$WORK/c.log" '^verify: ok'
[ "$(grep -c 'unreachable' "$WORK/s$A.log")" -eq 1 ] && ok "Redis down: logged once" || bad "Redis outage logged $(grep -c unreachable "$WORK/s$A.log") times"
start_redis
sleep 1.2 # the server retries about once a second
c --sess-out "$WORK/s2.sess" "localhost:$A"
c --sess-in "$WORK/s2.sess" "localhost:$B"
check "Redis back: resumption across servers again" "$WORK/c.log" '^resumed: yes'
check "Redis back: logged" "$WORK/s$A.log" 'redis 127.0.0.1:[0-9]+ is back'
finish
