# shellcheck shell=bash
# real_clients.sh - the real-client matrix, sourced by test_real_clients*.sh
# after lib.sh. Each client fetches a page through an adapter that prints, per
# connection, what the client itself reports:
#   connN version=TLSv1.x cipher=NAME alpn=PROTO|none reused=yes|no
#   bodyN <a line of the response>
# and `row` checks that against the server's (or proxy's) own log for the same
# connections: body, version, cipher (mapped to IANA names), ALPN, resumption
# and, for HRR rows, the HelloRetryRequest in the server's --trace.

SKIPPED=0
BUILD=$(cd "${2:-$WORK}" 2>/dev/null && pwd) || BUILD=$WORK # absolute: GOPATH/GOCACHE must be

# iana VERSION NAME: a client's cipher name (OpenSSL's or GnuTLS's) as the
# IANA name Parley logs. TLS 1.3 names are the same in OpenSSL; the TLS 1.2
# ones here are the ECDHE_ECDSA suites (the matrix serves a P-256 certificate).
iana() {
    case "$2" in
    TLS_*) echo "$2" ;;
    ECDHE-ECDSA-AES128-GCM-SHA256) echo TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ;;
    ECDHE-ECDSA-AES256-GCM-SHA384) echo TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ;;
    ECDHE-ECDSA-CHACHA20-POLY1305) echo TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 ;;
    AES-128-GCM) [ "$1" = TLSv1.3 ] && echo TLS_AES_128_GCM_SHA256 || echo TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ;;
    AES-256-GCM) [ "$1" = TLSv1.3 ] && echo TLS_AES_256_GCM_SHA384 || echo TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ;;
    CHACHA20-POLY1305) [ "$1" = TLSv1.3 ] && echo TLS_CHACHA20_POLY1305_SHA256 ||
        echo TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 ;;
    *) echo "unknown:$2" ;;
    esac
}

# small_pki: a CA and one P-256 localhost certificate (make_pki's seven keys
# cost seconds on a loaded machine; the matrix needs one).
small_pki() {
    PKI=$WORK/pki
    mkdir -p "$PKI"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.pem" \
        -days 30 -subj "/CN=Parley Test CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/ec256.key" -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "extendedKeyUsage=serverAuth" 2>/dev/null |
        openssl x509 -req -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 -copy_extensions copy \
            -out "$PKI/ec256.pem" 2>/dev/null || { echo "could not make the certificates"; exit 1; }
}

# start_peers: the PKI, the HTTP backend, and four Parley endpoints, all with
# ALPN http/1.1 only: a server and a proxy with default groups, and a server
# and a proxy that accept only secp384r1 (no client here key-shares it first,
# so every TLS 1.3 handshake gets a HelloRetryRequest, RFC 8446 4.1.4), with
# --trace so the HelloRetryRequest itself is seen on the server side.
start_peers() {
    small_pki
    # Six free ports from one python3 (free_port starts one per port: seconds
    # of CPU on a loaded machine); the sixth is the negative controls' server.
    read -r BPORT SPORT PPORT HSPORT HPPORT CPORT_FREE < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
    start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
    local common=(--cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --alpn http/1.1)
    start_bg "$WORK/server.log" "$PARLEY" server --listen "127.0.0.1:$SPORT" "${common[@]}"
    start_bg "$WORK/proxy.log" "$PARLEY" proxy --listen "127.0.0.1:$PPORT" --backend "127.0.0.1:$BPORT" "${common[@]}"
    start_bg "$WORK/hserver.log" "$PARLEY" server --listen "127.0.0.1:$HSPORT" "${common[@]}" --groups secp384r1 --trace
    start_bg "$WORK/hproxy.log" "$PARLEY" proxy --listen "127.0.0.1:$HPPORT" --backend "127.0.0.1:$BPORT" \
        "${common[@]}" --groups secp384r1 --trace
    # Up to 20 s each (lib.sh's wait_port gives 5): on a loaded machine the
    # python3 backend alone has taken longer than that to start.
    local p i
    for p in "$BPORT" "$SPORT" "$PPORT" "$HSPORT" "$HPPORT"; do
        for i in $(seq 1 400); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
        [ "$i" -lt 400 ] || { echo "port $p never opened"; cat "$WORK"/*.log; exit 1; }
    done
}

# have CLIENT CMD: is the client's program installed? Otherwise one skip line
# (exit 77 at the end: the package is missing, see finish_matrix).
# REAL_CLIENTS="go node" (a developer's shortcut) runs only those clients.
have() {
    case " ${REAL_CLIENTS:-$1} " in *" $1 "*) ;; *) return 1 ;; esac
    command -v "$2" >/dev/null 2>&1 && return 0
    echo "skip - $1 client: '$2' not installed"
    SKIPPED=$((SKIPPED + 1))
    return 1
}

# ---- adapters: adapter_NAME PORT VER(1.2|1.3) PATH > normalized lines ----

# curl: two URLs in one process; curl keeps the first session and offers it on
# the second connection. Its -v says "SSL re-using session ID" when it offers
# the session; whether the server took it, curl does not say (the server's
# log is the evidence). "Connection: close": a new TLS connection per URL.
adapter_curl() {
    local tls=(--tlsv1.2 --tls-max 1.2)
    [ "$2" = 1.3 ] && tls=(--tlsv1.3 --tls-max 1.3)
    timeout 20 curl -sv --http1.1 "${tls[@]}" --cacert "$PKI/ca.pem" -H 'Connection: close' \
        -o "$WORK/curl.1" -o "$WORK/curl.2" "https://localhost:$1$3" "https://localhost:$1$3" 2>"$WORK/curl.err"
    awk '
        function out() { if (n) printf "conn%d version=%s cipher=%s alpn=%s reused=%s\n", n, v, c, a, r }
        /^\* Connected to/ { out(); n++; v = "none"; c = "none"; a = "none"; r = "no" }
        /^\* SSL connection using/ { v = $5; c = $7 }
        /^\* ALPN.*accepted/ { a = $NF }
        /^\* SSL re-using session ID/ { r = "yes" }
        END { out() }' "$WORK/curl.err"
    sed 's/^/body1 /' "$WORK/curl.1" 2>/dev/null
    sed 's/^/body2 /' "$WORK/curl.2" 2>/dev/null
}

# openssl s_client: output of one s_client run as connN lines from number $2.
sclient_lines() {
    awk -v n="$2" '
        function out() { if (v != "") printf "conn%d version=%s cipher=%s alpn=%s reused=%s\n", n++, v, c, a, r; v = "" }
        /^(New|Reused), TLSv/ { out(); r = ($1 == "Reused,") ? "yes" : "no"; v = $2; sub(",", "", v); c = $5; a = "none" }
        /^ALPN protocol:/ { a = $3 }
        /^(Hello from parley|hello from backend|protocol:|cipher:|resumed:|alpn:)/ { print "body" n " " $0 }
        END { out() }' "$1"
}
# TLS 1.2: -reconnect (one process; it connects six times, each offering the
# first session). TLS 1.3: -reconnect drops each connection before reading the
# NewSessionTicket, so s_client never resumes that way; the session goes
# through -sess_out/-sess_in to a second s_client process instead.
adapter_openssl() {
    local req='GET '"$3"' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    local o=(-connect "127.0.0.1:$1" -servername localhost -CAfile "$PKI/ca.pem" -verify_return_error -alpn http/1.1 -ign_eof)
    if [ "$2" = 1.2 ]; then
        printf '%b' "$req" | timeout 20 openssl s_client "${o[@]}" -tls1_2 -reconnect >"$WORK/o.1" 2>&1
        sclient_lines "$WORK/o.1" 1
    else
        rm -f "$WORK/o.sess"
        printf '%b' "$req" | timeout 20 openssl s_client "${o[@]}" -tls1_3 -sess_out "$WORK/o.sess" >"$WORK/o.1" 2>&1
        printf '%b' "$req" | timeout 20 openssl s_client "${o[@]}" -tls1_3 -sess_in "$WORK/o.sess" >"$WORK/o.2" 2>&1
        sclient_lines "$WORK/o.1" 1
        sclient_lines "$WORK/o.2" 2
    fi
}

# gnutls-cli --resume: one process; it completes a handshake, disconnects,
# connects again offering the session and only then sends stdin (the page is
# in the second connection). It says "*** This is a resumed session".
adapter_gnutls() {
    local v=VERS-TLS1.2
    [ "$2" = 1.3 ] && v=VERS-TLS1.3
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$3" |
        timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$1" --resume --alpn http/1.1 \
            --priority "NORMAL:-VERS-ALL:+$v" localhost >"$WORK/g.out" 2>&1
    awk '
        function out() { if (d != "") printf "conn%d version=%s cipher=%s alpn=%s reused=%s\n", n, v, c, a, r; d = "" }
        /^- Description: / { out(); n++; d = $3; v = d; sub(/^\(/, "", v); sub(/-.*/, "", v); sub(/^TLS/, "TLSv", v)
                             c = d; sub(/.*\(/, "", c); sub(/\).*/, "", c); a = "none"; r = "no" }
        /^- Application protocol:/ { a = $4 }
        /^\*\*\* This is a resumed session/ { r = "yes" }
        /^(Hello from parley|hello from backend|protocol:|cipher:|resumed:|alpn:)/ { print "body" n " " $0 }
        END { out() }' "$WORK/g.out"
}

adapter_python() { timeout 20 python3 "$HERE/peers/pyclient.py" "$1" "$PKI/ca.pem" "$2" "$3"; }
adapter_node() { timeout 20 node "$HERE/peers/nodeclient.js" "$1" "$PKI/ca.pem" "$2" "$3"; }
adapter_go() { timeout 20 "$GOCLIENT" "$1" "$PKI/ca.pem" "$2" "$3"; }

# build_goclient: Go's client, built offline from the standard library only,
# into the build dir (its cache too, so a rerun builds nothing).
build_goclient() {
    local d=$BUILD/goclient
    mkdir -p "$d"
    GOCLIENT=$d/goclient
    (cd "$HERE/peers/goclient" && GOCACHE=$d/cache GOPATH=$d/gopath GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
        GOPROXY=off go build -o "$GOCLIENT" .) >"$WORK/gobuild.log" 2>&1
}

# ---- the checks ----

# server_side LOG: the summary lines of the connections in LOG, one per line:
# "version cipher resumed(yes|no) alpn ems". parley server writes
#   parley: [N] PEER: TLSv1.3 SUITE GROUP|resumed sni=.. alpn=.. ems=..
# and parley proxy
#   parley proxy: client=PEER sni=.. version=.. cipher=.. resumed=.. alpn=.. ...
server_side() {
    grep -aE '^parley: \[[0-9]+\] [^ ]+ TLSv|^parley proxy: client=' "$1" | awk '
        /^parley proxy:/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                           print f["version"], f["cipher"], f["resumed"], f["alpn"], "-"; next }
        { al = "none"; em = "-"
          for (i = 7; i <= NF; i++) { if ($i ~ /^alpn=/) al = substr($i, 6); if ($i ~ /^ems=/) em = substr($i, 5) }
          print $4, $5, ($6 == "resumed") ? "yes" : "no", al, em }'
}
# wait_lines LOG N0 N: until LOG has N summary or failure lines after line N0
# (the proxy logs a connection when it ends, a moment after the client's EOF).
wait_lines() {
    for _ in $(seq 1 200); do
        [ "$(tail -n +"$(($2 + 1))" "$1" | grep -acE '^parley: \[[0-9]+\] [^ ]+ (TLSv|handshake failed)|^parley proxy: client=')" -ge "$3" ] &&
            return 0
        sleep 0.05
    done
}

# row_verdict TEXT: the row passes with TEXT when the caller's errs is
# empty; otherwise it fails naming them, with the tails of the caller's client
# output ($out) and the $role's log segment ($seg).
row_verdict() {
    if [ ${#errs[@]} -eq 0 ]; then
        ok "$1"
    else
        bad "$name: ${errs[*]}"
        echo "---- client"; tail -n 30 "$out"; echo "---- $role"; grep -av '^\[' "$seg" | tail -n 10; echo "----"
    fi
}

# row CLIENT ROLE VER HRR RESUME [WHY]: one row of the matrix.
#   ROLE server|proxy, VER 1.2|1.3, HRR yes|no, RESUME yes|no (no: every
#   connection must be a full handshake, and WHY is printed with the row).
row() {
    local client=$1 role=$2 ver=$3 hrr=$4 resume=$5 why=${6:-}
    local port log path errs=()
    local name="$client client -> $role TLS$ver" want=TLSv$ver
    [ "$hrr" = yes ] && name="$name HRR"
    case "$role$hrr" in
    serverno) port=$SPORT log=$WORK/server.log ;;
    proxyno) port=$PPORT log=$WORK/proxy.log ;;
    serveryes) port=$HSPORT log=$WORK/hserver.log ;;
    proxyyes) port=$HPPORT log=$WORK/hproxy.log ;;
    esac
    # A negative control points a row at another endpoint (control_row).
    port=${ROW_PORT:-$port} log=${ROW_LOG:-$log}
    path=/$client-$role-$ver-$hrr
    local n0 out=$WORK/row.out seg=$WORK/row.seg
    n0=$(wc -l <"$log")
    "adapter_$client" "$port" "$ver" "$path" >"$out" 2>&1
    local nconn; nconn=$(grep -c '^conn[0-9]* version=' "$out")
    wait_lines "$log" "$n0" "$nconn"
    tail -n +"$((n0 + 1))" "$log" >"$seg"
    server_side "$seg" >"$seg.sv"
    grep '^conn[0-9]* version=' "$out" | sed 's/^conn[0-9]* //; s/[a-z]*=//g' >"$seg.cl"

    # Body: the page came through this row's endpoint (the proxy's backend
    # echoes the row's own path; the server's page states the version).
    if [ "$role" = server ]; then
        grep -Eq '^body[0-9]+ Hello from parley' "$out" && grep -Eq "^body[0-9]+ protocol: $want\$" "$out" ||
            errs+=("no page from parley server saying protocol: $want")
    else
        grep -Eq "^body[0-9]+ hello from backend $path\$" "$out" || errs+=("no body 'hello from backend $path'")
    fi
    [ "$nconn" -ge 2 ] || errs+=("$nconn connections reported by the client, want 2 or more")
    [ "$(wc -l <"$seg.sv")" -eq "$nconn" ] || errs+=("client reports $nconn connections, $role logged $(wc -l <"$seg.sv")")
    local i=0 cv cc ca cr sv sc sr sa se suite="" res_note=""
    while read -r cv cc ca cr && read -r sv sc sr sa se <&3; do
        i=$((i + 1))
        [ "$cv" = "$want" ] || errs+=("conn$i: client says $cv")
        [ "$sv" = "$want" ] || errs+=("conn$i: $role says $sv")
        [ "$(iana "$cv" "$cc")" = "$sc" ] || errs+=("conn$i: client cipher $cc, $role cipher $sc")
        suite=$sc
        [ "$ca" = http/1.1 ] || errs+=("conn$i: client ALPN $ca")
        [ "$sa" = http/1.1 ] || errs+=("conn$i: $role ALPN $sa")
        if [ $i -eq 1 ] || [ "$resume" = no ]; then
            [ "$cr" = no ] || errs+=("conn$i: client says reused")
            [ "$sr" = no ] || errs+=("conn$i: $role says resumed")
            # The reason given for a full handshake is checked where the log shows it.
            case "$why" in *extended_master_secret*)
                [ $i -eq 1 ] || [ "$se" != yes ] || errs+=("conn$i: $role logged ems=yes, yet WHY says none") ;;
            esac
        else
            [ "$cr" = yes ] || errs+=("conn$i: client did not reuse the session")
            [ "$sr" = yes ] || errs+=("conn$i: $role did not resume")
        fi
    done <"$seg.cl" 3<"$seg.sv"
    if [ "$hrr" = yes ]; then
        local nh; nh=$(grep -ac 'C <- S  HelloRetryRequest' "$seg")
        [ "$nh" -eq "$nconn" ] || errs+=("$nh HelloRetryRequests in the $role's trace for $nconn connections")
    fi
    if [ "$resume" = yes ]; then res_note="resumed"; else res_note="full handshake again ($why)"; fi
    row_verdict "$name: body, $want, $suite, alpn http/1.1, $res_note"
}

# finish_matrix: the counts; a missing client package makes the test a skip
# (77) unless something failed.
finish_matrix() {
    echo "$PASS passed, $FAIL failed, $SKIPPED clients skipped"
    [ "$FAIL" -eq 0 ] || exit 1
    [ "$SKIPPED" -eq 0 ] || exit 77
    exit 0
}

# go_minor / go_patch: of `go version` (go1.19.8 -> 19 8).
go_vers() { go version | sed -nE 's/.*go1\.([0-9]+)(\.([0-9]+))?.*/\1 \3/p'; }

# row_go_binder ROLE: Go 1.19.6-1.19.8 and 1.20.1-1.20.3 compute the PSK
# binder of the second ClientHello after a HelloRetryRequest over the wrong
# transcript (golang/go#59424; RFC 8446 4.2.11.2 wants message_hash(CH1), HRR,
# truncated CH2). Parley must refuse it (RFC 8446 4.2.11: the server MUST
# validate the binder; 6.2: decrypt_error): the first connection completes
# after its HRR, the second, offering the ticket, ends with decrypt_error
# on both sides. Python, Node.js, OpenSSL and GnuTLS resume through the same
# HRR in their rows: the binder Parley checks is the RFC's.
row_go_binder() {
    local role=$1
    local port log errs=() name="go client -> $role TLS1.3 HRR"
    if [ "$role" = server ]; then port=$HSPORT log=$WORK/hserver.log; else port=$HPPORT log=$WORK/hproxy.log; fi
    local n0 out=$WORK/row.out seg=$WORK/row.seg path=/go-$role-binder
    n0=$(wc -l <"$log")
    adapter_go "$port" 1.3 "$path" >"$out" 2>&1
    wait_lines "$log" "$n0" 2
    tail -n +"$((n0 + 1))" "$log" >"$seg"
    grep -Eq '^conn1 version=TLSv1.3 cipher=TLS_[A-Z0-9_]+ alpn=http/1.1 reused=no$' "$out" ||
        errs+=("the first connection did not complete")
    if [ "$role" = server ]; then
        grep -Eq '^body1 Hello from parley' "$out" || errs+=("no page on the first connection")
    else
        grep -Eq "^body1 hello from backend $path\$" "$out" || errs+=("no body on the first connection")
    fi
    grep -q '^conn2 error .*error decrypting message' "$out" || errs+=("Go did not report decrypt_error on the second")
    [ "$(grep -ac 'C <- S  HelloRetryRequest' "$seg")" -eq 2 ] || errs+=("not two HelloRetryRequests in the trace")
    [ "$(server_side "$seg" | grep -c '^TLSv1.3 TLS_[A-Z0-9_]* no ')" -eq 1 ] ||
        errs+=("the $role did not log exactly one full TLS 1.3 handshake")
    # parley server names the alert; the proxy's line has the reason only.
    local refusal='handshake failed: the PSK binder does not verify \(alert sent: decrypt_error\)'
    [ "$role" = proxy ] && refusal='version=- .* result=the PSK binder does not verify'
    grep -aEq "$refusal" "$seg" || errs+=("the $role did not log the binder refusal")
    row_verdict "$name: first connection body, TLSv1.3, HRR; second refused: decrypt_error, PSK binder does not verify (Go 1.$(go_vers | tr ' ' .) binder after HRR, golang/go#59424)"
}

# control_row WHAT REGEX ROW-ARGS...: a negative control. The row runs against
# the control server (TLS 1.3/1.2 with --trace, default groups so no HRR, no
# tickets and no session cache so nothing resumes); it must FAIL, naming
# REGEX. Shows that the resumption and HRR checks catch a missing one.
control_row() {
    local what=$1 re=$2; shift 2
    if [ -z "${CPORT:-}" ]; then
        CPORT=$CPORT_FREE
        start_bg "$WORK/control.log" "$PARLEY" server --listen "127.0.0.1:$CPORT" --cert "$PKI/ec256.pem" \
            --key "$PKI/ec256.key" --alpn http/1.1 --no-tickets --session-cache none --trace
        wait_port "$CPORT" || exit 1
    fi
    (ROW_PORT=$CPORT ROW_LOG=$WORK/control.log row "$@") >"$WORK/control.out" 2>&1
    if grep -q '^FAIL - ' "$WORK/control.out" && grep -Eq -- "$re" "$WORK/control.out"; then
        ok "negative control: $what is caught ($(grep -Eo -- "$re" "$WORK/control.out" | head -1))"
    else
        bad "negative control: $what passed unnoticed"; cat "$WORK/control.out"
    fi
}
