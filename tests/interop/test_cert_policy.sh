#!/usr/bin/env bash
# The certificate key-size policy in handshakes (issue #16): parley client
# refuses a server whose certificate has an RSA-1024 key (openssl s_server,
# both versions) with a reason naming 1024 and a non-zero exit; accepts it
# with --insecure-min-rsa-bits 1024, with a warning; refuses an RSA-2048
# server under --min-rsa-bits 3072 naming 2048; refuses parley server's
# RSA-1024 certificate the same way; and parley server refuses an RSA-1024
# client certificate from openssl s_client, accepts it under
# --insecure-min-rsa-bits 1024, and refuses an RSA-2048 one under
# --min-rsa-bits 3072. Then the flags' parsing in client, server and proxy
# (strict numbers, the two flags exclusive, the warning only below 2048).
# The CNs are neutral (server-a, client-a/b): each reason is matched as the
# sentence the library writes ("RSA key of 1024 bits"), never a bare 1024
# that a CN could hold.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
main=$(ca_dir main)
# rsa_cert NAME BITS SECTION CN: an RSA key and certificate from the test CA.
rsa_cert() {
    openssl req -new -newkey "rsa:$2" -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$4" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -extensions "$3" -cert "$P/ca.pem" -keyfile "$P/ca.key" \
        -in "$P/$1.csr" -out "$P/$1.pem" -notext -days 30 2>/dev/null || { echo "could not make $1"; exit 1; }
}
rsa_cert rsa1024 1024 leaf server-a
rsa_cert alice1024 1024 client client-a
rsa_cert alice2048 2048 client client-b
K1024='RSA key of 1024 bits; at least 2048 are required'
K2048='RSA key of 2048 bits; at least 3072 are required'
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
        check "parley client $v refuses an RSA-1024 server certificate (exit $rc)" "$WORK/c.log" "^error: .*$K1024" \
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
            '^verify: ok \(warning: .*RSA key of 1024 bits' 'WARNING: --insecure-min-rsa-bits'
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
    else check "parley client $v --min-rsa-bits 3072 refuses RSA-2048 (exit $rc)" "$WORK/c.log" "^error: .*$K2048" '^alert: sent bad_certificate'; fi
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
        else check "parley client $v refuses parley server's RSA-1024 certificate (exit $rc)" "$WORK/c.log" "^error: .*$K1024" '^alert: sent bad_certificate'; fi
    done
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --insecure-min-rsa-bits 1024 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "... and connects to it with --insecure-min-rsa-bits 1024" "$WORK/c.log" '^verify: ok \(warning: .*RSA key of 1024 bits'
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
        'client_certificate: /CN=client-b .*verify: ok'
    # s_client at SECLEVEL 2 would not send a 1024-bit certificate at all.
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/alice1024.pem" \
        -key "$P/alice1024.key" -cipher 'DEFAULT:@SECLEVEL=0' $v -ign_eof >"$WORK/c.log" 2>&1
    if grep -q 'client_certificate: /CN=client-a.*verify: ok' "$WORK/c.log"; then
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
check "parley server logs a reason naming the key size" "$WORK/s.log" "$K1024"
stop_bg "$LAST_PID"

# ---- parley server --insecure-min-rsa-bits 1024 accepts the RSA-1024 client
# certificate; --min-rsa-bits 3072 refuses an RSA-2048 one.
mtls() { # mtls LABEL CERT WANT(ok|refused) SERVER_FLAGS...
    local label=$1 cert=$2 want=$3
    shift 3
    PORT=$(free_port)
    start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --client-ca "$P/ca.pem" --verify require "$@"
    if ! wait_port "$PORT"; then bad "$label: parley server did not start"; cat "$WORK/s.log"; return; fi
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/$cert.pem" \
        -key "$P/$cert.key" -cipher 'DEFAULT:@SECLEVEL=0' -ign_eof >"$WORK/c.log" 2>&1
    stop_bg "$LAST_PID"
    if [ "$want" = ok ]; then
        check "$label" "$WORK/c.log" 'client_certificate: /CN=client-a .*verify: ok \(warning: .*RSA key of 1024 bits'
        check "$label: the server warns at start" "$WORK/s.log" 'WARNING: --insecure-min-rsa-bits 1024'
    else
        check "$label" "$WORK/c.log" 'SSL alert number 42'
        check "$label: the server's reason" "$WORK/s.log" "$K2048"
    fi
}
mtls "parley server --insecure-min-rsa-bits 1024 accepts an RSA-1024 client certificate" alice1024 ok --insecure-min-rsa-bits 1024
mtls "parley server --min-rsa-bits 3072 refuses an RSA-2048 client certificate" alice2048 refused --min-rsa-bits 3072

# ---- the flags' values: strict numbers, the option named in the message,
# exit 1, in every role (server and proxy share server_opts.c).
flagerr() { # flagerr LABEL MSG_RE ARGS...: exit 1 (no server left running), the message on stderr
    local label=$1 re=$2
    shift 2
    timeout 10 "$PARLEY" "$@" >"$WORK/f.log" 2>&1
    local rc=$?
    if [ $rc -ne 1 ]; then bad "$label: exit $rc, want 1"; tail -n 5 "$WORK/f.log"
    else check "$label" "$WORK/f.log" "$re"; fi
}
for role in client server proxy; do
    case $role in
    client) R=(--cafile "$P/ca.pem" "localhost:9") ;;
    server) R=(--listen "127.0.0.1:$(free_port)" --cert "$P/ec256.pem" --key "$P/ec256.key") ;;
    proxy) R=(--listen "127.0.0.1:$(free_port)" --backend 127.0.0.1:9 --cert "$P/ec256.pem" --key "$P/ec256.key") ;;
    esac
    flagerr "$role --min-rsa-bits abc" '--min-rsa-bits takes 2048\.\.16384.*abc' $role --min-rsa-bits abc "${R[@]}"
    flagerr "$role --min-rsa-bits 0" '--min-rsa-bits takes 2048\.\.16384' $role --min-rsa-bits 0 "${R[@]}"
    flagerr "$role --insecure-min-rsa-bits 512" '--insecure-min-rsa-bits takes 1024\.\.16384' $role --insecure-min-rsa-bits 512 "${R[@]}"
    flagerr "$role --insecure-min-rsa-bits 99999" '--insecure-min-rsa-bits takes' $role --insecure-min-rsa-bits 99999 "${R[@]}"
    flagerr "$role --insecure-min-rsa-bits 1024x" '--insecure-min-rsa-bits takes' $role --insecure-min-rsa-bits 1024x "${R[@]}"
    flagerr "$role with both flags" 'exclude each other' $role --min-rsa-bits 3072 --insecure-min-rsa-bits 1024 "${R[@]}"
done
# No warning for a value that does not go below 2048.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/rsa2048.pem" -key "$P/rsa2048.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --insecure-min-rsa-bits 2048 "localhost:$PORT" >"$WORK/c.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then bad "client --insecure-min-rsa-bits 2048: exit $rc"; tail -n 5 "$WORK/c.log"
elif grep -q 'WARNING' "$WORK/c.log"; then bad "client --insecure-min-rsa-bits 2048 warns about keys below 2048"; grep WARNING "$WORK/c.log"
else ok "client --insecure-min-rsa-bits 2048 connects without a warning"; fi
stop_bg "$LAST_PID"
finish
