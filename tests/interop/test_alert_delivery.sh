#!/usr/bin/env bash
# Every fatal alert is delivered (issue #13, item 6; RFC 8446 6.2): after the
# alert `parley server`, `parley proxy` and `parley keyserver` shut down their write side and
# drain what the client still sends, then close. Closing at once, with the
# client's bytes unread, makes the kernel send a reset, and the client may
# never read the alert. The drain is bounded: 2 s (or --handshake-timeout if
# shorter) and 256 KiB, and the connection keeps its --max-conns slot while
# it lasts.
#
# raw_client.py sends a ClientHello whose legacy_session_id length overruns
# the message (decode_error: 15 03 03 00 02 02 32) followed by junk, without
# reading, then reads: the whole alert, then the end of the stream, never
# ECONNRESET.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
RAW=(timeout 60 python3 "$HERE/raw_client.py")
ALERT=15030300020232 # a plaintext alert record: fatal(2), decode_error(50)

# check_target NAME PORT LOG REGEX: the three clients against one listener.
check_target() {
    local name=$1 port=$2 log=$3 re=$4
    # 1. Twenty tries, so that a race would show.
    "${RAW[@]}" burst "$port" 20 >"$WORK/$name.burst" 2>&1
    local good
    good=$(grep -c "^try [0-9]*: got $ALERT end=eof$" "$WORK/$name.burst")
    if [ "$good" -eq 20 ]; then
        ok "$name: a bad ClientHello and 80 KiB more, unread: the whole alert, then EOF (20 of 20)"
    else
        bad "$name: a bad ClientHello and 80 KiB more, unread: the whole alert, then EOF ($good of 20)"
        grep -v "end=eof$" "$WORK/$name.burst" | head -5
    fi
    check "$name: the failure is logged with its reason" "$log" "$re"
    # 2. A client that never closes: closed once the 2 s bound is over.
    "${RAW[@]}" hold "$port" >"$WORK/$name.hold" 2>&1
    local t
    t=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' "$WORK/$name.hold")
    if grep -q "^got $ALERT end=eof$" "$WORK/$name.hold" && [ -n "$t" ] &&
        python3 -c "import sys; sys.exit(0 if 1.5 <= $t <= 4.0 else 1)"; then
        ok "$name: a client that never closes is closed after the 2 s drain ($t s)"
    else
        bad "$name: a client that never closes is closed after the 2 s drain"; cat "$WORK/$name.hold"
    fi
    # 3. A client that sends for ever: closed once 256 KiB are drained, long
    #    before the time bound (at loopback speed 2 s would be gigabytes).
    "${RAW[@]}" flood "$port" >"$WORK/$name.flood" 2>&1
    local n s
    read -r _ n _ _ s _ <"$WORK/$name.flood"
    if grep -Eq ": (ECONNRESET|EPIPE)$" "$WORK/$name.flood" &&
        python3 -c "import sys; sys.exit(0 if $n >= 262144 and $s < 1.5 else 1)"; then
        ok "$name: a client that keeps sending is cut after the 256 KiB drain ($n bytes sent in $s s)"
    else
        bad "$name: a client that keeps sending is cut after the 256 KiB drain"; cat "$WORK/$name.flood"
    fi
}

# ---- parley server, default flags
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key"
SPID=$LAST_PID
wait_line "$WORK/s.log" "listening on" || { bad "server did not start"; cat "$WORK/s.log"; finish; exit 1; }
check_target server "$PORT" "$WORK/s.log" "handshake failed: message truncated: .*\(alert sent: decode_error\)"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "server: a real client is served afterwards" "$WORK/c.log" "^protocol: TLSv1.3" "Hello from parley"
stop_bg "$SPID"

# ---- parley proxy, default flags (the backend is never reached)
PORT=$(free_port)
start_bg "$WORK/p.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$(free_port)" \
    --cert "$PKI/ec256.pem" --key "$PKI/ec256.key"
PPID_=$LAST_PID
wait_line "$WORK/p.log" "proxy listening on" || { bad "proxy did not start"; cat "$WORK/p.log"; finish; exit 1; }
check_target proxy "$PORT" "$WORK/p.log" "version=- .* result=message truncated: "
stop_bg "$PPID_"

# ---- parley keyserver (its channel is TLS 1.3 with client certificates; a
# bad ClientHello gets the same alert)
make_keyless_pki
PORT=$(free_port)
start_bg "$WORK/k.log" "$PARLEY" keyserver --listen "127.0.0.1:$PORT" --keys "$WORK/keys" --ca "$PKI/ca.pem" \
    --cert "$PKI/ksrv.pem" --key "$PKI/ksrv.key"
KPID=$LAST_PID
wait_line "$WORK/k.log" "listening on" || { bad "keyserver did not start"; cat "$WORK/k.log"; finish; exit 1; }
check_target keyserver "$PORT" "$WORK/k.log" "parley keyserver: client [0-9]+ 127.0.0.1:[0-9]+: message truncated: "
stop_bg "$KPID"
# At its --max-conns a lingering connection counts, and like one still
# unauthenticated it makes room for a new connection (which may be an edge).
PORT=$(free_port)
start_bg "$WORK/k1.log" "$PARLEY" keyserver --listen "127.0.0.1:$PORT" --keys "$WORK/keys" --ca "$PKI/ca.pem" \
    --cert "$PKI/ksrv.pem" --key "$PKI/ksrv.key" --max-conns 1
KPID=$LAST_PID
wait_line "$WORK/k1.log" "listening on" || { bad "keyserver did not start"; cat "$WORK/k1.log"; finish; exit 1; }
# The second connection comes 0.3 s after the alert: the first must still be
# there then (lingering), and go when the second arrives, well before 2 s.
"${RAW[@]}" hold "$PORT" after >"$WORK/k1.hold" 2>&1
t=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' "$WORK/k1.hold")
if grep -q "^first: open before second$" "$WORK/k1.hold" && grep -q "^second: open$" "$WORK/k1.hold" && [ -n "$t" ] &&
    python3 -c "import sys; sys.exit(0 if $t < 1.5 else 1)"; then
    ok "keyserver: at --max-conns a new connection evicts a lingering one ($t s)"
else
    bad "keyserver: at --max-conns a new connection evicts a lingering one"; cat "$WORK/k1.hold"
fi
# Not counted as an eviction: the lingering connection had delivered its alert.
evictions=$(grep -c "evicted [1-9]" "$WORK/k1.log" || true)
if [ "$evictions" = 0 ]; then
    ok "keyserver: ending a lingering connection is not counted as an eviction"
else
    bad "keyserver: ending a lingering connection is not counted as an eviction"; grep "evicted" "$WORK/k1.log"
fi
stop_bg "$KPID"
# At --max-conns 2, with one connection still handshaking (A) and one
# lingering (B): a third evicts B, not A.
PORT=$(free_port)
start_bg "$WORK/k2.log" "$PARLEY" keyserver --listen "127.0.0.1:$PORT" --keys "$WORK/keys" --ca "$PKI/ca.pem" \
    --cert "$PKI/ksrv.pem" --key "$PKI/ksrv.key" --max-conns 2
KPID=$LAST_PID
wait_line "$WORK/k2.log" "listening on" || { bad "keyserver did not start"; cat "$WORK/k2.log"; finish; exit 1; }
"${RAW[@]}" order "$PORT" >"$WORK/k2.order" 2>&1
t=$(sed -n 's/^B: closed after \([0-9.]*\) s$/\1/p' "$WORK/k2.order")
if grep -q "^A: open$" "$WORK/k2.order" && [ -n "$t" ] && python3 -c "import sys; sys.exit(0 if $t < 1.0 else 1)"; then
    ok "keyserver: a lingering connection is evicted before one still handshaking ($t s)"
else
    bad "keyserver: a lingering connection is evicted before one still handshaking"; cat "$WORK/k2.order"
fi
# Two lingering: the older goes first (its client has had longest to read the alert).
"${RAW[@]}" oldest "$PORT" >"$WORK/k2.oldest" 2>&1
check "keyserver: of two lingering connections the older is evicted first" "$WORK/k2.oldest" "^B: closed$" "^D: open$"
stop_bg "$KPID"

# ---- The drain never outlives --handshake-timeout: a bad ClientHello sent
# 2.5 s into a 3 s handshake deadline is answered, and the connection is
# gone by the deadline (not 2 s after the alert).
for kind in server proxy keyserver; do
    PORT=$(free_port)
    case $kind in
    server) start_bg "$WORK/$kind-l.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" \
        --key "$PKI/ec256.key" --handshake-timeout 3 ;;
    proxy) start_bg "$WORK/$kind-l.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$(free_port)" \
        --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --handshake-timeout 3 ;;
    keyserver) start_bg "$WORK/$kind-l.log" "$PARLEY" keyserver --listen "127.0.0.1:$PORT" --keys "$WORK/keys" \
        --ca "$PKI/ca.pem" --cert "$PKI/ksrv.pem" --key "$PKI/ksrv.key" --handshake-timeout 3 ;;
    esac
    PID=$LAST_PID
    wait_line "$WORK/$kind-l.log" "listening on" || { bad "$kind did not start"; cat "$WORK/$kind-l.log"; continue; }
    "${RAW[@]}" late "$PORT" 2.5 >"$WORK/$kind.late" 2>&1
    t=$(sed -n 's/^gone after \([0-9.]*\) s since connect$/\1/p' "$WORK/$kind.late")
    if grep -q "^got $ALERT end=eof$" "$WORK/$kind.late" && [ -n "$t" ] &&
        python3 -c "import sys; sys.exit(0 if $t <= 3.0 + 0.7 else 1)"; then
        ok "$kind: the alert 2.5 s into a 3 s handshake deadline is delivered, the connection gone by the deadline ($t s)"
    else
        bad "$kind: the alert 2.5 s into a 3 s handshake deadline is delivered, the connection gone by the deadline"
        cat "$WORK/$kind.late"
    fi
    stop_bg "$PID"
done

# ---- Both, --max-conns 1 --handshake-timeout 0.8: a lingering connection
# keeps its slot (a second one is refused meanwhile), and the drain ends by
# the shorter handshake timeout.
for kind in server proxy; do
    PORT=$(free_port)
    if [ "$kind" = server ]; then
        start_bg "$WORK/$kind-1.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" \
            --key "$PKI/ec256.key" --max-conns 1 --handshake-timeout 0.8
    else
        start_bg "$WORK/$kind-1.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$(free_port)" \
            --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --max-conns 1 --handshake-timeout 0.8
    fi
    PID=$LAST_PID
    wait_line "$WORK/$kind-1.log" "listening on" || { bad "$kind did not start"; cat "$WORK/$kind-1.log"; continue; }
    "${RAW[@]}" hold "$PORT" second >"$WORK/$kind-1.hold" 2>&1
    t=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' "$WORK/$kind-1.hold")
    [ "$kind" = server ] && refused="refused: 1 connections open \(--max-conns\)" || refused="result=over --max-conns"
    wait_line "$WORK/$kind-1.log" "$refused" >/dev/null
    check "$kind: while the drain lasts the connection keeps its --max-conns slot" "$WORK/$kind-1.hold" \
        "^got $ALERT end=eof$" "^second: closed$" && check "$kind: the second connection is refused" "$WORK/$kind-1.log" "$refused"
    if [ -n "$t" ] && python3 -c "import sys; sys.exit(0 if 0.5 <= $t <= 0.8 + 1.5 else 1)"; then
        ok "$kind: the drain ends by --handshake-timeout 0.8 when that is shorter ($t s)"
    else
        bad "$kind: the drain ends by --handshake-timeout 0.8 when that is shorter"; cat "$WORK/$kind-1.hold"
    fi
    stop_bg "$PID"
done
finish
