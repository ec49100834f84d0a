#!/usr/bin/env bash
# TLS 1.2 DHE as a client against servers that do not use RFC 7919 (issue
# #16): `openssl s_server` without -dhparam ("auto DH": the RFC 3526 prime
# sized to its key: 2048 for RSA-2048, 3072 for RSA-3072, 4096 for RSA-4096)
# completes with data both ways; the larger RFC 3526 primes (-dhparam)
# complete when the client lists an FFDHE group that large and are refused
# otherwise; the
# 1024-bit RFC 2409 prime, a 3526 prime with one bit changed and generator 5
# are refused with insufficient_security and a sentence naming them;
# gnutls-serv answers with an RFC 7919 group.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
leaf rsa3072 "-newkey rsa:3072" "" ""
leaf rsa4096 "-newkey rsa:4096" "" ""
for n in 4096 6144 8192; do
    openssl genpkey -genparam -algorithm DH -pkeyopt "group:modp_$n" -out "$WORK/modp$n.pem" 2>/dev/null
done
# DH parameter files openssl has no name for (PKCS#3 DHParameter, DER then PEM).
dhparam() { # dhparam NAME P_HEX G
    printf 'asn1=SEQUENCE:dh\n[dh]\np=INTEGER:0x%s\ng=INTEGER:%s\n' "$2" "$3" >"$WORK/$1.cnf"
    openssl asn1parse -genconf "$WORK/$1.cnf" -noout -out "$WORK/$1.der" >/dev/null &&
        openssl dhparam -inform DER -in "$WORK/$1.der" -out "$WORK/$1.pem" 2>/dev/null ||
        { echo "could not make DH parameters $1"; exit 1; }
}
# RFC 2409 6.2, the Second Oakley Group: what ssl_get_auto_dh picks below 112 bits of security.
RFC2409_1024=FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF
dhparam rfc2409 "$RFC2409_1024" 2
# RFC 3526 3, the 2048-bit prime, as openssl itself writes it.
M2048=$(openssl genpkey -genparam -algorithm DH -pkeyopt group:modp_2048 2>/dev/null | openssl asn1parse |
    awk -F: '/INTEGER/ && length($NF) > 100 {print $NF; exit}')
[ ${#M2048} -eq 512 ] || { echo "could not read the RFC 3526 2048-bit prime ($M2048)"; exit 1; }
dhparam g5 "$M2048" 5
# One bit changed in the middle (hex digit 256: 8 <-> 9 style flip of its low bit).
d=${M2048:256:1}
flip=$(printf '%X' $((0x$d ^ 1)))
dhparam flipped "${M2048:0:256}$flip${M2048:257}" 2

REQ_OK='^HTTP/1.0 200 ok'
# s_server DH_SERVER_ARGS... : an openssl TLS 1.2 DHE-only server on a new port
s_server() {
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 "$@"
    wait_port "$PORT"
}

# ---- openssl s_server with its default DH parameters (no -dhparam)
for c in "rsa2048:DHE-RSA-AES128-GCM-SHA256:TLS_DHE_RSA_WITH_AES_128_GCM_SHA256:modp2048" \
    "rsa3072:DHE-RSA-AES256-GCM-SHA384:TLS_DHE_RSA_WITH_AES_256_GCM_SHA384:modp3072" \
    "rsa4096:DHE-RSA-AES128-GCM-SHA256:TLS_DHE_RSA_WITH_AES_128_GCM_SHA256:modp4096" \
    "rsa2048:DHE-RSA-CHACHA20-POLY1305:TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256:modp2048"; do
    IFS=: read -r cert ossl iana group <<<"$c"
    s_server -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" -cipher "$ossl"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --tls1.2 --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> openssl s_server default DH, $cert $iana" "$WORK/c.log" "$REQ_OK" '^protocol: TLSv1.2$' \
        "^cipher: $iana\$" "^group: $group\$" '^verify: ok$' '^extended_master_secret: yes$' 'master secret derived'
    stop_bg "$LAST_PID"
done
# The same with --json: the group value there too.
s_server -cert "$PKI/rsa2048.pem" -key "$PKI/rsa2048.key" -cipher DHE-RSA-AES128-GCM-SHA256
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --json "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --json -> openssl s_server default DH" "$WORK/c.log" '"group": "modp2048"'
stop_bg "$LAST_PID"

# ---- the larger RFC 3526 primes (-dhparam): taken when the client lists an
# FFDHE group at least as large, refused (insufficient_security) with the
# default list, whose largest is ffdhe4096.
for n in 4096 6144 8192; do
    s_server -cert "$PKI/rsa2048.pem" -key "$PKI/rsa2048.key" -cipher DHE-RSA-AES128-GCM-SHA256 -dhparam "$WORK/modp$n.pem"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --groups x25519:ffdhe2048:ffdhe8192 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client listing ffdhe8192 takes modp$n" "$WORK/c.log" "$REQ_OK" "^group: modp$n\$" '^verify: ok$'
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
    if [ "$n" = 4096 ]; then
        check "parley client with the default groups takes modp4096" "$WORK/c.log" "$REQ_OK" '^group: modp4096$'
    else
        check "parley client with the default groups refuses modp$n" "$WORK/c.log" \
            "the $n-bit RFC 3526 prime, larger than any FFDHE group offered \\(up to 4096 bits\\)" 'alert: sent insufficient_security'
    fi
    stop_bg "$LAST_PID"
done

# ---- refused: the 1024-bit RFC 2409 prime, generator 5, a changed bit.
for c in "rfc2409:the 1024-bit RFC 2409 prime \\(Oakley group 2\\), too weak" \
    "g5:the 2048-bit RFC 3526 prime with generator 5, not 2" \
    "flipped:a 2048-bit prime that is neither RFC 7919 nor RFC 3526"; do
    IFS=: read -r f why <<<"$c"
    s_server -cert "$PKI/rsa2048.pem" -key "$PKI/rsa2048.key" -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' -dhparam "$WORK/$f.pem"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client refuses DH parameters $f" "$WORK/c.log" "$why" 'alert: sent insufficient_security'
    wait_line "$WORK/s.log" 'insufficient security|alert'
    check "openssl s_server got insufficient_security for $f" "$WORK/s.log" 'insufficient security'
    stop_bg "$LAST_PID"
done

# ---- gnutls-serv does RFC 7919: a named group from the client's list.
PORT=$(free_port)
start_bg "$WORK/s.log" gnutls-serv --http -p "$PORT" --x509certfile "$PKI/rsa2048.pem" --x509keyfile "$PKI/rsa2048.key" \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA"
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --groups x25519:ffdhe3072 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> gnutls-serv DHE: the listed RFC 7919 group" "$WORK/c.log" '^HTTP/1.0 200 OK' '^group: ffdhe3072$'
stop_bg "$LAST_PID"

finish
