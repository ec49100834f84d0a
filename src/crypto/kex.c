/* kex.c - ephemeral (EC)DH for TLS 1.3 key shares (RFC 8446 4.2.8.2, 7.4). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#include "../util/mem.h"
#include "crypto.h"

struct pl_kex {
    uint16_t group;
    EVP_PKEY *key;
};

/* Group parameters: share length on the wire and the libcrypto name. */
static int pl_group_info(uint16_t group, size_t *publen, const char **curve)
{
    switch (group) {
    case 0x001d: *publen = 32; *curve = NULL; return 1;          /* x25519 */
    case 0x0017: *publen = 65; *curve = "P-256"; return 1;       /* secp256r1 */
    case 0x0018: *publen = 97; *curve = "P-384"; return 1;       /* secp384r1 */
    default: return 0;
    }
}

int pl_kex_group_supported(uint16_t group)
{
    size_t l;
    const char *c;
    return pl_group_info(group, &l, &c);
}

static int pl_kex_public(pl_kex *k, uint8_t *pub, size_t *publen)
{
    size_t want = 0, len = 0;
    const char *curve = NULL;
    (void)pl_group_info(k->group, &want, &curve);
    PL_ENSURE(EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
                                              PL_MAX_KEX_PUB, &len) == 1 && len == want,
              PL_ERR_CRYPTO, "cannot encode key share");
    *publen = len;
    return 0;
}

int pl_kex_generate(uint16_t group, pl_kex **out, uint8_t *pub, size_t *publen)
{
    size_t want = 0;
    const char *curve = NULL;
    pl_kex *k;
    *out = NULL;
    PL_ENSURE(pl_group_info(group, &want, &curve), PL_ERR_INTERNAL, "unsupported group 0x%04x", group);
    k = pl_calloc(1, sizeof *k);
    PL_ENSURE(k, PL_ERR_NOMEM, "out of memory");
    k->group = group;
    k->key = curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve) : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    if (!k->key) {
        pl_free(k);
        PL_BAIL(PL_ERR_CRYPTO, "key generation failed for group 0x%04x", group);
    }
    int rc = pl_kex_public(k, pub, publen);
    if (rc < 0) {
        pl_kex_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int pl_kex_x25519_from_private(const uint8_t priv[32], pl_kex **out, uint8_t pub[32])
{
    size_t publen;
    pl_kex *k = pl_calloc(1, sizeof *k);
    PL_ENSURE(k, PL_ERR_NOMEM, "out of memory");
    k->group = 0x001d;
    k->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    if (!k->key) {
        pl_free(k);
        PL_BAIL(PL_ERR_CRYPTO, "bad x25519 private key");
    }
    int rc = pl_kex_public(k, pub, &publen);
    if (rc < 0) {
        pl_kex_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int pl_kex_derive(pl_kex *k, const uint8_t *peer, size_t peerlen, uint8_t *secret, size_t *secretlen)
{
    size_t want = 0, slen = PL_MAX_KEX_SECRET;
    const char *curve = NULL;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *pc = NULL, *dc = NULL;
    int rc = 0;
    (void)pl_group_info(k->group, &want, &curve);
    /* RFC 8446 4.2.8.2: shares must have the group's exact length; EC points
     * are uncompressed (0x04) only. */
    PL_ENSURE(peerlen == want, PL_ERR_ILLEGAL_PARAMETER, "key share has %zu bytes, group needs %zu", peerlen, want);
    PL_ENSURE(!curve || peer[0] == 0x04, PL_ERR_ILLEGAL_PARAMETER, "EC key share is not an uncompressed point");
    if (curve) {
        pk = EVP_PKEY_new();
        if (!pk || !EVP_PKEY_copy_parameters(pk, k->key) ||
            !EVP_PKEY_set1_encoded_public_key(pk, peer, peerlen)) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "peer's EC key share is not a point on the curve");
            goto out;
        }
        /* Full public-key validation: on the curve, not the point at infinity. */
        pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!pc || EVP_PKEY_public_check(pc) != 1) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "peer's EC key share failed validation");
            goto out;
        }
    } else {
        pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peerlen);
        if (!pk) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "bad x25519 key share");
            goto out;
        }
    }
    dc = EVP_PKEY_CTX_new_from_pkey(NULL, k->key, NULL);
    if (!dc || EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, pk) != 1 ||
        EVP_PKEY_derive(dc, secret, &slen) != 1) {
        rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "key exchange failed with the peer's share");
        goto out;
    }
    if (!curve) {
        /* RFC 8446 7.4.2 / RFC 7748 6.1: reject the all-zero x25519 output. */
        uint8_t acc = 0;
        for (size_t i = 0; i < slen; i++) acc |= secret[i];
        if (acc == 0) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "x25519 shared secret is all zeros (low-order share)");
            goto out;
        }
    }
    *secretlen = slen;
out:
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(pk);
    return rc;
}

void pl_kex_free(pl_kex *k)
{
    if (!k) return;
    EVP_PKEY_free(k->key);
    pl_free(k);
}
