#!/usr/bin/env bash
# record_size_limit (RFC 8449) with GnuTLS, which sends it by default: parley
# client against gnutls-serv and gnutls-cli against parley server, TLS 1.3
# and 1.2, each side advertising 512 (GnuTLS refuses limits below 512 unless
# told %ALLOW_SMALL_RECORDS). Several KB go each way through a relay
# (record_sizes_relay.py) that measures every protected record: none may
# carry more plaintext than the receiver's limit (TLS 1.3: content, type byte
# and padding, so ciphertext - 16; TLS 1.2 AES-GCM: ciphertext - 8 - 16), and
# the largest must be near it (the data was really split by the limit). With
# --record-padding 4096 on Parley the padding must stay within the limit too.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
LIMIT=512
PAD=$(python3 -c 'print("x" * 3900)')

# relay TARGET_PORT: a measuring relay in front of TARGET_PORT; sets RPORT
relay() {
    RPORT=$(free_port)
    start_bg "$WORK/relay.log" python3 "$HERE/record_sizes_relay.py" "$RPORT" "$1" "$WORK/report"
    wait_line "$WORK/relay.log" '^ready'
}
# sizes NAME DIR OVERHEAD MAX NEAR: the protected records in direction DIR
# (c2s|s2c) carry at most MAX bytes of plaintext (ciphertext - OVERHEAD);
# with NEAR 1 there are at least 2 and the largest is over MAX - 64: the
# limit split the data (gnutls-cli puts fewer records on the wire than its
# 3.9 KB request line needs, so 2 and not more).
sizes() {
    for _ in $(seq 1 100); do [ -s "$WORK/report" ] && break; sleep 0.05; done
    local line count max
    line=$(grep "^$2 " "$WORK/report")
    count=$(sed -E 's/.*records=([0-9]+).*/\1/' <<<"$line")
    max=$(sed -E 's/.*max=([0-9]+).*/\1/' <<<"$line")
    if [ -n "$max" ] && [ $((max - $3)) -le "$4" ] && { [ "$5" = 0 ] || { [ "$count" -ge 2 ] && [ $((max - $3)) -gt $(($4 - 64)) ]; }; }; then
        ok "$1: $2 $count protected records, largest plaintext $((max - $3)) <= $4"
    else
        bad "$1: $2 records out of bounds ($line, overhead $3, limit $4)"
    fi
}

for v in 1.3 1.2; do
    # GnuTLS adds the type byte to the limit it advertises in TLS 1.3 (513).
    if [ "$v" = 1.3 ]; then over=16 theirs=$((LIMIT + 1)) near12=1; else over=24 theirs=$LIMIT near12=0; fi
    prio="NORMAL:-VERS-ALL:+VERS-TLS$v:-CIPHER-ALL:+AES-128-GCM"

    # parley client -> relay -> gnutls-serv (echo): 3.9 KB sent and echoed back.
    SPORT=$(free_port)
    start_bg "$WORK/s.log" gnutls-serv -p "$SPORT" --x509certfile "$PKI/ec256.pem" --x509keyfile "$PKI/ec256.key" \
        --priority "$prio" --recordsize "$LIMIT" --echo
    wait_port "$SPORT"
    rm -f "$WORK/report"
    relay "$SPORT"
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --servername localhost --tls$v --timeout 2 \
        --record-size-limit "$LIMIT" --record-padding 4096 --send "$PAD\n" "127.0.0.1:$RPORT" >"$WORK/c.log" 2>&1
    check "parley client vs gnutls-serv TLS $v: echo of 3.9 KB" "$WORK/c.log" "^x{3900}\$" "^protocol: TLSv$v\$" "^record_size_limit: $theirs/$LIMIT\$"
    stop_bg "$(pgrep -f "gnutls-serv -p $SPORT" | head -1)"
    sizes "parley client vs gnutls-serv TLS $v" c2s "$over" "$theirs" 1
    sizes "parley client vs gnutls-serv TLS $v" s2c "$over" "$LIMIT" 1

    # gnutls-cli -> relay -> parley server: a 3.9 KB request header, the response.
    SPORT=$(free_port)
    start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$SPORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
        --record-size-limit "$LIMIT" --record-padding 4096 --trace
    wait_port "$SPORT"
    rm -f "$WORK/report"
    relay "$SPORT"
    printf 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: %s\r\n\r\n' "$PAD" |
        timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$RPORT" localhost --priority "$prio" \
            --recordsize "$LIMIT" >"$WORK/c.log" 2>&1
    check "gnutls-cli vs parley server TLS $v" "$WORK/c.log" "Description: \\(TLS$v" 'HTTP/1.1 200 OK' 'Hello from parley'
    check "parley server TLS $v traces the limits" "$WORK/s.log" "record_size_limit: peer's $theirs \\(our records\\), ours $LIMIT"
    sizes "gnutls-cli vs parley server TLS $v" c2s "$over" "$LIMIT" 1
    # The response is short: in TLS 1.3 the server's Certificate is split by
    # the limit; TLS 1.2 sends its Certificate unprotected (not subject to it).
    sizes "gnutls-cli vs parley server TLS $v" s2c "$over" "$theirs" "$near12"
    stop_bg "$(pgrep -f "server --listen 127.0.0.1:$SPORT" | head -1)"
done

# gnutls-cli offering TLS 1.3 and 1.2 advertises 513 (it counts the TLS 1.3
# type byte) and, when TLS 1.2 is chosen, refuses a 513-byte record ("A TLS
# record packet with invalid length"): a TLS 1.2 server takes one byte off
# the limit of a client that offered TLS 1.3 (512 here). Through parley proxy
# (its frontend takes --record-size-limit), 5000 bytes from the backend, so
# that the server side sends more than the limit in both versions.
BPORT=$(free_port)
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
wait_port "$BPORT"
for v in 1.3 1.2; do
    if [ "$v" = 1.3 ]; then over=16 theirs=$((LIMIT + 1)); else over=24 theirs=$LIMIT; fi
    SPORT=$(free_port)
    start_bg "$WORK/p.log" "$PARLEY" proxy --listen "127.0.0.1:$SPORT" --backend "127.0.0.1:$BPORT" --cert "$PKI/ec256.pem" \
        --key "$PKI/ec256.key" --tls$v --record-size-limit "$LIMIT" --record-padding 4096
    wait_port "$SPORT"
    rm -f "$WORK/report"
    relay "$SPORT"
    printf 'GET /big/5000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
        timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$RPORT" localhost --priority "NORMAL:-CIPHER-ALL:+AES-128-GCM" \
            --recordsize "$LIMIT" >"$WORK/c.log" 2>&1
    check "gnutls-cli (1.3 and 1.2 offered) vs parley proxy --tls$v" "$WORK/c.log" "Description: \\(TLS$v" 'Content-Length: 5000'
    if grep -q 'Fatal error' "$WORK/c.log"; then bad "gnutls-cli TLS $v: $(grep 'Fatal error' "$WORK/c.log")"; else ok "gnutls-cli TLS $v took every record"; fi
    sizes "gnutls-cli vs parley proxy TLS $v" s2c "$over" "$theirs" 1
    stop_bg "$(pgrep -f "proxy --listen 127.0.0.1:$SPORT" | head -1)"
done

# 0-RTT (RFC 8449 4: records follow the limits of the handshake that made
# their keys): a session from gnutls-serv --recordsize 512 (513 in TLS 1.3),
# then 3 KB of early data through the relay: every early record within the
# ticket's limit, and gnutls-serv accepts them.
SPORT=$(free_port)
start_bg "$WORK/s.log" gnutls-serv -p "$SPORT" --x509certfile "$PKI/ec256.pem" --x509keyfile "$PKI/ec256.key" \
    --recordsize "$LIMIT" --earlydata --maxearlydata 16384 --echo
wait_port "$SPORT"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --servername localhost --tls1.3 --timeout 2 --send 'hello\r\n' \
    --sess-out "$WORK/e.sess" "127.0.0.1:$SPORT" >"$WORK/c.log" 2>&1
rm -f "$WORK/report"
relay "$SPORT"
EARLY3K=$(python3 -c 'print("e" * 3000)')
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --servername localhost --tls1.3 --timeout 2 --sess-in "$WORK/e.sess" \
    --early-data "$EARLY3K" --send 'after the handshake\r\n' "127.0.0.1:$RPORT" >"$WORK/c.log" 2>&1
check "0-RTT to gnutls-serv --recordsize $LIMIT: accepted" "$WORK/c.log" '^early_data: accepted$' '^resumed: yes$' \
    '^after the handshake'
sizes "0-RTT parley client vs gnutls-serv" c2s 16 $((LIMIT + 1)) 1
stop_bg "$(pgrep -f "gnutls-serv -p $SPORT" | head -1)"

finish
