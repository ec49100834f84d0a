#!/usr/bin/env python3
"""A TCP relay that measures TLS records (record_size_limit, RFC 8449).
Usage: record_sizes_relay.py LISTEN_PORT TARGET_PORT REPORT_FILE
Handles one connection, passes every byte through unchanged, and writes to
REPORT_FILE, for each direction (c2s, s2c), how many protected records went
that way and the largest protected fragment (TLSCiphertext.length): a record
of type application_data (23), or any record after that direction's
ChangeCipherSpec (a TLS 1.2 Finished). Prints "ready" once listening."""
import socket
import sys
import threading

from relaylib import accept_pair

listen_port, target_port, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
client, server = accept_pair(listen_port, target_port)
stats = {}


def pump(name, src, dst):
    buf, ccs, count, biggest = b"", False, 0, 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            buf += data
            while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                n = int.from_bytes(buf[3:5], "big")
                kind, buf = buf[0], buf[5 + n:]
                if kind == 20:
                    ccs = True
                elif kind == 23 or ccs:
                    count += 1
                    biggest = max(biggest, n)
    except OSError:
        pass
    stats[name] = (count, biggest)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


threads = [threading.Thread(target=pump, args=("c2s", client, server)),
           threading.Thread(target=pump, args=("s2c", server, client))]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(report, "w") as f:
    for name in ("c2s", "s2c"):
        count, biggest = stats.get(name, (0, 0))
        f.write(f"{name} records={count} max={biggest}\n")
