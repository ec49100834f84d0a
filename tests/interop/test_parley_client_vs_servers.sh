#!/usr/bin/env bash
# parley client against other TLS servers (issue #18): nginx, Go's crypto/tls,
# Node's https and Python's ssl, each pinned (on the server side) to TLS 1.3 or
# TLS 1.2, ALPN http/1.1, and each resumption mode the server can be set up
# for: tickets, TLS 1.2 session IDs, TLS 1.3 stateful tickets, none.
#
# One line per server x version x mode. A line connects with --sess-out, then
# again with --sess-in, and checks parley client's summary (protocol:, cipher:,
# alpn:, resumed:), the body (which carries what the server saw) and the
# server's own log (nginx access log, the other peers' stdout).
# Exit 77 only when a peer's package is missing (the others still run).
source "$(dirname "$0")/lib.sh" "$@"
BUILD=$(cd "${2:-$WORK}" && pwd) # absolute: go refuses a relative GOPATH
PEERS=$HERE/peers
make_pki
CERT=$PKI/ec256.pem KEY=$PKI/ec256.key
SKIPPED=()
# Every port this test needs from one python3 start (lib.sh's free_port starts
# one per port, and a python3 start can cost seconds on a loaded machine). All
# sockets are held until all are chosen, so the ports are distinct.
read -r -a PORTS <<<"$(python3 -c '
import socket
ss = [socket.socket() for _ in range(16)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
NEXT=0
take() { PORT=${PORTS[$NEXT]}; NEXT=$((NEXT + 1)); } # take: the next free port in $PORT
have() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed (package $2): its lines are not run"; SKIPPED+=("$1"); return 1; }; }

# The client pins one suite per version, neither the first choice of any
# server here, so the cipher: line shows the offer was honoured. nginx and
# Python name TLS 1.2 suites the OpenSSL way.
SUITE13=TLS_CHACHA20_POLY1305_SHA256
SUITE12=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
OSSL12=ECDHE-ECDSA-AES256-GCM-SHA384
# How each server writes "resumed": Go true/false, Python True/False, nginx's
# $ssl_session_reused r/. (Node true/false).
YES='resumed=(true|True|r) '
NO='resumed=(false|False|\.) '

ERR=""
# has FILE REGEX: a line of FILE matches the extended REGEX. Bash's own =~ (the
# same POSIX ERE as grep -E, per line): no process per check, which counts on
# a loaded 2-core machine (about 20 checks per line).
has() {
    local l
    while IFS= read -r l || [ -n "$l" ]; do [[ $l =~ $2 ]] && return 0; done <"$1"
    return 1
}
want() { has "$1" "$2" || ERR+="${ERR:+; }$3 (no '$2' in $(basename "$1"))"; } # want FILE REGEX WHAT
wantnot() { ! has "$1" "$2" || ERR+="${ERR:+; }$3 ('$2' in $(basename "$1"))"; }
# server_saw LOG PREFIX REGEX WHAT [N]: the N (default 1) lines LOG got since
# the last call (lines starting with PREFIX; connections are sequential) must
# all match REGEX. MARK counts the lines already looked at. Read in bash, as
# for has().
server_saw() {
    local n=${5:-1} l got=()
    for _ in {1..40}; do # nginx writes its access log after the response
        got=()
        [ -f "$1" ] && while IFS= read -r l; do [[ $l == "$2"* ]] && got+=("$l"); done <"$1"
        got=("${got[@]:MARK}")
        [ "${#got[@]}" -ge "$n" ] && break
        sleep 0.05
    done
    MARK=$((MARK + ${#got[@]}))
    if [ "${#got[@]}" -ne "$n" ]; then
        ERR+="${ERR:+; }$4 (expected $n server line(s), got '${got[*]}')"
        return
    fi
    for l in "${got[@]}"; do
        [[ $l =~ $3 ]] || { ERR+="${ERR:+; }$4 (server logged '$l')"; return; }
    done
}
# count FILE REGEX: how many lines of FILE match
count() { local l c=0; [ -f "$1" ] && while IFS= read -r l; do [[ $l =~ $2 ]] && c=$((c + 1)); done <"$1"; echo "$c"; }
report() { # report NAME LOGS...: one ok/bad line for everything checked since ERR=""
    local name=$1; shift
    if [ -z "$ERR" ]; then ok "$name"; else
        bad "$name: $ERR"
        for f in "$@"; do echo "---- $f"; tail -n 20 "$f"; done
        echo "----"
    fi
    ERR=""
}

# line NAME PORT VERSION EXPECT SERVERLOG PREFIX [TICKETS]
#   EXPECT: resumed  the second connection resumes
#           nosession the server gives nothing resumable: nothing saved, and a
#                     --reconnect is a full handshake on both sides
#           refused  a session is saved and offered, the server does a full
#                     handshake anyway
#           noems    TLS 1.2 without extended_master_secret (RFC 7627 5.3: not
#                     resumable for Parley): nothing saved, a full handshake
#   TICKETS: yes (a NewSessionTicket is in the trace), no (none is), or - (not checked)
line() {
    local name=$1 port=$2 ver=$3 expect=$4 slog=$5 prefix=$6 tickets=${7:--}
    local suite=$SUITE13 ssuite=$SUITE13 sess=$WORK/${name//[^A-Za-z0-9]/_}-$ver.sess c1=$WORK/c1.log c2=$WORK/c2.log
    [ "$ver" = 1.2 ] && suite=$SUITE12 ssuite="($SUITE12|$OSSL12)"
    local args=(--cafile "$PKI/ca.pem" --alpn http/1.1 --ciphers "$suite")
    MARK=$(count "$slog" "^$prefix")
    ERR=""
    rm -f "$c1" "$c2" # a failure shows this line's logs, never the previous line's
    timeout 20 "$PARLEY" client "${args[@]}" --trace --sess-out "$sess" "localhost:$port" >"$c1" 2>&1
    want "$c1" "^hello from ${prefix%% *}.* proto=TLSv$ver cipher=$ssuite $NO.*alpn=http/1.1" "first body"
    want "$c1" "^protocol: TLSv$ver\$" "first protocol"
    want "$c1" "^cipher: $suite\$" "first cipher"
    want "$c1" '^alpn: http/1.1$' "first alpn"
    want "$c1" '^resumed: no$' "first resumed"
    want "$c1" '^verify: ok$' "first verify"
    server_saw "$slog" "$prefix" "proto=TLSv$ver cipher=$ssuite ${NO}alpn=http/1.1" "server's view of the first"
    case $tickets in
    yes) want "$c1" '^C <- S  NewSessionTicket' "a ticket" ;;
    no) wantnot "$c1" 'NewSessionTicket' "no ticket" ;;
    esac
    case $expect in
    resumed | refused)
        [ -s "$sess" ] || ERR+="${ERR:+; }no session saved"
        timeout 20 "$PARLEY" client "${args[@]}" --sess-in "$sess" "localhost:$port" >"$c2" 2>&1
        local r=yes sr=$YES
        [ "$expect" = refused ] && r=no sr=$NO
        want "$c2" "^hello from ${prefix%% *}.* proto=TLSv$ver cipher=$ssuite ${sr}alpn=http/1.1" "second body"
        want "$c2" "^protocol: TLSv$ver\$" "second protocol"
        want "$c2" "^cipher: $suite\$" "second cipher"
        want "$c2" '^alpn: http/1.1$' "second alpn"
        want "$c2" "^resumed: $r\$" "second resumed"
        server_saw "$slog" "$prefix" "proto=TLSv$ver cipher=$ssuite ${sr}alpn=http/1.1" "server's view of the second"
        ;;
    nosession | noems)
        want "$c1" 'no resumable session .*nothing to save' "nothing-to-save note"
        [ -e "$sess" ] && ERR+="${ERR:+; }a session file was written"
        if [ "$expect" = noems ]; then want "$c1" '^extended_master_secret: no$' "no EMS"; else
            want "$c1" '^extended_master_secret: yes$' "EMS"
        fi
        timeout 20 "$PARLEY" client "${args[@]}" --reconnect 1 "localhost:$port" >"$c2" 2>&1
        want "$c2" '^--- reconnect 1$' "a reconnection"
        [ "$(count "$c2" '^resumed: no$')" -eq 2 ] || ERR+="${ERR:+; }the reconnection was not a full handshake"
        server_saw "$slog" "$prefix" "proto=TLSv$ver cipher=$ssuite ${NO}alpn=http/1.1" "server's view of the two connections" 2
        ;;
    esac
    report "$name (TLS $ver, $expect)" "$c1" "$c2" "$slog"
}

# Every peer is started first, all at once, so their start-up times (python3
# and node take a second or more on a loaded machine) overlap; then the lines.
# ---------------------------------------------------------------- start
if have python3 python3; then
    HAVE_PY=1
    take; Y13T=$PORT; take; Y13I=$PORT; take; Y12T=$PORT; take; Y12I=$PORT
    PY=$PEERS/pyserver/server.py
    start_bg "$WORK/py13t.log" python3 "$PY" "$Y13T" "$CERT" "$KEY" 1.3 ticket
    start_bg "$WORK/py13i.log" python3 "$PY" "$Y13I" "$CERT" "$KEY" 1.3 id
    start_bg "$WORK/py12t.log" python3 "$PY" "$Y12T" "$CERT" "$KEY" 1.2 ticket
    start_bg "$WORK/py12i.log" python3 "$PY" "$Y12I" "$CERT" "$KEY" 1.2 id
fi
if have node nodejs; then
    HAVE_NODE=1
    take; D13T=$PORT; take; D12T=$PORT; take; D12I=$PORT; take; D12N=$PORT
    JS=$PEERS/nodeserver/server.js
    start_bg "$WORK/node13t.log" node "$JS" "$D13T" "$CERT" "$KEY" 1.3 ticket
    start_bg "$WORK/node12t.log" node "$JS" "$D12T" "$CERT" "$KEY" 1.2 ticket
    start_bg "$WORK/node12i.log" node "$JS" "$D12I" "$CERT" "$KEY" 1.2 id
    start_bg "$WORK/node12n.log" node "$JS" "$D12N" "$CERT" "$KEY" 1.2 none
fi
if have nginx nginx; then
    HAVE_NGINX=1
    NG=$WORK/nginx
    mkdir -p "$NG"
    take; N13T=$PORT; take; N13C=$PORT; take; N12T=$PORT; take; N12I=$PORT; take; N12N=$PORT
    sed -e "s|@WORK@|$NG|g; s|@CERT@|$CERT|; s|@KEY@|$KEY|; s|@P13TICKET@|$N13T|; s|@P13CACHE@|$N13C|" \
        -e "s|@P12TICKET@|$N12T|; s|@P12ID@|$N12I|; s|@P12NONE@|$N12N|" "$PEERS/nginx/nginx.conf.in" >"$NG/nginx.conf"
    # -e: the error log before the configuration is read (default /var/log/nginx).
    start_bg "$NG/stdout.log" nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log"
fi
if have go golang-go; then
    # Offline, standard library only; the cache lives under the build dir so
    # a second run does not recompile.
    GOBIN_=$BUILD/interop-peers/goserver
    mkdir -p "$BUILD/interop-peers"
    if (cd "$PEERS/goserver" && GOCACHE=$BUILD/interop-peers/gocache GOPATH=$BUILD/interop-peers/gopath \
        GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off timeout 120 go build -o "$GOBIN_" .) >"$WORK/gobuild.log" 2>&1; then
        HAVE_GO=1
        take; G13T=$PORT; take; G13N=$PORT; take; G12T=$PORT
        start_bg "$WORK/go13t.log" "$GOBIN_" -addr "127.0.0.1:$G13T" -cert "$CERT" -key "$KEY" -version 1.3
        start_bg "$WORK/go13n.log" "$GOBIN_" -addr "127.0.0.1:$G13N" -cert "$CERT" -key "$KEY" -version 1.3 -tickets=false
        start_bg "$WORK/go12t.log" "$GOBIN_" -addr "127.0.0.1:$G12T" -cert "$CERT" -key "$KEY" -version 1.2
    else
        bad "go build of the Go server (tests/interop/peers/goserver)"
        cat "$WORK/gobuild.log"
    fi
fi
echo "# peers started (at ${SECONDS}s)"

# ---------------------------------------------------------------- nginx
if [ -n "${HAVE_NGINX:-}" ]; then
    for p in $N13T $N13C $N12T $N12I $N12N; do wait_port "$p" || cat "$NG/error.log"; done
    AL=$NG/access.log
    line "nginx tickets" "$N13T" 1.3 resumed "$AL" "nginx $N13T" yes
    line "nginx stateful tickets (cache, ssl_session_tickets off)" "$N13C" 1.3 resumed "$AL" "nginx $N13C" yes
    line "nginx tickets" "$N12T" 1.2 resumed "$AL" "nginx $N12T" yes
    line "nginx session IDs" "$N12I" 1.2 resumed "$AL" "nginx $N12I" no
    line "nginx no cache, no tickets" "$N12N" 1.2 nosession "$AL" "nginx $N12N" no
fi

# ---------------------------------------------------------------- Go
if [ -n "${HAVE_GO:-}" ]; then
    for f in go13t go13n go12t; do wait_line "$WORK/$f.log" '^ready '; done
    line "Go tickets" "$G13T" 1.3 resumed "$WORK/go13t.log" "go" yes
    line "Go SessionTicketsDisabled" "$G13N" 1.3 nosession "$WORK/go13n.log" "go" no
    # Go 1.19's server has no extended_master_secret: Parley completes the
    # handshake (its default policy) but keeps nothing to resume, although Go
    # sent a ticket (RFC 7627 5.3: no abbreviated handshake without EMS).
    line "Go tickets without EMS" "$G12T" 1.2 noems "$WORK/go12t.log" "go" yes
    ERR=""
    timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --require-ems "localhost:$G12T" >"$WORK/c1.log" 2>&1
    echo "exit: $?" >>"$WORK/c1.log"
    wantnot "$WORK/c1.log" '^protocol: ' "a completed handshake"
    want "$WORK/c1.log" '^exit: 2$' "exit status 2"
    want "$WORK/c1.log" 'server does not support the extended master secret \(RFC 7627\)' "the reason"
    want "$WORK/c1.log" '^alert: sent handshake_failure$' "the alert"
    wait_line "$WORK/go12t.log" 'TLS handshake error.*handshake failure' >/dev/null
    want "$WORK/go12t.log" 'TLS handshake error.*handshake failure' "Go's log of the alert"
    report "Go TLS 1.2 without EMS is refused by --require-ems" "$WORK/c1.log" "$WORK/go12t.log"
fi

# ---------------------------------------------------------------- Node
if [ -n "${HAVE_NODE:-}" ]; then
    for f in node13t node12t node12i node12n; do wait_line "$WORK/$f.log" '^ready '; done
    line "Node ticketKeys" "$D13T" 1.3 resumed "$WORK/node13t.log" "node" yes
    line "Node ticketKeys" "$D12T" 1.2 resumed "$WORK/node12t.log" "node" yes
    line "Node session IDs (newSession/resumeSession)" "$D12I" 1.2 resumed "$WORK/node12i.log" "node" no
    # SSL_OP_NO_TICKET and no session events: the ServerHello still carries a
    # session ID, so a session is saved and offered, and Node does a full handshake.
    line "Node no tickets, no session store" "$D12N" 1.2 refused "$WORK/node12n.log" "node" no
    if has "$WORK/node12i.log" '^resumeSession found$'; then
        ok "Node resumed from its own session store (resumeSession found)"
    else
        bad "Node's resumeSession never found the session"
    fi
fi

# ---------------------------------------------------------------- Python
if [ -n "${HAVE_PY:-}" ]; then
    for f in py13t py13i py12t py12i; do wait_line "$WORK/$f.log" '^ready '; done
    line "Python ssl tickets" "$Y13T" 1.3 resumed "$WORK/py13t.log" "python" yes
    line "Python ssl stateful tickets (OP_NO_TICKET)" "$Y13I" 1.3 resumed "$WORK/py13i.log" "python" yes
    line "Python ssl tickets" "$Y12T" 1.2 resumed "$WORK/py12t.log" "python" yes
    line "Python ssl session IDs (OP_NO_TICKET)" "$Y12I" 1.2 resumed "$WORK/py12i.log" "python" no
fi

echo "# done (at ${SECONDS}s)"
finish
rc=$?
if [ "$rc" -eq 0 ] && [ "${#SKIPPED[@]}" -gt 0 ]; then
    echo "SKIP: missing peers: ${SKIPPED[*]}"
    exit 77
fi
exit "$rc"
