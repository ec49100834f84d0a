/* aead.c - AEAD record protection primitives, in place, no allocation per call. */
#include <openssl/evp.h>

#include "crypto.h"
#include "fetch.h"

struct pl_aead {
    EVP_CIPHER_CTX *ctx;
    int encrypt;
};

size_t pl_aead_key_len(int alg)
{
    switch (alg) {
    case PL_AES_128_GCM: return 16;
    case PL_AES_256_GCM: return 32;
    case PL_CHACHA20_POLY1305: return 32;
    default: return 0;
    }
}

pl_aead *pl_aead_new(int alg, const uint8_t *key, int encrypt)
{
    const EVP_CIPHER *c = pl_fetch_cipher(alg);
    pl_aead *a = OPENSSL_zalloc(sizeof *a);
    if (!a || !c) goto fail;
    a->encrypt = encrypt;
    a->ctx = EVP_CIPHER_CTX_new();
    /* The key schedule is set up once; per record only the nonce changes. */
    if (!a->ctx || !EVP_CipherInit_ex2(a->ctx, c, key, NULL, encrypt, NULL)) goto fail;
    return a;
fail:
    pl_aead_free(a);
    return NULL;
}

int pl_aead_rekey(pl_aead *a, const uint8_t *key)
{
    /* Same cipher and direction: only the key schedule is redone, the
     * context and its provider state are kept (TLS 1.3 installs four keys). */
    PL_ENSURE(EVP_CipherInit_ex2(a->ctx, NULL, key, NULL, a->encrypt, NULL), PL_ERR_CRYPTO, "cannot re-key the AEAD");
    return 0;
}

void pl_aead_free(pl_aead *a)
{
    if (!a) return;
    EVP_CIPHER_CTX_free(a->ctx);
    OPENSSL_free(a);
}

int pl_aead_seal(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad, size_t aadlen,
                 uint8_t *buf, size_t len, uint8_t tag[PL_AEAD_TAG])
{
    int outl = 0;
    PL_ENSURE(len <= INT32_MAX && aadlen <= INT32_MAX, PL_ERR_INTERNAL, "AEAD input too large");
    int ok = EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, 1, NULL) &&
             EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aadlen) &&
             (len == 0 || EVP_CipherUpdate(a->ctx, buf, &outl, buf, (int)len)) &&
             EVP_CipherFinal_ex(a->ctx, buf + len, &outl) &&
             EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, PL_AEAD_TAG, tag);
    PL_ENSURE(ok, PL_ERR_CRYPTO, "AEAD encryption failed");
    return 0;
}

int pl_aead_seal_to(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad, size_t aadlen,
                    const uint8_t *const *parts, const size_t *lens, int nparts, uint8_t *out, uint8_t tag[PL_AEAD_TAG])
{
    int outl = 0;
    size_t off = 0;
    int ok = EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, 1, NULL) && EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aadlen);
    for (int i = 0; ok && i < nparts; i++) {
        if (!lens[i]) continue;
        PL_ENSURE(lens[i] <= INT32_MAX, PL_ERR_INTERNAL, "AEAD input too large");
        ok = EVP_CipherUpdate(a->ctx, out + off, &outl, parts[i], (int)lens[i]);
        off += lens[i];
    }
    ok = ok && EVP_CipherFinal_ex(a->ctx, out + off, &outl) && EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, PL_AEAD_TAG, tag);
    PL_ENSURE(ok, PL_ERR_CRYPTO, "AEAD encryption failed");
    return 0;
}

int pl_aead_open(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad, size_t aadlen,
                 uint8_t *buf, size_t len, const uint8_t tag[PL_AEAD_TAG])
{
    int outl = 0;
    PL_ENSURE(len <= INT32_MAX && aadlen <= INT32_MAX, PL_ERR_INTERNAL, "AEAD input too large");
    int ok = EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, 0, NULL) &&
             EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, PL_AEAD_TAG, (void *)tag) &&
             EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aadlen) &&
             (len == 0 || EVP_CipherUpdate(a->ctx, buf, &outl, buf, (int)len));
    PL_ENSURE(ok, PL_ERR_CRYPTO, "AEAD decryption failed");
    PL_ENSURE(EVP_CipherFinal_ex(a->ctx, buf + len, &outl) == 1, PL_ERR_BAD_RECORD_MAC,
              "record authentication failed (bad_record_mac): the record was altered or the keys differ");
    return 0;
}
