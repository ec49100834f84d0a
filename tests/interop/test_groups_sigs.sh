#!/usr/bin/env bash
# Groups and signature schemes of issue #13 item 5 with real peers:
# P-521 and Ed448 certificates (server and client) in TLS 1.3 and 1.2,
# secp521r1 and x448 key exchange, and the RFC 7919 groups ffdhe6144 and
# ffdhe8192 (TLS 1.2 DHE, and TLS 1.3 where OpenSSL 3.0 offers them).
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
leaf ec521 "-newkey ec -pkeyopt ec_paramgen_curve:P-521" "" ""
leaf ed448 "-newkey ed448" "" ""
# Client certificates (clientAuth) with the same key types.
main=$(ca_dir main)
for k in ec521:"-newkey ec -pkeyopt ec_paramgen_curve:P-521" ed448:"-newkey ed448"; do
    name=cli${k%%:*} opts=${k#*:}
    # shellcheck disable=SC2086
    openssl req -new $opts -nodes -keyout "$P/$name.key" -out "$P/$name.csr" -subj "/CN=$name" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -extensions client -cert "$P/ca.pem" -keyfile "$P/ca.key" \
        -in "$P/$name.csr" -out "$P/$name.pem" -notext -days 30 2>/dev/null || { echo "could not make $name"; exit 1; }
done

serve() { # serve LOG ARGS... ; sets PORT
    PORT=$(free_port)
    start_bg "$1" "$PARLEY" server --listen "127.0.0.1:$PORT" "${@:2}"
    wait_port "$PORT"
}

# ---- openssl s_client -> parley server with a P-521 / Ed448 certificate,
# requiring a client certificate of the same kind.
for kind in ec521:ecdsa_secp521r1_sha512:ECDHE-ECDSA-AES128-GCM-SHA256 ed448:ed448:ECDHE-ECDSA-AES256-GCM-SHA384; do
    name=${kind%%:*} rest=${kind#*:}
    scheme=${rest%%:*} cipher12=${rest#*:}
    serve "$WORK/s.log" --cert "$P/$name.pem" --key "$P/$name.key" --client-ca "$P/ca.pem" --verify require
    for v in -tls1_3 -tls1_2; do
        extra=()
        [ "$v" = -tls1_2 ] && extra=(-cipher "$cipher12")
        printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" \
            -verify_return_error -cert "$P/cli$name.pem" -key "$P/cli$name.key" $v "${extra[@]}" -ign_eof >"$WORK/c.log" 2>&1
        check "openssl s_client $v -> parley server, $name certificates both ways" "$WORK/c.log" 'Verify return code: 0 \(ok\)' \
            "^signature: $scheme\$" "^client_certificate: /CN=cli$name \\(issuer /CN=Parley Test CA, verify: ok\\)"
    done
    stop_bg "$LAST_PID"
done

# ---- openssl s_client and gnutls-cli -> parley server: the new groups.
# ffdhe6144 and ffdhe8192 are not on by default (their cost): named here.
ALL=x25519:secp256r1:secp384r1:x448:secp521r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192
serve "$WORK/s.log" --cert "$P/ec256.pem" --key "$P/ec256.key" --cert "$P/rsa2048.pem" --key "$P/rsa2048.key" --groups "$ALL"
for g in X448:x448 P-521:secp521r1 ffdhe6144:ffdhe6144 ffdhe8192:ffdhe8192; do
    for v in -tls1_3 -tls1_2; do
        # OpenSSL 3.0's TLS 1.2 client offers no FFDHE group in
        # supported_groups (it takes whatever DH group the server sends), so
        # ffdhe6144/8192 in TLS 1.2 are tested with gnutls-cli below.
        case "$v:${g%%:*}" in -tls1_2:ffdhe*) continue ;; esac
        printf "$REQ" | timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" \
            -verify_return_error -groups "${g%%:*}" $v -ign_eof >"$WORK/c.log" 2>&1
        # TLS 1.2: the P-256 certificate's curve is not in the client's list
        # (RFC 8422 5.1), so the server answers with its RSA certificate.
        check "openssl s_client $v -groups ${g%%:*} -> parley server" "$WORK/c.log" 'Verify return code: 0 \(ok\)' "^group: ${g#*:}\$"
    done
done
for g in FFDHE6144:ffdhe6144 FFDHE8192:ffdhe8192; do
    printf "$REQ" | timeout 30 gnutls-cli --x509cafile "$P/ca.pem" -p "$PORT" localhost \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-${g%%:*}" >"$WORK/c.log" 2>&1
    check "gnutls-cli TLS 1.2 DHE-RSA ${g%%:*} -> parley server" "$WORK/c.log" "Description: \\(TLS1.2-X.509\\)-\\(DHE-${g%%:*}\\)" \
        "^group: ${g#*:}\$"
done
stop_bg "$LAST_PID"

# ---- parley client -> openssl s_server: P-521 and Ed448 server certificates,
# and client certificates of the same kinds.
for kind in ec521:ecdsa_secp521r1_sha512 ed448:ed448; do
    name=${kind%%:*} scheme=${kind#*:}
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/$name.pem" -key "$P/$name.key" \
        -Verify 1 -CAfile "$P/ca.pem"
    wait_port "$PORT"
    for v in --tls1.3 --tls1.2; do
        timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --cert "$P/cli$name.pem" --key "$P/cli$name.key" $v "localhost:$PORT" \
            >"$WORK/c.log" 2>&1
        # OpenSSL's TLS 1.2 server signs with the first scheme of the
        # client's list that its key can make: ECDSA with SHA-256 on P-521
        # is legal in TLS 1.2 (the hash is not bound to the curve).
        want=$scheme
        [ "$v:$name" = --tls1.2:ec521 ] && want='ecdsa_secp256r1_sha256'
        check "parley client $v -> openssl s_server, $name certificates both ways" "$WORK/c.log" "^signature: $want\$" \
            '^verify: ok$' "Subject: CN *= *cli$name"
    done
    stop_bg "$LAST_PID"
done

# ---- parley client -> openssl s_server -groups secp521r1 / x448 (TLS 1.3
# by HelloRetryRequest, since the client's key share is x25519; TLS 1.2 ECDHE).
for g in secp521r1 x448; do
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" -groups "$g"
    wait_port "$PORT"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client TLS 1.3 -> openssl s_server -groups $g" "$WORK/c.log" '^HTTP/1.0 200 ok' "^group: $g\$" 'HelloRetryRequest'
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client TLS 1.2 -> openssl s_server -groups $g" "$WORK/c.log" '^HTTP/1.0 200 ok' "^group: $g\$" \
        '^cipher: TLS_ECDHE_ECDSA_'
    stop_bg "$LAST_PID"
done

# ---- parley client -> TLS 1.2 DHE with ffdhe6144/8192: openssl s_server
# with the RFC 7919 parameters (it does not negotiate named DH groups in
# TLS 1.2; the client recognises the prime), and gnutls-serv, which does.
for g in ffdhe6144 ffdhe8192; do
    openssl genpkey -genparam -algorithm DH -pkeyopt "group:$g" -out "$WORK/$g.pem" 2>/dev/null
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/rsa2048.pem" -key "$P/rsa2048.key" \
        -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 -dhparam "$WORK/$g.pem"
    wait_port "$PORT"
    # By default the client lists ffdhe2048..4096 and refuses a larger group
    # than it listed (RFC 7919 3: insufficient_security, local policy).
    timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client (default groups) refuses openssl s_server's TLS 1.2 DHE $g" "$WORK/c.log" \
        "server's DH group is $g \\(RFC 7919\\), larger than any FFDHE group offered \\(up to 4096 bits\\): list $g to accept it" \
        'alert: sent insufficient_security'
    timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --groups "$ALL" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> openssl s_server TLS 1.2 DHE $g" "$WORK/c.log" '^HTTP/1.0 200 ok' "^group: $g\$" \
        '^cipher: TLS_DHE_RSA_WITH_AES_128_GCM_SHA256$'
    stop_bg "$LAST_PID"
    # TLS 1.3 FFDHE key share (OpenSSL 3.0 supports the RFC 7919 groups there).
    PORT=$(free_port)
    start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -cert "$P/ec256.pem" -key "$P/ec256.key" -groups "$g"
    wait_port "$PORT"
    timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.3 --groups "$g" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> openssl s_server TLS 1.3 $g key share" "$WORK/c.log" '^HTTP/1.0 200 ok' "^group: $g\$"
    stop_bg "$LAST_PID"
    PORT=$(free_port)
    G=$(echo "$g" | tr a-z A-Z)
    start_bg "$WORK/s.log" gnutls-serv --http -p "$PORT" --x509certfile "$P/rsa2048.pem" --x509keyfile "$P/rsa2048.key" \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-$G"
    wait_port "$PORT"
    timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --groups "$ALL" "localhost:$PORT" >"$WORK/c.log" 2>&1
    check "parley client -> gnutls-serv TLS 1.2 DHE $g" "$WORK/c.log" "^group: $g\$" '^cipher: TLS_DHE_RSA_' '^verify: ok$'
    stop_bg "$LAST_PID"
done

finish
