/* transcript.c - see transcript.h. */
#include "transcript.h"

int pl_transcript_add(pl_transcript *t, const uint8_t *msg, size_t len)
{
    if (t->keep_raw) PL_GUARD(pl_buf_bytes(&t->raw, msg, len));
    if (!t->h) return pl_buf_bytes(&t->pending, msg, len);
    return pl_hash_update(t->h, msg, len);
}

int pl_transcript_set_hash(pl_transcript *t, int hash)
{
    if (t->h) {
        PL_ENSURE(t->hash == hash, PL_ERR_ILLEGAL_PARAMETER, "cipher suite hash changed during the handshake");
        return 0;
    }
    t->h = pl_hash_new(hash);
    PL_ENSURE(t->h, PL_ERR_CRYPTO, "cannot start transcript hash");
    t->hash = hash;
    if (t->pending.len) PL_GUARD(pl_hash_update(t->h, t->pending.data, t->pending.len));
    pl_buf_free(&t->pending);
    return 0;
}

int pl_transcript_hrr(pl_transcript *t)
{
    /* RFC 8446 4.4.1: message_hash || 00 00 Hash.length || Hash(ClientHello1) */
    uint8_t h[PL_MAX_HASH], hdr[4];
    size_t hl = pl_hash_len(t->hash);
    PL_GUARD(pl_hash_peek(t->h, h));
    pl_hash_free(t->h);
    t->h = pl_hash_new(t->hash);
    PL_ENSURE(t->h, PL_ERR_CRYPTO, "cannot restart transcript hash");
    hdr[0] = 254;
    hdr[1] = 0;
    hdr[2] = 0;
    hdr[3] = (uint8_t)hl;
    PL_GUARD(pl_hash_update(t->h, hdr, 4));
    return pl_hash_update(t->h, h, hl);
}

int pl_transcript_hash(const pl_transcript *t, uint8_t *out)
{
    PL_ENSURE(t->h, PL_ERR_INTERNAL, "transcript hash not chosen yet");
    return pl_hash_peek(t->h, out);
}

int pl_transcript_hash_with(const pl_transcript *t, int hash, const uint8_t *partial, size_t len, uint8_t *out)
{
    if (t->h) {
        PL_ENSURE(t->hash == hash, PL_ERR_INTERNAL, "binder hash differs from the transcript's");
        return pl_hash_peek_with(t->h, partial, len, out);
    }
    pl_hash_ctx *h = pl_hash_new(hash);
    PL_ENSURE(h, PL_ERR_CRYPTO, "cannot start a hash");
    int rc = pl_hash_update(h, t->pending.data, t->pending.len);
    if (rc == 0) rc = pl_hash_peek_with(h, partial, len, out);
    pl_hash_free(h);
    return rc;
}

void pl_transcript_free(pl_transcript *t)
{
    pl_hash_free(t->h);
    t->h = NULL;
    pl_buf_free(&t->pending);
    pl_buf_free(&t->raw);
}
