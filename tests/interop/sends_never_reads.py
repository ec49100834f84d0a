"""A TLS client that asks for a large body, never reads it, and keeps sending
a byte every 100 ms: its bytes are not progress while what waits for it does
not move. Prints "cut after N s" when the server ends the connection, or
"still open after LIMIT s".
Usage: sends_never_reads.py PORT CAFILE LIMIT_SECONDS"""
import socket, ssl, sys, time

port, cafile, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"GET /big/200000000 HTTP/1.1\r\nHost: localhost\r\n\r\n")
start = time.time()
s.setblocking(False)
try:
    while time.time() - start < limit:
        try:
            s.send(b"X")
        except ssl.SSLWantWriteError:
            pass
        time.sleep(0.1)
    print("still open after %g s" % limit)
except (ssl.SSLError, OSError):
    print("cut after %.1f s" % (time.time() - start))
