/*
 * rsa_kx.c - TLS 1.2 static RSA key transport (RFC 5246 7.4.7.1).
 *
 * The server side never reveals why a ciphertext was bad: the raw RSA result
 * is checked for PKCS#1 v1.5 type-2 padding, the 48-byte length and the
 * client_version bytes with branch-free code, and the premaster is selected
 * between the decrypted value and a substitute with a mask. Every bad
 * ciphertext therefore continues the handshake, which fails later at
 * Finished exactly like a good ciphertext with a wrong key would
 * (Bleichenbacher 1998, ROBOT 2017). OpenSSL 3.0's own PKCS#1 decryption is
 * not used because it reports padding errors.
 *
 * The substitute is deterministic: client_version || HMAC(secret, version ||
 * ciphertext), the secret derived from the private exponent. RFC 5246
 * 7.4.7.1 says "random", which is enough while the premaster never leaves
 * the server; but the key server hands the premaster to its client, and a
 * fresh random substitute would differ on a repeated request where a real
 * decryption would not: a padding oracle in two queries. A substitute fixed
 * per (key, version, ciphertext) answers a repeat exactly like a valid
 * ciphertext does (the implicit-rejection design of OpenSSL 3.2 and
 * draft-irtf-cfrg-rsa-guidance). It starts with client_version, like a
 * valid result, so its first bytes do not tell the two apart either.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

#include "../util/mem.h"
#include "crypto.h"

#define PK(k) ((EVP_PKEY *)(k))

int pl_pkey_is_rsa(const pl_pkey *k) { return k && EVP_PKEY_is_a(PK(k), "RSA"); }

int pl_rsa_encrypt_premaster(const pl_pkey *pub, const uint8_t pm[48], uint8_t *out, size_t *outlen, size_t cap)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, PK(pub), NULL);
    size_t n = cap;
    int ok = c && EVP_PKEY_encrypt_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_encrypt(c, out, &n, pm, 48) == 1;
    EVP_PKEY_CTX_free(c);
    PL_ENSURE(ok, PL_ERR_INTERNAL, "RSA encryption of the premaster secret failed");
    *outlen = n;
    return 0;
}

/* Constant-time helpers: all-ones (0xff) when true, 0 when false. */
static uint8_t ct_is_zero(uint8_t x) { return (uint8_t)(((unsigned)x - 1u) >> 8); }
static uint8_t ct_eq(uint8_t a, uint8_t b) { return ct_is_zero((uint8_t)(a ^ b)); }

/* The key's implicit-rejection secret: HMAC-SHA256 keyed with the private
 * exponent (big-endian, padded to the modulus size). It depends on the key
 * only, so computing it per call costs a hash, never a secret-dependent
 * branch on the ciphertext. */
static int rsa_ir_secret(const pl_pkey *key, size_t k, uint8_t secret[32])
{
    static const char label[] = "parley RSA implicit rejection";
    uint8_t d[1024];
    BIGNUM *bn = NULL;
    int ok = EVP_PKEY_get_bn_param(PK(key), OSSL_PKEY_PARAM_RSA_D, &bn) == 1 && BN_bn2binpad(bn, d, (int)k) == (int)k;
    BN_clear_free(bn);
    int rc = ok ? pl_hmac(PL_SHA256, d, k, (const uint8_t *)label, sizeof label - 1, secret) : -1;
    pl_cleanse(d, sizeof d);
    pl_crypto_errstr();
    PL_ENSURE(rc == 0, PL_ERR_INTERNAL, "cannot derive the RSA key's implicit-rejection secret");
    return 0;
}

int pl_rsa_decrypt_premaster(const pl_pkey *key, const uint8_t *ct, size_t ctlen, uint16_t client_version, uint8_t out[48])
{
    uint8_t em[1024], subst[PL_MAX_HASH], secret[32], good, ver[2] = {(uint8_t)(client_version >> 8), (uint8_t)client_version};
    size_t k = (size_t)EVP_PKEY_get_size(PK(key)), n = sizeof em;
    pl_hmac_key hk;
    /* These checks depend only on the key, never on the ciphertext. */
    PL_ENSURE(EVP_PKEY_is_a(PK(key), "RSA") && k >= 128 && k <= sizeof em, PL_ERR_INTERNAL, "unsuitable RSA key for key exchange");
    PL_GUARD(rsa_ir_secret(key, k, secret));
    /* The substitute, computed before anything is known about the padding:
     * version || HMAC-SHA384(secret, version || ciphertext)[0..45]. */
    int rc = pl_hmac_key_init(&hk, PL_SHA384, secret, sizeof secret);
    pl_cleanse(secret, sizeof secret);
    PL_GUARD(rc);
    pl_hmac_key_mac(&hk, ver, 2, ct, ctlen, subst);
    pl_hmac_key_wipe(&hk);
    memset(em, 0, sizeof em);
    /* A ciphertext of the wrong length is treated like bad padding. Its
     * length is visible on the wire anyway. */
    good = ct_eq((uint8_t)(ctlen == k), 1);
    if (ctlen == k) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, PK(key), NULL);
        int ok = c && EVP_PKEY_decrypt_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
                 EVP_PKEY_decrypt(c, em, &n, ct, ctlen) == 1 && n == k;
        EVP_PKEY_CTX_free(c);
        pl_crypto_errstr(); /* a ciphertext >= n is rejected by libcrypto: clear, carry on */
        good &= ct_eq((uint8_t)ok, 1);
    }
    /* EM = 0x00 || 0x02 || PS (k-51 non-zero bytes) || 0x00 || version(2) || random(46) */
    good &= ct_eq(em[0], 0x00) & ct_eq(em[1], 0x02);
    for (size_t i = 2; i < k - 49; i++) good &= (uint8_t)~ct_is_zero(em[i]);
    good &= ct_eq(em[k - 49], 0x00);
    good &= ct_eq(em[k - 48], ver[0]) & ct_eq(em[k - 47], ver[1]);
    /* A valid result starts with the version; so does the substitute. */
    out[0] = ver[0];
    out[1] = ver[1];
    for (size_t i = 2; i < 48; i++) out[i] = (uint8_t)((em[k - 48 + i] & good) | (subst[i - 2] & (uint8_t)~good));
    pl_cleanse(em, sizeof em);
    pl_cleanse(subst, sizeof subst);
    return 0;
}
