/* raw_hello.h - a ClientHello built field by field, for tests that must send
 * exact bytes: every field can be set, repeated, reordered or corrupted, and
 * extensions are an ordered list of (type, body bytes) taken as given. */
#ifndef PARLEY_TEST_RAW_HELLO_H
#define PARLEY_TEST_RAW_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte string. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} rh_buf;
void rh_bytes(rh_buf *b, const void *p, size_t n);
void rh_u8(rh_buf *b, uint8_t v);
void rh_u16(rh_buf *b, uint16_t v);
void rh_u24(rh_buf *b, uint32_t v);
void rh_buf_free(rh_buf *b);

typedef struct {
    uint16_t type;
    uint8_t *body;
    size_t len;
} rh_ext;

typedef struct {
    uint16_t legacy_version;   /* 0x0303 */
    uint8_t random[32];        /* a fixed pattern */
    uint8_t session_id[255];   /* 32 bytes of a pattern; any length can be sent */
    size_t session_id_len;
    rh_buf suites;             /* the raw cipher_suites bytes (TLS_AES_128_GCM_SHA256 ...) */
    rh_buf compression;        /* the raw compression bytes ({0}) */
    int no_extensions;         /* leave the extensions block out entirely */
    rh_ext *ext;               /* in order */
    size_t n_ext, cap_ext;
} raw_hello;

/* A TLS 1.3 hello without extensions: legacy_version 0x0303, the three
 * TLS 1.3 AES/ChaCha suites, null compression. */
void rh_init(raw_hello *h);
void rh_free(raw_hello *h);
/* A deep copy. */
void rh_copy(raw_hello *dst, const raw_hello *src);
void rh_set_suites(raw_hello *h, const uint16_t *suites, size_t n);

/* Extensions: append, insert at pos, remove, replace a body, swap, find. */
void rh_add(raw_hello *h, uint16_t type, const void *body, size_t len);
void rh_add_buf(raw_hello *h, uint16_t type, const rh_buf *body);
void rh_insert(raw_hello *h, size_t pos, uint16_t type, const void *body, size_t len);
void rh_remove(raw_hello *h, size_t pos);
void rh_set_body(raw_hello *h, size_t pos, const void *body, size_t len);
void rh_swap(raw_hello *h, size_t i, size_t j);
/* Index of the first extension of that type, -1 if none. */
int rh_find(const raw_hello *h, uint16_t type);

/* Extension bodies (appended to b): supported_versions (u8-prefixed list),
 * a u16-prefixed u16 list (supported_groups, signature_algorithms), and a
 * key_share: rh_share appends one KeyShareEntry to `entries`, rh_key_share
 * wraps entries into the body (client_shares<0..2^16-1>). */
void rh_versions_body(rh_buf *b, const uint16_t *v, size_t n);
void rh_u16_list_body(rh_buf *b, const uint16_t *v, size_t n);
void rh_share(rh_buf *entries, uint16_t group, const void *ke, size_t len);
void rh_key_share_body(rh_buf *b, const rh_buf *entries);

/* The usual TLS 1.3 extensions: supported_versions {1.3}, supported_groups
 * {groups}, signature_algorithms {ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256},
 * key_share with `shares` (entries as made by rh_share; may be empty). */
void rh_add_tls13(raw_hello *h, const uint16_t *groups, size_t ngroups, const rh_buf *shares);

/* The whole extensions block's length (what its u16 prefix says). */
size_t rh_extensions_len(const raw_hello *h);
/* The handshake message (type 1, u24 length, body), appended to out. */
void rh_message(const raw_hello *h, rh_buf *out);
/* Any handshake message as plaintext handshake records (record version
 * 0x0301) of at most frag bytes each (0: 16384), appended to out. */
void rh_records(const uint8_t *msg, size_t len, size_t frag, rh_buf *out);
/* rh_message then rh_records with 16 KiB fragments. */
void rh_hello_records(const raw_hello *h, rh_buf *out);

#endif
