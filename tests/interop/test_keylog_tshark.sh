#!/usr/bin/env bash
# `parley client --keylog` (and `parley server --keylog`) against Wireshark:
# four sessions on loopback (TLS 1.3 and TLS 1.2, each with AES-GCM and
# ChaCha20-Poly1305) go into one capture, each client writing its own NSS key
# log. tshark, given one session's key log, must show that session's HTTP
# request line and the server's answer in clear, and no other session's; the
# same capture without a key log shows no HTTP at all (negative control), and
# the server's key log opens all four. Skipped (exit 77) when tshark/dumpcap
# is not installed or capturing on lo is not permitted.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds tshark dumpcap
make_pki
P=$PKI
PORT=$(free_port)
RAND=$(openssl rand -hex 6) # the probe paths occur nowhere but in the requests

# The capture starts first and must be running before any packet is sent:
# dumpcap says "Capturing on" once the filter is installed.
CAP=$WORK/cap.pcapng
start_bg "$WORK/dumpcap.log" dumpcap -q -i lo -f "tcp port $PORT" -w "$CAP"
DUMPCAP_PID=$LAST_PID
for _ in $(seq 1 100); do
    grep -q 'Capturing on' "$WORK/dumpcap.log" && break
    kill -0 "$DUMPCAP_PID" 2>/dev/null || break
    sleep 0.05
done
if ! grep -q 'Capturing on' "$WORK/dumpcap.log"; then
    echo "SKIPPED: cannot capture on lo here:"; cat "$WORK/dumpcap.log"
    exit 77
fi

# ALPN http/1.1 on both sides tells tshark what the decrypted bytes are
# (RFC 7301), whatever the port.
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --alpn http/1.1 --keylog "$WORK/server.keys"
wait_line "$WORK/s.log" "listening on"

SESSIONS="t13aes:--tls1.3:TLS_AES_256_GCM_SHA384 t13chacha:--tls1.3:TLS_CHACHA20_POLY1305_SHA256
t12aes:--tls1.2:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 t12chacha:--tls1.2:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
for s in $SESSIONS; do
    IFS=: read -r name ver suite <<<"$s"
    req="GET /keylog-probe-$RAND-$name HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername localhost "$ver" --ciphers "$suite" --alpn http/1.1 \
        --keylog "$WORK/$name.keys" --send "$req" "127.0.0.1:$PORT" >"$WORK/$name.out" 2>&1
    check "client $name: $suite, key log written" "$WORK/$name.out" "^cipher: $suite" '^alpn: http/1.1' '^Hello from parley'
    # The labels of each version's key log format (NSS; RFC 8446 secrets or
    # the TLS 1.2 master secret).
    if [ "$ver" = --tls1.3 ]; then check "$name key log has TLS 1.3 traffic secrets" "$WORK/$name.keys" '^CLIENT_TRAFFIC_SECRET_0 ' '^SERVER_HANDSHAKE_TRAFFIC_SECRET '
    else check "$name key log has the TLS 1.2 master secret" "$WORK/$name.keys" '^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$'; fi
done
sleep 0.3 # the last FIN/ACKs reach the capture
stop_bg "$DUMPCAP_PID"

# decode KEYLOG OUT: the HTTP tshark finds (one line per message: stream,
# method, path, status, body). -d pins the port to TLS rather than trusting
# the heuristics. The body (http.file_data) prints as text with \n escapes
# in tshark 4.0 (Debian 12, what install-deps.sh installs).
decode() {
    local opt=()
    [ -n "$1" ] && opt=(-o "tls.keylog_file:$1")
    tshark -n -r "$CAP" "${opt[@]}" -d "tcp.port==$PORT,tls" -Y http -T fields -e tcp.stream \
        -e http.request.method -e http.request.uri -e http.response.code -e http.file_data >"$2" 2>"$2.err"
}
decode "" "$WORK/none.txt"
# Evidence the capture holds the sessions at all, else "no HTTP" proves nothing.
tshark -n -r "$CAP" -d "tcp.port==$PORT,tls" -Y 'tls.handshake.type == 1' -T fields -e tcp.stream >"$WORK/hellos.txt" 2>/dev/null
if [ "$(wc -l <"$WORK/hellos.txt")" -eq 4 ]; then ok "capture holds four ClientHellos"
else bad "capture: $(wc -l <"$WORK/hellos.txt") ClientHellos"; fi
if [ -s "$WORK/none.txt" ]; then bad "without a key log tshark still saw HTTP"; cat "$WORK/none.txt"
else ok "without a key log: no HTTP in the capture (negative control)"; fi

for s in $SESSIONS; do
    IFS=: read -r name ver suite <<<"$s"
    want=TLSv1.3; [ "$ver" = --tls1.2 ] && want=TLSv1.2
    decode "$WORK/$name.keys" "$WORK/$name.txt"
    check "tshark + $name's key log: request and answer in clear" "$WORK/$name.txt" \
        "	GET	/keylog-probe-$RAND-$name	" "	200	Hello from parley.*protocol: $want.*cipher: $suite"
    # Only this session's secrets: the other three stay encrypted.
    others=$(grep -o 'keylog-probe-[0-9a-f]*-[a-z0-9]*' "$WORK/$name.txt" | grep -v -- "-$name\$" || true)
    if [ -z "$others" ]; then ok "$name's key log opens only $name"; else bad "$name's key log also opened: $others"; fi
done

decode "$WORK/server.keys" "$WORK/server.txt"
n=$(grep -c "	GET	/keylog-probe-$RAND-" "$WORK/server.txt")
if [ "$n" -eq 4 ]; then ok "the server's key log opens all four requests"
else bad "server key log: $n of 4 requests"; cat "$WORK/server.txt"; fi

finish
