#!/usr/bin/env python3
"""0-RTT replay tool (RFC 8446 8): capture a client's exact first flight
(ClientHello, CCS, early data records: everything it sent before the server's
first byte reached it) through a relay, then send those bytes again.

  replay_0rtt.py capture LISTEN_PORT TARGET_PORT OUTFILE
      relays one connection; writes the client's first flight to OUTFILE
      (the server's bytes are held from the client until its early data
      records came; exit 1 if there were none)
  replay_0rtt.py replay TARGET_PORT FILE N
      N connections, each sending FILE's bytes and reading until the server
      closes or 1 s passes (the replayer cannot finish the handshake)
"""
import select
import socket

from relaylib import accept_pair
import sys
import time


def has_early(flight):
    """Is flight whole TLS records (RFC 8446 5.1): a handshake record (the
    ClientHello) first and at least one application_data record (0-RTT data
    is encrypted as application_data, RFC 8446 2.3), none cut short?"""
    types, i = [], 0
    while i + 5 <= len(flight):
        n = int.from_bytes(flight[i + 3:i + 5], "big")
        if i + 5 + n > len(flight):
            return False
        types.append(flight[i])
        i += 5 + n
    return i == len(flight) and types[:1] == [22] and 23 in types


def capture(listen_port, target_port, out):
    client, server = accept_pair(listen_port, target_port)
    # The server's bytes are held from the client until the client's flight
    # has its early data records: a client cannot send anything of its
    # second flight (EndOfEarlyData, Finished: application_data records too)
    # before it has seen the server's, so every application_data record
    # before that is 0-RTT data, and the capture is exact (no waiting).
    flight, held, first_done = b"", b"", False
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
            elif first_done:
                client.sendall(data)
            else:
                held += data
            if not first_done and held and has_early(flight):
                first_done = True
                open(out, "wb").write(flight)
                client.sendall(held)
    finish(out, flight)


def finish(out, flight):
    open(out, "wb").write(flight)
    if not has_early(flight):
        print("capture: the first flight has no whole early data record (%d bytes)" % len(flight), file=sys.stderr, flush=True)
        sys.exit(1)


def replay(port, path, n):
    flight = open(path, "rb").read()
    if not has_early(flight):  # a replay of the ClientHello alone tests nothing
        print("replay: %s has no whole early data record" % path, flush=True)
        sys.exit(1)
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
