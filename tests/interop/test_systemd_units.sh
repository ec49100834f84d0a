#!/usr/bin/env bash
# The systemd units and configs under contrib/ (docs/deploy.md): the units
# pass `systemd-analyze verify` with nothing to say and `systemd-analyze
# security` rates them OK; sysusers.d and tmpfiles.d make the users and
# /etc/parley in a scratch root; the example configs, with their paths and
# ports moved to a scratch directory, run for real: Redis with
# parley-redis/redis.conf (noeviction), the proxy with proxy.conf (sessions land in that
# Redis, --status answers), the unit's ExecReload line reloads every worker,
# and the key server with keyserver.conf.
source "$(dirname "$0")/lib.sh" "$@"
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${2:-$(dirname "$PARLEY")}" && pwd)
# An ExecStart path must be absolute.
PARLEY=$(cd "$(dirname "$PARLEY")" && pwd)/$(basename "$PARLEY")
UNITS=$SRC/contrib/systemd
require_cmds systemd-analyze # package systemd
REDIS=$(command -v redis-server || true)

# --- verify: copies whose ExecStart names binaries that exist here --------
# (verify refuses a unit whose ExecStart is missing). Documentation=man:parley(1)
# must resolve too: the built page goes on a MANPATH of its own.
mkdir -p "$WORK/units" "$WORK/man/man1"
cp "$BUILD/parley.1" "$WORK/man/man1/" 2>/dev/null || bad "no $BUILD/parley.1 (the man page is built with the program)"
for u in "$UNITS"/*.service; do
    sed -e "s|/usr/local/bin/parley|$PARLEY|g" -e "s|/usr/bin/redis-server|${REDIS:-/usr/bin/redis-server}|g" \
        "$u" >"$WORK/units/$(basename "$u")"
done
verify() { # verify DIR: systemd-analyze verify every unit in DIR; output in $WORK/verify.out
    (cd "$1" && MANPATH=$WORK/man: SYSTEMD_UNIT_PATH=$1: systemd-analyze verify ./*.service) >"$WORK/verify.out" 2>&1
}
if verify "$WORK/units" && [ ! -s "$WORK/verify.out" ]; then
    ok "systemd-analyze verify: $(ls "$WORK/units" | tr '\n' ' ')without a word"
else
    bad "systemd-analyze verify complains:"; cat "$WORK/verify.out"
fi
# Negative control: verify only warns about a misspelt key (exit 0), so the
# check above must look at the output; here is the output it would see.
mkdir -p "$WORK/typo"
cp "$WORK/units"/*.service "$WORK/typo/"
sed -i 's/^ProtectSystem=strict/ProtectSytsem=strict/' "$WORK/typo/parley-proxy.service"
verify "$WORK/typo"
check "negative control: a misspelt key is reported" "$WORK/verify.out" "Unknown key 'ProtectSytsem'"

# The units run what docs/deploy.md says, hardened.
for u in parley-proxy parley-keyserver parley-redis; do
    f=$UNITS/$u.service
    for want in '^NoNewPrivileges=yes' '^ProtectSystem=strict' '^ProtectHome=yes' '^PrivateTmp=yes' \
        '^SystemCallFilter=@system-service' '^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' '^CapabilityBoundingSet='; do
        grep -Eq -- "$want" "$f" || bad "$u.service lacks $want"
    done
    (cd "$WORK/units" && MANPATH=$WORK/man: systemd-analyze security --offline=true --threshold=25 "$u.service") \
        >"$WORK/sec-$u.out" 2>&1 && ok "$u.service: $(grep -o 'exposure level.*' "$WORK/sec-$u.out")" ||
        { bad "$u.service: systemd-analyze security rates it above 2.5"; tail -3 "$WORK/sec-$u.out"; }
done
check "parley-proxy.service runs the proxy from its config, reloads with SIGHUP, wants Redis" \
    "$UNITS/parley-proxy.service" '^ExecStart=/usr/local/bin/parley proxy --config /etc/parley/proxy.conf$' \
    '^ExecReload=.*-HUP' '^Wants=parley-redis.service' '^After=.*parley-redis.service' '^User=parley$' \
    '^AmbientCapabilities=CAP_NET_BIND_SERVICE$'
check "parley-keyserver.service runs the key server from its config, reloads with SIGHUP" \
    "$UNITS/parley-keyserver.service" '^ExecStart=/usr/local/bin/parley keyserver --config /etc/parley/keyserver.conf$' \
    '^ExecReload=/bin/kill -HUP \$MAINPID$'
check "parley-redis.service runs Redis from its own config directory" "$UNITS/parley-redis.service" \
    '^ExecStart=/usr/bin/redis-server /etc/parley-redis/redis.conf ' '^User=parley-redis$'

# --- sysusers.d and tmpfiles.d in a scratch root ---------------------------
mkdir -p "$WORK/root/etc"
if systemd-sysusers --root="$WORK/root" "$UNITS/parley.sysusers.conf" >"$WORK/sysusers.out" 2>&1; then
    check "sysusers.d: the users parley and parley-redis, no login shell" "$WORK/root/etc/passwd" \
        '^parley:x:[0-9]+:[0-9]+:[^:]*:[^:]*:/usr/sbin/nologin$' '^parley-redis:x:[0-9]+:[0-9]+:[^:]*:/var/lib/parley-redis:'
else
    bad "systemd-sysusers failed"; cat "$WORK/sysusers.out"
fi
if [ "$(id -u)" = 0 ]; then
    # Changing a directory's group needs root: only then can tmpfiles run.
    if systemd-tmpfiles --create --root="$WORK/root" "$UNITS/parley.tmpfiles.conf" >"$WORK/tmpfiles.out" 2>&1; then
        gid=$(awk -F: '$1 == "parley" {print $3}' "$WORK/root/etc/group")
        rgid=$(awk -F: '$1 == "parley-redis" {print $3}' "$WORK/root/etc/group")
        stat -c '%n %a %u %g' "$WORK/root/etc/parley" "$WORK/root/etc/parley/keys" "$WORK/root/etc/parley-redis" >"$WORK/stat.out"
        check "tmpfiles.d: /etc/parley and its keys 0750 root:parley, /etc/parley-redis 0750 root:parley-redis" \
            "$WORK/stat.out" "/etc/parley 750 0 $gid\$" "/etc/parley/keys 750 0 $gid\$" "/etc/parley-redis 750 0 $rgid\$"
    else
        bad "systemd-tmpfiles failed"; cat "$WORK/tmpfiles.out"
    fi
else
    echo "note: not root, tmpfiles.d not applied (it sets owners)"
fi

# --- the example configs, for real ----------------------------------------
make_pki
make_keyless_pki
# Seven free ports from one python3 (its start costs seconds on a loaded machine).
read -r RPORT PORT BPORT SPORT KPORT PORT1 SPORT1 < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(7)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
mkdir -p "$WORK/etc/certs"
cp "$PKI/ec256.pem" "$WORK/etc/certs/site.pem"; cp "$PKI/ec256.key" "$WORK/etc/certs/site.key"
openssl rand -hex 48 >"$WORK/etc/tickets"
if [ -n "$REDIS" ]; then
    sed -e "s|^port .*|port $RPORT|" "$SRC/contrib/parley-redis/redis.conf" >"$WORK/etc/redis.conf"
    (cd "$WORK" && exec "$REDIS" "$WORK/etc/redis.conf" --daemonize no --supervised no) >"$WORK/redis.log" 2>&1 &
    PIDS+=("$!")
    wait_port "$RPORT"
    redis-cli -p "$RPORT" CONFIG GET maxmemory-policy >"$WORK/policy.out" 2>&1
    check "redis.conf: maxmemory-policy noeviction (anti-replay records are never evicted)" "$WORK/policy.out" '^noeviction$'
    redis-cli -p "$RPORT" CONFIG GET save >"$WORK/save.out" 2>&1
    # CONFIG GET save answers the name, then an empty value: nothing is saved.
    [ "$(sed -n 2p "$WORK/save.out")" = "" ] && ok "redis.conf: nothing saved to disk" || bad "redis.conf saves: $(cat "$WORK/save.out")"
else
    bad "redis-server is not installed (scripts/install-deps.sh)"
fi

# proxy.conf with the scratch directory's paths and ports; two workers.
sed -e "s|^listen .*|listen 127.0.0.1:$PORT|" -e "s|^backend .*|backend 127.0.0.1:$BPORT|" \
    -e "s|/etc/parley|$WORK/etc|g" -e "s|^workers .*|workers 2|" \
    -e "s|redis://127.0.0.1:6380|redis://127.0.0.1:$RPORT|" -e "s|^status .*|status 127.0.0.1:$SPORT|" \
    "$SRC/contrib/parley/proxy.conf" >"$WORK/etc/proxy.conf"
grep -q "^session-cache redis://127.0.0.1:$RPORT/0$" "$WORK/etc/proxy.conf" || bad "proxy.conf has no session-cache line to point at the test's Redis"
start_bg "$WORK/backend.log" python3 "$HERE/backend_http.py" "$BPORT"
start_bg "$WORK/px.log" "$PARLEY" proxy --config "$WORK/etc/proxy.conf"
PX=$LAST_PID
wait_count "$WORK/px.log" '^proxy listening on' 2
wait_port "$BPORT"
"$PARLEY" client --tls1.2 --cafile "$PKI/ca.pem" --servername localhost --sess-out "$WORK/s.sess" "127.0.0.1:$PORT" >"$WORK/c1.out" 2>&1
check "proxy.conf: a client through the proxy reaches the backend" "$WORK/c1.out" '^hello from backend /' '^protocol: TLSv1.2' '^verify: ok'
# A TLS 1.2 client that takes no ticket: its session goes to the cache (a
# ticket holds the session of a client that takes one, and of TLS 1.3).
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -no_ticket -servername localhost \
  -CAfile "$PKI/ca.pem" >"$WORK/c2.out" 2>&1
sleep 0.3
[ -n "$REDIS" ] && redis-cli -p "$RPORT" --scan --pattern 'parley:sess:*' >"$WORK/keys.out" 2>&1
check "proxy.conf: the session went to the Redis of redis.conf" "$WORK/keys.out" '^parley:sess:[0-9a-f]+'
curl -s --max-time 5 "http://127.0.0.1:$SPORT/" >"$WORK/status.json"
check "proxy.conf: --status answers the counters" "$WORK/status.json" '"handshakes_full": [0-9]+' '"open_connections": [0-9]+'

# The unit's ExecReload, run as systemd would (MAINPID in its environment).
RELOAD=$(sed -n 's/^ExecReload=//p' "$UNITS/parley-proxy.service")
MAINPID=$PX eval "$RELOAD"
wait_count "$WORK/px.log" 'certificates and ticket keys reloaded' 2
check "ExecReload: both workers reloaded" "$WORK/px.log" 'certificates and ticket keys reloaded'
[ "$(grep -c 'certificates and ticket keys reloaded' "$WORK/px.log")" -eq 2 ] && kill -0 "$PX" 2>/dev/null &&
    ok "ExecReload: two reload lines, the proxy still runs" || { bad "ExecReload: not two reloads, or the proxy ended"; tail "$WORK/px.log"; }
"$PARLEY" client --tls1.2 --cafile "$PKI/ca.pem" --servername localhost --sess-in "$WORK/s.sess" "127.0.0.1:$PORT" >"$WORK/c2.out" 2>&1
check "after the reload: the proxy serves, the session resumes (same ticket keys file)" "$WORK/c2.out" '^hello from backend /' '^resumed: yes'
# A single process (no workers): the same line signals the main process.
sed -i "/^workers /d; s|^listen .*|listen 127.0.0.1:$PORT1|; s|^status .*|status 127.0.0.1:$SPORT1|" "$WORK/etc/proxy.conf"
start_bg "$WORK/px1.log" "$PARLEY" proxy --config "$WORK/etc/proxy.conf"
PX1=$LAST_PID
wait_line "$WORK/px1.log" '^proxy listening on'
MAINPID=$PX1 eval "$RELOAD"
wait_line "$WORK/px1.log" 'certificates and ticket keys reloaded' &&
    ok "ExecReload without workers: the main process reloaded" || { bad "ExecReload without workers"; tail "$WORK/px1.log"; }

# keyserver.conf.
# Whole lines replaced (/etc/parley/keys is a prefix of /etc/parley/keyserver.pem).
sed -e "s|^listen .*|listen 127.0.0.1:$KPORT|" -e "s|^keys .*|keys $WORK/keys|" \
    -e "s|^ca .*|ca $PKI/ca.pem|" -e "s|^cert .*|cert $PKI/ksrv.pem|" \
    -e "s|^key .*|key $PKI/ksrv.key|" "$SRC/contrib/parley/keyserver.conf" >"$WORK/etc/keyserver.conf"
grep -c "$WORK\|$PKI" "$WORK/etc/keyserver.conf" | grep -qx 4 || bad "keyserver.conf: not the four paths expected to move"
start_bg "$WORK/ks.log" "$PARLEY" keyserver --config "$WORK/etc/keyserver.conf"
KS=$LAST_PID
for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/ks.log" 2>/dev/null && break; kill -0 "$KS" 2>/dev/null || break; sleep 0.05; done
if grep -q 'listening on' "$WORK/ks.log"; then
    check "keyserver.conf: the key server starts from it, with its key" "$WORK/ks.log" "[1-9][0-9]* keys, listening on 127.0.0.1:$KPORT"
else
    bad "keyserver.conf: the key server did not start"; cat "$WORK/ks.log"
fi
finish
