#!/usr/bin/env bash
# Issue #14: a saved session proves the server's identity only for the name
# and under the trust settings it was verified with. openssl s_server stands
# for a server that resumes whatever it is offered (its TLS 1.2 resumption
# does not compare SNI, and TLS 1.3 PSKs are not bound to it), holding a
# valid certificate for evil.test; parley client must not let a session made
# with evil.test (or with --insecure, or under another CA store) vouch for
# anything else. Then: the end of a connection without close_notify.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
make_pki
P=$PKI
main=$(ca_dir main)
sign "$main" "$P/ca.pem" "$P/ca.key" evil evil.test leaf "DNS:evil.test"
cat "$P/ca.pem" "$P/ca2.pem" >"$P/both.pem"
REFUSED='cannot be used here'

PORT=$(free_port)
start_bg "$WORK/o.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/evil.pem" -key "$P/evil.key"
wait_port "$PORT"
for v in 1.2 1.3; do
    c() { timeout 20 "$PARLEY" client "--tls$v" "$@" "127.0.0.1:$PORT"; }
    # The control: offered for its own name under the same settings, the server resumes it.
    c --cafile "$P/ca.pem" --servername evil.test --sess-out "$WORK/evil$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: a session verified for evil.test" "$WORK/c.log" '^resumed: no$' '^verify: ok$'
    c --cafile "$P/ca.pem" --servername evil.test --sess-in "$WORK/evil$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: offered for evil.test again, it resumes" "$WORK/c.log" '^resumed: yes$' \
        '^verify: ok \(resumed session; verified when it was made\)$'
    # The attack: the same session offered for good.test.
    c --cafile "$P/ca.pem" --servername good.test --sess-in "$WORK/evil$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: a session made for evil.test is not offered for good.test" "$WORK/c.log" "$REFUSED" \
        '^error: certificate for evil.test does not match host name good.test$'
    if grep -q '^resumed: yes' "$WORK/c.log"; then bad "TLS $v: resumed for good.test"; fi
    # A session made without verification, offered by a verifying client.
    c --insecure --servername evil.test --sess-out "$WORK/insecure$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: a session made with --insecure" "$WORK/c.log" '^verify: not verified'
    c --insecure --servername evil.test --sess-in "$WORK/insecure$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: resumed with --insecure, it is not called verified" "$WORK/c.log" '^resumed: yes$' \
        '^verify: not verified \(verification disabled; resumed session\)$'
    c --cafile "$P/ca2.pem" --servername evil.test --sess-in "$WORK/insecure$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: a verifying client does not offer an --insecure session" "$WORK/c.log" "$REFUSED" \
        '^error: certificate for evil.test was issued by .*Parley Test CA, which is neither a trusted CA nor among the certificates sent \(a missing intermediate\?\)$'
    if grep -q '^resumed: yes' "$WORK/c.log"; then bad "TLS $v: --insecure session resumed by a verifying client"; fi
    # Verified under another CA store.
    c --cafile "$P/both.pem" --servername evil.test --sess-in "$WORK/evil$v.sess" >"$WORK/c.log" 2>&1
    check "TLS $v: a session from another CA store is not offered" "$WORK/c.log" "$REFUSED" '^resumed: no$' '^verify: ok$'
done
stop_bg "$LAST_PID"

# parley server answers any SNI with its certificate (and refuses to resume
# across names itself); the client no longer even offers the session.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/evil.pem" --key "$P/evil.key"
wait_port "$PORT"
for v in 1.2 1.3; do
    timeout 20 "$PARLEY" client "--tls$v" --cafile "$P/ca.pem" --servername evil.test --sess-out "$WORK/p$v.sess" \
        "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
    check "TLS $v: parley server, a session for evil.test" "$WORK/c.log" '^resumed: no$' '^verify: ok$'
    timeout 20 "$PARLEY" client "--tls$v" --cafile "$P/ca.pem" --servername good.test --sess-in "$WORK/p$v.sess" \
        "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
    check "TLS $v: parley server, not offered for good.test" "$WORK/c.log" "$REFUSED" \
        '^error: certificate for evil.test does not match host name good.test$'
done
# A client that ends its request without close_notify: the server says so.
python3 - "$PORT" <<'PY' >"$WORK/py.log" 2>&1
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="evil.test")
s.sendall(b"GET / HTTP/1.0\r\n")
s.shutdown(socket.SHUT_RDWR)  # a FIN without close_notify
s.close()
PY
wait_line "$WORK/s.log" 'connection closed without close_notify \(possible truncation\)$'
check "parley server reports a request ended without close_notify" "$WORK/s.log" \
    'connection closed without close_notify \(possible truncation\)$'
# parley server ends with close_notify: no truncation warning.
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername evil.test "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
check "a clean close" "$WORK/c.log" '^verify: ok$'
if grep -q 'close_notify' "$WORK/c.log"; then bad "a clean close reported as a truncation"; else ok "no truncation warning after close_notify"; fi
stop_bg "$LAST_PID"

# A server that ends the connection without close_notify.
PORT=$(free_port)
start_bg "$WORK/t.log" python3 "$HERE/truncating_server.py" "$PORT" "$P/evil.pem" "$P/evil.key"
wait_line "$WORK/t.log" '^ready$'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername evil.test "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
check "the end without close_notify is reported" "$WORK/c.log" 'the first part of the body' \
    'parley: connection closed without close_notify \(possible truncation\)$' '^verify: ok$'
stop_bg "$LAST_PID"
finish
