#!/usr/bin/env python3
"""A small HTTP/1.1 backend for the proxy tests: GET /big/N answers N bytes
(byte i = 7*i mod 256), GET /anything echoes the path, POST answers the
SHA-256 and length of the body. With --close (after the port and any
--proxy-v2) every GET is answered with `Connection: close` and the connection
closed: a browser must open a new connection (and so may resume a TLS
session) for each page and its favicon. With --proxy-v2 it first reads a PROXY
protocol v2 header and answers every request with the address it carried."""
import hashlib, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
PATTERN = bytes((i * 7) & 255 for i in range(256))  # byte i = 7*i mod 256, period 256

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith("/big/"):
            n = int(self.path[5:]); body = (PATTERN * (n // 256 + 1))[:n]
        else:
            body = ("hello from backend " + self.path + "\n").encode()
            if H.proxied_from:
                body += ("proxied_from " + H.proxied_from + "\n").encode()
            if self.headers.get("Early-Data"):  # RFC 8470: a proxy forwarded it early
                body += ("early_data_header " + self.headers.get("Early-Data") + "\n").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        if CLOSE_ALL:
            self.send_header("Connection", "close")  # http.server then closes after this answer
        self.end_headers(); self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0)); data = self.rfile.read(n)
        body = (hashlib.sha256(data).hexdigest() + " " + str(len(data)) + "\n").encode()
        if self.headers.get("Early-Data"):
            body += ("early_data_header " + self.headers.get("Early-Data") + "\n").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
class ProxyV2(ThreadingHTTPServer):
    def finish_request(self, request, client_address):
        hdr = request.recv(16, socket.MSG_WAITALL)
        assert hdr[:12] == b"\r\n\r\n\x00\r\nQUIT\n" and hdr[12] == 0x21, hdr
        rest = request.recv(int.from_bytes(hdr[14:16], "big"), socket.MSG_WAITALL)
        if hdr[13] == 0x11:
            src = "%s:%d" % (socket.inet_ntop(socket.AF_INET, rest[0:4]), int.from_bytes(rest[8:10], "big"))
        else:
            src = "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, rest[0:16]), int.from_bytes(rest[32:34], "big"))
        H.proxied_from = src
        super().finish_request(request, client_address)

H.proxied_from = None
CLOSE_ALL = "--close" in sys.argv[2:]
if len(sys.argv) > 2 and sys.argv[2] == "--proxy-v2":
    ProxyV2(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
