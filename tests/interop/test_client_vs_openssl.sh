#!/usr/bin/env bash
# parley client against openssl s_server: every suite and group (groups other
# than x25519 force a HelloRetryRequest, since the client's first key share is
# x25519), each certificate type, ALPN, KeyUpdate, and verification failures.
source "$(dirname "$0")/lib.sh" "$@"
make_pki

serve() { # serve LOG EXTRA-ARGS... ; sets PORT
    PORT=$(free_port)
    start_bg "$1" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_3 "${@:2}"
    wait_port "$PORT"
}

for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
    for group in x25519 secp256r1 secp384r1; do
        serve "$WORK/s.log" -cert "$PKI/ec256.pem" -key "$PKI/ec256.key" -ciphersuites "$suite" -groups "$group"
        timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --ciphers "$suite" --groups "x25519:$group" \
            --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
        hrr='.'
        [ "$group" != x25519 ] && hrr='HelloRetryRequest'
        check "openssl s_server $suite $group" "$WORK/c.log" '^HTTP/1.0 200 ok' '^protocol: TLSv1.3$' \
            "^cipher: $suite\$" "^group: $group\$" '^verify: ok$' '^resumed: no$' "$hrr"
        stop_bg "$LAST_PID"
    done
done

for kind in ec256:ecdsa_secp256r1_sha256 ec384:ecdsa_secp384r1_sha384 rsa2048:rsa_pss_rsae_sha256 ed25519:ed25519 rsapss:rsa_pss_pss_sha256; do
    name=${kind%%:*} scheme=${kind#*:}
    serve "$WORK/s.log" -cert "$PKI/$name.pem" -key "$PKI/$name.key"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "openssl s_server certificate $name" "$WORK/c.log" "^signature: $scheme\$" '^verify: ok$' \
        '^peer_cert.0: subject=/CN=localhost; issuer=/CN=Parley Test CA'
    stop_bg "$LAST_PID"
done

serve "$WORK/s.log" -cert "$PKI/ec256.pem" -key "$PKI/ec256.key" -alpn h2,http/1.1
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --alpn http/1.1 --key-update --json "localhost:$PORT" >"$WORK/c.log" 2>&1
check "openssl s_server ALPN + KeyUpdate + JSON" "$WORK/c.log" '"ok": true' '"alpn": "http/1.1"' '"protocol": "TLSv1.3"'
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --record-padding 512 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "openssl s_server accepts padded records" "$WORK/c.log" '^HTTP/1.0 200 ok' '^verify: ok$'
# SSLKEYLOGFILE gets the five TLS 1.3 secrets.
SSLKEYLOGFILE=$WORK/keys.log timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "SSLKEYLOGFILE" "$WORK/keys.log" '^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$' \
    '^SERVER_HANDSHAKE_TRAFFIC_SECRET ' '^CLIENT_TRAFFIC_SECRET_0 ' '^SERVER_TRAFFIC_SECRET_0 ' '^EXPORTER_SECRET '
# Wrong host name and unknown CA against the same good server.
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --servername wrong.example "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
echo "exit: $?" >>"$WORK/c.log"
check "wrong host is refused" "$WORK/c.log" 'does not match host name wrong.example' 'alert: sent bad_certificate' '^exit: 2$'
timeout 20 "$PARLEY" client --cafile "$PKI/ca2.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
echo "exit: $?" >>"$WORK/c.log"
check "unknown CA is refused" "$WORK/c.log" 'issued by /CN=Parley Test CA, which is neither a trusted CA nor among the certificates sent' 'alert: sent unknown_ca' '^exit: 2$'
timeout 20 "$PARLEY" client "localhost:$PORT" >"$WORK/c.log" 2>&1
echo "exit: $?" >>"$WORK/c.log"
check "system trust store does not trust the test CA" "$WORK/c.log" 'which is neither a trusted CA' '^exit: 2$'
stop_bg "$LAST_PID"

serve "$WORK/s.log" -cert "$PKI/expired.pem" -key "$PKI/expired.key"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
echo "exit: $?" >>"$WORK/c.log"
check "expired certificate is refused" "$WORK/c.log" 'certificate for localhost expired on 2021-01-01 \(now [0-9-]+\)' \
    'alert: sent certificate_expired' '^exit: 2$'
timeout 20 "$PARLEY" client --insecure "localhost:$PORT" >"$WORK/c.log" 2>&1
check "--insecure connects and says so" "$WORK/c.log" 'WARNING: --insecure' '^verify: not verified' '^HTTP/1.0 200 ok'
stop_bg "$LAST_PID"

serve "$WORK/s.log" -cert "$PKI/future.pem" -key "$PKI/future.key"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "not-yet-valid certificate is refused" "$WORK/c.log" 'is not valid until 2035-01-01' 'alert: sent certificate_expired'
stop_bg "$LAST_PID"

# A TLS 1.2-only server: the default client negotiates 1.2; a client pinned
# to 1.3 is refused with protocol_version.
PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$PKI/ec256.pem" -key "$PKI/ec256.key"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "TLS 1.2-only server: 1.2 is negotiated" "$WORK/c.log" '^protocol: TLSv1.2$' '^extended_master_secret: yes$'
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --tls1.3 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "TLS 1.2-only server, client pinned to 1.3" "$WORK/c.log" 'alert: (sent|received) protocol_version'
stop_bg "$LAST_PID"

# A flipped bit in an encrypted record, each direction, through a relay.
serve "$WORK/s.log" -cert "$PKI/ec256.pem" -key "$PKI/ec256.key"
RPORT=$(free_port)
start_bg "$WORK/r.log" python3 "$(dirname "$0")/flip_relay.py" "$RPORT" "$PORT" s2c 0
wait_line "$WORK/r.log" ready
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$RPORT" >"$WORK/c.log" 2>&1
check "flipped server record: parley client sends bad_record_mac" "$WORK/c.log" 'error: record authentication failed \(bad_record_mac\)' \
    'alert: sent bad_record_mac'
wait_line "$WORK/s.log" 'alert bad record mac' >/dev/null # bounded: 10 s
check "openssl s_server receives the bad_record_mac alert" "$WORK/s.log" 'alert bad record mac'
start_bg "$WORK/r.log" python3 "$(dirname "$0")/flip_relay.py" "$RPORT" "$PORT" c2s 0
wait_line "$WORK/r.log" ready
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$RPORT" >"$WORK/c.log" 2>&1
check "flipped client record: openssl's alert is reported" "$WORK/c.log" 'alert: received bad_record_mac'
stop_bg "$LAST_PID"

finish
