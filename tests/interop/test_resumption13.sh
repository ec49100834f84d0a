#!/usr/bin/env bash
# TLS 1.3 tickets and PSK resumption (RFC 8446 2.2, 4.6.1) with real peers:
# parley client against openssl s_server (also through a HelloRetryRequest);
# openssl s_client -sess_out/-sess_in, its rejected 0-RTT, and gnutls-cli
# --resume against parley server; psk_ke; tickets shared by two servers and
# by forked workers; a tampered or retired ticket means a full handshake.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

# parley client against openssl s_server: every reconnection resumes with the last ticket.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_3 -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 2 --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --reconnect 2 against openssl s_server (1.3)" "$WORK/c.log" '^protocol: TLSv1.3$' \
    'NewSessionTicket kept' '^--- reconnect 2$'
[ "$(grep -c '^resumed: yes$' "$WORK/c.log")" -eq 2 ] && ok "both TLS 1.3 reconnections resumed" || bad "TLS 1.3 reconnections did not resume"
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_3 -groups P-256 -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 1 --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
check "resumption through a HelloRetryRequest (binder over message_hash and HRR)" "$WORK/c.log" \
    'HelloRetryRequest: secp256r1' '^resumed: yes$'
stop_bg "$LAST_PID"

# Peers against parley server.
PORT=$(free_port)
start_bg "$WORK/p.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --max-early-data 16384 --trace
wait_port "$PORT"
ossl() { printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" \
    -tls1_3 -ign_eof "$@" >"$WORK/c.log" 2>&1; }
ossl -sess_out "$WORK/o.sess"
check "openssl s_client: full handshake, a ticket with max_early_data" "$WORK/c.log" 'New, TLSv1.3' '^resumed: no' \
    'Max Early Data: 16384'
ossl -sess_in "$WORK/o.sess"
check "openssl s_client -sess_in resumes (psk_dhe_ke)" "$WORK/c.log" 'Reused, TLSv1.3' '^resumed: yes'
printf "$REQ" >"$WORK/early.txt"
ossl -sess_in "$WORK/o.sess" -early_data "$WORK/early.txt"
# 0-RTT is accepted now (issue #19); rejection and skipping: test_early_data.sh.
check "0-RTT offered: accepted, the request answered from it" "$WORK/c.log" \
    'Early data was accepted' 'Reused, TLSv1.3' '^early_data: yes'
check "the server accepted the early records" "$WORK/p.log" 'early data offered: accepted'
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$P/ca.pem" -p "$PORT" localhost --resume \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" >"$WORK/c.log" 2>&1
check "gnutls-cli --resume (1.3)" "$WORK/c.log" 'This is a resumed session'
pc() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "$@" >"$WORK/c.log" 2>&1; }
pc --sess-out "$WORK/p.sess" "localhost:$PORT"
pc --sess-in "$WORK/p.sess" "localhost:$PORT"
check "parley client --sess-in resumes (1.3)" "$WORK/c.log" '^resumed: yes' '^group: x25519' \
    '^verify: ok \(resumed session'
python3 - "$WORK/p.sess" "$WORK/bad.sess" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-20] ^= 1  # inside the ticket (the last field of the session)
open(sys.argv[2], "wb").write(b)
PY
pc --sess-in "$WORK/bad.sess" "localhost:$PORT"
check "a tampered ticket: full handshake, no error" "$WORK/c.log" '^resumed: no' '^verify: ok$'
pc --sess-in "$WORK/p.sess" "127.0.0.1:$PORT"
check "a ticket is not offered under another server name" "$WORK/c.log" '^resumed: no'
stop_bg "$LAST_PID"

# psk_ke on both sides: resumption with no key exchange at all.
PORT=$(free_port)
start_bg "$WORK/k.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" --psk-ke
wait_port "$PORT"
pc --psk-ke --sess-out "$WORK/k.sess" "localhost:$PORT"
pc --psk-ke --sess-in "$WORK/k.sess" "localhost:$PORT"
check "psk_ke when both allow it" "$WORK/c.log" '^resumed: yes' '^group: none'
pc --sess-in "$WORK/k.sess" "localhost:$PORT"
check "psk_dhe_ke for a client that offers only it" "$WORK/c.log" '^resumed: yes' '^group: x25519'
stop_bg "$LAST_PID"

# Two servers sharing --ticket-keys resume each other's TLS 1.3 tickets; a retired key does not open.
openssl rand -hex 48 >"$WORK/k1"
openssl rand -hex 48 >"$WORK/k2"
TA=$(free_port)
TB=$(free_port)
for port in $TA $TB; do
    start_bg "$WORK/t$port.log" "$PARLEY" server --listen "127.0.0.1:$port" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache none --ticket-keys "$WORK/k1"
    wait_port "$port"
done
TB_PID=$LAST_PID
pc --sess-out "$WORK/t.sess" "localhost:$TA"
pc --sess-in "$WORK/t.sess" "localhost:$TB"
check "two servers sharing --ticket-keys resume each other's 1.3 tickets" "$WORK/c.log" '^resumed: yes'
cp "$WORK/k2" "$WORK/k1"
kill -HUP "$TB_PID"
wait_count "$WORK/t$TB.log" 'ticket keys reloaded' 1
pc --sess-in "$WORK/t.sess" "localhost:$TB"
check "a 1.3 ticket under a retired key: full handshake" "$WORK/c.log" '^resumed: no' '^verify: ok$'

# Forked workers: with shared ticket keys, and with single-use tickets in one shm cache.
for mode in keys shm; do
    PORT=$(free_port)
    if [ $mode = keys ]; then extra=(--ticket-keys "$WORK/k2"); else extra=(--no-tickets --session-cache shm:1m); fi
    start_bg "$WORK/w$mode.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --workers 3 "${extra[@]}"
    wait_count "$WORK/w$mode.log" '^(proxy )?listening on .*\(pid [0-9]+\)$' 3
    wait_port "$PORT"
    rm -f "$WORK"/w[0-9]*.log
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 --reconnect 8 "localhost:$PORT" >"$WORK/w0.log" 2>&1
    n=$(grep -c '^resumed: yes$' "$WORK/w0.log")
    [ "$n" -eq 8 ] && ok "$mode: 8 of 8 TLS 1.3 reconnections resumed across 3 workers" || bad "$mode: $n of 8 resumed across workers"
    for i in 1 2 3 4 5 6; do
        timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 "localhost:$PORT" >"$WORK/w$i.log" 2>&1
    done
    pids=$(grep -h '^pid: ' "$WORK"/w[0-9]*.log | sort -u | wc -l)
    [ "$pids" -ge 2 ] && ok "$mode: connections served by $pids worker pids" || bad "$mode: one worker served everything"
    stop_bg "$LAST_PID"
done
finish
