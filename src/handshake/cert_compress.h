/*
 * cert_compress.h - TLS certificate compression (RFC 8879), TLS 1.3 only,
 * both roles: the compress_certificate extension (27) in the ClientHello and
 * the CertificateRequest, and the CompressedCertificate message (25) that
 * replaces a Certificate when the peer offered an algorithm we have.
 */
#ifndef PL_CERT_COMPRESS_H
#define PL_CERT_COMPRESS_H

#include "../compress/compress.h"
#include "../internal.h"

/* ---- pure codecs (fuzzed alone: tests/fuzz/fuzz_cert_compress.c) */
typedef struct {
    uint16_t alg;
    uint32_t uncompressed_len;
    pl_cursor data;
} pl_compressed_certificate;
/* CompressedCertificate body (RFC 8879 4): algorithm, uint24
 * uncompressed_length, compressed_certificate_message<1..2^24-1>, nothing after. */
PL_MUST_CHECK int pl_compressed_certificate_parse(const uint8_t *body, size_t len, pl_compressed_certificate *cc);
/* The algorithms<2..2^8-2> of a compress_certificate extension body (RFC 8879
 * 3) as bits 1 << id of the ones we know (ids 1..3); decode_error if malformed. */
PL_MUST_CHECK int pl_cc_ext_parse(pl_cursor body, unsigned *algs);
/* A CompressedCertificate body, checked and decompressed into out (exactly
 * uncompressed_length bytes, which must be 1..PL_MAX_HS_MESSAGE): the
 * algorithm must be in `offered` (bits 1 << id, else illegal_parameter);
 * any length problem or a stream that does not decompress to exactly that
 * length is bad_certificate (RFC 8879 4, 5). *alg gets the algorithm. */
PL_MUST_CHECK int pl_cc_decode(unsigned offered, const uint8_t *body, size_t len, pl_buf *out, int *alg);

/* The algorithms of the compress_certificate extension in an extensions
 * block, as text ("brotli zstd 0x1234") for the trace: 1 if present. */
int pl_cc_ext_text(pl_cursor exts, char *out, size_t cap);

/* ---- the handshake */
/* Our compress_certificate extension (client: ClientHello; server:
 * CertificateRequest), when any algorithm is configured; records the offer. */
PL_MUST_CHECK int pl_cc_write_ext(parley_conn *c, pl_buf *b);
/* The peer's offer, from a whole extensions block (server: the
 * ClientHello's), sets the algorithm to send with (our preference first). */
PL_MUST_CHECK int pl_cc_choose(parley_conn *c, pl_cursor exts);
/* Client: the same from a CertificateRequest body. */
PL_MUST_CHECK int pl_cc_choose_cr(parley_conn *c, const uint8_t *body, size_t len);
/* Send our Certificate for entry e (its stapled form when stapled):
 * compressed when an algorithm was chosen and compression saves bytes. */
PL_MUST_CHECK int pl_cc_send_certificate(parley_conn *c, pl_cert_entry *e, int stapled);
/* The Certificate body of a received Certificate or CompressedCertificate
 * message (decompressed into hs->cc_plain). */
PL_MUST_CHECK int pl_cc_certificate_body(parley_conn *c, const uint8_t *msg, size_t len, const uint8_t **body, size_t *blen);
/* May a CompressedCertificate stand where a Certificate is expected? Only
 * in TLS 1.3 after we offered compression (else unexpected_message). */
int pl_cc_accepts(const parley_conn *c, uint8_t type, uint8_t expect, uint8_t expect_alt);
/* ---- the config (config_compress.c) */
/* The configured algorithms in preference order; returns how many. */
size_t pl_cc_config_algs(const parley_config *cfg, uint8_t *algs);
/* Entry e's Certificate body (the stapled form when stapled) as a
 * CompressedCertificate body with alg, made once; NULL when compression
 * does not save bytes (or failed: the plain message goes instead). */
const pl_buf *pl_cc_entry_get(parley_config *cfg, pl_cert_entry *e, int stapled, int alg);

#endif
