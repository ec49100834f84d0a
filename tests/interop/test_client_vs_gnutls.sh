#!/usr/bin/env bash
# parley client against gnutls-serv: every suite and group (non-x25519 groups
# force a HelloRetryRequest) and each certificate type.
source "$(dirname "$0")/lib.sh" "$@"
make_pki

serve() { # serve LOG CERTNAME PRIORITY ; sets PORT
    PORT=$(free_port)
    start_bg "$1" gnutls-serv --http -p "$PORT" --x509certfile "$PKI/$2.pem" --x509keyfile "$PKI/$2.key" --priority "$3"
    wait_port "$PORT"
}

for suite in AES-128-GCM:TLS_AES_128_GCM_SHA256 AES-256-GCM:TLS_AES_256_GCM_SHA384 CHACHA20-POLY1305:TLS_CHACHA20_POLY1305_SHA256; do
    for group in X25519:x25519 SECP256R1:secp256r1 SECP384R1:secp384r1; do
        g=${suite%%:*} name=${suite#*:} gg=${group%%:*} pg=${group#*:}
        serve "$WORK/s.log" ec256 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+$g:-GROUP-ALL:+GROUP-$gg"
        timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
        hrr='.'
        [ "$pg" != x25519 ] && hrr='HelloRetryRequest'
        check "gnutls-serv $name $pg" "$WORK/c.log" '^HTTP/1.0 200 OK' '^protocol: TLSv1.3$' "^cipher: $name\$" \
            "^group: $pg\$" '^verify: ok$' "$hrr"
        stop_bg "$LAST_PID"
    done
done

for kind in ec256:ecdsa_secp256r1_sha256 ec384:ecdsa_secp384r1_sha384 rsa2048:rsa_pss_rsae_sha256 ed25519:ed25519 rsapss:rsa_pss_pss_sha256; do
    name=${kind%%:*} scheme=${kind#*:}
    serve "$WORK/s.log" "$name" "NORMAL:-VERS-ALL:+VERS-TLS1.3"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --alpn http/1.1 --key-update "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "gnutls-serv certificate $name (with KeyUpdate)" "$WORK/c.log" "^signature: $scheme\$" '^verify: ok$' '^HTTP/1.0 200 OK'
    stop_bg "$LAST_PID"
done

finish
