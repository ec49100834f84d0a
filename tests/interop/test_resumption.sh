#!/usr/bin/env bash
# TLS 1.2 session-ID resumption both ways: parley client --reconnect against
# openssl s_server; openssl s_client -sess_out/-sess_in and gnutls-cli --resume
# against parley server; a saved session offered under another server name.
source "$(dirname "$0")/lib.sh" "$@"
make_pki
P=$PKI
REQ='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'

PORT=$(free_port)
start_bg "$WORK/s.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 2 "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --reconnect 2 against openssl s_server" "$WORK/c.log" '^resumed: no$' '^--- reconnect 1$' \
    '^--- reconnect 2$'
[ "$(grep -c '^resumed: yes$' "$WORK/c.log")" -eq 2 ] && ok "both reconnections resumed" || bad "reconnections did not resume"
stop_bg "$LAST_PID"

PORT=$(free_port)
start_bg "$WORK/s.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key"
wait_port "$PORT"
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_out "$WORK/ossl.sess" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client full handshake" "$WORK/c.log" 'New, TLSv1.2' '^resumed: no'
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_in "$WORK/ossl.sess" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client -sess_in resumes" "$WORK/c.log" 'Reused, TLSv1.2' '^resumed: yes'
printf "$REQ" | timeout 20 gnutls-cli --x509cafile "$P/ca.pem" -p "$PORT" localhost --resume \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS" >"$WORK/c.log" 2>&1
check "gnutls-cli --resume" "$WORK/c.log" 'This is a resumed session'
# The file holds the master secret: owner-only, even over a file that was not.
: >"$WORK/p.sess"
chmod 644 "$WORK/p.sess"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/p.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/p.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client --sess-in resumes" "$WORK/c.log" '^resumed: yes' 'resumed: yes' '^group: none'
mode=$(stat -c %a "$WORK/p.sess")
[ "$mode" = 600 ] && ok "--sess-out writes the session file owner-only (600)" || bad "--sess-out left the session file mode $mode"
# A new file under umask 022 (in a subshell): a plain open/fopen would make it
# 644, so this fails unless --sess-out sets the mode itself (with umask 077 it
# could not tell).
(umask 022 && timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/new.sess" "localhost:$PORT" \
    >"$WORK/c.log" 2>&1)
mode=$(stat -c %a "$WORK/new.sess" 2>&1)
[ "$mode" = 600 ] && ok "--sess-out makes a new session file 600 under umask 022" ||
    bad "--sess-out made a new session file with mode $mode under umask 022"
# A --sess-out path that is a symlink: the file it points to is left alone (no
# secret written through the link), and the session goes to a new regular
# 0600 file in the link's place.
echo "not a session" >"$WORK/victim"
chmod 644 "$WORK/victim"
ln -s "$WORK/victim" "$WORK/link.sess"
(umask 022 && timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/link.sess" "localhost:$PORT" \
    >"$WORK/c.log" 2>&1)
[ "$(cat "$WORK/victim")" = "not a session" ] && [ "$(stat -c %a "$WORK/victim")" = 644 ] &&
    ok "--sess-out through a symlink leaves the file it points to untouched" ||
    bad "--sess-out wrote through a symlink: $(stat -c %a "$WORK/victim") $(head -c 40 "$WORK/victim" | od -c | head -2)"
[ -f "$WORK/link.sess" ] && [ ! -L "$WORK/link.sess" ] && [ "$(stat -c %a "$WORK/link.sess")" = 600 ] &&
    ok "--sess-out over a symlink leaves a regular 0600 session file" ||
    bad "--sess-out over a symlink: $(stat -c '%F %a' "$WORK/link.sess")"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/link.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
check "... and that file resumes" "$WORK/c.log" '^resumed: yes'
# An existing session file is replaced, not rewritten in place: a second name
# for the old file (as good as a process holding it open) keeps the old bytes.
echo "old session" >"$WORK/held.sess"
ln "$WORK/held.sess" "$WORK/held.other"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/held.sess" "localhost:$PORT" >"$WORK/c.log" 2>&1
[ "$(cat "$WORK/held.other")" = "old session" ] && [ "$(stat -c %i "$WORK/held.sess")" != "$(stat -c %i "$WORK/held.other")" ] &&
    ok "--sess-out replaces an existing session file with a new one (the old file never gets the secret)" ||
    bad "--sess-out wrote the new session into the existing file"
ls "$WORK"/*.sess.* >/dev/null 2>&1 && bad "--sess-out left temporary files: $(ls "$WORK"/*.sess.*)" ||
    ok "--sess-out leaves no temporary file behind"
# A --sess-out it cannot write (its directory does not exist): a clear error.
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/nodir/s.sess" "localhost:$PORT" \
    >"$WORK/c.log" 2>&1
check "--sess-out into a missing directory says why" "$WORK/c.log" 'cannot write session file .*nodir/s.sess: .*No such file'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/p.sess" "127.0.0.1:$PORT" >"$WORK/c.log" 2>&1
check "a session offered under another server name is not resumed" "$WORK/c.log" '^resumed: no' '^verify: ok$'
stop_bg "$LAST_PID"
# TLS 1.2 session tickets (RFC 5077), with session caches off so only tickets can resume.
PORT=$(free_port)
start_bg "$WORK/t.log" openssl s_server -accept "127.0.0.1:$PORT" -www -tls1_2 -no_cache -cert "$P/ec256.pem" -key "$P/ec256.key"
wait_port "$PORT"
timeout 30 "$PARLEY" client --cafile "$P/ca.pem" --reconnect 1 --trace "localhost:$PORT" >"$WORK/c.log" 2>&1
check "parley client resumes with openssl's ticket" "$WORK/c.log" 'NewSessionTicket' '^resumed: yes$'
stop_bg "$LAST_PID"
openssl rand -hex 48 >"$WORK/k1"
openssl rand -hex 48 >"$WORK/k2"
TA=$(free_port)
TB=$(free_port)
for port in $TA $TB; do
    start_bg "$WORK/t$port.log" "$PARLEY" server --listen "127.0.0.1:$port" --cert "$P/ec256.pem" --key "$P/ec256.key" \
        --session-cache none --ticket-keys "$WORK/k1"
    wait_port "$port"
done
TB_PID=$LAST_PID
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$TA" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_out "$WORK/ot.sess" -ign_eof >"$WORK/c.log" 2>&1
printf "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$TA" -servername localhost -CAfile "$P/ca.pem" -tls1_2 \
    -sess_in "$WORK/ot.sess" -ign_eof >"$WORK/c.log" 2>&1
check "openssl s_client resumes with parley's ticket" "$WORK/c.log" 'Reused, TLSv1.2' '^resumed: yes'
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/t.sess" "localhost:$TA" >"$WORK/c.log" 2>&1
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/t.sess" "localhost:$TB" >"$WORK/c.log" 2>&1
check "two servers sharing --ticket-keys resume each other's tickets" "$WORK/c.log" '^resumed: yes'
# Rotation: k2 seals, k1 still opens; then k1 retired: a full handshake.
cat "$WORK/k2" "$WORK/k1" >"$WORK/k12"
mv "$WORK/k12" "$WORK/k1"
kill -HUP "$TB_PID"
wait_count "$WORK/t$TB.log" 'ticket keys reloaded' 1
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/t.sess" "localhost:$TB" >"$WORK/c.log" 2>&1
check "after SIGHUP with a new first key, the old key still opens" "$WORK/c.log" '^resumed: yes'
cp "$WORK/k2" "$WORK/k1"
kill -HUP "$TB_PID"
wait_count "$WORK/t$TB.log" 'ticket keys reloaded' 2
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/t.sess" "localhost:$TB" >"$WORK/c.log" 2>&1
check "a ticket under a retired key: full handshake, no error" "$WORK/c.log" '^resumed: no' '^verify: ok'
check "the server logs the reloads" "$WORK/t$TB.log" 'ticket keys reloaded'

# --session-cache none --no-tickets: nothing to resume with.
PORT=$(free_port)
start_bg "$WORK/n.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --session-cache none --no-tickets
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --reconnect 1 "localhost:$PORT" >"$WORK/c.log" 2>&1
[ "$(grep -c '^resumed: no$' "$WORK/c.log")" -ge 2 ] && ! grep -q '^resumed: yes' "$WORK/c.log" && grep -q '^--- reconnect 1$' "$WORK/c.log" &&
    ok "--session-cache none --no-tickets: no resumption" || bad "--session-cache none still resumed"
stop_bg "$LAST_PID"

# Ticket keys derived from one secret (--ticket-secret) rotate in step on every
# host and worker: a ticket from server SA opens on each of SB's workers a
# period later, not on a server with another secret, and not after 7 periods.
openssl rand -hex 32 >"$WORK/secret"
openssl rand -hex 32 >"$WORK/secret2"
SA=$(free_port)
SB=$(free_port)
SC=$(free_port)
start_bg "$WORK/sa.log" "$PARLEY" server --listen "127.0.0.1:$SA" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --session-cache none --ticket-secret "$WORK/secret" --ticket-rotate 2
start_bg "$WORK/sb.log" "$PARLEY" server --listen "127.0.0.1:$SB" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --session-cache none --ticket-secret "$WORK/secret" --ticket-rotate 2 --workers 3
start_bg "$WORK/sc.log" "$PARLEY" server --listen "127.0.0.1:$SC" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --session-cache none --ticket-secret "$WORK/secret2" --ticket-rotate 2
wait_port "$SA"
wait_port "$SC"
wait_count "$WORK/sb.log" '^listening on .*\(pid [0-9]+\)$' 3
ts() { timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 "$@" >"$WORK/c.log" 2>&1; }
ts --sess-out "$WORK/sec.sess" "localhost:$SA"
sealed=$(date +%s.%N)
sleep 2.1
n=0
rm -f "$WORK"/sb[0-9]*.log
for i in $(seq 1 10); do # all 10 on one of 3 workers: 3 in 3^10
    ts --sess-in "$WORK/sec.sess" "localhost:$SB"
    cp "$WORK/c.log" "$WORK/sb$i.log"
    grep -q '^resumed: yes' "$WORK/c.log" && n=$((n + 1))
done
pids=$(grep -h '^pid: ' "$WORK"/sb[0-9]*.log | sort -u | wc -l)
[ "$n" -eq 10 ] && [ "$pids" -ge 2 ] && ok "--ticket-secret: a ticket from one server resumes on $pids workers of another, a period later" ||
    bad "--ticket-secret: $n of 10 resumed on $pids workers"
ts --sess-in "$WORK/sec.sess" "localhost:$SC"
check "--ticket-secret: a server with another secret gives a full handshake" "$WORK/c.log" '^resumed: no' '^verify: ok'
sleep "$(python3 -c "import time; print(max(0, $sealed + 14.2 - time.time()))")"
ts --sess-in "$WORK/sec.sess" "localhost:$SA"
check "--ticket-rotate 2: seven periods later the ticket's key is retired (full handshake)" "$WORK/c.log" '^resumed: no' '^verify: ok'

# Workers sharing one shm cache: a session made on one resumes on the others.
PORT=$(free_port)
start_bg "$WORK/w.log" "$PARLEY" server --listen "127.0.0.1:$PORT" --cert "$P/ec256.pem" --key "$P/ec256.key" \
    --workers 3 --session-cache shm:1m
wait_count "$WORK/w.log" '^(proxy )?listening on .*\(pid [0-9]+\)$' 3
wait_port "$PORT"
timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-out "$WORK/w.sess" "localhost:$PORT" >"$WORK/c0.log" 2>&1
for i in $(seq 1 10); do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/w.sess" "localhost:$PORT" >"$WORK/c$i.log" 2>&1
done
resumed=$(grep -l '^resumed: yes' "$WORK"/c[0-9]*.log | wc -l)
pids=$(grep -h '^pid: ' "$WORK"/c[0-9]*.log | sort -u | wc -l)
[ "$resumed" -eq 10 ] && ok "10 of 10 resumed on 3 workers" || bad "only $resumed of 10 resumed across workers"
[ "$pids" -ge 2 ] && ok "resumptions served by $pids different worker pids" || bad "all connections went to one worker"
# A worker killed with SIGKILL: the others go on, the supervisor replaces it
# (the new worker maps the same shm cache), and sessions still resume.
victim=$(grep -h '^pid: ' "$WORK/c1.log" | awk '{print $2}')
kill -9 "$victim"
sleep 0.3
n=0
for i in $(seq 1 5); do
    timeout 20 "$PARLEY" client --cafile "$P/ca.pem" --tls1.2 --sess-in "$WORK/w.sess" "localhost:$PORT" >"$WORK/k$i.log" 2>&1 &&
        grep -q '^resumed: yes' "$WORK/k$i.log" && n=$((n + 1))
done
[ "$n" -eq 5 ] && ok "after a worker was killed, 5 of 5 handshakes resumed on the others" || bad "after a worker was killed only $n of 5 resumed"
check "the parent replaces the killed worker" "$WORK/w.log" "worker $victim ended by signal 9; restarted as worker [0-9]+"

finish
