#!/usr/bin/env bash
# Headless Chromium, driven through chromedriver (W3C WebDriver,
# webdriver_load.py), as a real browser client of `parley server` (TLS 1.3)
# and of `parley proxy` pinned to TLS 1.2 in front of backend_http.py. The
# browser trusts the leaf by its SPKI hash (--ignore-certificate-errors-spki-list,
# nothing else ignored) and reaches the test name parley.test through
# --host-resolver-rules. Each browser loads two pages in one session: the
# first is a full handshake, the second a new connection that resumes it.
# Evidence from three sides: the page text from the browser's DOM, the
# browser's own net log (netlog_tls.py: version, resumed, ALPN per page), and
# the server's or proxy's log line. A negative control, a third server with
# another key for the same name, must not get its page shown. Skipped (exit 77) when chromium or chromedriver is
# not installed.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds chromium chromedriver
make_pki
P=$PKI
HOST=parley.test # only the browser's resolver knows it: the SNI proves the mapping
sign "$(ca_dir main)" "$P/ca.pem" "$P/ca.key" web "$HOST" leaf "DNS:$HOST"
spki_hash() { # base64(SHA-256(SubjectPublicKeyInfo)), the form the switch takes
    openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
}
SPKI=$(spki_hash "$P/web.pem")
# The same name under another key: not pinned, so never trusted.
sign "$(ca_dir other)" "$P/ca.pem" "$P/ca.key" other "$HOST" leaf "DNS:$HOST"

# browse NAME SPKI URL...: the URLs in one browser; page N's DOM text in
# $WORK/NAME.N, the net log summary in $WORK/NAME.tls
browse() {
    local name=$1 pin=$2; shift 2
    timeout 90 python3 "$HERE/webdriver_load.py" --out "$WORK/$name" \
        --arg="--ignore-certificate-errors-spki-list=$pin" --arg="--user-data-dir=$WORK/$name.profile" \
        --arg="--host-resolver-rules=MAP $HOST 127.0.0.1, MAP * ~NOTFOUND" \
        --arg="--log-net-log=$WORK/$name.netlog.json" "$@" >"$WORK/$name.log" 2>&1 ||
        { bad "$name: the browser did not run"; cat "$WORK/$name.log" "$WORK/$name.chromedriver.log"; return 1; }
    cat "$WORK/$name.log"
    python3 "$HERE/netlog_tls.py" "$WORK/$name.netlog.json" "$HOST" >"$WORK/$name.tls" 2>&1
    cat "$WORK/$name.tls" # every request's connection, favicons too: the log of a failure shows why
}

# Two peers, both with the parley.test leaf:
# - parley server, TLS 1.3. It answers with `Connection: close`, so the
#   second page needs a new connection; the page names what the server saw.
# - parley proxy pinned to TLS 1.2 (resumption by ticket or session id) in
#   front of backend_http.py --close, which answers every GET with
#   `Connection: close`; the proxy then sends close_notify, so again each
#   page is a new connection.
SPORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$SPORT" --cert "$P/web.pem" --key "$P/web.key" --alpn http/1.1
BPORT=$(free_port)
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT" --close
PPORT=$(free_port)
start_bg "$WORK/px.log" "$PARLEY" proxy --listen "127.0.0.1:$PPORT" --backend "127.0.0.1:$BPORT" --cert "$P/web.pem" \
    --key "$P/web.key" --alpn http/1.1 --tls1.2
PX_PID=$LAST_PID
# The negative control: a third peer whose leaf the browser has no pin for.
OPORT=$(free_port)
start_bg "$WORK/o.log" "$PARLEY" server --listen "127.0.0.1:$OPORT" --cert "$P/other.pem" --key "$P/other.key" --alpn http/1.1
wait_line "$WORK/s.log" "listening on"
wait_line "$WORK/o.log" "listening on"
wait_port "$BPORT"
wait_port "$PPORT"

# One browser for all three (Chromium keeps its sessions per host and port,
# so the peers' sessions do not mix); the unpinned peer comes last, after
# the pages that must load.
S="https://$HOST:$SPORT" X="https://$HOST:$PPORT" O="https://$HOST:$OPORT"
if browse web "$SPKI" "$S/first" "$S/second" "$X/first" "$X/second" "$O/first"; then
    check "server, page 1 (DOM): TLS 1.3, ALPN http/1.1, SNI $HOST, full handshake" "$WORK/web.1" '^Hello from parley' \
        '^protocol: TLSv1.3$' '^alpn: http/1.1$' "^sni: $HOST$" '^resumed: no$'
    check "server, page 2 (DOM), same browser: resumed" "$WORK/web.2" '^Hello from parley' '^protocol: TLSv1.3$' \
        '^alpn: http/1.1$' '^resumed: yes$'
    check "server, chromium net log: page 1 full, page 2 resumed, TLS 1.3, http/1.1" "$WORK/web.tls" \
        "^url=$S/first socket=[0-9]+ version=TLS 1.3 cipher=0x13[0-9a-f]{2} resumed=no alpn=http/1.1$" \
        "^url=$S/second socket=[0-9]+ version=TLS 1.3 cipher=0x13[0-9a-f]{2} resumed=yes alpn=http/1.1$"
    check "proxy, page 1 (DOM)" "$WORK/web.3" '^hello from backend /first$'
    check "proxy, page 2 (DOM)" "$WORK/web.4" '^hello from backend /second$'
    check "proxy, chromium net log: TLS 1.2 with http/1.1, page 2 resumed" "$WORK/web.tls" \
        "^url=$X/first socket=[0-9]+ version=TLS 1.2 cipher=0xc0[0-9a-f]{2} resumed=no alpn=http/1.1$" \
        "^url=$X/second socket=[0-9]+ version=TLS 1.2 cipher=0xc0[0-9a-f]{2} resumed=yes alpn=http/1.1$"
    # Negative control: the pin, not a blanket exception, let the pages in.
    if grep -q 'Hello from parley' "$WORK/web.5"; then bad "a leaf without a pin: chromium still showed the page"
    else check "a leaf without a pin: an error page, not the server's" "$WORK/web.5.url" '^chrome-error://'; fi
    check "a leaf without a pin: chromium net log says the certificate failed" "$WORK/web.tls" \
        "^url=$O/first socket=[0-9]+ net_error=-202$"
fi
sleep 0.3 # the log lines of the last connections
check "parley server log: full and resumed handshakes with http/1.1" "$WORK/s.log" \
    "TLSv1.3 TLS_[A-Z0-9_]+ [a-z0-9]+ sni=$HOST alpn=http/1.1 ems=yes" \
    "TLSv1.3 TLS_[A-Z0-9_]+ resumed sni=$HOST alpn=http/1.1 ems=yes"
# The proxy's line has no ALPN field; the browser's net log says it above.
check "parley proxy log: TLS 1.2 full and resumed" "$WORK/px.log" \
    "sni=$HOST version=TLSv1.2 cipher=TLS_ECDHE_ECDSA_[A-Z0-9_]+ resumed=no alpn=http/1.1 .*result=ok" \
    "sni=$HOST version=TLSv1.2 cipher=TLS_ECDHE_ECDSA_[A-Z0-9_]+ resumed=yes alpn=http/1.1 .*result=ok"
stop_bg "$PX_PID"

finish
