#!/usr/bin/env python3
"""A TLS server that answers one request and then ends the TCP connection
without close_notify (what a truncation attack looks like to the client).
Usage: truncating_server.py PORT CERT KEY. Prints "ready" when listening;
handles one connection, then exits."""
import socket
import ssl
import sys

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
print("ready", flush=True)
ls.settimeout(20)
conn, _ = ls.accept()
s = ctx.wrap_socket(conn, server_side=True)
s.recv(4096)
# The header promises more than is sent: the body is cut short.
s.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\nthe first part of the body")
# SSLSocket.shutdown drops the TLS layer and shuts the TCP socket: a FIN
# with no close_notify before it.
s.shutdown(socket.SHUT_RDWR)
s.close()
print("closed without close_notify", flush=True)
