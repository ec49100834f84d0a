/* sig.c - TLS signature schemes (RFC 8446 4.2.3) over EVP_DigestSign/Verify. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "fetch.h"

#define PK(k) ((EVP_PKEY *)(k))

enum { KT_RSA = 1, KT_RSA_PSS, KT_EC, KT_ED25519, KT_ED448 };

typedef struct {
    uint16_t scheme;
    int keytype;   /* key type required */
    int hash;      /* PL_SHA*, 0 for EdDSA */
    int pss;       /* RSASSA-PSS padding */
    const char *curve; /* ECDSA curve (bound in TLS 1.3) */
    int tls12_only;    /* PKCS#1 v1.5: not for TLS 1.3 handshake signatures */
} pl_scheme;

static const pl_scheme pl_schemes[] = {
    {0x0403, KT_EC, PL_SHA256, 0, "P-256", 0},
    {0x0503, KT_EC, PL_SHA384, 0, "P-384", 0},
    {0x0603, KT_EC, PL_SHA512, 0, "P-521", 0},
    {0x0804, KT_RSA, PL_SHA256, 1, NULL, 0},
    {0x0805, KT_RSA, PL_SHA384, 1, NULL, 0},
    {0x0806, KT_RSA, PL_SHA512, 1, NULL, 0},
    {0x0807, KT_ED25519, 0, 0, NULL, 0},
    {0x0808, KT_ED448, 0, 0, NULL, 0}, /* TLS 1.2 too (RFC 8422 5.1.3) */
    {0x0809, KT_RSA_PSS, PL_SHA256, 1, NULL, 0},
    {0x080a, KT_RSA_PSS, PL_SHA384, 1, NULL, 0},
    {0x080b, KT_RSA_PSS, PL_SHA512, 1, NULL, 0},
    {0x0401, KT_RSA, PL_SHA256, 0, NULL, 1},
    {0x0501, KT_RSA, PL_SHA384, 0, NULL, 1},
    {0x0601, KT_RSA, PL_SHA512, 0, NULL, 1},
};

static const pl_scheme *pl_scheme_find(uint16_t s)
{
    for (size_t i = 0; i < sizeof pl_schemes / sizeof pl_schemes[0]; i++)
        if (pl_schemes[i].scheme == s) return &pl_schemes[i];
    return NULL;
}

int pl_sig_scheme_known(uint16_t scheme) { return pl_scheme_find(scheme) != NULL; }

static int pl_key_type(const EVP_PKEY *k)
{
    if (EVP_PKEY_is_a(k, "RSA")) return KT_RSA;
    if (EVP_PKEY_is_a(k, "RSA-PSS")) return KT_RSA_PSS;
    if (EVP_PKEY_is_a(k, "EC")) return KT_EC;
    if (EVP_PKEY_is_a(k, "ED25519")) return KT_ED25519;
    if (EVP_PKEY_is_a(k, "ED448")) return KT_ED448;
    return 0;
}

static int pl_key_curve_is(const EVP_PKEY *k, const char *curve)
{
    char name[64];
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len)) return 0;
    if (strcmp(curve, "P-256") == 0) return strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0;
    if (strcmp(curve, "P-384") == 0) return strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0;
    if (strcmp(curve, "P-521") == 0) return strcmp(name, "secp521r1") == 0 || strcmp(name, "P-521") == 0;
    return 0;
}

uint16_t pl_pkey_ec_group(const pl_pkey *k)
{
    if (!k || pl_key_type(PK(k)) != KT_EC) return 0;
    return pl_key_curve_is(PK(k), "P-256") ? 0x0017 : pl_key_curve_is(PK(k), "P-384") ? 0x0018 : pl_key_curve_is(PK(k), "P-521") ? 0x0019 : 0;
}

void pl_pkey_describe(const pl_pkey *k, char *out, size_t n)
{
    const EVP_PKEY *p = PK(k);
    switch (pl_key_type(p)) {
    case KT_RSA: snprintf(out, n, "RSA %d", EVP_PKEY_get_bits(p)); break;
    case KT_RSA_PSS: snprintf(out, n, "RSA-PSS %d", EVP_PKEY_get_bits(p)); break;
    case KT_EC:
        snprintf(out, n, "EC %s",
                 pl_key_curve_is(p, "P-256")   ? "P-256"
                 : pl_key_curve_is(p, "P-384") ? "P-384"
                 : pl_key_curve_is(p, "P-521") ? "P-521"
                                               : "other");
        break;
    case KT_ED25519: snprintf(out, n, "Ed25519"); break;
    case KT_ED448: snprintf(out, n, "Ed448"); break;
    default: snprintf(out, n, "unknown key"); break;
    }
}

int pl_sig_scheme_fits_key(const pl_pkey *k, uint16_t scheme, int tls13)
{
    const pl_scheme *s = pl_scheme_find(scheme);
    if (!s || !k) return 0;
    if (tls13 && s->tls12_only) return 0;
    if (pl_key_type(PK(k)) != s->keytype) return 0;
    if (s->keytype == KT_EC && tls13 && !pl_key_curve_is(PK(k), s->curve)) return 0;
    /* TLS 1.2 does not bind the hash to the curve (RFC 8422 5.1.3: 0x0603
     * is "ECDSA with SHA-512" there), but the key must be on a curve we do. */
    if (s->keytype == KT_EC && !tls13 && !pl_key_curve_is(PK(k), "P-256") && !pl_key_curve_is(PK(k), "P-384") &&
        !pl_key_curve_is(PK(k), "P-521"))
        return 0;
    /* RFC 8017 9.1.1: EMSA-PSS needs emLen >= hLen + sLen + 2, emLen being
     * ceil((modBits - 1) / 8); TLS uses a salt as long as the hash (RFC 8446
     * 4.2.3), so a 1024-bit key cannot make rsa_pss_*_sha512. Such a scheme
     * is not one the key can do, to choose or to verify. */
    if (s->pss) {
        int bits = EVP_PKEY_get_bits(PK(k));
        size_t em_len = bits > 1 ? ((size_t)bits - 1 + 7) / 8 : 0;
        if (em_len < 2 * pl_hash_len(s->hash) + 2) return 0;
    }
    return 1;
}

void pl_pkey_free(pl_pkey *k) { EVP_PKEY_free(PK(k)); }

pl_pkey *pl_pkey_up_ref(pl_pkey *k)
{
    if (k) EVP_PKEY_up_ref(PK(k));
    return k;
}

static int pl_sig_setup(EVP_MD_CTX *mc, const pl_scheme *s, const EVP_PKEY *k, int sign)
{
    EVP_PKEY_CTX *pc = NULL;
    const char *md = s->hash ? pl_md_name(s->hash) : NULL;
    int ok = sign ? EVP_DigestSignInit_ex(mc, &pc, md, NULL, NULL, PK(k), NULL)
                  : EVP_DigestVerifyInit_ex(mc, &pc, md, NULL, NULL, PK(k), NULL);
    if (ok != 1) return 0;
    if (s->pss) {
        /* RFC 8446 4.2.3: PSS salt length equals the digest length, MGF1 with the same hash. */
        if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, md, NULL) != 1)
            return 0;
    } else if (s->keytype == KT_RSA) {
        if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1) return 0;
    }
    return 1;
}

int pl_sig_sign(const pl_pkey *k, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig,
                size_t *siglen, size_t sigcap)
{
    const pl_scheme *s = pl_scheme_find(scheme);
    EVP_MD_CTX *mc;
    size_t sl = sigcap;
    int ok;
    PL_ENSURE(s, PL_ERR_INTERNAL, "unknown signature scheme 0x%04x", scheme);
    mc = EVP_MD_CTX_new();
    ok = mc && pl_sig_setup(mc, s, PK(k), 1) && EVP_DigestSign(mc, sig, &sl, msg, len) == 1;
    /* Never trust the length beyond the buffer: libcrypto 3.0's ECDSA signs
     * "successfully" with length (unsigned)-1 when its DER encoding cannot
     * allocate (i2d_ECDSA_SIG's -1), and callers copy that many bytes. */
    ok = ok && sl > 0 && sl <= sigcap;
    EVP_MD_CTX_free(mc);
    PL_ENSURE(ok, PL_ERR_INTERNAL, "signing with scheme 0x%04x failed", scheme);
    *siglen = sl;
    return 0;
}

int pl_sig_verify(const pl_pkey *k, uint16_t scheme, const uint8_t *msg, size_t len,
                  const uint8_t *sig, size_t siglen)
{
    const pl_scheme *s = pl_scheme_find(scheme);
    EVP_MD_CTX *mc;
    int ok;
    PL_ENSURE(s, PL_ERR_ILLEGAL_PARAMETER, "unknown signature scheme 0x%04x", scheme);
    /* A well-formed empty signature (signature<0..2^16-1>) never verifies:
     * decrypt_error like any wrong one (RFC 8446 4.4.3, RFC 5246 7.2.2). */
    PL_ENSURE(siglen > 0, PL_ERR_DECRYPT_ERROR, "empty signature (scheme 0x%04x)", scheme);
    mc = EVP_MD_CTX_new();
    PL_ENSURE(mc, PL_ERR_NOMEM, "out of memory");
    ok = pl_sig_setup(mc, s, PK(k), 0) && EVP_DigestVerify(mc, sig, siglen, msg, len) == 1;
    EVP_MD_CTX_free(mc);
    pl_crypto_errstr(); /* clear libcrypto's queue */
    PL_ENSURE(ok, PL_ERR_DECRYPT_ERROR, "signature verification failed (scheme 0x%04x)", scheme);
    return 0;
}

int pl_pkey_spki_hash(const pl_pkey *k, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(PK(k), &der);
    PL_ENSURE(n > 0, PL_ERR_CRYPTO, "cannot encode the public key");
    int rc = pl_hash(PL_SHA256, der, (size_t)n, out);
    OPENSSL_free(der);
    return rc;
}
