"""Raw access to `parley keyserver` for the interop tests: an edge's mTLS
connection and request frames (docs/keyless.md: a 12-byte header, then
type-length-value fields, padded to exactly 2048 bytes)."""
import socket, ssl, struct


def connect(port, cafile, cert, key):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.load_cert_chain(cert, key)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")


def frame(fid, fields):
    body = b"".join(struct.pack(">BH", t, len(v)) + v for t, v in fields)
    pad = 2048 - 12 - len(body) - 3
    body += struct.pack(">BH", 7, pad) + bytes(pad)
    return struct.pack(">BBHII", 1, 1, 0, fid, len(body)) + body
