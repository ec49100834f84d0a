#!/usr/bin/env bash
# TLS 1.2 without the extended master secret (RFC 7627) against GnuTLS, both
# roles: with default flags the handshake completes (ECDHE and DHE) and says
# extended_master_secret: no / ems=no, the session is never resumed (by
# ticket or by session id), --require-ems refuses the peer with
# handshake_failure, and a peer with EMS still gets it (and resumes).
source "$(dirname "$0")/lib.sh" "$@"
make_pki
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
NOEMS='NORMAL:-VERS-TLS1.3:%NO_SESSION_HASH'
# DHE only, over an RFC 7919 group, so that DHE really is what runs.
NOEMS_DHE="$NOEMS:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-FFDHE2048"

# absent NAME FILE REGEX: the regex must not match the file
absent() {
    if grep -Eq -- "$3" "$2"; then
        bad "$1: '$3' matched"; echo "---- $2"; tail -n 25 "$2"; echo "----"; return 1
    fi
    ok "$1"
}
# gnutls NAME PRIORITY [ARGS...]: gnutls-cli against the parley server on $PORT into $WORK/c.log
gnutls() {
    local prio=$1; shift
    printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$PORT" localhost --priority "$prio" "$@" \
        >"$WORK/c.log" 2>&1
}
# logged N: wait until the server has logged N completed handshakes (the
# port probe of wait_port is logged too, as a failure: not counted)
logged() { wait_count "$WORK/s.log" ' ems=(yes|no)$' "$1"; }

# ---- parley server, default flags
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
    --cert "$PKI/rsa2048.pem" --key "$PKI/rsa2048.key"
wait_port "$PORT"
gnutls "$NOEMS"
check "gnutls-cli without EMS -> parley server: ECDHE, TLS 1.2, extended_master_secret: no" "$WORK/c.log" \
    'Description: \(TLS1.2-X.509\)-\(ECDHE' '^protocol: TLSv1.2$' '^extended_master_secret: no$' '^resumed: no$'
absent "gnutls-cli reports no EMS option" "$WORK/c.log" 'Options: extended master secret'
logged 1
check "server log line: ECDHE, ems=no" "$WORK/s.log" 'parley: \[[0-9]+\] .*TLSv1.2 TLS_ECDHE_[A-Z0-9_]+ (x25519|secp256r1|secp384r1) .*ems=no$'

gnutls "$NOEMS_DHE"
check "gnutls-cli without EMS, DHE only -> parley server: DHE over ffdhe2048" "$WORK/c.log" \
    'Description: \(TLS1.2-X.509\)-\(DHE-FFDHE2048\)' '^cipher: TLS_DHE_RSA_WITH_' '^group: ffdhe2048$' '^extended_master_secret: no$'
logged 2
check "server log line: DHE ffdhe2048, ems=no" "$WORK/s.log" 'parley: \[[0-9]+\] .*TLSv1.2 TLS_DHE_RSA_[A-Z0-9_]+ ffdhe2048 .*ems=no$'

# Never resumed: with tickets (gnutls asks for one) and by session id (--noticket).
gnutls "$NOEMS" --resume
check "gnutls-cli --resume without EMS: both handshakes complete" "$WORK/c.log" 'trying to resume' '^resumed: no$' \
    '^extended_master_secret: no$'
absent "gnutls-cli --resume without EMS: not resumed (no ticket, no session id)" "$WORK/c.log" 'This is a resumed session'
gnutls "$NOEMS" --resume --noticket
absent "gnutls-cli --resume --noticket without EMS: not resumed" "$WORK/c.log" 'This is a resumed session'
check "gnutls-cli --resume --noticket without EMS: full handshake" "$WORK/c.log" 'trying to resume' '^resumed: no$'
logged 6
absent "server log: no resumed handshake" "$WORK/s.log" ' resumed sni='

# Control: a client with EMS gets it, and resumes.
gnutls 'NORMAL:-VERS-TLS1.3' --resume
check "gnutls-cli with EMS -> parley server: extended_master_secret: yes, resumed" "$WORK/c.log" \
    'Options: extended master secret' 'This is a resumed session' '^resumed: yes$' '^extended_master_secret: yes$'
logged 8
check "server log: the EMS session resumed" "$WORK/s.log" ' resumed sni=localhost alpn=none ems=yes$'
stop_bg "$LAST_PID"

# ---- parley server --require-ems
PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" \
    --cert "$PKI/rsa2048.pem" --key "$PKI/rsa2048.key" --require-ems
wait_port "$PORT"
gnutls "$NOEMS"
check "parley server --require-ems refuses gnutls-cli without EMS" "$WORK/c.log" 'Handshake failed'
wait_line "$WORK/s.log" 'extended master secret'
check "server log explains the refusal" "$WORK/s.log" \
    'handshake failed: client does not support the extended master secret \(RFC 7627\), which is required \(alert sent: handshake_failure\)'
gnutls 'NORMAL:-VERS-TLS1.3'
check "parley server --require-ems accepts gnutls-cli with EMS" "$WORK/c.log" '^extended_master_secret: yes$'
stop_bg "$LAST_PID"

# ---- parley proxy takes the flag too (server options)
PORT=$(free_port)
BPORT=$(free_port)
start_bg "$WORK/p.log" "$PARLEY" proxy --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$BPORT" \
    --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --require-ems
wait_port "$PORT"
gnutls "$NOEMS"
check "parley proxy --require-ems refuses gnutls-cli without EMS" "$WORK/c.log" 'Handshake failed'
wait_line "$WORK/p.log" 'extended master secret'
check "proxy log explains the refusal" "$WORK/p.log" 'extended master secret \(RFC 7627\), which is required'
stop_bg "$LAST_PID"

# ---- parley client against gnutls-serv
serve() { # serve CERTNAME PRIORITY ; sets PORT
    PORT=$(free_port)
    start_bg "$WORK/g.log" gnutls-serv --http -p "$PORT" --x509certfile "$PKI/$1.pem" --x509keyfile "$PKI/$1.key" --priority "$2"
    wait_port "$PORT"
}
serve ec256 "$NOEMS"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --sess-out "$WORK/sess" --reconnect 1 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> gnutls-serv without EMS: TLS 1.2, extended_master_secret: no" "$WORK/c.log" \
    '^HTTP/1.0 200 OK' '^protocol: TLSv1.2$' '^extended_master_secret: no$' '^verify: ok$'
check "parley client: nothing resumable, the reconnect is a full handshake" "$WORK/c.log" \
    'no resumable session .*without the extended master secret' '^--- reconnect 1$' '^resumed: no$'
absent "parley client never resumes a non-EMS session" "$WORK/c.log" '^resumed: yes$'
if [ -e "$WORK/sess" ]; then bad "--sess-out wrote a non-EMS session"; else ok "--sess-out writes nothing without EMS"; fi
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --require-ems "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --require-ems refuses gnutls-serv without EMS" "$WORK/c.log" \
    'server does not support the extended master secret \(RFC 7627\), which is required' 'alert: sent handshake_failure'
stop_bg "$LAST_PID"

serve rsa2048 "$NOEMS_DHE"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client -> gnutls-serv without EMS, DHE" "$WORK/c.log" '^cipher: TLS_DHE_RSA_WITH_' '^group: ffdhe2048$' \
    '^extended_master_secret: no$'
stop_bg "$LAST_PID"

# Control: gnutls-serv with EMS; the client uses it and resumes, also under --require-ems.
serve ec256 'NORMAL:-VERS-TLS1.3'
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --require-ems --sess-out "$WORK/sess" --reconnect 1 "localhost:$PORT" \
    >"$WORK/c.log" 2>&1
check "parley client --require-ems -> gnutls-serv with EMS: yes, resumed" "$WORK/c.log" '^extended_master_secret: yes$' \
    '^--- reconnect 1$' '^resumed: yes$'
if [ -s "$WORK/sess" ]; then ok "--sess-out saves the EMS session"; else bad "--sess-out did not save the EMS session"; fi
stop_bg "$LAST_PID"

finish
