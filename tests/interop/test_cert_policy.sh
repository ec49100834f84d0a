#!/usr/bin/env bash
# The certificate key-size policy in handshakes (issue #16): parley client
# refuses a server whose certificate has an RSA-1024 key (openssl s_server,
# both versions) with a reason naming 1024 and a non-zero exit; accepts it
# with --insecure-min-rsa-bits 1024, with a warning; refuses an RSA-2048
# server under --min-rsa-bits 3072 naming 2048; refuses parley server's
# RSA-1024 certificate the same way; and parley server refuses an RSA-1024
# client certificate from openssl s_client.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
main=$(ca_dir main)
# rsa_cert NAME BITS SECTION: an RSA key and certificate from the test CA.
rsa_cert() {
    openssl req -new -newkey "rsa:$2" -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$1" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -extensions "$3" -cert "$P/ca.pem" -keyfile "$P/ca.key" \
        -in "$P/$1.csr" -out "$P/$1.pem" -notext -days 30 2>/dev/null || { echo "could not make $1"; exit 1; }
}
rsa_cert rsa1024 1024 leaf
rsa_cert alice1024 1024 client
rsa_cert alice2048 2048 client
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

# openssl s_server at Debian's default SECLEVEL 2 refuses to use a 1024-bit
# key ("ee key too small"); @SECLEVEL=0 makes it serve one. The cipher string
# is the TLS 1.2 list, but the level it sets applies to TLS 1.3 too.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/rsa1024.pem" -key "$P/rsa1024.key" \
    -cipher 'DEFAULT:@SECLEVEL=0'
if ! wait_port "$PORT"; then
    bad "openssl s_server with an RSA-1024 certificate did not start"; cat "$WORK/s.log"; finish; exit
fi
# It really serves that certificate (OpenSSL's own client at level 0 sees it).
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -cipher 'DEFAULT:@SECLEVEL=0' -ign_eof \
    >"$WORK/o.log" 2>&1
check "openssl s_server serves the RSA-1024 certificate" "$WORK/o.log" 'Server public key is 1024 bit'
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
        bad "parley client $v accepted (or crashed on) an RSA-1024 server certificate: exit $rc"; tail -n 20 "$WORK/c.log"
    else
        check "parley client $v refuses an RSA-1024 server certificate (exit $rc)" "$WORK/c.log" '^error: .*1024' \
            '^alert: sent bad_certificate'
    fi
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --insecure-min-rsa-bits 1024 $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "parley client $v --insecure-min-rsa-bits 1024: exit $rc"; tail -n 20 "$WORK/c.log"
    else
        # Loudly: once on stderr for the option, and in the verify: line for
        # the connection that needed it.
        check "parley client $v --insecure-min-rsa-bits 1024 connects, with a warning" "$WORK/c.log" '^HTTP/1.0 200 ok' \
            '^verify: ok \(warning: .*1024 bits' 'WARNING: --insecure-min-rsa-bits'
    fi
done
# The option is only for going below 2048, loudly; --min-rsa-bits cannot.
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --min-rsa-bits 1024 "localhost:$PORT" >"$WORK/c.log" 2>&1
rc=$?
if [ $rc -ne 1 ]; then bad "--min-rsa-bits 1024 is not a usage error: exit $rc"; tail -n 5 "$WORK/c.log"
else check "--min-rsa-bits 1024 is a usage error" "$WORK/c.log" '2048\.\.16384'; fi
stop_bg "$LAST_PID"

# ---- an RSA-2048 server under --min-rsa-bits 3072
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/rsa2048.pem" -key "$P/rsa2048.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client accepts an RSA-2048 server by default" "$WORK/c.log" '^verify: ok$'
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --min-rsa-bits 3072 $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then bad "parley client $v --min-rsa-bits 3072 accepted RSA-2048: exit $rc"; tail -n 20 "$WORK/c.log"
    else check "parley client $v --min-rsa-bits 3072 refuses RSA-2048 (exit $rc)" "$WORK/c.log" '^error: .*2048' '^alert: sent bad_certificate'; fi
done
stop_bg "$LAST_PID"

# ---- parley server presenting an RSA-1024 certificate to parley client
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/rsa1024.pem" --key "$P/rsa1024.key"
if ! wait_port "$PORT"; then
    bad "parley server with an RSA-1024 certificate did not start"; cat "$WORK/s.log"
else
    for v in --tls1.3 --tls1.2; do
        timeout 20 "$PARLEY" client --cafile "$P/ca.pem" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
        rc=$?
        if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then bad "parley client $v accepted parley server's RSA-1024 certificate: exit $rc"
        else check "parley client $v refuses parley server's RSA-1024 certificate (exit $rc)" "$WORK/c.log" '^error: .*1024' '^alert: sent bad_certificate'; fi
    done
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --insecure-min-rsa-bits 1024 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "... and connects to it with --insecure-min-rsa-bits 1024" "$WORK/c.log" '^verify: ok \(warning: .*1024 bits'
    stop_bg "$LAST_PID"
fi

# ---- mTLS: parley server refuses an RSA-1024 client certificate from openssl s_client
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --client-ca "$P/ca.pem" --verify require
wait_port "$PORT"
for v in -tls1_3 -tls1_2; do
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/alice2048.pem" \
        -key "$P/alice2048.key" $v -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client $v with an RSA-2048 client certificate is accepted" "$WORK/c.log" \
        'client_certificate: /CN=alice2048 .*verify: ok'
    # s_client at SECLEVEL 2 would not send a 1024-bit certificate at all.
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/alice1024.pem" \
        -key "$P/alice1024.key" -cipher 'DEFAULT:@SECLEVEL=0' $v -ign_eof >"$WORK/c.log" 2>&1
    if grep -q 'client_certificate: /CN=alice1024.*verify: ok' "$WORK/c.log"; then
        bad "openssl s_client $v: parley server accepted an RSA-1024 client certificate"
    else
        # The alert OpenSSL reports is what Parley sent: bad_certificate (42),
        # as for any certificate the policy refuses (RFC 8446 6.2).
        check "openssl s_client $v with an RSA-1024 client certificate is refused (bad_certificate)" "$WORK/c.log" \
            'SSL alert number 42'
        echo "    openssl s_client $v says: $(grep -Eo 'ssl/tls alert [a-z ]+|SSL alert number [0-9]+' "$WORK/c.log" | head -n 2 | tr '\n' ' ')"
    fi
done
sleep 0.2
check "parley server logs a reason naming 1024" "$WORK/s.log" '1024'
stop_bg "$LAST_PID"
finish
