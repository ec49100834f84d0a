#!/usr/bin/env python3
"""0-RTT replay tool (RFC 8446 8): capture a client's exact first flight
(ClientHello, CCS, early data records: everything it sent before the server's
first byte reached it) through a relay, then send those bytes again.

  replay_0rtt.py capture LISTEN_PORT TARGET_PORT OUTFILE
      relays one connection; writes the client's first flight to OUTFILE
  replay_0rtt.py replay TARGET_PORT FILE N
      N connections, each sending FILE's bytes and reading until the server
      closes or 1 s passes (the replayer cannot finish the handshake)
"""
import select
import socket
import sys
import time


def capture(listen_port, target_port, out):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(1)
    print("ready", flush=True)
    ls.settimeout(20)
    client, _ = ls.accept()
    server = socket.create_connection(("127.0.0.1", target_port))
    flight, first_done = b"", False
    socks = [client, server]
    end = time.time() + 20
    while time.time() < end:
        r, _, _ = select.select(socks, [], [], 1)
        for s in r:
            data = s.recv(65536)
            if not data:
                return finish(out, flight)
            if s is client:
                if not first_done:
                    flight += data
                server.sendall(data)
            else:
                if not first_done:
                    # Whatever the client sent before seeing the server's
                    # flight belongs to the first flight (its early data may
                    # trail the ClientHello by a moment).
                    while select.select([client], [], [], 0.3)[0]:
                        more = client.recv(65536)
                        if not more:
                            break
                        flight += more
                        server.sendall(more)
                    first_done = True
                    open(out, "wb").write(flight)
                client.sendall(data)
    finish(out, flight)


def finish(out, flight):
    open(out, "wb").write(flight)


def replay(port, path, n):
    flight = open(path, "rb").read()
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(flight)
        s.settimeout(1)
        got = 0
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
        except OSError:
            pass
        s.close()
        print("replay %d: %d bytes sent, %d received" % (i, len(flight), got), flush=True)


if sys.argv[1] == "capture":
    capture(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
else:
    replay(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
