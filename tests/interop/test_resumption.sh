#!/usr/bin/env bash
# TLS 1.2 session-ID resumption both ways: parley client --reconnect against
# openssl s_server; openssl s_client -sess_out/-sess_in and gnutls-cli --resume
# against parley server; a saved session offered under another server name.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 2 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --reconnect 2 against openssl s_server" "$WORK/c.log" '^resumed: no$' '^--- reconnect 1$' \
    '^--- reconnect 2$'
[ "$(grep -c '^resumed: yes$' "$WORK/c.log")" -eq 2 ] && ok "both reconnections resumed" || bad "reconnections did not resume"
stop_bg "$LAST_PID"

PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key"
wait_port "$PORT"
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_out "$WORK/ossl.sess" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client full handshake" "$WORK/c.log" 'New, TLSv1.2' '^resumed: no'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_in "$WORK/ossl.sess" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -sess_in resumes" "$WORK/c.log" 'Reused, TLSv1.2' '^resumed: yes'
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$P/ca.pem" -p "$PORT" localhost --resume \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS" >"$WORK/c.log" 2>&1
check "gnutls-cli --resume" "$WORK/c.log" 'This is a resumed session'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/p.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/p.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --sess-in resumes" "$WORK/c.log" '^resumed: yes' 'resumed: yes' '^group: none'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/p.sess" "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
check "a session offered under another server name is not resumed" "$WORK/c.log" '^resumed: no' '^verify: ok$'
stop_bg "$LAST_PID"
finish
