#!/usr/bin/env bash
# TLS 1.3 0-RTT early data on the server (RFC 8446 2.3, 4.2.10, 8):
# openssl s_client -sess_in -early_data and gnutls-cli --resume --earlydata
# and parley client --reconnect --early-data against parley server
# (accepted, the request answered from early data,
# CLIENT_EARLY_TRAFFIC_SECRET logged); a
# ticket made for another ALPN (rejected, the request goes in 1-RTT); the
# exact first flight of an accepted 0-RTT connection replayed to the forked
# workers of one server sharing a shm cache, and to a second server sharing
# Redis and the ticket secret (refused: at most one acceptance); Redis down
# (early data refused, handshakes still complete: fail closed); stateful
# tickets (--no-tickets) on Redis (accepted once, the claim short-lived);
# Redis with allkeys-lru (refused: it may evict records) or without CONFIG
# (unknown policy: warned); and parley proxy --early-data (every request
# forwarded early has Early-Data: 1, pipelined and split across records;
# bodies held until the handshake completes; early=1; anything ambiguous -
# bare LF/CR, obs-fold, 'Transfer-Encoding :', duplicate Content-Length -
# held whole, no request forwarded early unmarked; Upgrade/CONNECT end the
# early part; a client's Early-Data: 1 not doubled; --early-data-limit bounds).
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
REQ=$WORK/req.txt
printf 'GET /early HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$REQ"
# s_client NAME PORT ARGS...: output in $WORK/NAME.out; standard input from
# $IN (s_client does not send rejected early data again: a test of a
# rejection gives it the request as 1-RTT data too).
s_client() {
    local name=$1 port=$2; shift 2
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$P/ca.pem" -tls1_3 -ign_eof "$@" \
        <"${IN:-/dev/null}" >"$WORK/$name.out" 2>&1
}
# ticket PORT FILE [ARGS]: a full handshake that saves the session (the request
# is sent so that s_client reads the NewSessionTicket).
ticket() {
    local port=$1 file=$2; shift 2
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$P/ca.pem" -tls1_3 -ign_eof \
        -sess_out "$file" "$@" <"$REQ" >"$WORK/ticket.out" 2>&1
}

# ---- accepted: one server
S=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$S" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --max-early-data 16384 --alpn h2,http/1.1 --keylog "$WORK/keylog"
wait_port "$S"
ticket "$S" "$WORK/t1.pem" -alpn http/1.1
check "the ticket advertises max_early_data" "$WORK/ticket.out" 'Max Early Data: 16384'
s_client acc "$S" -sess_in "$WORK/t1.pem" -early_data "$REQ" -alpn http/1.1
check "openssl s_client: early data accepted, the request answered from it" "$WORK/acc.out" \
    'Reused, TLSv1.3' 'Early data was accepted' '^Early-Data: 1' '^early_data: yes'
check "the server logs the request as early" "$WORK/s.log" 'resumed .* early=1$'
check "the server's key log has CLIENT_EARLY_TRAFFIC_SECRET" "$WORK/keylog" '^CLIENT_EARLY_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$'
# GnuTLS: --resume makes the second connection itself, with --earlydata in 0-RTT.
timeout 20 gnutls-cli --x509cafile "$P/ca.pem" -p "$S" localhost --resume --earlydata="$REQ" \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" <"$REQ" >"$WORK/gnutls.out" 2>&1
check "gnutls-cli --resume --earlydata: the resumed request came in early data" "$WORK/gnutls.out" \
    'This is a resumed session' '^Early-Data: 1' '^early_data: yes'
# Parley to Parley: the second connection of --reconnect sends the request as 0-RTT.
before=$(grep -c 'early=1$' "$WORK/s.log")
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --alpn http/1.1 --reconnect 1 \
    --early-data 'GET /early HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "localhost:$S" >"$WORK/pp.out" 2>&1
check "parley client --early-data -> parley server: accepted" "$WORK/pp.out" '^--- reconnect 1' '^early_data: accepted'
if wait_count "$WORK/s.log" 'early=1$' $((before + 1)) >/dev/null; then ok "parley server logged the parley client's request as early"
else bad "parley server did not log the parley client's request as early"; fi

stop_bg "$LAST_PID"

# ---- rejected: a server that accepts no early data (it shares the ticket
# secret of one that does, so the ticket opens and resumption goes on);
# OpenSSL itself never offers early data for another ALPN or suite than the
# ticket's: those cases are unit tests (early_data_test.c).
openssl rand -hex 32 >"$WORK/secret0"
S=$(free_port)
N=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$S" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --max-early-data 16384 --ticket-secret "$WORK/secret0"
S_PID=$LAST_PID
start_bg "$WORK/n.log" "$PARLEY" server --listen "127.0.0.1:$N" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --ticket-secret "$WORK/secret0" --trace
N_PID=$LAST_PID
wait_port "$S"
wait_port "$N"
ticket "$S" "$WORK/t2.pem"
IN=$REQ s_client none "$N" -sess_in "$WORK/t2.pem" -early_data "$REQ"
check "a server without --max-early-data: early data rejected, resumed, request in 1-RTT" "$WORK/none.out" \
    'Reused, TLSv1.3' 'Early data was rejected' 'HTTP/1.1 200 OK' '^early_data: rejected'
check "the server logs early=rejected and skipped the early records" "$WORK/n.log" 'resumed .* early=rejected$' \
    'early data offered: rejected: this server accepts none' 'early data \(skipped\)'
stop_bg "$S_PID"
stop_bg "$N_PID"

# replay_case NAME TARGET_PORT LOG...: capture an accepted 0-RTT first flight
# through a relay to TARGET_PORT, then replay it six times to each port in
# REPLAY_PORTS; across all LOGs exactly one connection took early data.
replay_case() {
    local name=$1 target=$2; shift 2
    local relay
    relay=$(free_port)
    ticket "$target" "$WORK/$name.pem"
    start_bg "$WORK/relay.log" python3 "$HERE/replay_0rtt.py" capture "$relay" "$target" "$WORK/$name.flight"
    wait_line "$WORK/relay.log" '^ready'
    s_client "$name" "$relay" -sess_in "$WORK/$name.pem" -early_data "$REQ"
    check "$name: the original 0-RTT connection is accepted" "$WORK/$name.out" 'Early data was accepted' '^Early-Data: 1'
    [ -n "${AFTER_CAPTURE:-}" ] && $AFTER_CAPTURE
    for port in $REPLAY_PORTS; do python3 "$HERE/replay_0rtt.py" replay "$port" "$WORK/$name.flight" 6 >>"$WORK/$name.replay" 2>&1; done
    local acc=0 rej=0
    for log in "$@"; do
        acc=$((acc + $(grep -c ' early=1$' "$log")))
        rej=$((rej + $(grep -c 'early=rejected' "$log")))
    done
    local want=$((6 * $(echo $REPLAY_PORTS | wc -w)))
    if [ "$acc" -eq 1 ] && [ "$rej" -eq "$want" ]; then
        ok "$name: $want replays of the exact first flight refused (accepted once in all)"
    else
        bad "$name: early data accepted $acc times (want 1), replays refused $rej times (want $want)"
        tail -n 20 "$@"
    fi
}

# ---- replay across the forked workers of one server (shared-memory cache)
W=$(free_port)
start_bg "$WORK/w.log" "$PARLEY" server --listen "127.0.0.1:$W" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --workers 2 --session-cache ${WCACHE:-shm:1m} --max-early-data 16384
wait_count "$WORK/w.log" 'listening' 2
REPLAY_PORTS=$W replay_case workers "$W" "$WORK/w.log"
stop_bg "$LAST_PID"

# Forked workers must share the anti-replay store: a per-worker cache is refused.
timeout 5 "$PARLEY" server --listen "127.0.0.1:$W" --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2 \
    --session-cache memory:100 --max-early-data 16384 >"$WORK/refused.log" 2>&1 </dev/null
check "--workers with --max-early-data and a per-worker cache is refused" "$WORK/refused.log" \
    'needs a shared --session-cache'

# ---- replay across two servers sharing Redis and the ticket secret
if command -v redis-server >/dev/null; then
    RPORT=$(free_port)
    start_bg "$WORK/redis.log" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no
    REDIS_PID=$LAST_PID
    wait_port "$RPORT"
    openssl rand -hex 32 >"$WORK/secret"
    A=$(free_port)
    B=$(free_port)
    for port in $A $B; do
        start_bg "$WORK/r$port.log" "$PARLEY" server --listen "127.0.0.1:$port" --cert "$P/ec256.pem" --key "$P/ec256.key" \
            --session-cache "redis://127.0.0.1:$RPORT" --ticket-secret "$WORK/secret" --max-early-data 16384
        wait_port "$port"
    done
    claims() {
        redis-cli -p "$RPORT" --scan --pattern 'parley:0rtt:*' >"$WORK/claims.txt" 2>&1 || true
        check "the claim is a parley:0rtt: key in Redis" "$WORK/claims.txt" '^parley:0rtt:[0-9a-f]{64}$'
        local ttl
        ttl=$(redis-cli -p "$RPORT" ttl "$(head -n 1 "$WORK/claims.txt")" 2>/dev/null)
        [ "${ttl:-0}" -gt 0 ] && [ "${ttl:-99}" -le 31 ] && ok "the ClientHello record lives for the ticket-age window and clock skew ($ttl s)" ||
            bad "claim TTL '$ttl' (want 1..31 s)"
    }
    AFTER_CAPTURE=claims REPLAY_PORTS="$B $A" replay_case redis "$A" "$WORK/r$A.log" "$WORK/r$B.log"
    # Fail closed: Redis down, early data refused, the handshake completes.
    ticket "$A" "$WORK/down.pem"
    stop_bg "$REDIS_PID"
    IN=$REQ s_client down "$B" -sess_in "$WORK/down.pem" -early_data "$REQ"
    check "Redis down: early data rejected, the request still answered in 1-RTT" "$WORK/down.out" \
        'Early data was rejected' 'HTTP/1.1 200 OK' '^early_data: rejected'
    # Stateful tickets (--no-tickets: single-use keys into Redis, RFC 8446
    # 8.1): 0-RTT accepted, a replay refused, and the claim on the ticket id
    # lasts the same short window, not the ticket's life.
    start_redis_again() {
        start_bg "$WORK/redis.log" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no "$@"
        REDIS_PID=$LAST_PID
        wait_port "$RPORT"
    }
    start_redis_again
    SA=$(free_port)
    start_bg "$WORK/sa.log" "$PARLEY" server --listen "127.0.0.1:$SA" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache "redis://127.0.0.1:$RPORT" --ticket-secret "$WORK/secret" --max-early-data 16384 --no-tickets
    SA_PID=$LAST_PID
    wait_port "$SA"
    REPLAY_PORTS=$SA replay_case stateful "$SA" "$WORK/sa.log"
    ttl=$(redis-cli -p "$RPORT" ttl "$(redis-cli -p "$RPORT" --scan --pattern 'parley:0rtt:*' | head -n 1)" 2>/dev/null)
    [ "${ttl:-0}" -gt 0 ] && [ "${ttl:-99}" -le 31 ] && ok "stateful ticket: the claim lives $ttl s, not the ticket's life" ||
        bad "stateful ticket: claim TTL '$ttl' (want 1..31 s)"
    stop_bg "$SA_PID"
    stop_bg "$REDIS_PID"
    # A Redis that may evict records under memory pressure (anything but
    # noeviction): the server warns once and refuses early data; sessions work.
    start_redis_again --maxmemory 64mb --maxmemory-policy allkeys-lru
    SE=$(free_port)
    start_bg "$WORK/se.log" "$PARLEY" server --listen "127.0.0.1:$SE" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache "redis://127.0.0.1:$RPORT" --ticket-secret "$WORK/secret" --max-early-data 16384
    SE_PID=$LAST_PID
    wait_port "$SE"
    ticket "$SE" "$WORK/lru.pem"
    IN=$REQ s_client lru "$SE" -sess_in "$WORK/lru.pem" -early_data "$REQ"
    check "Redis with allkeys-lru: early data rejected, resumed, answered in 1-RTT" "$WORK/lru.out" \
        'Reused, TLSv1.3' 'Early data was rejected' 'HTTP/1.1 200 OK'
    check "Redis with allkeys-lru: the server says why" "$WORK/se.log" 'maxmemory-policy allkeys-lru, which may evict'
    stop_bg "$REDIS_PID"
    stop_bg "$SE_PID"
    # CONFIG renamed away: the policy is unknown, said once; claims go on.
    start_redis_again --rename-command CONFIG ""
    start_bg "$WORK/su.log" "$PARLEY" server --listen "127.0.0.1:$SE" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache "redis://127.0.0.1:$RPORT" --ticket-secret "$WORK/secret" --max-early-data 16384
    wait_port "$SE"
    ticket "$SE" "$WORK/unk.pem"
    s_client unk "$SE" -sess_in "$WORK/unk.pem" -early_data "$REQ"
    check "Redis refusing CONFIG GET: early data accepted" "$WORK/unk.out" 'Early data was accepted'
    check "Redis refusing CONFIG GET: the server warns" "$WORK/su.log" 'cannot read maxmemory-policy'
    stop_bg "$REDIS_PID"
else
    bad "redis-server is not installed (scripts/install-deps.sh)"
fi

# ---- parley proxy --early-data: forwarded before the handshake completes
BE=$(free_port)
X=$(free_port)
start_bg "$WORK/be.log" python3 "$HERE/backend_http.py" "$BE"
wait_port "$BE"
start_bg "$WORK/px.log" "$PARLEY" proxy --listen "127.0.0.1:$X" --backend "127.0.0.1:$BE" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --early-data --early-data-limit 4096
wait_port "$X"
ticket "$X" "$WORK/px.pem"
check "the proxy's ticket advertises --early-data-limit" "$WORK/ticket.out" 'Max Early Data: 4096'
s_client px "$X" -sess_in "$WORK/px.pem" -early_data "$REQ"
check "proxy --early-data: accepted, the backend saw Early-Data: 1 (RFC 8470)" "$WORK/px.out" 'Early data was accepted' \
    'HTTP/1.1 200' '^early_data_header 1$'
check "the proxy's log line says early=1" "$WORK/px.log" 'resumed=yes .* result=ok( eof=truncated)? early=1$'
# RFC 8470 5.1: every request forwarded early carries Early-Data: 1. Two
# pipelined GETs in 16-byte early records (header blocks split across
# records): both forwarded with the header. Then POST /a (a body) and POST
# /b: /a's header block is forwarded early with it, its body and /b are held
# until the handshake completes (no longer replayable: no header needed).
printf 'GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/pipe.txt"
ticket "$X" "$WORK/px2.pem"
s_client px2 "$X" -sess_in "$WORK/px2.pem" -early_data "$WORK/pipe.txt" -split_send_frag 16
check "proxy: pipelined requests split over early records, each answered" "$WORK/px2.out" 'Early data was accepted' \
    'hello from backend /a' 'hello from backend /b'
[ "$(grep -c '^early_data_header 1$' "$WORK/px2.out")" -eq 2 ] && ok "proxy: both early requests reached the backend with Early-Data: 1" ||
    bad "proxy: $(grep -c '^early_data_header 1$' "$WORK/px2.out") of 2 early requests had Early-Data: 1"
printf 'POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\ndef' >"$WORK/post.txt"
ticket "$X" "$WORK/px3.pem"
s_client px3 "$X" -sess_in "$WORK/px3.pem" -early_data "$WORK/post.txt"
check "proxy: pipelined POSTs in early data, both answered" "$WORK/px3.out" 'Early data was accepted' \
    "^$(printf abc | sha256sum | cut -d' ' -f1) 3\$" "^$(printf def | sha256sum | cut -d' ' -f1) 3\$"
[ "$(grep -c '^early_data_header 1$' "$WORK/px3.out")" -eq 1 ] && ok "proxy: POST /a forwarded early with Early-Data: 1, POST /b held" ||
    bad "proxy: $(grep -c '^early_data_header 1$' "$WORK/px3.out") early_data_header lines for two POSTs (want 1)"
# Request smuggling (RFC 9112 2.2, 11.2): the backend takes a bare LF as a
# line end, so 'Host: x\n\n' ends /a there and /smuggled would reach it
# early without Early-Data: 1. Anything ambiguous is held whole until the
# handshake completes: every request answered, none forwarded early (the
# backend saw no Early-Data header, the proxy's line has no early=1).
# px_case NAME FILE: the 0-RTT flow of FILE through the proxy; $WORK/NAME.out
# and the proxy's log line of that connection in $WORK/NAME.line.
px_case() {
    local name=$1 file=$2 n
    ticket "$X" "$WORK/$name.pem"
    n=$(grep -c 'resumed=yes' "$WORK/px.log")
    s_client "$name" "$X" -sess_in "$WORK/$name.pem" -early_data "$file"
    wait_count "$WORK/px.log" 'resumed=yes' $((n + 1)) >/dev/null
    grep 'resumed=yes' "$WORK/px.log" | tail -n 1 >"$WORK/$name.line"
}
# held NAME FILE WHAT PATHS...: nothing forwarded early, each path answered.
held() {
    local name=$1 file=$2 what=$3; shift 3
    px_case "$name" "$file"
    local want=('Early data was accepted') p
    for p in "$@"; do want+=("hello from backend $p\$"); done
    check "proxy: $what: held, answered after the handshake" "$WORK/$name.out" "${want[@]}" &&
    if grep -q 'early_data_header' "$WORK/$name.out" || grep -q 'early=1' "$WORK/$name.line"; then
        bad "proxy: $what: forwarded early ($(grep -c early_data_header "$WORK/$name.out") with Early-Data; $(cat "$WORK/$name.line"))"
    else ok "proxy: $what: nothing forwarded early"; fi
}
printf 'GET /a HTTP/1.1\r\nHost: x\n\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/lf.txt"
held lf "$WORK/lf.txt" "bare LF (smuggling)" /a /smuggled
printf 'GET /a HTTP/1.1\r\nHost: x\r\nX: y\rGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/cr.txt"
px_case cr "$WORK/cr.txt"
grep -q 'early_data_header\|early=1' "$WORK/cr.out" "$WORK/cr.line" && bad "proxy: bare CR: forwarded early" ||
    ok "proxy: bare CR: nothing forwarded early"
printf 'GET /a HTTP/1.1\r\nHost: x\r\n X: folded\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/fold.txt"
px_case fold "$WORK/fold.txt"
grep -q 'early_data_header\|early=1' "$WORK/fold.out" "$WORK/fold.line" && bad "proxy: obs-fold: forwarded early" ||
    ok "proxy: obs-fold: nothing forwarded early"
printf 'GET /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/te.txt"
px_case te "$WORK/te.txt"
grep -q 'early_data_header\|early=1' "$WORK/te.out" "$WORK/te.line" && bad "proxy: 'Transfer-Encoding :': forwarded early" ||
    ok "proxy: 'Transfer-Encoding :' (space before the colon): nothing forwarded early"
printf 'POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/cl2.txt"
px_case cl2 "$WORK/cl2.txt"
grep -q 'early_data_header\|early=1' "$WORK/cl2.out" "$WORK/cl2.line" && bad "proxy: duplicate Content-Length: forwarded early" ||
    ok "proxy: duplicate Content-Length: nothing forwarded early"
# Upgrade (and CONNECT): what follows may not be HTTP, so the block is the
# last one forwarded early; /b is held (no Early-Data: 1 needed then).
printf 'GET /a HTTP/1.1\r\nHost: localhost\r\nUpgrade: foo\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$WORK/up.txt"
px_case up "$WORK/up.txt"
check "proxy: Upgrade in early data: both answered" "$WORK/up.out" 'hello from backend /a$' 'hello from backend /b$'
[ "$(grep -c '^early_data_header 1$' "$WORK/up.out")" -eq 1 ] && ok "proxy: a block with Upgrade is the last forwarded early" ||
    bad "proxy: Upgrade: $(grep -c '^early_data_header 1$' "$WORK/up.out") requests forwarded early (want 1)"
printf 'CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\n\r\n' >"$WORK/conn.txt"
px_case conn "$WORK/conn.txt"
grep -q 'hello from backend /b' "$WORK/conn.out" && bad "proxy: the bytes after CONNECT were forwarded early as a request" ||
    ok "proxy: CONNECT is the last block forwarded early"
# RFC 8470 5.1: Early-Data: 1 is added only if not present; another value
# is held. An echo backend answers each request with its raw header block.
EB=$(free_port)
start_bg "$WORK/eb.log" python3 -c '
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            hdr = b""
            while True:
                l = self.rfile.readline()
                if not l: return
                hdr += l
                if l in (b"\r\n", b"\n"): break
            body = b"raw:" + hdr.replace(b"\r\n", b"|") + b"\n"
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            if b"close" in hdr.lower(): return
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$EB"
wait_port "$EB"
XE=$(free_port)
start_bg "$WORK/pxe.log" "$PARLEY" proxy --listen "127.0.0.1:$XE" --backend "127.0.0.1:$EB" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --early-data
wait_port "$XE"
printf 'GET /a HTTP/1.1\r\nHost: localhost\r\nEarly-Data: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nEarly-Data: 0\r\nConnection: close\r\n\r\n' >"$WORK/ed.txt"
ticket "$XE" "$WORK/ed.pem"
s_client ed "$XE" -sess_in "$WORK/ed.pem" -early_data "$WORK/ed.txt"
check "proxy: the client's Early-Data: 1 kept once, Early-Data: 0 held as is" "$WORK/ed.out" 'Early data was accepted' \
    '^raw:GET /a HTTP/1.1\|Host: localhost\|Early-Data: 1\|\|$' '^raw:GET /b HTTP/1.1\|Host: localhost\|Early-Data: 0\|Connection: close\|\|$'
# --early-data-limit: digits only, at most 1 MiB ("-1" was 4 GiB, "16k" 16).
for v in -1 16k 0 2000000 ''; do
    # Refused at once, while parsing options (an accepted one runs until timeout).
    timeout 2 "$PARLEY" proxy --listen 127.0.0.1:0 --backend "127.0.0.1:$BE" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --early-data --early-data-limit "$v" >"$WORK/lim.out" 2>&1
    [ $? -ne 124 ] && grep -q 'wants a number of bytes' "$WORK/lim.out" && ok "--early-data-limit '$v' refused" ||
        bad "--early-data-limit '$v' accepted"
done
# Off by default: the same flow without --early-data is 1-RTT.
Y=$(free_port)
start_bg "$WORK/py.log" "$PARLEY" proxy --listen "127.0.0.1:$Y" --backend "127.0.0.1:$BE" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --max-early-data 4096
wait_port "$Y"
ticket "$Y" "$WORK/py.pem"
grep -Eq 'Max Early Data: [1-9]' "$WORK/ticket.out" && bad "proxy without --early-data advertises early data" ||
    ok "proxy without --early-data: no early data advertised (off by default)"
check "proxy without --early-data says --max-early-data is not used" "$WORK/py.log" 'without --early-data'
finish
