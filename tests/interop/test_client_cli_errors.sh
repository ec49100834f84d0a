#!/usr/bin/env bash
# parley client's argument checks and failure summary: --record-size-limit
# takes digits only (strtoul alone would take a sign, leading spaces, and wrap
# a negative number to a valid limit); a server that accepts the connection
# and never answers gives 'error: <reason>', never an empty reason, in the
# text summary and in --json.
source "$(dirname "$0")/lib.sh" "$@"
make_pki

for arg in '-18446744073709551552' ' 64' '+64' '' '64x' '65536'; do
    "$PARLEY" client --record-size-limit "$arg" localhost:1 >"$WORK/a.log" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] && grep -q -- '--record-size-limit needs a number' "$WORK/a.log" &&
        ok "--record-size-limit '$arg' refused (exit 1)" || { bad "--record-size-limit '$arg': exit $rc"; cat "$WORK/a.log"; }
done

# A listener that accepts and stays silent.
PORT=$(free_port)
start_bg "$WORK/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("ready", flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$PORT"
wait_line "$WORK/silent.log" '^ready'
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --timeout 1 "localhost:$PORT" >"$WORK/c.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "silent server: exit 2" || bad "silent server: exit $rc"
check "silent server: the error has a reason" "$WORK/c.log" '^error: .+'
grep -q '^error: *$' "$WORK/c.log" && bad "an empty 'error:' line" || ok "no empty 'error:' line"
timeout 20 "$PARLEY" client --cafile "$PKI/ca.pem" --timeout 1 --json "localhost:$PORT" >"$WORK/j.log" 2>&1
python3 - "$WORK/j.log" <<'PY' && ok "--json: error has a reason" || bad "--json error field"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("{")][0]
d = json.loads(line)
assert d["ok"] is False and d["error"], d
PY
stop_bg "$LAST_PID"
finish
