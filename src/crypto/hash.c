/* hash.c - SHA-2, HMAC and HKDF (RFC 5869) over libcrypto. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#include "crypto.h"
#include "../util/mem.h"
#include "fetch.h"

struct pl_hash_ctx {
    EVP_MD_CTX *md;
};

size_t pl_hash_len(int alg)
{
    switch (alg) {
    case PL_SHA256: return 32;
    case PL_SHA384: return 48;
    case PL_SHA512: return 64;
    default: return 0;
    }
}

pl_hash_ctx *pl_hash_new(int alg)
{
    pl_hash_ctx *h = OPENSSL_zalloc(sizeof *h);
    const EVP_MD *md = pl_fetch_md(alg);
    if (!h || !md) goto fail;
    h->md = EVP_MD_CTX_new();
    if (!h->md || !EVP_DigestInit_ex(h->md, md, NULL)) goto fail;
    return h;
fail:
    pl_hash_free(h);
    return NULL;
}

void pl_hash_free(pl_hash_ctx *h)
{
    if (!h) return;
    EVP_MD_CTX_free(h->md);
    OPENSSL_free(h);
}

pl_hash_ctx *pl_hash_dup(const pl_hash_ctx *h)
{
    pl_hash_ctx *d = OPENSSL_zalloc(sizeof *d);
    if (!d || !(d->md = EVP_MD_CTX_new()) || !EVP_MD_CTX_copy_ex(d->md, h->md)) {
        pl_hash_free(d);
        return NULL;
    }
    return d;
}

int pl_hash_update(pl_hash_ctx *h, const uint8_t *p, size_t n)
{
    PL_ENSURE(EVP_DigestUpdate(h->md, p, n) == 1, PL_ERR_CRYPTO, "hash update failed");
    return 0;
}

int pl_hash_peek_with(const pl_hash_ctx *h, const uint8_t *extra, size_t n, uint8_t *out)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = c && EVP_MD_CTX_copy_ex(c, h->md) && (n == 0 || EVP_DigestUpdate(c, extra, n)) && EVP_DigestFinal_ex(c, out, &len);
    EVP_MD_CTX_free(c);
    PL_ENSURE(ok, PL_ERR_CRYPTO, "hash finalisation failed");
    return 0;
}

int pl_hash_peek(const pl_hash_ctx *h, uint8_t *out) { return pl_hash_peek_with(h, NULL, 0, out); }

int pl_hash(int alg, const uint8_t *p, size_t n, uint8_t *out)
{
    const EVP_MD *md = pl_fetch_md(alg);
    PL_ENSURE(md && EVP_Digest(p, n, out, NULL, md, NULL) == 1, PL_ERR_CRYPTO, "hash failed");
    return 0;
}

int pl_hkdf_extract(int alg, const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
                    size_t ikmlen, uint8_t *prk)
{
    /* RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); a missing salt is HashLen zeros. */
    uint8_t zeros[PL_MAX_HASH] = {0};
    if (saltlen == 0) {
        salt = zeros;
        saltlen = pl_hash_len(alg);
    }
    return pl_hmac(alg, salt, saltlen, ikm, ikmlen, prk);
}

int pl_hkdf_expand(int alg, const uint8_t *prk, const uint8_t *info, size_t infolen,
                   uint8_t *out, size_t outlen)
{
    /* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i). */
    size_t hl = pl_hash_len(alg), done = 0;
    uint8_t t[PL_MAX_HASH], in[PL_MAX_HASH + 600];
    size_t tlen = 0, used = 0;
    PL_ENSURE(hl && outlen <= 255 * hl && infolen <= 512, PL_ERR_INTERNAL, "HKDF-Expand arguments out of range");
    for (uint8_t i = 1; done < outlen; i++) {
        size_t n = 0;
        memcpy(in, t, tlen);
        n += tlen;
        memcpy(in + n, info, infolen);
        n += infolen;
        in[n++] = i;
        used = n;
        PL_GUARD(pl_hmac(alg, prk, hl, in, n, t));
        tlen = hl;
        size_t take = outlen - done < hl ? outlen - done : hl;
        memcpy(out + done, t, take);
        done += take;
    }
    /* Wipe what was written, not the whole scratch buffer (this runs some
     * twenty times per handshake). */
    pl_cleanse(t, sizeof t);
    pl_cleanse(in, used);
    return 0;
}

const char *pl_crypto_errstr(void)
{
    static _Thread_local char buf[256];
    unsigned long e = ERR_get_error();
    buf[0] = 0;
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}
