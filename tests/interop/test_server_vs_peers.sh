#!/usr/bin/env bash
# openssl s_client, gnutls-cli, curl and python3's ssl against parley server:
# every suite and group, each certificate type, a forced HelloRetryRequest,
# ALPN, and refusal of old versions and of garbage.
source "$(dirname "$0")/lib.sh" "$@"
make_pki

serve() { # serve LOG ARGS... ; sets PORT
    PORT=$(free_port)
    start_bg "$1" "$PARLEY" server --listen "127.0.0.1:$PORT" "${@:2}"
    wait_port "$PORT"
}
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

serve "$WORK/s.log" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --cert "$PKI/rsa2048.pem" --key "$PKI/rsa2048.key"
for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
    for group in X25519 P-256 P-384; do
        printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
            -verify_return_error -ciphersuites "$suite" -groups "$group" -ign_eof >"$WORK/c.log" 2>&1
        check "openssl s_client $suite $group" "$WORK/c.log" "Cipher is $suite" 'Verify return code: 0 \(ok\)' \
            "^cipher: $suite" 'Hello from parley'
    done
done
for sig in ECDSA+SHA256:ecdsa_secp256r1_sha256 RSA-PSS+SHA256:rsa_pss_rsae_sha256; do
    printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
        -verify_return_error -sigalgs "${sig%%:*}" -ign_eof >"$WORK/c.log" 2>&1
    check "openssl s_client picks certificate by signature_algorithms (${sig%%:*})" "$WORK/c.log" "^signature: ${sig#*:}"
done
for prio in AES-128-GCM AES-256-GCM CHACHA20-POLY1305; do
    for group in X25519 SECP256R1 SECP384R1; do
        printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$PORT" localhost \
            --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+$prio:-GROUP-ALL:+GROUP-$group" >"$WORK/c.log" 2>&1
        check "gnutls-cli $prio $group" "$WORK/c.log" 'Description: \(TLS1.3' "$prio" 'Hello from parley'
    done
done
timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$PORT/" >"$WORK/c.log" 2>&1
check "curl" "$WORK/c.log" '^protocol: TLSv1.3' '^sni: localhost'
timeout 20 curl -sS --cacert "$PKI/ca.pem" --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 "https://127.0.0.1:$PORT/" >"$WORK/c.log" 2>&1
check "curl to an IP address (no SNI), ChaCha20" "$WORK/c.log" '^cipher: TLS_CHACHA20_POLY1305_SHA256' '^sni: none'
cat >"$WORK/py.py" <<PY
import socket, ssl, sys
ctx = ssl.create_default_context(cafile="$PKI/ca.pem")
with socket.create_connection(("127.0.0.1", $PORT)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print(s.version(), s.cipher()[0])
        print(data.decode())
ctx12 = ssl.create_default_context(cafile="$PKI/ca.pem")
ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
with ctx12.wrap_socket(socket.create_connection(("127.0.0.1", $PORT)), server_hostname="localhost") as s:
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print("pinned to 1.2:", s.version(), s.cipher()[0])
PY
timeout 20 python3 "$WORK/py.py" >"$WORK/c.log" 2>&1
check "python3 ssl" "$WORK/c.log" '^TLSv1.3 TLS_AES_128_GCM_SHA256' 'Hello from parley' \
    '^pinned to 1.2: TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 >"$WORK/c.log" 2>&1
check "openssl s_client -tls1_1 gets protocol_version" "$WORK/c.log" 'alert protocol version'
# Garbage instead of a ClientHello: a plaintext unexpected_message alert, and
# the server keeps serving others.
python3 - "$PORT" >"$WORK/c.log" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
print("reply:", s.recv(100).hex())
PY
check "garbage gets unexpected_message" "$WORK/c.log" '^reply: 1503030002020a$'
# Clients that reject our certificate: OpenSSL 3.0 sends its alert in
# plaintext after our encrypted flight (its write keys are not in use yet),
# GnuTLS encrypted. Both reasons are reported, not masked as unexpected_message
# (a plaintext alert is accepted until a record opened under the client's keys).
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca2.pem" \
    -verify_return_error >"$WORK/c.log" 2>&1
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca2.pem" -p "$PORT" localhost >"$WORK/c.log" 2>&1
timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$PORT/" >"$WORK/c.log" 2>&1
check "server still serves after bad clients" "$WORK/c.log" '^protocol: TLSv1.3'
check "server log names each failure" "$WORK/s.log" 'handshake failed: .*TLSv1.1.*alert sent: protocol_version' \
    'handshake failed: received a record of unknown type 71.*alert sent: unexpected_message' \
    'handshake failed: peer sent alert unknown_ca .*alert received: unknown_ca' \
    'handshake failed: peer sent alert bad_certificate .*alert received: bad_certificate'
stop_bg "$LAST_PID"

# Forced HelloRetryRequest and ALPN.
serve "$WORK/s.log" --cert "$PKI/ed25519.pem" --key "$PKI/ed25519.key" --groups secp384r1 --alpn h2,http/1.1 --trace \
    --record-padding 1024
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$PKI/ca.pem" \
    -verify_return_error -groups X25519:P-384 -alpn http/1.1 -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client with HelloRetryRequest, Ed25519, ALPN, padded records" "$WORK/c.log" 'ALPN protocol: http/1.1' \
    '^group: secp384r1' '^signature: ed25519' 'Verify return code: 0'
check "server trace shows the HelloRetryRequest" "$WORK/s.log" 'C <- S  HelloRetryRequest' 'selected_group: secp384r1'
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$PORT" localhost --alpn h2 \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP384R1" >"$WORK/c.log" 2>&1
check "gnutls-cli with HelloRetryRequest, ALPN h2" "$WORK/c.log" 'Application protocol: h2' 'Hello from parley'
stop_bg "$LAST_PID"

finish
