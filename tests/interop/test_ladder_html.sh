#!/usr/bin/env bash
# The handshake as a picture (docs/ladder.md): `parley client --ladder FILE`
# against `parley server --ladder-dir DIR` for TLS 1.3, TLS 1.3 with a
# HelloRetryRequest, TLS 1.2 ECDHE, TLS 1.2 resumed and a failed
# verification. Each page must name the messages that handshake had; each is
# rendered by headless Chromium to PNG, which must be drawn (non-white
# pixels, many colours; red only where an error alert is) with no console
# message (the page's CSP would report any script as one: a page with a
# script added is the negative control). The server writes one page per
# connection, no more than --ladder-max. Skipped (exit 77) without chromium.
source "$(dirname "$0")/lib.sh" "$@"
require_cmds chromium
make_pki
P=$PKI
mkdir -p "$WORK/srv" "$WORK/png"

PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --ladder-dir "$WORK/srv" --ladder-max 3
wait_line "$WORK/s.log" "listening on"
HPORT=$(free_port) # the client key-shares x25519 only; this server takes secp384r1 only: HRR
start_bg "$WORK/h.log" "$PARLEY" server --listen "127.0.0.1:$HPORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --groups secp384r1
wait_line "$WORK/h.log" "listening on"

client() { # client NAME PORT ARGS...: the client's output in $WORK/NAME.out, its page $WORK/NAME.html
    local name=$1 port=$2; shift 2
    "$PARLEY" client --servername localhost --ladder "$WORK/$name.html" "$@" "127.0.0.1:$port" >"$WORK/$name.out" 2>&1
}
client tls13 "$PORT" --cafile "$P/ca.pem" || bad "tls13: client failed"
client hrr "$HPORT" --cafile "$P/ca.pem" --groups x25519:secp384r1 || bad "hrr: client failed"
client tls12 "$PORT" --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/s12" || bad "tls12: client failed"
client tls12-resumed "$PORT" --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/s12" || bad "tls12-resumed: client failed"
# Without the CA (the system store does not know the test CA): unknown_ca.
if client fail "$PORT"; then bad "fail: the client accepted a server it cannot verify"; fi
check "fail: the client refused the chain" "$WORK/fail.out" 'unknown_ca'

PAGES=(tls13 hrr tls12 tls12-resumed fail)
# Start the renderers now (Chromium is slow to start), check the HTML meanwhile.
cp "$WORK/tls13.html" "$WORK/neg.html"
sed -i 's|</body>|<script>document.title="ran"</script></body>|' "$WORK/neg.html"
render() { # render NAME: $WORK/png/NAME.png and the browser's log $WORK/png/NAME.log
    timeout 100 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --user-data-dir="$(mktemp -d "$WORK/chromium.XXXXXX")" --enable-logging=stderr --v=0 \
        --screenshot="$WORK/png/$1.png" --window-size=1200,1800 "file://$WORK/$1.html" >"$WORK/png/$1.log" 2>&1
}
RPIDS=()
for n in "${PAGES[@]}" neg; do
    render "$n" &
    RPIDS+=($!)
    PIDS+=($!)
done

for n in "${PAGES[@]}"; do
    check "$n: self-contained, nothing runs" "$WORK/$n.html" \
        "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"" \
        'Client<small>parley \(this side\)</small>'
    if grep -Eqi '<script|<link|<img|src=' "$WORK/$n.html"; then bad "$n: the page has a script, link or source"; fi
done
check "tls13: the messages, keys and certificates" "$WORK/tls13.html" \
    'step message c2s"><div class="label">ClientHello' 'step message s2c"><div class="label">ServerHello' \
    '>EncryptedExtensions' '>CertificateVerify' 'signature_scheme: ecdsa_secp256r1_sha256' \
    'step message s2c"><div class="label">Finished' 'step message c2s"><div class="label">Finished' \
    'key_share: x25519 \(32 bytes\)' 'subject: /CN=localhost' 'valid: 20[0-9-]+ [0-9:]+ UTC \.\. ' \
    'step keys ours-c.*handshake traffic keys installed' 'server application traffic \(read\)' \
    'client application traffic \(write\)' '<th>protocol</th><td>TLSv1.3</td>' '<th>HelloRetryRequest</th><td>no</td>' \
    'class="okay">handshake complete'
check "hrr: the retry drawn as such" "$WORK/hrr.html" \
    'step hrr s2c"><div class="label">HelloRetryRequest' 'selected_group: secp384r1' \
    'step info hrr"><div class="label">HelloRetryRequest' 'key_share: secp384r1 \(97 bytes\)' \
    '<th>HelloRetryRequest</th><td>yes</td>' '<th>group</th><td>secp384r1</td>' 'class="okay">handshake complete'
[ "$(grep -o '<div class="label">ClientHello' "$WORK/hrr.html" | wc -l)" -eq 2 ] && ok "hrr: two ClientHellos" ||
    bad "hrr: not two ClientHellos"
check "tls12: ECDHE, the master secret, the CCS switches, the RFC 5077 ticket" "$WORK/tls12.html" \
    '>ServerKeyExchange' 'curve: x25519' '>ClientKeyExchange' 'step keys ours-c.*master secret derived' \
    'client random: [0-9a-f]{64}' 'server random: [0-9a-f]{64}' 'key exchange: ECDHE x25519 \(premaster 32 bytes\)' \
    'step record c2s"><div class="label"><svg class="key".*ChangeCipherSpec' 'write keys switched' 'read keys switched' \
    '>NewSessionTicket' 'lifetime_hint: [0-9]+ s' 'subject: /CN=localhost' '<th>protocol</th><td>TLSv1.2</td>' \
    '<th>resumed</th><td>no</td>'
if grep -q '(malformed)' "$WORK/tls12.html"; then bad "tls12: a message shown as malformed"; fi
check "tls12-resumed: the abbreviated handshake" "$WORK/tls12-resumed.html" \
    'step info resumption"><div class="label">session resumed' '<th>resumed</th><td>yes</td>' \
    'read keys switched' 'write keys switched' 'class="okay">handshake complete'
if grep -Eq '>(Certificate|ServerKeyExchange|ClientKeyExchange)<' "$WORK/tls12-resumed.html"; then
    bad "tls12-resumed: a full handshake's message on an abbreviated one"
fi
check "fail: the alert in red, the outcome a failure" "$WORK/fail.html" \
    'step alert c2s"><div class="label">Alert' 'description: unknown_ca' 'class="bad">failed: unknown_ca \(alert sent\)'
for n in tls13 hrr tls12 tls12-resumed; do
    if grep -q 'step alert ' "$WORK/$n.html"; then bad "$n: an error alert on a good handshake"; fi
done

# The server: one page per connection, the 4 on the first server cut at 3.
for _ in $(seq 1 100); do
    [ "$(ls "$WORK/srv" | wc -l)" -ge 3 ] && grep -q 'ladder-max 3 pages written' "$WORK/s.log" && break
    sleep 0.1
done
[ "$(ls "$WORK/srv" | grep -Ec '^ladder-[0-9]+-[0-9]{6}\.html$')" -eq 3 ] && ok "server: 3 pages for 4 connections (--ladder-max 3)" ||
    bad "server: $(ls "$WORK/srv" | wc -l) pages, not 3: $(ls "$WORK/srv")"
check "server: said it stopped writing" "$WORK/s.log" 'ladder-max 3 pages written'
for f in "$WORK"/srv/*.html; do
    check "server page $(basename "$f")" "$f" 'Server<small>parley \(this side\)</small>' \
        'step message c2s"><div class="label">ClientHello' 'step message s2c"><div class="label">ServerHello' \
        'step keys ours-s|keys switched'
done

for p in "${RPIDS[@]}"; do wait "$p"; done
PNGS=()
for n in "${PAGES[@]}"; do PNGS+=("$WORK/png/$n.png"); done
python3 "$HERE/png_stats.py" "${PNGS[@]}" >"$WORK/png/stats" || bad "png_stats failed"
cat "$WORK/png/stats"
for n in "${PAGES[@]}"; do
    line=$(grep "/$n.png " "$WORK/png/stats")
    nonwhite=$(sed -n 's/.*nonwhite=\([0-9]*\).*/\1/p' <<<"$line")
    colours=$(sed -n 's/.*colours=\([0-9]*\).*/\1/p' <<<"$line")
    red=$(sed -n 's/.*red=\([0-9]*\).*/\1/p' <<<"$line")
    if [ "${nonwhite:-0}" -gt 100000 ] && [ "${colours:-0}" -gt 100 ]; then ok "$n: rendered ($nonwhite pixels drawn, $colours colours)"
    else bad "$n: blank or nearly ($line)"; fi
    # Red: the alert's arrow and box; otherwise only the legend's swatch (72 pixels).
    if [ "$n" = fail ]; then
        [ "${red:-0}" -gt 1000 ] && ok "fail: red drawn ($red pixels)" || bad "fail: no red alert ($line)"
    else
        [ "${red:-0}" -lt 300 ] && ok "$n: no red ($red pixels)" || bad "$n: red without an error alert ($line)"
    fi
    if grep -q ':CONSOLE' "$WORK/png/$n.log"; then bad "$n: console messages"; grep ':CONSOLE' "$WORK/png/$n.log"
    else ok "$n: no console message"; fi
done
# Negative control: a script added to a page is refused, and the log says so.
check "negative control: a script in the page is refused and logged" "$WORK/png/neg.log" ':CONSOLE.*Content Security Policy'
# A name planted in --ladder-dir (pages have predictable names) is never
# opened: a FIFO at the first connection's name neither blocks that
# connection's thread nor gets written, and the next connection's page is.
mkdir -p "$WORK/trap"
TPORT=$(free_port)
start_bg "$WORK/t.log" "$PARLEY" server --listen "127.0.0.1:$TPORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --ladder-dir "$WORK/trap"
TPID=$LAST_PID
wait_line "$WORK/t.log" "listening on"
mkfifo "$WORK/trap/ladder-$TPID-000001.html"
for i in 1 2; do
    timeout 20 "$PARLEY" client --servername localhost --cafile "$P/ca.pem" "127.0.0.1:$TPORT" >"$WORK/t$i.out" 2>&1 ||
        bad "planted FIFO: client $i failed"
done
wait_line "$WORK/t.log" "cannot write the ladder .*000001.html: File exists" >/dev/null
check "planted FIFO: not opened, said why" "$WORK/t.log" "cannot write the ladder .*ladder-$TPID-000001.html: File exists"
for _ in $(seq 1 50); do [ -s "$WORK/trap/ladder-$TPID-000002.html" ] && break; sleep 0.1; done
[ -p "$WORK/trap/ladder-$TPID-000001.html" ] && [ -s "$WORK/trap/ladder-$TPID-000002.html" ] &&
    ok "planted FIFO: left alone, the next connection's page written" || bad "planted FIFO: $(ls -l "$WORK/trap")"
finish
