#!/usr/bin/env bash
# TLS 1.2 in both directions with OpenSSL and GnuTLS for every suite Parley
# implements, version pinning, and the negative cases: a small DH group,
# CBC-only offers, no extended master secret, static RSA not allowed,
# renegotiation.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$WORK/ffdhe2048.pem" 2>/dev/null
openssl genpkey -genparam -algorithm DH -pkeyopt group:modp_1536 -out "$WORK/modp1536.pem" 2>/dev/null

# openssl name : IANA name : certificate
SUITES="ECDHE-ECDSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:ec256
ECDHE-ECDSA-AES256-GCM-SHA384:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:ec256
ECDHE-ECDSA-CHACHA20-POLY1305:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:ec256
ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:rsa2048
ECDHE-RSA-AES256-GCM-SHA384:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:rsa2048
ECDHE-RSA-CHACHA20-POLY1305:TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:rsa2048
DHE-RSA-AES128-GCM-SHA256:TLS_DHE_RSA_WITH_AES_128_GCM_SHA256:rsa2048
DHE-RSA-AES256-GCM-SHA384:TLS_DHE_RSA_WITH_AES_256_GCM_SHA384:rsa2048
DHE-RSA-CHACHA20-POLY1305:TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256:rsa2048
AES128-GCM-SHA256:TLS_RSA_WITH_AES_128_GCM_SHA256:rsa2048
AES256-GCM-SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384:rsa2048"

# ---- parley client against openssl s_server (a 1.3-capable server pinned to 1.2 by cipher choice)
for line in $SUITES; do
    IFS=: read -r ossl iana cert <<<"$line"
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" \
        -cipher "$ossl" -dhparam "$WORK/ffdhe2048.pem"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --allow-rsa-kx --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
    g='^group: (x25519|ffdhe2048|rsa)$'
    check "parley client -> openssl s_server $iana" "$WORK/c.log" '^HTTP/1.0 200 ok' '^protocol: TLSv1.2$' "^cipher: $iana\$" \
        "$g" '^extended_master_secret: yes$' '^verify: ok$' 'master secret derived' 'server random: [0-9a-f]{64}'
    stop_bg "$LAST_PID"
done

# ---- parley client against gnutls-serv (RFC 7919 group negotiation on the server side)
for p in "ECDHE-ECDSA:AES-128-GCM:ec256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" \
    "ECDHE-ECDSA:CHACHA20-POLY1305:ec256:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" \
    "ECDHE-RSA:AES-256-GCM:rsa2048:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" \
    "DHE-RSA:AES-128-GCM:rsa2048:TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" \
    "DHE-RSA:CHACHA20-POLY1305:rsa2048:TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" \
    "RSA:AES-256-GCM:rsa2048:TLS_RSA_WITH_AES_256_GCM_SHA384"; do
    IFS=: read -r kx ci cert iana <<<"$p"
    PORT=$(free_port)
    start_bg "$WORK/s.log" gnutls-serv --http -p "$PORT" --x509certfile "$PKI/$cert.pem" --x509keyfile "$PKI/$cert.key" \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+$kx:-CIPHER-ALL:+$ci:+GROUP-FFDHE3072"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --allow-rsa-kx "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> gnutls-serv $iana" "$WORK/c.log" '^HTTP/1.0 200 OK' '^protocol: TLSv1.2$' "^cipher: $iana\$" '^verify: ok$'
    stop_bg "$LAST_PID"
done

# ---- openssl s_client, gnutls-cli, curl against parley server
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
    --cert "$PKI/rsa2048.pem" --key "$PKI/rsa2048.key" --allow-rsa-kx
wait_port "$PORT"
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
for line in $SUITES; do
    IFS=: read -r ossl iana cert <<<"$line"
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
        -verify_return_error -tls1_2 -cipher "$ossl" -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client -> parley server $iana" "$WORK/c.log" "Cipher is $ossl" 'Verify return code: 0' \
        '^protocol: TLSv1.2' "^cipher: $iana" '^extended_master_secret: yes'
done
for p in "ECDHE-ECDSA:AES-128-GCM:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" "ECDHE-RSA:CHACHA20-POLY1305:TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" \
    "DHE-RSA:AES-256-GCM:TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" "RSA:AES-128-GCM:TLS_RSA_WITH_AES_128_GCM_SHA256"; do
    IFS=: read -r kx ci iana <<<"$p"
    printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$PORT" localhost \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+$kx:-CIPHER-ALL:+$ci:+GROUP-FFDHE4096" >"$WORK/c.log" 2>&1
    check "gnutls-cli -> parley server $iana" "$WORK/c.log" 'Description: \(TLS1.2' "^cipher: $iana" '^extended_master_secret: yes'
done
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$PORT" localhost \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-FFDHE4096" >"$WORK/c.log" 2>&1
check "gnutls-cli offering only ffdhe4096 gets it (RFC 7919)" "$WORK/c.log" '^group: ffdhe4096'
timeout 20 curl -sS --cacert "$PKI/ca.pem" --tlsv1.2 --tls-max 1.2 "https://localhost:$PORT/" >"$WORK/c.log" 2>&1
check "curl pinned to TLS 1.2" "$WORK/c.log" '^protocol: TLSv1.2' '^extended_master_secret: yes'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
    -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client unpinned gets TLS 1.3" "$WORK/c.log" '^protocol: TLSv1.3'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
    -tls1_3 -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client pinned to TLS 1.3" "$WORK/c.log" '^protocol: TLSv1.3'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
    -tls1_2 -sigalgs RSA+SHA256 -ign_eof >"$WORK/c.log" 2>&1
check "ServerKeyExchange signed with rsa_pkcs1_sha256 when that is all the client takes" "$WORK/c.log" \
    '^signature: rsa_pkcs1_sha256' 'Verify return code: 0'
# Negative: CBC-only and RC4-style offers, no extended master secret, renegotiation.
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher AES128-SHA:AES256-SHA >"$WORK/c.log" 2>&1
check "CBC-only client gets handshake_failure" "$WORK/c.log" 'alert handshake failure'
# Without extended master secret: accepted by default (RFC 7627 is not
# required; such a session is never resumed: test_ems.sh).
printf "$REQ" | timeout 20 gnutls-cli --insecure -p "$PORT" localhost \
    --priority "NORMAL:%NO_SESSION_HASH:-VERS-ALL:+VERS-TLS1.2" >"$WORK/c.log" 2>&1
check "client without extended master secret completes TLS 1.2 by default" "$WORK/c.log" '^protocol: TLSv1.2$' \
    '^extended_master_secret: no$'
(sleep 1; printf 'R\n'; sleep 1) | timeout 6 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 >"$WORK/c.log" 2>&1
check "renegotiation is refused with no_renegotiation" "$WORK/c.log" 'RENEGOTIATING' 'no renegotiation'
sleep 0.2
check "parley server log explains the refusals" "$WORK/s.log" 'no AEAD cipher suite' ' ems=no$'
stop_bg "$LAST_PID"
# Strict mode (--require-ems): the same client gets handshake_failure.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --require-ems
wait_port "$PORT"
printf "$REQ" | timeout 20 gnutls-cli --insecure -p "$PORT" localhost \
    --priority "NORMAL:%NO_SESSION_HASH:-VERS-ALL:+VERS-TLS1.2" >"$WORK/c.log" 2>&1
check "client without extended master secret gets handshake_failure under --require-ems" "$WORK/c.log" 'Handshake failed'
wait_line "$WORK/s.log" 'extended master secret'
check "parley server --require-ems log explains the refusal" "$WORK/s.log" 'extended master secret \(RFC 7627\), which is required'
stop_bg "$LAST_PID"

# A server without --allow-rsa-kx does not accept static RSA.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/rsa2048.pem" --key "$PKI/rsa2048.key"
wait_port "$PORT"
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher AES128-GCM-SHA256 >"$WORK/c.log" 2>&1
check "static RSA is off by default" "$WORK/c.log" 'alert handshake failure'
# Version pinning on the server: a 1.3 client is answered with 1.2 by a --tls1.2 server.
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --tls1.2
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley server --tls1.2 with a 1.3-capable parley client (no false downgrade alarm)" "$WORK/c.log" '^protocol: TLSv1.2'
stop_bg "$LAST_PID"

# Ed25519 certificates in TLS 1.2 (RFC 8422 ECDHE_ECDSA), both directions.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$PKI/ed25519.pem" -key "$PKI/ed25519.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> openssl s_server, Ed25519 in TLS 1.2" "$WORK/c.log" '^protocol: TLSv1.2' '^signature: ed25519' '^verify: ok'
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ed25519.pem" --key "$PKI/ed25519.key"
wait_port "$PORT"
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
    -verify_return_error -tls1_2 -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -> parley server, Ed25519 in TLS 1.2" "$WORK/c.log" '^signature: ed25519' 'Verify return code: 0'
stop_bg "$LAST_PID"
# A TLS 1.3-only openssl server and a parley client pinned to 1.2.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_3 -cert "$PKI/ec256.pem" -key "$PKI/ec256.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --tls1.2 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client pinned to 1.2 vs a 1.3-only server: protocol_version" "$WORK/c.log" 'alert: (sent|received) protocol_version'
stop_bg "$LAST_PID"

# Negative on the client: a DH group under 2048 bits (RFC 3526 primes of 2048
# bits and more are taken, others refused: test_dhe_openssl.sh).
for dh in modp1536:'the 1536-bit RFC 3526 prime \(IKE group 5\), too weak'; do
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$PKI/rsa2048.pem" \
        -key "$PKI/rsa2048.key" -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' -dhparam "$WORK/${dh%%:*}.pem"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "client refuses DH group ${dh%%:*}" "$WORK/c.log" "${dh#*:}" 'alert: sent insufficient_security'
    stop_bg "$LAST_PID"
done
# A server without extended master secret: accepted by default, refused
# by the client under --require-ems.
PORT=$(free_port)
start_bg "$WORK/s.log" gnutls-serv --http -p "$PORT" --x509certfile "$PKI/ec256.pem" --x509keyfile "$PKI/ec256.key" \
    --priority "NORMAL:%NO_SESSION_HASH:-VERS-ALL:+VERS-TLS1.2"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "client accepts a server without extended master secret by default" "$WORK/c.log" '^protocol: TLSv1.2$' \
    '^extended_master_secret: no$'
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --require-ems "localhost:$PORT" >"$WORK/c.log" 2>&1
check "client --require-ems refuses a server without extended master secret" "$WORK/c.log" 'extended master secret' \
    'alert: sent handshake_failure'
stop_bg "$LAST_PID"

finish
