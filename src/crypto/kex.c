/* kex.c - ephemeral (EC)DH for TLS 1.3 key shares (RFC 8446 4.2.8.2, 7.4)
 * and TLS 1.2 ECDHE/DHE (RFC 8422, RFC 7919): x25519, x448 (RFC 7748),
 * secp256r1/384r1/521r1, ffdhe2048..8192, and the RFC 3526 MODP groups a
 * TLS 1.2 client may be sent (modp_groups.c). */
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>

#include "../util/mem.h"
#include "crypto.h"
#include "fetch.h"

struct pl_kex {
    uint16_t group;
    int tls12;
    EVP_PKEY *key;
};

/* RFC 7919 named groups: ffdhe2048 (0x0100) .. ffdhe8192 (0x0104). */
#define PL_NFFDHE 5
int pl_kex_group_is_ffdhe(uint16_t group) { return group >= 0x0100 && group < 0x0100 + PL_NFFDHE; }

static const char *pl_ffdhe_name(uint16_t group)
{
    switch (group) {
    case 0x0100: return "ffdhe2048";
    case 0x0101: return "ffdhe3072";
    case 0x0102: return "ffdhe4096";
    case 0x0103: return "ffdhe6144";
    case 0x0104: return "ffdhe8192";
    default: return NULL;
    }
}

void pl_kex_set_tls12(pl_kex *k) { k->tls12 = 1; }

/* The primes, fetched from libcrypto's named-group tables on first use
 * (pl_make_once: a failed load is tried again). pl_prime_ready[i] points at
 * pl_primes[i] once it and pl_prime_len[i] are filled. */
static uint8_t pl_primes[PL_NFFDHE][PL_MAX_KEX_PUB];
static size_t pl_prime_len[PL_NFFDHE];
static _Atomic(void *) pl_prime_ready[PL_NFFDHE];

static void *pl_load_prime(int i)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *params = NULL;
    BIGNUM *p = NULL;
    size_t len = 0;
    if (c && EVP_PKEY_paramgen_init(c) == 1 && EVP_PKEY_CTX_set_group_name(c, pl_ffdhe_name((uint16_t)(0x0100 + i))) == 1 &&
        EVP_PKEY_paramgen(c, &params) == 1 && EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) == 1) {
        int n = BN_num_bytes(p);
        if (n > 0 && n <= PL_MAX_KEX_PUB && BN_bn2bin(p, pl_primes[i]) == n) len = (size_t)n;
    }
    BN_free(p);
    EVP_PKEY_free(params);
    EVP_PKEY_CTX_free(c);
    pl_prime_len[i] = len;
    return len ? pl_primes[i] : NULL;
}

size_t pl_ffdhe_prime(uint16_t group, const uint8_t **p)
{
    if (!pl_kex_group_is_ffdhe(group)) return 0;
    int i = group - 0x0100;
    *p = pl_primes[i];
    return pl_make_once(&pl_prime_ready[i], pl_load_prime, i) ? pl_prime_len[i] : 0;
}

int pl_kex_group_is_ff(uint16_t group) { return pl_kex_group_is_ffdhe(group) || pl_kex_group_is_modp(group); }

size_t pl_ff_prime(uint16_t group, const uint8_t **p)
{
    return pl_kex_group_is_ffdhe(group) ? pl_ffdhe_prime(group, p) : pl_modp_prime(group, p);
}

/* libcrypto's name for a finite-field group: both kinds are built in
 * (OpenSSL 3.0's ossl_ffc_named_group table, "ffdhe2048", "modp_2048"),
 * with their short private-exponent lengths (RFC 7919 5.2). */
static const char *pl_ff_name(uint16_t group)
{
    return pl_kex_group_is_ffdhe(group) ? pl_ffdhe_name(group) : pl_modp_libcrypto_name(group);
}

/* Group parameters: share length on the wire and the libcrypto name. */
static int pl_group_info(uint16_t group, size_t *publen, const char **curve)
{
    switch (group) {
    case 0x001d: *publen = 32; *curve = NULL; return 1;          /* x25519 */
    case 0x0017: *publen = 65; *curve = "P-256"; return 1;       /* secp256r1 */
    case 0x0018: *publen = 97; *curve = "P-384"; return 1;       /* secp384r1 */
    case 0x0019: *publen = 133; *curve = "P-521"; return 1;      /* secp521r1 (RFC 8446 4.2.8.2: 1 + 2 * 66) */
    case 0x001e: *publen = 56; *curve = NULL; return 1;          /* x448 (RFC 7748 5) */
    case 0x0100: *publen = 256; *curve = NULL; return 1;         /* ffdhe2048 */
    case 0x0101: *publen = 384; *curve = NULL; return 1;         /* ffdhe3072 */
    case 0x0102: *publen = 512; *curve = NULL; return 1;         /* ffdhe4096 */
    case 0x0103: *publen = 768; *curve = NULL; return 1;         /* ffdhe6144 */
    case 0x0104: *publen = 1024; *curve = NULL; return 1;        /* ffdhe8192 */
    default: break;
    }
    /* RFC 3526 groups: the prime's length, like the named ones. */
    const uint8_t *p;
    size_t len = pl_modp_prime(group, &p);
    *curve = NULL;
    *publen = len;
    return len != 0;
}

/* One key per elliptic-curve group, made once: new keys and peer keys are
 * created from it (EVP_PKEY_CTX_new_from_pkey), so libcrypto does not look the
 * algorithm up by name for every share (anchors.md: fetch once). */
static _Atomic(void *) pl_templates[5]; /* EVP_PKEY: x25519, P-256, P-384, P-521, x448 */

static void *pl_make_template(int i)
{
    static const char *const curves[] = {NULL, "P-256", "P-384", "P-521", NULL};
    if (i == 0) return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    if (i == 4) return EVP_PKEY_Q_keygen(NULL, NULL, "X448");
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
}

static EVP_PKEY *pl_template(uint16_t group)
{
    int i;
    switch (group) {
    case 0x001d: i = 0; break;
    case 0x0017: i = 1; break;
    case 0x0018: i = 2; break;
    case 0x0019: i = 3; break;
    case 0x001e: i = 4; break;
    default: return NULL;
    }
    return pl_make_once(&pl_templates[i], pl_make_template, i);
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
    if (pl_kex_group_is_ff(k->group)) {
        /* Y as a big-endian integer padded to the prime's length (RFC 8446 4.2.8.1;
         * TLS 1.2 peers accept the padded form too). */
        BIGNUM *y = NULL;
        int ok = EVP_PKEY_get_bn_param(k->key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 && BN_bn2binpad(y, pub, (int)want) == (int)want;
        BN_free(y);
        PL_ENSURE(ok, PL_ERR_CRYPTO, "cannot encode DH public value");
        *publen = want;
        return 0;
    }
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
    if (pl_kex_group_is_ff(group)) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
        if (c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_CTX_set_group_name(c, pl_ff_name(group)) == 1)
            (void)EVP_PKEY_generate(c, &k->key);
        EVP_PKEY_CTX_free(c);
    } else {
        /* The template's group is the new key's (EVP_PKEY_generate uses the
         * context's key as its parameter template). */
        EVP_PKEY *t = pl_template(group);
        EVP_PKEY_CTX *c = t ? EVP_PKEY_CTX_new_from_pkey(NULL, t, NULL) : NULL;
        if (c && EVP_PKEY_keygen_init(c) == 1) (void)EVP_PKEY_generate(c, &k->key);
        EVP_PKEY_CTX_free(c);
    }
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
    /* TLS 1.2 dh_Ys / dh_Yc are integers of any encoding length (RFC 5246
     * 7.4.3, 8.1.2): leading zero bytes are stripped and the value is
     * judged, so a value longer than the prime, like 0, 1, p-1 or p, is out
     * of 1 < Y < p-1 and gets handshake_failure (RFC 7919 3 and 4). TLS 1.3
     * shares keep their fixed length (RFC 8446 4.2.8.1): illegal_parameter. */
    if (pl_kex_group_is_ff(k->group) && k->tls12) {
        while (peerlen && peer[0] == 0) peer++, peerlen--;
        PL_ENSURE(peerlen <= want, PL_ERR_HANDSHAKE_FAILURE,
                  "peer's DH public value is out of range (must be 1 < Y < p-1): %zu bytes without leading zeros, the prime has %zu", peerlen,
                  want);
    } else
        PL_ENSURE(peerlen == want, PL_ERR_ILLEGAL_PARAMETER, "key share has %zu bytes, group needs %zu", peerlen, want);
    PL_ENSURE(!curve || peer[0] == 0x04, PL_ERR_ILLEGAL_PARAMETER, "EC key share is not an uncompressed point");
    if (pl_kex_group_is_ff(k->group)) {
        /* RFC 7919 5.1 / RFC 8446 4.2.8.1: 1 < Y < p-1. The groups (RFC
         * 7919 and RFC 3526 alike) are safe primes, so this range check is
         * the whole validation needed. */
        const uint8_t *prime;
        size_t plen = pl_ff_prime(k->group, &prime);
        BIGNUM *y = BN_bin2bn(peer, (int)peerlen, NULL), *pm1 = BN_bin2bn(prime, (int)plen, NULL);
        int in_range = y && pm1 && BN_sub_word(pm1, 1) && BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, pm1) < 0;
        OSSL_PARAM_BLD *bld = in_range ? OSSL_PARAM_BLD_new() : NULL;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *fc = NULL;
        if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, pl_ff_name(k->group), 0) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
            params = OSSL_PARAM_BLD_to_param(bld);
        if (params && (fc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL)) && EVP_PKEY_fromdata_init(fc) == 1)
            (void)EVP_PKEY_fromdata(fc, &pk, EVP_PKEY_PUBLIC_KEY, params);
        EVP_PKEY_CTX_free(fc);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(y);
        BN_free(pm1);
        if (!in_range) {
            /* RFC 7919 3 (dh_Ys) and 4 (dh_Yc): handshake_failure in TLS
             * 1.2; RFC 8446 names no alert for a bad share: illegal_parameter. */
            rc = pl_fail(k->tls12 ? PL_ERR_HANDSHAKE_FAILURE : PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__,
                         "peer's DH public value is out of range (must be 1 < Y < p-1)");
            goto out;
        }
        if (!pk) {
            rc = pl_fail(PL_ERR_CRYPTO, __FILE__, __LINE__, "cannot load the peer's DH public value");
            goto out;
        }
    } else if (curve) {
        pk = EVP_PKEY_new();
        if (!pk || !EVP_PKEY_copy_parameters(pk, k->key) ||
            !EVP_PKEY_set1_encoded_public_key(pk, peer, peerlen)) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "peer's EC key share is not a point on the curve");
            goto out;
        }
        /* RFC 8446 4.2.8.2: on the curve and not the point at infinity (SP
         * 800-56A partial validation). The curves have cofactor 1, so the
         * order check of a full validation (a scalar multiplication, half
         * the cost of the exchange itself) adds nothing (P-521 too: h = 1). */
        pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!pc || EVP_PKEY_public_check_quick(pc) != 1) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "peer's EC key share failed validation");
            goto out;
        }
    } else {
        EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_pkey(NULL, pl_template(k->group), NULL);
        OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, peerlen), OSSL_PARAM_END};
        if (fc && EVP_PKEY_fromdata_init(fc) == 1) (void)EVP_PKEY_fromdata(fc, &pk, EVP_PKEY_PUBLIC_KEY, p);
        EVP_PKEY_CTX_free(fc);
        if (!pk) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "bad %s key share", k->group == 0x001e ? "x448" : "x25519");
            goto out;
        }
    }
    dc = EVP_PKEY_CTX_new_from_pkey(NULL, k->key, NULL);
    /* FFDHE: TLS 1.3 keeps the secret at the prime's length, TLS 1.2 strips
     * leading zero bytes. */
    if (dc && pl_kex_group_is_ff(k->group) && EVP_PKEY_derive_init(dc) == 1)
        (void)EVP_PKEY_CTX_set_dh_pad(dc, k->tls12 ? 0 : 1);
    /* The peer value was validated above (range check for the safe-prime
     * FFDHE groups, point check for EC, the zero-output check for x25519
     * below): libcrypto's own peer check (for DH a full subgroup check, a
     * modular exponentiation) is not repeated. */
    if (!dc || (!pl_kex_group_is_ff(k->group) && EVP_PKEY_derive_init(dc) != 1) || EVP_PKEY_derive_set_peer_ex(dc, pk, 0) != 1 ||
        EVP_PKEY_derive(dc, secret, &slen) != 1 || slen == 0 || slen > PL_MAX_KEX_SECRET) {
        /* libcrypto's X25519/X448 refuse an all-zero result themselves
         * (RFC 7748 6.1, 6.2): for them this is the low-order share. */
        if (dc && !curve && !pl_kex_group_is_ff(k->group))
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "%s key exchange refused the peer's share (a low-order point)",
                         k->group == 0x001e ? "x448" : "x25519");
        else
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "key exchange failed with the peer's share");
        goto out;
    }
    if (!curve && !pl_kex_group_is_ff(k->group)) {
        /* RFC 8446 7.4.2 / RFC 7748 6.1 and 6.2: reject the all-zero
         * x25519 / x448 output (a low-order share). */
        uint8_t acc = 0;
        for (size_t i = 0; i < slen; i++) acc |= secret[i];
        if (acc == 0) {
            rc = pl_fail(PL_ERR_ILLEGAL_PARAMETER, __FILE__, __LINE__, "%s shared secret is all zeros (low-order share)",
                         k->group == 0x001e ? "x448" : "x25519");
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
