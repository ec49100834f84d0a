#!/usr/bin/env bash
# What an operator expects of parley server, proxy and keyserver (issue #18,
# docs/config.md): all three run from a --config FILE; every kind of bad
# entry is reported as FILE:LINE; --check-config says "config ok" or the
# error without listening; the command line overrides the file; the key
# server loads NAME.key and refuses NAME.key beside NAME.pem; connect
# failures say address and strerror; --alpn h2 alone is refused by the
# HTTP/1.x page (and h2 among others comes last); SIGHUP to a --workers
# parent reaches the workers and the port keeps serving.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
make_keyless_pki
C=$WORK/conf
mkdir -p "$C"
# All the ports at once (one python start: this machine may be busy).
read -r SPORT OTHER BPORT PPORT DEAD DPORT KPORT EPORT CLOSED NPORT RPORT WPORT XPORT H2PORT BASEP < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(15)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')

# get PORT [client args...]: one request with parley client, output in $WORK/c.log
get() {
    local port=$1; shift
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername localhost "$@" "127.0.0.1:$port" >"$WORK/c.log" 2>&1
}
# bad_conf NAME EXPECT_REGEX CMD...: exits 1, stderr matches, nothing listened
bad_conf() {
    local name=$1 re=$2; shift 2
    timeout 20 "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -Eq -- "$re" "$WORK/bad.err" && ! grep -q 'listening\|config ok' "$WORK/bad.out"; then
        ok "$name"
    else
        bad "$name: rc=$rc, stderr: $(head -c 400 "$WORK/bad.err")"
    fi
}
# good_conf NAME CMD...: exits 0 having printed "config ok", not listening
good_conf() {
    local name=$1; shift
    timeout 20 "$@" >"$WORK/good.out" 2>"$WORK/good.err"
    local rc=$?
    if [ "$rc" -eq 0 ] && grep -q '^config ok' "$WORK/good.out" && ! grep -q 'listening' "$WORK/good.out"; then
        ok "$name"
    else
        bad "$name: rc=$rc, $(head -c 400 "$WORK/good.out" "$WORK/good.err")"
    fi
}

# --- parley server from a file; the command line overrides it ----------------
cat >"$C/server.conf" <<EOF
# parley server
listen 127.0.0.1:$OTHER
cert $P/ec256.pem      # a comment after a value
key  $P/ec256.key
--alpn h2,http/1.1
max-conns 50
handshake-timeout 5
trace
EOF
good_conf "server --check-config: config ok" "$PARLEY" server --config "$C/server.conf" --check-config
# A check writes nothing: no --export-cert file (a live server's clients may
# trust it), no --keylog file.
good_conf "server --check-config with --export-cert and --keylog" "$PARLEY" server --check-config \
    --export-cert "$WORK/exported.pem" --keylog "$WORK/check.keys"
if [ -e "$WORK/exported.pem" ] || [ -e "$WORK/check.keys" ]; then bad "--check-config wrote $(ls "$WORK"/exported.pem "$WORK"/check.keys 2>/dev/null)"
else ok "--check-config wrote neither the certificate nor a key log"; fi
start_bg "$WORK/s.log" "$PARLEY" server --config "$C/server.conf" --listen "127.0.0.1:$SPORT"
wait_line "$WORK/s.log" 'listening on'
check "server: the command line's --listen overrides the file's" "$WORK/s.log" "listening on 127.0.0.1:$SPORT"
if (exec 3<>"/dev/tcp/127.0.0.1/$OTHER") 2>/dev/null; then bad "the file's listen address is open too"
else ok "the file's listen address is not used"; fi
get "$SPORT" --alpn h2,http/1.1
check "server from a file: h2 among others comes last, HTTP/1.1 chosen" "$WORK/c.log" '^alpn: http/1.1' 'Hello from parley'
# Negative control of the order: a client with only h2 still gets it (as
# test_server_vs_peers.sh expects of gnutls-cli --alpn h2).
get "$SPORT" --alpn h2
check "server: a client offering only h2 gets h2" "$WORK/c.log" '^alpn: h2' 'Hello from parley'
check "server: 'trace' (a flag) from the file is on" "$WORK/s.log" 'ClientHello'
stop_bg "$LAST_PID"

# --alpn h2 alone: the sentence, at start.
bad_conf "server --alpn h2 alone: the page speaks HTTP/1.x only" \
    'built-in page speaks HTTP/1.x only' "$PARLEY" server --cert "$P/ec256.pem" --key "$P/ec256.key" --alpn h2 \
    --listen "127.0.0.1:$H2PORT"
printf 'cert %s\nkey %s\nalpn h2\n' "$P/ec256.pem" "$P/ec256.key" >"$C/h2.conf"
bad_conf "server --alpn h2 alone from a file: named by FILE:LINE" "$C/h2.conf:3: --alpn h2: the built-in page speaks HTTP/1.x only" \
    "$PARLEY" server --config "$C/h2.conf" --check-config

# --- every kind of bad entry names its FILE:LINE -------------------------------
base() { printf 'listen 127.0.0.1:%s\ncert %s\nkey %s\n' "$BASEP" "$P/ec256.pem" "$P/ec256.key"; }
n=0
bad_line() { # bad_line NAME LINE EXPECT: base + LINE as line 4, check and run
    local name=$1 line=$2 re=$3
    n=$((n + 1))
    { base; printf '%s\n' "$line"; } >"$C/bad$n.conf"
    bad_conf "server, bad entry ($name): FILE:LINE named" "^parley: $C/bad$n.conf:4: $re" \
        "$PARLEY" server --config "$C/bad$n.conf"
}
bad_line "unknown option" "no-such-option 1" "unknown server option --no-such-option"
bad_line "number with a suffix" "max-conns 10x" "--max-conns takes a whole number .*'10x'"
bad_line "negative count" "workers -2" "--workers takes a whole number .*'-2'"
bad_line "bad seconds" "request-timeout 1s" "--request-timeout takes seconds"
bad_line "flag with a value" "trace yes" "--trace takes no value"
bad_line "option without its value" "session-cache" "--session-cache needs a value"
bad_line "missing certificate directory" "cert-dir $WORK/nodir" "cannot read the certificate directory $WORK/nodir"
bad_line "bad session cache size" "session-cache shm:4q" "--session-cache shm:SIZE takes bytes"
bad_line "nested config" "config $C/server.conf" "config files do not nest"
bad_line "unreadable ticket keys" "ticket-keys $WORK/nope.keys" ".*nope.keys"
# A key on its own line: the key's line, not the certificate's.
printf 'cert %s\n\n# the key\nkey %s\n' "$P/ec256.pem" "$WORK/nokey.key" >"$C/key.conf"
bad_conf "server: an unreadable key names the key's line" "^parley: $C/key.conf:4: .*nokey.key" \
    "$PARLEY" server --config "$C/key.conf" --check-config
# The same mistakes on the command line name no file.
bad_conf "server: command-line values are strict too (--max-conns 10x)" "^parley: --max-conns takes a whole number" \
    "$PARLEY" server --max-conns 10x
bad_conf "server: --config of a missing file says why" "cannot read the config file $WORK/none.conf: No such file" \
    "$PARLEY" server --config "$WORK/none.conf"

# --- parley proxy from a file -------------------------------------------------
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
wait_port "$BPORT"
cat >"$C/proxy.conf" <<EOF
listen 127.0.0.1:$PPORT
backend 127.0.0.1:$BPORT
cert $P/ec256.pem
key $P/ec256.key
idle-timeout 30
EOF
good_conf "proxy --check-config: config ok" "$PARLEY" proxy --config "$C/proxy.conf" --check-config
start_bg "$WORK/p.log" "$PARLEY" proxy --config "$C/proxy.conf"
PP=$LAST_PID
wait_line "$WORK/p.log" 'proxy listening'
PREQ='GET /from-config HTTP/1.0\r\nHost: localhost\r\n\r\n' # --send takes the escapes
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername localhost --send "$PREQ" "127.0.0.1:$PPORT" >"$WORK/c.log" 2>&1
check "proxy from a file forwards to its backend" "$WORK/c.log" 'hello from backend /from-config'
stop_bg "$PP"
# --status on an address that does not resolve: why, not "Success".
timeout 20 "$PARLEY" proxy --config "$C/proxy.conf" --listen "127.0.0.1:$(free_port)" --status nosuch.invalid:1 >"$WORK/st.log" 2>&1
check "proxy --status on a bad address says why" "$WORK/st.log" 'cannot listen on nosuch.invalid:1 \(--status\): Invalid argument'
{ cat "$C/proxy.conf"; echo "idle-timeout -1"; } >"$C/pbad.conf"
bad_conf "proxy: bad entry names FILE:LINE" "^parley: $C/pbad.conf:6: --idle-timeout takes seconds" \
    "$PARLEY" proxy --config "$C/pbad.conf" --check-config
{ cat "$C/proxy.conf"; echo "early-data-limit 16k"; } >"$C/pbad2.conf"
bad_conf "proxy: its own option names FILE:LINE" "^parley: $C/pbad2.conf:6: --early-data-limit" \
    "$PARLEY" proxy --config "$C/pbad2.conf" --check-config

# The backend down: the sentence with address and strerror.
start_bg "$WORK/dead.log" "$PARLEY" proxy --listen "127.0.0.1:$DPORT" --backend "127.0.0.1:$DEAD" \
    --cert "$P/ec256.pem" --key "$P/ec256.key"
wait_line "$WORK/dead.log" 'proxy listening'
get "$DPORT"
wait_line "$WORK/dead.log" 'cannot connect to the backend'
check "proxy: backend down says address and strerror" "$WORK/dead.log" \
    "cannot connect to the backend 127.0.0.1:$DEAD: Connection refused"
stop_bg "$LAST_PID"

# --- parley keyserver from a file, keys named NAME.key ------------------------
KD=$WORK/keydir
mkdir -p "$KD"
cp "$P/ec256.key" "$KD/ec256.key" # the usual name of a private key
cp "$P/rsa2048.key" "$KD/rsa2048.pem"
cat >"$C/ks.conf" <<EOF
listen 127.0.0.1:$KPORT
keys $KD
ca $P/ca.pem
cert $P/ksrv.pem
key $P/ksrv.key
max-inflight 8
EOF
good_conf "keyserver --check-config: config ok" "$PARLEY" keyserver --config "$C/ks.conf" --check-config
if grep -q 'config ok (2 keys)' "$WORK/good.out"; then ok "keyserver: NAME.key and NAME.pem both loaded (2 keys)"
else bad "keyserver key count: $(cat "$WORK/good.out")"; fi
start_bg "$WORK/ks.log" "$PARLEY" keyserver --config "$C/ks.conf"
wait_line "$WORK/ks.log" 'listening on'
start_bg "$WORK/e.log" "$PARLEY" server --listen "127.0.0.1:$EPORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$KPORT" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key"
wait_port "$EPORT"
wait_line "$WORK/ks.log" 'connected as /CN=edge'
get "$EPORT" --tls1.3
check "keyless: an ECDSA key from ec256.key signs the handshake" "$WORK/c.log" '^protocol: TLSv1.3' '^signature: ecdsa' 'Hello from parley'
stop_bg "$LAST_PID"
# Ambiguity: NAME.key beside NAME.pem is refused, both named.
cp "$P/ec256.pem" "$KD/ec256.pem"
bad_conf "keyserver: NAME.key beside NAME.pem refused, both named (FILE:LINE)" \
    "^parley: $C/ks.conf:2: both $KD/ec256.key and $KD/ec256.pem in the key directory" \
    "$PARLEY" keyserver --config "$C/ks.conf" --check-config
rm "$KD/ec256.pem"
{ cat "$C/ks.conf"; echo "max-conns 0"; } >"$C/ksbad.conf"
bad_conf "keyserver: bad entry names FILE:LINE" "^parley: $C/ksbad.conf:7: --max-conns takes a whole number" \
    "$PARLEY" keyserver --config "$C/ksbad.conf" --check-config
mkdir -p "$WORK/empty"
bad_conf "keyserver: an empty key directory says which names it looks for" 'no private key \(NAME.key or NAME.pem\)' \
    "$PARLEY" keyserver --keys "$WORK/empty" --ca "$P/ca.pem" --cert "$P/ksrv.pem" --key "$P/ksrv.key" --check-config

# --- connect errors: address and strerror -------------------------------------
get "$CLOSED"
check "client: cannot connect says address and strerror" "$WORK/c.log" "cannot connect to 127.0.0.1:$CLOSED: Connection refused"
start_bg "$WORK/nk.log" "$PARLEY" server --listen "127.0.0.1:$NPORT" --cert "$P/ec256.pem" \
    --keyless "127.0.0.1:$CLOSED" --keyless-ca "$P/ca.pem" --keyless-cert "$P/edge.pem" --keyless-key "$P/edge.key"
wait_line "$WORK/nk.log" 'is unreachable'
check "keyless: key server down says address and strerror" "$WORK/nk.log" \
    "key server 127.0.0.1:$CLOSED is unreachable; handshakes fail until it is back \(cannot connect to 127.0.0.1:$CLOSED: Connection refused\)"
stop_bg "$LAST_PID"
start_bg "$WORK/r.log" "$PARLEY" server --listen "127.0.0.1:$RPORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --session-cache "redis://127.0.0.1:$CLOSED" --no-tickets # the session goes to the cache
wait_port "$RPORT"
get "$RPORT"
wait_line "$WORK/r.log" 'unreachable'
check "redis: cache down says address and strerror" "$WORK/r.log" "redis 127.0.0.1:$CLOSED unreachable \(Connection refused\)"
stop_bg "$LAST_PID"

# --- SIGHUP to a --workers parent reaches the workers ------------------------
start_bg "$WORK/w.log" "$PARLEY" server --listen "127.0.0.1:$WPORT" --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2
WP=$LAST_PID
wait_count "$WORK/w.log" 'listening on' 2
kill -HUP "$WP"
wait_count "$WORK/w.log" 'SIGHUP: nothing to reload' 2
sleep 0.3
get "$WPORT"
if kill -0 "$WP" 2>/dev/null && grep -q 'Hello from parley' "$WORK/c.log" &&
    [ "$(grep -c 'SIGHUP: nothing to reload' "$WORK/w.log")" -eq 2 ]; then
    ok "server --workers 2: SIGHUP reaches both workers, the parent lives, the port serves"
else
    bad "server --workers SIGHUP: $(tail -5 "$WORK/w.log")"
fi
stop_bg "$WP"
start_bg "$WORK/wp.log" "$PARLEY" proxy --listen "127.0.0.1:$XPORT" --backend "127.0.0.1:$BPORT" \
    --cert "$P/ec256.pem" --key "$P/ec256.key" --workers 2
WP=$LAST_PID
wait_count "$WORK/wp.log" 'proxy listening' 2
kill -HUP "$WP"
wait_count "$WORK/wp.log" 'certificates and ticket keys reloaded' 2
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --servername localhost --send "$PREQ" "127.0.0.1:$XPORT" >"$WORK/c.log" 2>&1
if kill -0 "$WP" 2>/dev/null && grep -q 'hello from backend' "$WORK/c.log" &&
    [ "$(grep -c 'certificates and ticket keys reloaded' "$WORK/wp.log")" -eq 2 ]; then
    ok "proxy --workers 2: SIGHUP reloads both workers, the parent lives, the port serves"
else
    bad "proxy --workers SIGHUP: $(tail -5 "$WORK/wp.log")"
fi
stop_bg "$WP"
finish
