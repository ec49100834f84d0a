#!/usr/bin/env python3
"""A fake Redis for the proxy's claim bound: speaks enough RESP for parley's
caches, reports maxmemory-policy noeviction, and answers every SET ... NX
(a 0-RTT claim) with OK after DELAY_MS. Usage: slow_redis.py PORT DELAY_MS.
Prints "ready" once listening."""
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

def serve(c, delay):
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
                c.sendall(b"*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n")
            elif cmd == b"SET" and b"NX" in [a.upper() for a in args]:
                time.sleep(delay)
                c.sendall(b"+OK\r\n")
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
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c, int(sys.argv[2]) / 1000.0), daemon=True).start()
