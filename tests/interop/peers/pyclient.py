#!/usr/bin/env python3
"""Python's ssl as a real client for the real-client matrix
(test_real_clients*.sh): two connections from this one process, the second
offering the first's session. Usage: pyclient.py PORT CAFILE 1.2|1.3 PATH.
Prints per connection 'connN version= cipher= alpn= reused=' (the ssl
module's own view; cipher in OpenSSL's naming) and the body as 'bodyN ' lines. An SSLSocket, not
urllib or http.client: those give no way to offer the previous connection's
session (no session= parameter), so nothing would resume."""
import socket, ssl, sys

port, cafile, ver, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
pin = ssl.TLSVersion.TLSv1_3 if ver == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = pin
ctx.set_alpn_protocols(["http/1.1"])
session = None
for n in (1, 2):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
        data = b""
        while True:  # to EOF: TLS 1.3 tickets arrive after the handshake, read with the data
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        print("conn%d version=%s cipher=%s alpn=%s reused=%s" % (
            n, s.version(), s.cipher()[0], s.selected_alpn_protocol(), "yes" if s.session_reused else "no"))
        for line in data.decode(errors="replace").splitlines():
            print("body%d %s" % (n, line))
        session = s.session
