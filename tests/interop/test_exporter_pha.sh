#!/usr/bin/env bash
# Keying material exporters (RFC 8446 7.5, RFC 5705) and TLS 1.3
# post-handshake client authentication (RFC 8446 4.6.2) against real peers,
# both roles: exported values compared with OpenSSL's -keymatexport in TLS
# 1.3 and 1.2 (EMS); PHA with openssl s_server's 'c' command, openssl
# s_client -enable_pha and python3 ssl in both roles; required and empty.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
make_ca_pki
P=$PKI
LABEL=EXPERIMENTAL-parley-interop
hex_of() { grep -Eo 'Keying material: [0-9A-F]+' "$1" | head -1 | awk '{print tolower($3)}'; }

# --export is parsed strictly: a bad flag is an error at start, not a
# "refused" in the summary (digits only, label of 1 to 249 bytes).
LONG=$(printf '%0250d' 0)
for spec in 'a: 5' 'a:+5' 'a:5x' 'a:0' 'a:8161' "$LONG:5"; do
    if "$PARLEY" client --export "$spec" "localhost:1" >"$WORK/e.log" 2>&1 || ! grep -q -- '--export' "$WORK/e.log"; then
        bad "--export '${spec:0:12}' is refused at start"; cat "$WORK/e.log"
    else ok "--export '${spec:0:12}' is refused at start"; fi
done

# ---- parley client against openssl s_server (stdin drives it: 'c' asks for a
# certificate after the handshake, then a line of response and EOF).
s_server_case() { # s_server_case NAME VERSION_FLAG PHA(0|1)
    local name=$1 vflag=$2 pha=$3 fifo=$WORK/stdin.$RANDOM
    PORT=$(free_port)
    mkfifo "$fifo"
    openssl s_server -accept "127.0.0.1:$PORT" -cert "$P/ec256.pem" -key "$P/ec256.key" -CAfile "$P/ca.pem" -naccept 1 \
        -keymatexport "$LABEL" -keymatexportlen 32 <"$fifo" >"$WORK/s.log" 2>&1 &
    PIDS+=($!)
    exec 5>"$fifo"
    wait_line "$WORK/s.log" '^ACCEPT' # not wait_port: its probe would be the one connection (-naccept 1)
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" $vflag --trace \
        --send 'hi\n' --export "$LABEL:32" "localhost:$PORT" >"$WORK/c.log" 2>&1 &
    local cpid=$!
    wait_line "$WORK/s.log" 'CIPHER is'
    if [ "$pha" = 1 ]; then
        printf 'c\n' >&5
        wait_line "$WORK/s.log" 'verify return:1'
    fi
    wait_line "$WORK/s.log" '^hi'
    printf 'hello\n' >&5
    exec 5>&-
    wait "$cpid"
    local want
    want=$(hex_of "$WORK/s.log")
    if [ -n "$want" ] && grep -q "^exporter: $want\$" "$WORK/c.log"; then ok "$name: exporter = openssl's ($want)"
    else bad "$name: exporter: openssl '$want'"; grep -E '^exporter' "$WORK/c.log"; fi
    if [ "$pha" = 1 ]; then
        check "$name: post-handshake certificate sent" "$WORK/c.log" 'C <- S  CertificateRequest' \
            'post-handshake client authentication: certificate sent' '^hello'
        check "$name: openssl verified it" "$WORK/s.log" 'depth=0 CN = localhost|depth=1 CN = Parley Test CA' 'verify return:1'
    fi
}
s_server_case "parley client TLS 1.3 -> openssl s_server" --tls1.3 1
s_server_case "parley client TLS 1.2 -> openssl s_server" --tls1.2 0

# ---- parley server --export and --post-handshake-auth, openssl s_client
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --client-ca "$P/ca.pem" --verify require --post-handshake-auth /secret --export "$LABEL:32"
wait_port "$PORT"
for v in -tls1_3 -tls1_2; do
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" $v \
        -cert "$P/alice.pem" -key "$P/alice.key" -keymatexport "$LABEL" -keymatexportlen 32 -ign_eof >"$WORK/c.log" 2>&1
    want=$(hex_of "$WORK/c.log")
    if [ -n "$want" ] && wait_line "$WORK/s.log" "exporter: $want\$" >/dev/null; then ok "openssl s_client $v -> parley server: exporter = openssl's"
    else bad "openssl s_client $v -> parley server: exporter '$want' not logged"; tail -5 "$WORK/s.log"; fi
done
# TLS 1.3: the handshake does not ask; GET /secret does.
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -enable_pha -cert "$P/alice.pem" -key "$P/alice.key" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -enable_pha, GET /: no certificate asked" "$WORK/c.log" '^client_certificate: none'
printf 'GET /secret HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -enable_pha -cert "$P/alice.pem" -key "$P/alice.key" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -enable_pha, GET /secret: certificate after the handshake" "$WORK/c.log" \
    '^client_certificate: /CN=alice \(issuer /CN=Parley Test CA, verify: ok\)' '^post_handshake_auth: ok'
printf 'GET /secret HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -enable_pha -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -enable_pha without a certificate: certificate_required" "$WORK/c.log" 'alert certificate required'
# A client that does not offer post_handshake_auth cannot be asked later
# (the request is refused, logged): it is asked in the handshake, so
# --verify require still requires a certificate (RFC 8446 4.2.6).
printf 'GET /secret HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -cert "$P/alice.pem" -key "$P/alice.key" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client without -enable_pha: asked in the handshake" "$WORK/c.log" 'Acceptable client certificate CA names'
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client without -enable_pha nor a certificate: certificate_required" "$WORK/c.log" 'alert certificate required'
# python3 ssl with post_handshake_auth, and parley client itself.
timeout 20 python3 "$HERE/pha_peer.py" client "$PORT" "$P/ca.pem" "$P/alice.pem" "$P/alice.key" /secret >"$WORK/c.log" 2>&1
check "python3 ssl client (post_handshake_auth) -> parley server" "$WORK/c.log" '^client_certificate: /CN=alice' '^post_handshake_auth: ok'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" \
    --send 'GET /secret HTTP/1.0\r\n\r\n' "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> parley server --post-handshake-auth" "$WORK/c.log" '^client_certificate: /CN=alice' '^post_handshake_auth: ok'
# A refused export is no connection error: --json's "error" stays empty.
timeout 20 "$PARLEY" client --json --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" --export 'client finished:16' \
    --send 'GET / HTTP/1.0\r\n\r\n' "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --json: a refused export is not an error" "$WORK/c.log" '"exporter": "refused \(keying material export refused' \
    '"error": ""'
wait_line "$WORK/s.log" 'did not offer post_handshake_auth' >/dev/null
check "server log: each outcome" "$WORK/s.log" 'post-handshake authentication: ok \(verify: ok\)' \
    'no certificate after the handshake, and one is required' 'did not offer post_handshake_auth'
stop_bg "$LAST_PID"

# ---- --verify optional: a client without post_handshake_auth is not asked at
# all (no CertificateRequest in the handshake); GET /secret is answered with
# the reason instead of a closed connection.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --client-ca "$P/ca.pem" --verify optional --post-handshake-auth /secret
wait_port "$PORT"
printf 'GET /secret HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -tls1_3 \
    -cert "$P/alice.pem" -key "$P/alice.key" -ign_eof >"$WORK/c.log" 2>&1
check "verify optional, s_client without -enable_pha: answered with the reason" "$WORK/c.log" \
    '^post_handshake_auth: not possible: .*did not offer post_handshake_auth' '^client_certificate: none'
if grep -q 'Acceptable client certificate CA names' "$WORK/c.log"; then bad "verify optional: the handshake asked a client without post_handshake_auth"
else ok "verify optional: the handshake did not ask a client without post_handshake_auth"; fi
stop_bg "$LAST_PID"

# ---- parley client against a python3 ssl server asking after the handshake
PORT=$(free_port)
start_bg "$WORK/s.log" python3 "$HERE/pha_peer.py" server "$PORT" "$P/ec256.pem" "$P/ec256.key" "$P/ca.pem"
wait_line "$WORK/s.log" listening
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" --tls1.3 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> python3 ssl server (verify_client_post_handshake)" "$WORK/c.log" '^peer: alice'
check "python3 ssl server saw no certificate in the handshake, alice after" "$WORK/s.log" 'in-handshake peer: None' '^peer: alice'
stop_bg "$LAST_PID"
finish
