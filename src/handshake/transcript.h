/*
 * transcript.h - the running handshake hash. Until the hash function is known
 * (a client before ServerHello) messages are buffered; after a
 * HelloRetryRequest the first ClientHello is replaced by message_hash
 * (RFC 8446 4.4.1).
 */
#ifndef PL_TRANSCRIPT_H
#define PL_TRANSCRIPT_H

#include "../crypto/crypto.h"
#include "../util/buf.h"

typedef struct {
    int hash;
    pl_hash_ctx *h;
    pl_buf pending;
    /* TLS 1.2 CertificateVerify signs the messages themselves (RFC 5246
     * 7.4.8), with a hash that may differ from the PRF's: keep them when
     * client authentication may happen. */
    int keep_raw;
    pl_buf raw;
} pl_transcript;

PL_MUST_CHECK int pl_transcript_add(pl_transcript *t, const uint8_t *msg, size_t len);
/* Choose the hash and absorb anything buffered. */
PL_MUST_CHECK int pl_transcript_set_hash(pl_transcript *t, int hash);
/* Replace everything so far with message_hash(Hash(so far)). */
PL_MUST_CHECK int pl_transcript_hrr(pl_transcript *t);
PL_MUST_CHECK int pl_transcript_hash(const pl_transcript *t, uint8_t *out);
/* Hash(messages so far || partial) without adding `partial`: a PSK binder
 * covers a ClientHello truncated before its binders (RFC 8446 4.2.11.2).
 * `hash` is used when the transcript has not chosen one yet. */
PL_MUST_CHECK int pl_transcript_hash_with(const pl_transcript *t, int hash, const uint8_t *partial, size_t len,
                                          uint8_t *out);
void pl_transcript_free(pl_transcript *t);

#endif
