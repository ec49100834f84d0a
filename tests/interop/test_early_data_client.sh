#!/usr/bin/env bash
# The client's TLS 1.3 0-RTT early data (RFC 8446 2.3, 4.2.10) against
# openssl s_server: accepted with -early_data (s_server prints what it read
# as early data), rejected with -max_early_data alone (tickets allow it, the
# server does not read it: the library does not resend it, RFC 8446 4.2.10,
# and the tool, as the application, sends it once after the handshake), not
# offered with a ticket that allows none, across --reconnect, after a
# HelloRetryRequest, and with the session's ALPN protocol; and accepted by
# gnutls-serv --earlydata.
# s_server (without -www) answers with what comes on its stdin: a FIFO gets
# one reply line per client, so each client reads a response and ends.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
EARLY='GET /zero-rtt HTTP/1.0\r\n\r\n'

# start_ossl LOG ARGS...: s_server reading its replies from a FIFO (fd 3)
start_ossl() {
    local log=$1; shift
    PORT=$(free_port)
    rm -f "$WORK/fifo"
    mkfifo "$WORK/fifo"
    start_bg "$log" sh -c 'exec openssl s_server "$@" <"$0"' "$WORK/fifo" -accept "127.0.0.1:$PORT" -tls1_3 \
        -cert "$P/ec256.pem" -key "$P/ec256.key" "$@"
    exec 3>"$WORK/fifo"
    wait_line "$log" '^ACCEPT' # (not wait_port: s_server would answer the probe)
}
stop_ossl() { exec 3>&-; stop_bg "$LAST_PID"; }
# s_server has let go of its previous connection (its log is buffered, so
# the socket table tells): no server-side socket of $PORT but the listener.
server_idle() {
    for _ in $(seq 1 200); do
        [ -z "$(ss -Htn state established state close-wait state last-ack "( sport = :$PORT )")" ] && return 0
        sleep 0.05
    done
    echo "s_server still holds a connection on $PORT"; return 1
}
# pc LOG ARGS...: one parley client, after queueing s_server's reply once
# the previous connection is over (else s_server sends it there)
pc() {
    local log=$1; shift
    server_idle
    printf 'reply from s_server\n' >&3
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --timeout 1 "$@" "localhost:$PORT" >"$log" 2>&1
}

# Accepted: the ticket of the first connection allows 0-RTT, the second sends it.
start_ossl "$WORK/s.log" -early_data
pc "$WORK/c1.log" --early-data 'first connection\n' --sess-out "$WORK/a.sess"
check "no session yet: early data not offered, sent by the tool after the handshake" "$WORK/c1.log" '^early_data: not offered$' \
    '^resumed: no$' 'reply from s_server' 'parley: early data not offered: sending it after the handshake'
server_idle; wait_line "$WORK/s.log" '^first connection$' # (its log is written when it gets to it)
check "s_server read the first connection's data in 1-RTT" "$WORK/s.log" 'No early data received' '^first connection$'
pc "$WORK/c2.log" --sess-in "$WORK/a.sess" --early-data "$EARLY" --keylog "$WORK/keys" --trace
check "0-RTT accepted by openssl s_server -early_data" "$WORK/c2.log" '^early_data: accepted$' '^resumed: yes$' \
    'C -> S  ChangeCipherSpec' 'C -> S  early data \([0-9]+ bytes\)' 'early data accepted' 'C -> S  EndOfEarlyData' \
    'reply from s_server'
# The order of the first flight and of the second (RFC 8446 D.4, 4.5).
grep -E '^C -> S' "$WORK/c2.log" | head -5 | tr -s ' ' | cut -d' ' -f4 >"$WORK/order"
[ "$(tr '\n' ' ' <"$WORK/order")" = "ClientHello ChangeCipherSpec early EndOfEarlyData Finished " ] &&
    ok "flights: ClientHello, CCS, early data; then EndOfEarlyData, Finished" || { bad "client flight order"; cat "$WORK/order"; }
server_idle; wait_line "$WORK/s.log" 'End of early data'
check "s_server read it as early data" "$WORK/s.log" 'Early data received' '^GET /zero-rtt HTTP/1.0' 'End of early data'
[ "$(grep -c 'GET /zero-rtt' "$WORK/s.log")" -eq 1 ] && ok "accepted early data is not sent again" || bad "early data sent twice"
check "key log has CLIENT_EARLY_TRAFFIC_SECRET" "$WORK/keys" '^CLIENT_EARLY_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$'
stop_ossl

# Rejected: tickets allow early data (-max_early_data) but s_server does not read it.
start_ossl "$WORK/r.log" -max_early_data 16384
pc "$WORK/c1.log" --sess-out "$WORK/r.sess" --send 'hello\n'
pc "$WORK/c2.log" --sess-in "$WORK/r.sess" --early-data "$EARLY" --trace
check "0-RTT rejected by s_server -max_early_data: sent after the handshake" "$WORK/c2.log" '^early_data: rejected$' \
    '^resumed: yes$' 'early data rejected' 'early data not delivered' \
    'parley: early data rejected: sending it after the handshake \(ALPN none\)' 'reply from s_server'
server_idle; wait_line "$WORK/r.log" 'GET /zero-rtt'
[ "$(grep -c 'GET /zero-rtt' "$WORK/r.log")" -eq 1 ] && ok "rejected early data arrives exactly once" ||
    { bad "rejected early data arrived $(grep -c 'GET /zero-rtt' "$WORK/r.log") times"; tail "$WORK/r.log"; }
stop_ossl

# --reconnect: the first connection makes the session, the second offers
# 0-RTT (s_server -www answers each connection itself, but does not read
# early data: rejected, then answered after the handshake).
PORT=$(free_port)
start_bg "$WORK/w.log" openssl s_server -accept "127.0.0.1:$PORT" -tls1_3 -www -max_early_data 16384 \
    -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 1 --early-data 'GET / HTTP/1.0\r\n\r\n' "localhost:$PORT" \
    >"$WORK/c3.log" 2>&1
check "--reconnect 1 --early-data: the reconnection offers it" "$WORK/c3.log" '^early_data: not offered$' \
    '^--- reconnect 1$' '^early_data: rejected$' '^resumed: yes$' 'HTTP/1.0 200 ok'
stop_bg "$LAST_PID"

# A ticket without early_data: not offered; the data goes in 1-RTT.
start_ossl "$WORK/n.log"
pc "$WORK/c1.log" --sess-out "$WORK/n.sess" --send 'hello\n'
pc "$WORK/c2.log" --sess-in "$WORK/n.sess" --early-data "$EARLY" --trace
check "a ticket that allows no early data: not offered" "$WORK/c2.log" '^early_data: not offered$' '^resumed: yes$' \
    'the ticket allows no early data'
server_idle; wait_line "$WORK/n.log" 'GET /zero-rtt'
check "... and the data arrives after the handshake" "$WORK/n.log" 'GET /zero-rtt'
stop_ossl

# A HelloRetryRequest: no early data in the second ClientHello (RFC 8446 4.2.10).
start_ossl "$WORK/h.log" -early_data -groups P-256
pc "$WORK/c1.log" --sess-out "$WORK/h.sess" --send 'hello\n'
pc "$WORK/c2.log" --sess-in "$WORK/h.sess" --early-data "$EARLY" --trace
# (s_server's tickets are single-use when it takes early data, and the first
# ClientHello used it up: the handshake is a full one.)
check "HelloRetryRequest: early data rejected, sent after the handshake" "$WORK/c2.log" 'HelloRetryRequest: secp256r1' \
    'early data rejected: HelloRetryRequest' '^early_data: rejected$'
server_idle; wait_line "$WORK/h.log" 'GET /zero-rtt'
[ "$(grep -c 'GET /zero-rtt' "$WORK/h.log")" -eq 1 ] && ok "after an HRR the data arrives exactly once" || bad "HRR: data count"
stop_ossl

# ALPN: the session's protocol must be offered again (RFC 8446 4.2.10).
start_ossl "$WORK/l.log" -early_data -alpn h2,http/1.1
pc "$WORK/c1.log" --sess-out "$WORK/l.sess" --alpn h2 --send 'hello\n'
pc "$WORK/c2.log" --sess-in "$WORK/l.sess" --alpn h2 --early-data "$EARLY"
check "0-RTT with the session's ALPN protocol: accepted" "$WORK/c2.log" '^early_data: accepted$' '^alpn: h2$'
pc "$WORK/c3.log" --sess-in "$WORK/l.sess" --alpn http/1.1 --early-data "$EARLY" --trace
check "the session's ALPN protocol not offered: not offered" "$WORK/c3.log" '^early_data: not offered$' \
    "the session's ALPN protocol is not offered"
stop_ossl

# GnuTLS accepts it too (gnutls-serv --echo does not echo early data; the
# --send line after the handshake is echoed, so its Finished checked ours,
# whose transcript has EndOfEarlyData).
PORT=$(free_port)
start_bg "$WORK/g.log" gnutls-serv -p "$PORT" --echo --x509certfile "$P/ec256.pem" --x509keyfile "$P/ec256.key" \
    --earlydata --maxearlydata 16384
wait_port "$PORT"
gc() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --timeout 1 "$@" "localhost:$PORT" >"$WORK/c.log" 2>&1; }
gc --sess-out "$WORK/g.sess" --send 'hello\r\n'
gc --sess-in "$WORK/g.sess" --early-data "$EARLY" --send 'after the handshake\r\n'
check "0-RTT accepted by gnutls-serv --earlydata" "$WORK/c.log" '^early_data: accepted$' '^resumed: yes$' \
    '^after the handshake'
gc --reconnect 1 --early-data 'ping\r\n' --send 'pong\r\n'
check "--reconnect 1 --early-data: the reconnection's 0-RTT accepted by gnutls-serv" "$WORK/c.log" \
    '^early_data: not offered$' '^--- reconnect 1$' '^early_data: accepted$'
stop_bg "$LAST_PID"
finish
