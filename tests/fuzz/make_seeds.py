#!/usr/bin/env python3
"""Write seed corpora for the fuzz targets from tests/vectors/tls13_traces.vec."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
vec = os.path.join(here, "..", "vectors", "tls13_traces.vec")
blocks, cur = [], None
for line in open(vec):
    parts = line.rstrip("\n").split(" ", 2)
    if parts[0] == "block":
        cur = {"action": line.split(" ", 3)[3].strip(), "role": line.split(" ")[2], "fields": {}}
        blocks.append(cur)
    elif parts[0] == "field" and cur is not None:
        cur["fields"].setdefault(parts[1], []).append(bytes.fromhex(parts[2] if len(parts) > 2 else ""))

def put(target, name, data):
    d = os.path.join(here, "seeds", target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)

names = {"ClientHello": "client_hello", "ServerHello": "server_hello", "EncryptedExtensions": "encrypted_extensions",
         "Certificate": "certificate", "CertificateVerify": "certificate_verify", "NewSessionTicket": "new_session_ticket"}
n = 0
for b in blocks:
    for field, target in names.items():
        for v in b["fields"].get(field, []):
            put(target, "trace%d" % n, v[4:])  # message body without the header
            n += 1
    if b["action"].startswith("send handshake record") and "complete_record" in b["fields"]:
        rec = b["fields"]["complete_record"][0]
        put("server_records" if b["role"] == "client" else "client_records", "trace%d" % n, rec)
        n += 1
put("key_update", "one", b"\x01")
# TLS 1.2: a ServerKeyExchange (ECDHE x25519 + a signature), a ClientKeyExchange, a Certificate.
put("server_key_exchange", "ecdhe", b"\x00\x03\x00\x1d\x20" + bytes(range(32)) + b"\x04\x03\x00\x04abcd")
put("client_key_exchange", "ecdhe", b"\x00\x20" + bytes(range(32)))
put("certificate12", "one", b"\x00\x00\x06\x00\x00\x03\x30\x01\x00")
put("certificate_status", "min", b"\x01\x00\x00\x03\x30\x01\x00")
put("ocsp", "unauthorized", bytes.fromhex("30030a0106"))
# Session format 3 (src/session/session.c): a TLS 1.2 session with an id, a TLS 1.3 one with a ticket.
tail = bytes(8) + b"\x00\x00\x1c\x20" + bytes(8) + b"\x01\x02\x03\x04" + b"\x00"
put("session", "one", b"PLS\x03\x03\x03\xc0\x2b\x01\x20" + bytes(32) + b"\x30" + bytes(48) + tail + b"\x09localhost\x00\x00")
put("session", "tls13", b"PLS\x03\x03\x04\x13\x01\x00\x00\x20" + bytes(32) + tail + b"\x09localhost\x00\x04abcd")
put("new_session_ticket12", "one", b"\x00\x00\x1c\x20\x00\x04abcd")
# Keyless (docs/keyless.md): a ping request padded to 2048 bytes (requests of any other size are malformed), and its answer.
_ping = bytes.fromhex("01000103" "0500024142") + b"\x07" + (2036 - 12).to_bytes(2, "big") + bytes(2036 - 12)
put("keyless", "ping", bytes.fromhex("010100000000000100000000")[:8] + len(_ping).to_bytes(4, "big") + _ping)
put("keyless", "pong", bytes.fromhex("010200000000000100000009" "08000100" "0500024142"))
put("certificate_request12", "min", b"\x01\x40\x00\x02\x04\x03\x00\x00")
put("certificate_request", "minimal", bytes.fromhex("0000060d000400020403"))
print("wrote %d seeds" % n, file=sys.stderr)
