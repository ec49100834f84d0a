#!/usr/bin/env python3
"""pha_peer.py - python3 ssl (OpenSSL underneath) as a TLS 1.3 peer for
post-handshake client authentication (RFC 8446 4.6.2).

  pha_peer.py server PORT CERT KEY CA   one connection: read a request, ask for a
      client certificate after the handshake, answer "peer: <subject CN>".
  pha_peer.py client PORT CA CERT KEY PATH   offer post_handshake_auth, GET PATH,
      print the response.
"""
import socket
import ssl
import sys


def server(port, cert, key, ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    # With post_handshake_auth on, CERT_REQUIRED asks only after the handshake.
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.post_handshake_auth = True
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    print("listening", flush=True)
    raw, _ = ls.accept()
    raw.settimeout(10)
    conn = ctx.wrap_socket(raw, server_side=True)
    req = conn.recv(4096)
    print("request: %r" % req[:40], flush=True)
    print("in-handshake peer: %s" % conn.getpeercert(), flush=True)
    conn.verify_client_post_handshake()
    conn.write(b"HTTP/1.0 200 OK\r\n\r\n")  # sends the CertificateRequest with it
    conn.settimeout(1)
    try:
        conn.recv(1)  # processes Certificate, CertificateVerify, Finished
    except (socket.timeout, ssl.SSLError) as e:
        if not isinstance(e, socket.timeout):
            print("error: %s" % e, flush=True)
    peer = conn.getpeercert()
    cn = [v for rdn in (peer or {}).get("subject", ()) for k, v in rdn if k == "commonName"]
    print("peer: %s" % (cn[0] if cn else "none"), flush=True)
    conn.sendall(("peer: %s\n" % (cn[0] if cn else "none")).encode())
    conn.close()


def client(port, ca, cert, key, path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    ctx.post_handshake_auth = True
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(("GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % path).encode())
            data = b""
            while True:
                try:
                    chunk = s.recv(4096)
                except ssl.SSLError as e:
                    print("error: %s" % e)
                    break
                if not chunk:
                    break
                data += chunk
            sys.stdout.write(data.decode(errors="replace"))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        client(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
