/*
 * hmac.c - HMAC (RFC 2104) on libcrypto's one-shot SHA-2 functions.
 *
 * The TLS 1.2 PRF and the TLS 1.3 key schedule are dozens of HMACs over a few
 * dozen bytes each. Through EVP_MAC every one re-fetched its digest by name,
 * and through EVP_MD_CTX every one allocated provider contexts: together more
 * than half of a resumed handshake (docs/performance.md). The SHA256_* and
 * SHA512_* functions (deprecated in 3.0 but part of its API) run the same
 * assembly on a context on the stack, and a keyed HMAC state (key XOR ipad /
 * opad absorbed once) is copied by assignment for each message.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <string.h>

#include "crypto.h"
#include "../util/mem.h"

typedef union {
    SHA256_CTX s256;
    SHA512_CTX s512;
} pl_sha;

_Static_assert(sizeof(pl_sha) <= sizeof(((pl_hmac_key *)0)->in), "pl_hmac_key too small for a SHA-512 context");

static void sha_init(int alg, pl_sha *c)
{
    if (alg == PL_SHA256) SHA256_Init(&c->s256);
    else if (alg == PL_SHA384) SHA384_Init(&c->s512);
    else SHA512_Init(&c->s512);
}

static void sha_update(int alg, pl_sha *c, const void *p, size_t n)
{
    if (!n) return;
    if (alg == PL_SHA256) SHA256_Update(&c->s256, p, n);
    else SHA512_Update(&c->s512, p, n); /* SHA384_Update is the same function */
}

static void sha_final(int alg, pl_sha *c, uint8_t *out)
{
    if (alg == PL_SHA256) SHA256_Final(out, &c->s256);
    else if (alg == PL_SHA384) SHA384_Final(out, &c->s512);
    else SHA512_Final(out, &c->s512);
}

int pl_hmac_key_init(pl_hmac_key *k, int alg, const uint8_t *key, size_t klen)
{
    size_t hl = pl_hash_len(alg), bl = alg == PL_SHA256 ? 64 : 128;
    uint8_t kb[128] = {0}, pad[128];
    PL_ENSURE(hl, PL_ERR_INTERNAL, "HMAC: unknown hash");
    k->alg = alg;
    if (klen > bl) {
        pl_sha c;
        sha_init(alg, &c);
        sha_update(alg, &c, key, klen);
        sha_final(alg, &c, kb);
        pl_cleanse(&c, sizeof c);
    } else if (klen) {
        memcpy(kb, key, klen);
    }
    for (size_t i = 0; i < bl; i++) pad[i] = kb[i] ^ 0x36;
    sha_init(alg, (pl_sha *)k->in);
    sha_update(alg, (pl_sha *)k->in, pad, bl);
    for (size_t i = 0; i < bl; i++) pad[i] = kb[i] ^ 0x5c;
    sha_init(alg, (pl_sha *)k->out);
    sha_update(alg, (pl_sha *)k->out, pad, bl);
    pl_cleanse(kb, sizeof kb);
    pl_cleanse(pad, sizeof pad);
    return 0;
}

void pl_hmac_key_mac(const pl_hmac_key *k, const uint8_t *p1, size_t n1, const uint8_t *p2, size_t n2, uint8_t *out)
{
    pl_sha c;
    uint8_t ih[PL_MAX_HASH];
    memcpy(&c, k->in, sizeof c);
    sha_update(k->alg, &c, p1, n1);
    sha_update(k->alg, &c, p2, n2);
    sha_final(k->alg, &c, ih);
    memcpy(&c, k->out, sizeof c);
    sha_update(k->alg, &c, ih, pl_hash_len(k->alg));
    sha_final(k->alg, &c, out);
    pl_cleanse(&c, sizeof c);
    pl_cleanse(ih, sizeof ih);
}

void pl_hmac_key_wipe(pl_hmac_key *k) { pl_cleanse(k, sizeof *k); }

int pl_hmac(int alg, const uint8_t *key, size_t klen, const uint8_t *p, size_t n, uint8_t *out)
{
    pl_hmac_key k;
    PL_GUARD(pl_hmac_key_init(&k, alg, key, klen));
    pl_hmac_key_mac(&k, p, n, NULL, 0, out);
    pl_hmac_key_wipe(&k);
    return 0;
}
