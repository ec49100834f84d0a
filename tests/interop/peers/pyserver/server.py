#!/usr/bin/env python3
"""pyserver: a TLS server from Python's ssl module for
tests/interop/test_parley_client_vs_servers.sh.

usage: server.py PORT CERT KEY VERSION MODE
  VERSION: 1.2 or 1.3, the only version served
  MODE: ticket  OpenSSL's defaults: tickets (RFC 5077 in 1.2, RFC 8446 4.6.1
                stateless tickets in 1.3); the client resumes with the ticket
        id      ssl.OP_NO_TICKET: TLS 1.2 resumes by session ID from OpenSSL's
                internal server cache; TLS 1.3 tickets become stateful (keys
                into that cache)
One connection at a time: read an HTTP request, answer with what the server
saw (also printed on stdout), close with close_notify.
"""
import socket
import ssl
import sys

port, cert, key, version, mode = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
v = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
ctx.minimum_version = v
ctx.maximum_version = v
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["http/1.1"])
if mode == "id":
    ctx.options |= ssl.OP_NO_TICKET

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(port)))
srv.listen(8)
print("ready", port, flush=True)
while True:
    raw, _ = srv.accept()
    raw.settimeout(10)
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            req = b""
            while b"\r\n\r\n" not in req:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                req += chunk
            line = "python proto=%s cipher=%s resumed=%s alpn=%s" % (
                tls.version(), tls.cipher()[0], tls.session_reused, tls.selected_alpn_protocol())
            print(line, flush=True)
            body = ("hello from %s\n" % line).encode()
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body)
            tls.unwrap()  # our close_notify; then the socket closes
    except (OSError, ssl.SSLError) as e:
        print("connection error:", e, flush=True)
