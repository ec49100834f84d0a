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
# DHE (first byte 1) with the RFC 3526 2048-bit prime (OpenSSL's default for
# RSA-2048, taken), the RFC 2409 1024-bit prime (refused) and the 3526 prime
# with generator 5: dh_p, dh_g, dh_Ys = p - 2, rsa_pss_rsae_sha256, a dummy signature.
RFC3526_2048 = bytes.fromhex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF")
RFC2409_1024 = RFC3526_2048[:116] + bytes.fromhex("ECE65381FFFFFFFFFFFFFFFF")
def dhe_ske(p, g):
    v16 = lambda b: len(b).to_bytes(2, "big") + b
    return b"\x01" + v16(p) + v16(g) + v16(p[:-1] + bytes([p[-1] - 2])) + b"\x08\x04" + v16(b"sig")
put("server_key_exchange", "dhe_modp2048", dhe_ske(RFC3526_2048, b"\x02"))
put("server_key_exchange", "dhe_rfc2409_1024", dhe_ske(RFC2409_1024, b"\x02"))
put("server_key_exchange", "dhe_modp2048_g5", dhe_ske(RFC3526_2048, b"\x05"))
put("client_key_exchange", "ecdhe", b"\x00\x20" + bytes(range(32)))
put("certificate12", "one", b"\x00\x00\x06\x00\x00\x03\x30\x01\x00")
put("certificate_status", "min", b"\x01\x00\x00\x03\x30\x01\x00")
put("ocsp", "unauthorized", bytes.fromhex("30030a0106"))
# A whole response (openssl ocsp, tests/unit/x509_pki.sh deleg.der): a basic
# response signed by a delegated responder whose certificate it carries.
put("ocsp", "delegated", bytes.fromhex(
    "308202bc0a0100a08202b5308202b106092b0601050507300101048202a23082029e30819ca1223020311e301c0603550403"
    "0c155061726c6579204f43535020526573706f6e646572180f32303236313230313031323832375a30653063303b30090605"
    "2b0e03021a050004146cf9bb63047eb9ea56eb4da8382ba89db72f97790414d628d62dec8880b48aae74885cf3ee09d0d527"
    "47020210008000180f32303236313230313031323832375aa011180f32303236313230323031323832375a300a06082a8648"
    "ce3d0403020349003046022100c1873485210c26cb0bf46a809c4e7a71b036dba49acd428c10c843d87dcc1475022100916b"
    "d2706723fbaf719299d634295f9c1dcaebbfd1ade6bee039c38170bdf49ca08201a4308201a03082019c30820141a0030201"
    "0202021003300a06082a8648ce3d04030230193117301506035504030c0e5061726c6579204f435350204341301e170d3236"
    "313230313030323832345a170d3236313233313031323832345a3020311e301c06035504030c155061726c6579204f435350"
    "20526573706f6e6465723059301306072a8648ce3d020106082a8648ce3d03010703420004486c3a66c2e5cebc2b794505ad"
    "a5c414a4424f119af800b1951eb9591361a37eac93cea8f0fa6d4a0a09561edd74d2b24303c6ec00ac3051cd1e65f26eb954"
    "ffa372307030090603551d1304023000300e0603551d0f0101ff04040302078030130603551d25040c300a06082b06010505"
    "070309301d0603551d0e04160414520849eeb871f6cc71050ddd28a2090ce5f60235301f0603551d23041830168014d628d6"
    "2dec8880b48aae74885cf3ee09d0d52747300a06082a8648ce3d0403020349003046022100ee698064446a68133c9bfc45cf"
    "87c0907a395d215aa1c37cde99e0bd79c27192022100e5ea70f7143253371a1615d9c4f8b4bf1824e168333447e0390a26e9"
    "10b8e42e"
))
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
