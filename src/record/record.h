/*
 * record.h - TLS record framing and TLS 1.3 record protection (RFC 8446 5).
 * Encryption and decryption are in place; nothing here allocates per record.
 */
#ifndef PL_RECORD_H
#define PL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"
#include "../util/buf.h"

enum {
    PL_CT_CHANGE_CIPHER_SPEC = 20,
    PL_CT_ALERT = 21,
    PL_CT_HANDSHAKE = 22,
    PL_CT_APPLICATION_DATA = 23
};

#define PL_REC_HEADER 5
#define PL_MAX_PLAINTEXT 16384
/* RFC 8446 5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
#define PL_MAX_CIPHERTEXT (PL_MAX_PLAINTEXT + 256)
#define PL_MAX_RECORD (PL_REC_HEADER + PL_MAX_CIPHERTEXT)

/* RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
#define PL_MAX_CIPHERTEXT12 (PL_MAX_PLAINTEXT + 2048)
#define PL_MAX_RECORD12 (PL_REC_HEADER + PL_MAX_CIPHERTEXT12)
/* AES-GCM in TLS 1.2 carries an 8-byte explicit nonce (RFC 5288 3). */
#define PL_GCM_EXPLICIT 8

typedef struct {
    pl_aead *aead;
    int alg;
    int hash;
    int tls12;           /* TLS 1.2 record protection (RFC 5288 / 7905) */
    uint8_t iv[PL_AEAD_NONCE]; /* 1.2 GCM: the 4-byte salt in iv[0..3] */
    uint64_t seq;
    uint8_t secret[PL_MAX_HASH];
} pl_rec_keys;

/* Keys for one direction from a traffic secret; seq restarts at 0. */
PL_MUST_CHECK int pl_rec_install13(pl_rec_keys *k, int aead_alg, int hash, const uint8_t *secret, int encrypt);
/* KeyUpdate: next application traffic secret for this direction. */
PL_MUST_CHECK int pl_rec_update13(pl_rec_keys *k, int encrypt);
void pl_rec_clear(pl_rec_keys *k);
static inline int pl_rec_active(const pl_rec_keys *k) { return k->aead != NULL; }

/* TLS 1.2: keys straight from the key block. iv is 4 bytes (GCM salt) or 12
 * bytes (ChaCha20-Poly1305). */
PL_MUST_CHECK int pl_rec_install12(pl_rec_keys *k, int aead_alg, const uint8_t *key, const uint8_t *iv, int encrypt);
/* Append a TLS 1.2 protected record of `type`. */
PL_MUST_CHECK int pl_rec_seal12(pl_rec_keys *k, pl_buf *out, uint8_t type, const uint8_t *data, size_t len);
/* Open a TLS 1.2 record in place; the plaintext starts at payload + *plain_off.
 * bad_record_mac if it does not authenticate, then record_overflow past 2^14. */
PL_MUST_CHECK int pl_rec_open12(pl_rec_keys *k, const uint8_t hdr[PL_REC_HEADER], uint8_t *payload, size_t len,
                                size_t *plain_off, size_t *plain_len);
/* Per-record expansion in bytes (header + explicit nonce + tag). */
size_t pl_rec_overhead(const pl_rec_keys *k);

/* Check a record header: known type, length within limits for a protected
 * (protected != 0) or plaintext record. *len gets the fragment length. */
PL_MUST_CHECK int pl_rec_check_header(const uint8_t hdr[PL_REC_HEADER], int protected_, uint8_t *type, size_t *len);
/* TLS 1.2 limits: 2^14 + 2048 for any protected record. */
PL_MUST_CHECK int pl_rec_check_header12(const uint8_t hdr[PL_REC_HEADER], int protected_, uint8_t *type, size_t *len);
/* Append a plaintext record. */
PL_MUST_CHECK int pl_rec_write_plain(pl_buf *out, uint8_t type, const uint8_t *data, size_t len);
/* The same with the given legacy_record_version (0x0301 for an initial ClientHello). */
PL_MUST_CHECK int pl_rec_write_plain_v(pl_buf *out, uint16_t version, uint8_t type, const uint8_t *data, size_t len);
/* Append a protected record: TLSInnerPlaintext(data, type, pad zeros). */
PL_MUST_CHECK int pl_rec_seal13(pl_rec_keys *k, pl_buf *out, uint8_t type, const uint8_t *data, size_t len, size_t pad);
/* Decrypt payload (len bytes after hdr) in place; find the inner type past
 * the zero padding. bad_record_mac if it does not authenticate, then
 * record_overflow if the whole TLSInnerPlaintext (padding included) exceeds
 * 2^14 + 1 bytes (RFC 8446 5.4). */
PL_MUST_CHECK int pl_rec_open13(pl_rec_keys *k, const uint8_t hdr[PL_REC_HEADER], uint8_t *payload, size_t len,
                                uint8_t *inner_type, size_t *plain_len);

#endif
