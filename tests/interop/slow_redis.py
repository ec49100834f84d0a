#!/usr/bin/env python3
"""A fake Redis for the proxy's claim bound: speaks enough RESP for parley's
caches, reports maxmemory-policy noeviction (after CONFIG_DELAY_MS, default
0), and answers every SET ... NX (a 0-RTT claim) with OK after DELAY_MS.
Usage: slow_redis.py PORT DELAY_MS [CONFIG_DELAY_MS]. Prints "ready" once
listening, then one line per event, times in ms (monotonic), so that a test
can check the bounds from what Redis saw, not from timing on its side:
"accept CONN T", "claim CONN T_RECEIVED T_ANSWERED"."""
import socket, sys, threading, time

def parse(buf):
    """One RESP array of bulk strings from buf: (args, rest) or (None, buf)."""
    if not buf.startswith(b"*") or b"\r\n" not in buf:
        return None, buf
    head, rest = buf.split(b"\r\n", 1)
    args = []
    for _ in range(int(head[1:])):
        if b"\r\n" not in rest:
            return None, buf
        ln, rest2 = rest.split(b"\r\n", 1)
        n = int(ln[1:])
        if len(rest2) < n + 2:
            return None, buf
        args.append(rest2[:n])
        rest = rest2[n + 2:]
    return args, rest

lock = threading.Lock()
def log(*a):
    with lock:
        print(*a, flush=True)
def ms():
    return "%.1f" % (time.monotonic() * 1000)

def serve(c, delay, cdelay, cid):
    log("accept", cid, ms())
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            return
        buf += d
        while True:
            args, buf = parse(buf)
            if args is None:
                break
            cmd = args[0].upper()
            if cmd == b"CONFIG":
                time.sleep(cdelay)
                c.sendall(b"*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n")
            elif cmd == b"SET" and b"NX" in [a.upper() for a in args]:
                t = ms()
                time.sleep(delay)
                c.sendall(b"+OK\r\n")
                log("claim", cid, t, ms())
            elif cmd == b"GET":
                c.sendall(b"$-1\r\n")
            elif cmd == b"DEL":
                c.sendall(b":0\r\n")
            else:
                c.sendall(b"+OK\r\n")

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("ready", flush=True)
cdelay = int(sys.argv[3]) / 1000.0 if len(sys.argv) > 3 else 0
n = 0
while True:
    c, _ = s.accept()
    n += 1
    threading.Thread(target=serve, args=(c, int(sys.argv[2]) / 1000.0, cdelay, n), daemon=True).start()
