#!/usr/bin/env bash
# Mutual TLS in both versions with OpenSSL and GnuTLS, and the certificate
# policy: CRL revocation (server and client certificates), expired CRLs,
# clientAuth EKU, a CA without CA:TRUE, a chain over the depth limit, a
# name-constraint violation.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
make_ca_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

# ---- parley server --verify require, with openssl s_client and gnutls-cli and parley client
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --client-ca "$P/ca.pem" --verify require --crl "$P/ca.crl"
wait_port "$PORT"
for v in -tls1_3 -tls1_2; do
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/alice.pem" \
        -key "$P/alice.key" $v -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client $v with a client certificate" "$WORK/c.log" 'client_certificate: /CN=alice \(issuer /CN=Parley Test CA, verify: ok\)'
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" $v -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client $v without a certificate is refused" "$WORK/c.log" 'alert (certificate required|handshake failure)'
done
for v in TLS1.3 TLS1.2; do
    printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$P/ca.pem" --x509certfile "$P/alice.pem" --x509keyfile "$P/alice.key" \
        -p "$PORT" localhost --priority "NORMAL:-VERS-ALL:+VERS-$v" >"$WORK/c.log" 2>&1
    check "gnutls-cli $v with a client certificate" "$WORK/c.log" 'client_certificate: /CN=alice'
done
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v with a client certificate" "$WORK/c.log" 'client_certificate: /CN=alice'
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/bob.pem" --key "$P/bob.key" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v with a revoked client certificate" "$WORK/c.log" 'alert: received certificate_revoked'
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/ec256.pem" --key "$P/ec256.key" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v with a serverAuth-only certificate" "$WORK/c.log" 'alert: received unsupported_certificate'
done
# A client whose certificate is from a CA the server does not name sends none.
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/ca2.pem" --key "$P/ca2.key" --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a certificate from another CA is not sent" "$WORK/c.log" 'none fits the request' 'alert: received certificate_required'
sleep 0.2
check "server log names the client failures" "$WORK/s.log" 'certificate for bob was revoked on [0-9]{4}-[0-9]{2}-[0-9]{2}' \
    'not allowed for TLS client authentication' 'the client sent no certificate, and one is required'
stop_bg "$LAST_PID"

# --verify optional: no certificate is fine.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --client-ca "$P/ca.pem" --verify optional
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "--verify optional without a certificate" "$WORK/c.log" '^client_certificate: none'
stop_bg "$LAST_PID"

# ---- parley client against openssl s_server -Verify 1 and gnutls-serv --require-client-cert
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" \
    -Verify 1 -CAfile "$P/ca.pem"
wait_port "$PORT"
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v -> openssl s_server -Verify 1" "$WORK/c.log" 'Subject: CN *= *alice' '^verify: ok'
done
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" gnutls-serv --http -p "$PORT" --x509certfile "$P/ec256.pem" --x509keyfile "$P/ec256.key" \
    --x509cafile "$P/ca.pem" --require-client-cert --verify-client-cert
wait_port "$PORT"
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v -> gnutls-serv --require-client-cert" "$WORK/c.log" 'Subject: CN=alice' '^verify: ok'
done
stop_bg "$LAST_PID"

# ---- chain policy and revocation, on the client side
serve_chain() { # serve_chain LEAF KEY [INTERMEDIATE]
    PORT=$(free_port)
    local extra=()
    [ -n "${3:-}" ] && extra=(-cert_chain "$3")
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$1" -key "$2" "${extra[@]}"
    wait_port "$PORT"
}
serve_chain "$P/viainter.pem" "$P/viainter.key" "$P/inter.pem"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a chain through an intermediate verifies" "$WORK/c.log" '^verify: ok$'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --max-chain-depth 0 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a chain longer than the limit is refused" "$WORK/c.log" 'longer than the configured maximum depth of 0' 'alert: sent bad_certificate'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --crl "$P/ca.crl" --crl "$P/inter.crl" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "leaf and intermediate checked against their CRLs" "$WORK/c.log" '^verify: ok$'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --crl "$P/ca.crl" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a missing CRL for an issuer is reported" "$WORK/c.log" 'no CRL from /CN=Parley Intermediate was given'
stop_bg "$LAST_PID"
# parley server sends the whole chain from its --cert file.
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/viainter-chain.pem" --key "$P/viainter.key"
wait_port "$PORT"
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" \
    -verify_return_error -ign_eof >"$WORK/c.log" 2>&1
check "parley server sends its intermediate" "$WORK/c.log" 'Verify return code: 0' '1 s:CN = Parley Intermediate'
stop_bg "$LAST_PID"
serve_chain "$P/revoked.pem" "$P/revoked.key"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --crl "$P/ca.crl" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a revoked server certificate" "$WORK/c.log" 'certificate for localhost was revoked on [0-9-]{10}' 'alert: sent certificate_revoked'
stop_bg "$LAST_PID"
serve_chain "$P/ec256.pem" "$P/ec256.key"
sleep 1.2 # the short-lived CRL is now past its nextUpdate
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --crl "$P/ca-expired.crl" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "an expired CRL fails by default" "$WORK/c.log" 'the CRL for the issuer of localhost expired on'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --crl "$P/ca-expired.crl" --crl-expired warn "localhost:$PORT" >"$WORK/c.log" 2>&1
check "an expired CRL only warns when asked" "$WORK/c.log" '^verify: ok \(warning: a CRL used for this chain has expired'
stop_bg "$LAST_PID"
serve_chain "$P/vianotca.pem" "$P/vianotca.key" "$P/notca.pem"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "an intermediate without CA:TRUE is refused" "$WORK/c.log" 'Not A CA signs other certificates but is not a CA' 'alert: sent bad_certificate'
stop_bg "$LAST_PID"
serve_chain "$P/viapl0.pem" "$P/viapl0.key" "$P/pl0-chain.pem"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a path length constraint violation is refused" "$WORK/c.log" 'longer than the path length constraint of Pathlen Zero CA'
stop_bg "$LAST_PID"
serve_chain "$P/kubad.pem" "$P/kubad.key"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a keyUsage without digitalSignature is refused" "$WORK/c.log" 'not allowed for TLS server authentication \(key usage' \
    'alert: sent unsupported_certificate'
stop_bg "$LAST_PID"
serve_chain "$P/vianc.pem" "$P/vianc.key" "$P/nc.pem"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a name-constraint violation is refused" "$WORK/c.log" 'violates the name constraints' 'alert: sent bad_certificate'
stop_bg "$LAST_PID"

# ---- OCSP stapling (responses made with openssl ocsp), both versions, both roles
ocsp_resp() { # ocsp_resp INDEX CERT SIGNER KEY OUT
    openssl ocsp -issuer "$P/ca.pem" -cert "$2" -reqout "$WORK/req.der" -no_nonce 2>/dev/null
    openssl ocsp -index "$1" -rsigner "$3" -rkey "$4" -CA "$P/ca.pem" -reqin "$WORK/req.der" -respout "$5" -ndays 1 2>/dev/null
}
ocsp_resp "$P/index.txt" "$P/ec256.pem" "$P/ca.pem" "$P/ca.key" "$WORK/good.der"
ocsp_resp "$P/ca-main/index.txt" "$P/revoked.pem" "$P/ca.pem" "$P/ca.key" "$WORK/revoked.der"
ocsp_resp "$P/index.txt" "$P/ec256.pem" "$P/ca2.pem" "$P/ca2.key" "$WORK/wrongkey.der"
later=$(( $(date +%s) + 3 * 86400 ))
for v in --tls1.3 --tls1.2; do
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" -status_file "$WORK/good.der"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v: good stapled response" "$WORK/c.log" '^verify: ok \(OCSP: good\)'
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require --at-time "$later" $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v: stale response" "$WORK/c.log" 'is not current' 'alert: sent bad_certificate_status_response'
    stop_bg "$LAST_PID"
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" -status_file "$WORK/wrongkey.der"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp prefer $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v: response signed by the wrong key" "$WORK/c.log" 'not signed by its issuer or an authorized responder' \
        'alert: sent bad_certificate_status_response'
    stop_bg "$LAST_PID"
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/revoked.pem" -key "$P/revoked.key" -status_file "$WORK/revoked.der"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp prefer $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v: revoked by OCSP" "$WORK/c.log" 'was revoked on .* \(stapled OCSP response\)' 'alert: sent certificate_revoked'
    stop_bg "$LAST_PID"
done
# A response without nextUpdate is good for --ocsp-max-age (default 7 days) after its thisUpdate.
openssl ocsp -issuer "$P/ca.pem" -cert "$P/ec256.pem" -reqout "$WORK/req.der" -no_nonce 2>/dev/null
openssl ocsp -index "$P/index.txt" -rsigner "$P/ca.pem" -rkey "$P/ca.key" -CA "$P/ca.pem" -reqin "$WORK/req.der" \
    -respout "$WORK/noupd.der" 2>/dev/null
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" -status_file "$WORK/noupd.der"
wait_port "$PORT"
later=$(( $(date +%s) + 2 * 86400 ))
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require --at-time "$later" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "a response without nextUpdate, 2 days old" "$WORK/c.log" '^verify: ok \(OCSP: good\)'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require --ocsp-max-age 86400 --at-time "$later" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "--ocsp-max-age 86400 refuses it" "$WORK/c.log" 'older than the maximum age of 86400 seconds' 'alert: sent bad_certificate_status_response'
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require "localhost:$PORT" >"$WORK/c.log" 2>&1
check "--ocsp require without a staple" "$WORK/c.log" 'stapled no OCSP response, and one is required'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp prefer "localhost:$PORT" >"$WORK/c.log" 2>&1
check "--ocsp prefer without a staple" "$WORK/c.log" '^verify: ok$'
stop_bg "$LAST_PID"
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" --ocsp-response "$WORK/good.der"
wait_port "$PORT"
for v in -tls1_3 -tls1_2; do
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -status $v -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client $v -status gets parley's staple" "$WORK/c.log" 'OCSP Response Status: successful' 'Cert Status: good'
done
for v in --tls1.3 --tls1.2; do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --ocsp require $v "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client $v -> parley server staple" "$WORK/c.log" '^verify: ok \(OCSP: good\)'
done
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$P/ca.pem" -p "$PORT" localhost --ocsp >"$WORK/c.log" 2>&1
check "gnutls-cli receives parley's staple" "$WORK/c.log" 'Options: OCSP status request' 'The certificate is trusted'
stop_bg "$LAST_PID"

finish
