#!/usr/bin/env python3
"""A TCP relay that flips one bit in the Nth encrypted (type 23) TLS record
travelling in one direction. Usage: flip_relay.py LISTEN_PORT TARGET_PORT s2c|c2s N
Handles one connection, then exits."""
import socket
import sys
import threading

from relaylib import accept_pair

listen_port, target_port, direction, nth = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
client, server = accept_pair(listen_port, target_port)

def pump(src, dst, flip):
    buf, seen = b"", 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if not flip:
                dst.sendall(data)
                continue
            buf += data
            while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                n = 5 + int.from_bytes(buf[3:5], "big")
                rec, buf = bytearray(buf[:n]), buf[n:]
                if rec[0] == 23:
                    if seen == nth:
                        rec[-1] ^= 0x01
                        print("flipped record", seen, flush=True)
                    seen += 1
                dst.sendall(bytes(rec))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

t1 = threading.Thread(target=pump, args=(client, server, direction == "c2s"))
t2 = threading.Thread(target=pump, args=(server, client, direction == "s2c"))
t1.start(); t2.start(); t1.join(20); t2.join(20)
