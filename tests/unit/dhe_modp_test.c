/*
 * dhe_modp_test.c - issue #16: the TLS 1.2 client and a DHE server that
 * does not use RFC 7919 (OpenSSL's default sends RFC 3526 primes). The
 * primes table against libcrypto and the RFC text; the key exchange in the
 * MODP groups (1 < Y < p-1, the TLS 1.2 leading-zero stripping of Z, RFC
 * 5246 8.1.2); and raw ServerKeyExchange messages, re-signed with the
 * server's key by the man in the middle, for every rule of
 * handshake/dh_group12.c: each RFC 3526 prime of 2048 bits and more
 * accepted, the 1024-bit RFC 2409 prime, a prime with one bit flipped, a
 * short prime, generator 5, padded encodings and Ys = 1 / p-1 refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "x509/x509.h"

/* RFC 2409 6.2 (the Second Oakley Group) and RFC 3526 3 (2048-bit MODP
 * group), copied from the RFCs' text: a check of the table that does not
 * go through libcrypto. */
static const char rfc2409_1024[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22"
                                   "514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6"
                                   "F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381"
                                   "FFFFFFFF FFFFFFFF";
static const char rfc3526_2048[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22"
                                   "514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6"
                                   "F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
                                   "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
                                   "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B E39E772C 180E8603"
                                   "9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
                                   "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/* Hex with spaces to bytes. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    char clean[4096];
    size_t n = 0;
    for (; *h && n + 1 < sizeof clean; h++)
        if (*h != ' ') clean[n++] = *h;
    clean[n] = 0;
    return hex_decode(clean, out, cap);
}

static const uint16_t modp_ids[] = {PARLEY_GROUP_MODP2048, PARLEY_GROUP_MODP3072, PARLEY_GROUP_MODP4096, PARLEY_GROUP_MODP6144,
                                    PARLEY_GROUP_MODP8192};

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "rsa2048", "rsa2048", "localhost", -1, 30);
}

/* ------------------------------------------------------------ the table */

static void test_table(void **state)
{
    (void)state;
    /* Every prime equals libcrypto's BN_get_rfc3526_prime_* / rfc2409 copy. */
    assert_int_equal(pl_modp_selfcheck(), 0);
    uint8_t b[256];
    const uint8_t *p;
    const char *what;
    assert_int_equal(unhex(rfc3526_2048, b, sizeof b), 256);
    assert_int_equal(pl_modp_prime(PARLEY_GROUP_MODP2048, &p), 256);
    assert_memory_equal(p, b, 256);
    assert_int_equal(pl_modp_identify(b, 256, &what), PARLEY_GROUP_MODP2048);
    assert_string_equal(what, "the 2048-bit RFC 3526 prime");
    /* The RFC 2409 prime is known (to be named when refused), not accepted. */
    assert_int_equal(unhex(rfc2409_1024, b, sizeof b), 128);
    assert_int_equal(pl_modp_identify(b, 128, &what), 0);
    assert_non_null(what);
    assert_non_null(strstr(what, "1024-bit RFC 2409"));
    const char *names[] = {"modp2048", "modp3072", "modp4096", "modp6144", "modp8192"};
    for (int i = 0; i < 5; i++) {
        size_t len = pl_modp_prime(modp_ids[i], &p);
        assert_int_equal(len * 8, (size_t)(i < 3 ? 2048 + 1024 * i : 6144 + 2048 * (i - 3)));
        assert_int_equal(p[0], 0xff); /* top bit set: the minimal encoding is the prime's size */
        assert_int_equal(pl_modp_identify(p, len, &what), modp_ids[i]);
        assert_string_equal(parley_group_name(modp_ids[i]), names[i]);
        assert_true(pl_kex_group_is_modp(modp_ids[i]) && pl_kex_group_is_ff(modp_ids[i]) && !pl_kex_group_is_ffdhe(modp_ids[i]));
    }
    /* Not named groups: a config cannot list them (they would go on the wire). */
    parley_config *cfg = parley_config_new();
    assert_int_not_equal(parley_config_set_groups(cfg, "modp2048"), PARLEY_OK);
    assert_int_not_equal(parley_config_set_groups(cfg, "x25519:modp3072"), PARLEY_OK);
    parley_config_free(cfg);
}

/* ----------------------------------------------------- the key exchange */

static void test_kex(void **state)
{
    (void)state;
    static uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET], sb[PL_MAX_KEX_SECRET], y[PL_MAX_KEX_PUB + 1];
    for (int i = 0; i < 5; i++) {
        pl_kex *a, *b;
        size_t la, lb, ka, kb;
        const uint8_t *prime;
        size_t plen = pl_modp_prime(modp_ids[i], &prime);
        assert_int_equal(pl_kex_generate(modp_ids[i], &a, pa, &la), 0);
        assert_int_equal(pl_kex_generate(modp_ids[i], &b, pb, &lb), 0);
        assert_int_equal(la, plen); /* dh_Yc padded to the prime's length */
        assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), 0);
        assert_int_equal(pl_kex_derive(b, pa, la, sb, &kb), 0);
        assert_int_equal(ka, plen);
        assert_memory_equal(sa, sb, ka);
        /* 1 < Y < p-1 (RFC 7919 5.1): TLS 1.3 form illegal_parameter,
         * TLS 1.2 handshake_failure (RFC 7919 3). */
        for (int tls12 = 0; tls12 < 2; tls12++) {
            if (tls12) pl_kex_set_tls12(a);
            int want = tls12 ? -PL_ERR_HANDSHAKE_FAILURE : -PL_ERR_ILLEGAL_PARAMETER;
            memset(y, 0, plen);
            y[plen - 1] = 1;
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            assert_int_equal(pl_kex_derive(a, y + plen - 1, 1, sa, &ka), tls12 ? want : -PL_ERR_ILLEGAL_PARAMETER);
            memcpy(y, prime, plen);
            y[plen - 1] -= 1; /* p - 1 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            assert_non_null(strstr(pl_last_message(), "out of range"));
            y[plen - 1] += 1; /* p */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            y[plen - 1] -= 2; /* p - 2: in range */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), 0);
            /* TLS 1.2: a value, whatever its encoding (RFC 5246 7.4.3):
             * 00 || p-2 is p-2, in range; 01 || p-2 is longer than the
             * prime, out of range (handshake_failure, RFC 7919 3). TLS 1.3
             * shares have the prime's exact length (RFC 8446 4.2.8.1). */
            memmove(y + 1, y, plen);
            y[0] = 0;
            assert_int_equal(pl_kex_derive(a, y, plen + 1, sa, &ka), tls12 ? 0 : -PL_ERR_ILLEGAL_PARAMETER);
            y[0] = 1;
            assert_int_equal(pl_kex_derive(a, y, plen + 1, sa, &ka), want);
            if (tls12) assert_non_null(strstr(pl_last_message(), "out of range"));
        }
        pl_kex_free(a);
        pl_kex_free(b);
    }
}

/* RFC 5246 8.1.2: "Leading bytes of Z that contain all zero bits are
 * stripped before it is used as the pre_master_secret"; RFC 7919 leaves
 * that alone for TLS 1.2 (only TLS 1.3, RFC 8446 7.4.1, pads). New key
 * pairs until Z starts with a zero byte (1 in 256): the TLS 1.2 secret is
 * then the padded one without it. */
static void test_tls12_strips_z(void **state)
{
    (void)state;
    static uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], z[PL_MAX_KEX_SECRET], z12[PL_MAX_KEX_SECRET];
    int found = 0;
    for (int tries = 0; tries < 5000 && !found; tries++) {
        pl_kex *a, *b;
        size_t la, lb, kz, k12;
        assert_int_equal(pl_kex_generate(PARLEY_GROUP_MODP2048, &a, pa, &la), 0);
        assert_int_equal(pl_kex_generate(PARLEY_GROUP_MODP2048, &b, pb, &lb), 0);
        assert_int_equal(pl_kex_derive(a, pb, lb, z, &kz), 0);
        assert_int_equal(kz, 256);
        pl_kex_set_tls12(a);
        assert_int_equal(pl_kex_derive(a, pb, lb, z12, &k12), 0);
        size_t lead = 0;
        while (lead < kz && z[lead] == 0) lead++;
        assert_int_equal(k12, kz - lead);
        assert_memory_equal(z12, z + lead, k12);
        found = lead > 0;
        pl_kex_free(a);
        pl_kex_free(b);
    }
    assert_true(found);
}

/* ------------------------------------- raw ServerKeyExchange messages */

/* The man in the middle replaces the server's DHE ServerKeyExchange with
 * dh_p, dh_g, dh_Ys of the test's choosing, signed with the server's key
 * over both randoms (RFC 5246 7.4.3) under the scheme the server chose, and
 * notes the length of the client's dh_Yc. */
typedef struct {
    mitm m; /* first: the rewriter gets a mitm * */
    uint8_t cr[32], sr[32];
    uint8_t p[1100], g[8], ys[1100];
    size_t plen, glen, yslen;
    pl_pkey *key;
    size_t yc_len;
    int forge; /* spoil the signature */
} ske_rw;

static size_t put_vec16(uint8_t *out, const uint8_t *v, size_t n)
{
    put16(out, n);
    memcpy(out + 2, v, n);
    return 2 + n;
}

static int rewrite_ske(mitm *mm, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    ske_rw *r = (ske_rw *)mm;
    if (dir == 0 && type == PL_HS_CLIENT_HELLO) memcpy(r->cr, b + 2, 32);
    if (dir == 1 && type == PL_HS_SERVER_HELLO) memcpy(r->sr, b + 2, 32);
    if (dir == 0 && type == PL_HS_CLIENT_KEY_EXCHANGE) r->yc_len = get16(b);
    if (dir != 1 || type != PL_HS_SERVER_KEY_EXCHANGE) return 0;
    size_t off = 0;
    for (int i = 0; i < 3; i++) off += 2 + get16(b + off); /* the server's dh_p, dh_g, dh_Ys */
    uint16_t scheme = (uint16_t)get16(b + off);
    static uint8_t tbs[64 + 3 * 1102];
    memcpy(tbs, r->cr, 32);
    memcpy(tbs + 32, r->sr, 32);
    size_t pl = 64;
    pl += put_vec16(tbs + pl, r->p, r->plen);
    pl += put_vec16(tbs + pl, r->g, r->glen);
    pl += put_vec16(tbs + pl, r->ys, r->yslen);
    uint8_t sig[PL_MAX_SIG];
    size_t sl;
    assert_int_equal(pl_sig_sign(r->key, scheme, tbs, pl, sig, &sl, sizeof sig), 0);
    if (r->forge) sig[sl / 2] ^= 0x01;
    assert_true(pl - 64 + 4 + sl <= cap);
    memcpy(b, tbs + 64, pl - 64);
    put16(b + pl - 64, scheme);
    put_vec16(b + pl - 64 + 2, sig, sl);
    *len = pl - 64 + 4 + sl;
    return 0; /* keep watching: the client's ClientKeyExchange comes next */
}

/* ServerKeyExchange with prime p (plen bytes), generator g and Ys = p - 2
 * (in range) unless ys is given. */
static void ske_set(ske_rw *r, const uint8_t *p, size_t plen, unsigned g, const uint8_t *ys, size_t yslen)
{
    memcpy(r->p, p, plen);
    r->plen = plen;
    r->g[0] = (uint8_t)g;
    r->glen = 1;
    r->forge = 0;
    if (ys) {
        memcpy(r->ys, ys, yslen);
        r->yslen = yslen;
    } else {
        size_t s = 0;
        while (s < plen && p[s] == 0) s++;
        memcpy(r->ys, p + s, plen - s);
        r->yslen = plen - s;
        r->ys[r->yslen - 1] -= 2;
    }
}

/* A DHE-only TLS 1.2 pair through r; the client lists `groups` (NULL: the
 * default), the server `sgroups`. Returns the client's error string. */
static const char *ske_run(ske_rw *r, pair *p, const char *groups, const char *sgroups)
{
    char path[512];
    parley_config *cc = client_cfg("rsa2048"), *sc = server_cfg("rsa2048");
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    if (groups) assert_int_equal(parley_config_set_groups(cc, groups), PARLEY_OK);
    if (sgroups) assert_int_equal(parley_config_set_groups(sc, sgroups), PARLEY_OK);
    snprintf(path, sizeof path, "%s/rsa2048.key", test_dir());
    if (!r->key) assert_int_equal(pl_key_load_pem(path, &r->key), 0);
    memset(&r->m, 0, sizeof r->m); /* a new connection: no CCS seen yet */
    r->m.fn = rewrite_ske;
    r->yc_len = 0;
    make_pair(p, only_version(cc, PARLEY_TLS1_2), only_version(sc, PARLEY_TLS1_2), "localhost");
    assert_int_equal(mitm_handshake(p, &r->m), -1); /* never completes: the server's own SKE was replaced */
    return parley_conn_error_string(p->client);
}

/* The client took the group: it reports it, sent a dh_Yc as long as the
 * prime and failed only at the end (the server's premaster differs). */
static void expect_accepted(ske_rw *r, pair *p, uint16_t group, size_t plen)
{
    if (parley_conn_group(p->client) != group)
        fail_msg("group 0x%04x not taken: \"%s\"", group, parley_conn_error_string(p->client));
    assert_int_equal(r->yc_len, plen);
    assert_int_equal(parley_conn_alert_sent(p->client), -1);
    assert_int_equal(parley_conn_alert_received(p->client), parley_conn_alert_sent(p->server));
}

static void test_ske_modp_accepted(void **state)
{
    (void)state;
    static ske_rw r;
    pair p;
    for (int i = 0; i < 5; i++) {
        const uint8_t *prime;
        size_t plen = pl_modp_prime(modp_ids[i], &prime);
        ske_set(&r, prime, plen, 2, NULL, 0);
        /* ffdhe8192 listed: any RFC 3526 size is within what we offered. */
        ske_run(&r, &p, "x25519:ffdhe2048:ffdhe8192", "ffdhe8192:ffdhe2048");
        expect_accepted(&r, &p, modp_ids[i], plen);
        free_pair(&p);
    }
    /* The default list (ffdhe2048..4096) takes 2048..4096. */
    for (int i = 0; i < 3; i++) {
        const uint8_t *prime;
        size_t plen = pl_modp_prime(modp_ids[i], &prime);
        ske_set(&r, prime, plen, 2, NULL, 0);
        ske_run(&r, &p, NULL, NULL);
        expect_accepted(&r, &p, modp_ids[i], plen);
        free_pair(&p);
    }
    /* Values, not encodings (RFC 7919 3, RFC 5246 7.4.3): a prime or a
     * generator with leading zero bytes is the same group; the exchange
     * uses the table's prime (dh_Yc as long as the prime itself). */
    uint8_t b[1100];
    const uint8_t *m2048, *f2048;
    size_t l2048 = pl_modp_prime(PARLEY_GROUP_MODP2048, &m2048), lf2048 = pl_ffdhe_prime(PARLEY_GROUP_FFDHE2048, &f2048);
    b[0] = 0, b[1] = 0;
    memcpy(b + 2, m2048, l2048);
    ske_set(&r, b, l2048 + 2, 2, NULL, 0);
    ske_run(&r, &p, NULL, NULL);
    expect_accepted(&r, &p, PARLEY_GROUP_MODP2048, l2048);
    free_pair(&p);
    memcpy(b + 1, f2048, lf2048);
    ske_set(&r, b, lf2048 + 1, 2, NULL, 0);
    ske_run(&r, &p, NULL, NULL);
    expect_accepted(&r, &p, PARLEY_GROUP_FFDHE2048, lf2048);
    free_pair(&p);
    ske_set(&r, m2048, l2048, 0, NULL, 0);
    r.g[1] = 0, r.g[2] = 2, r.glen = 3; /* g = 00 00 02 */
    ske_run(&r, &p, NULL, NULL);
    expect_accepted(&r, &p, PARLEY_GROUP_MODP2048, l2048);
    free_pair(&p);
    /* A named group the client did not list, no larger than the largest it
     * listed: taken under local policy (RFC 7919 3), like an RFC 3526 prime. */
    const uint8_t *f3072;
    size_t lf3072 = pl_ffdhe_prime(PARLEY_GROUP_FFDHE3072, &f3072);
    ske_set(&r, f3072, lf3072, 2, NULL, 0);
    ske_run(&r, &p, "x25519:ffdhe2048:ffdhe4096", NULL);
    expect_accepted(&r, &p, PARLEY_GROUP_FFDHE3072, lf3072);
    free_pair(&p);
    /* No FFDHE group listed: the server picks freely (RFC 7919 4), any size. */
    const uint8_t *prime;
    size_t plen = pl_modp_prime(PARLEY_GROUP_MODP8192, &prime);
    ske_set(&r, prime, plen, 2, NULL, 0);
    ske_run(&r, &p, "x25519", NULL);
    expect_accepted(&r, &p, PARLEY_GROUP_MODP8192, plen);
    free_pair(&p);
    pl_pkey_free(r.key);
    r.key = NULL;
}

/* Refused by the client with `alert` and a sentence containing `text`. */
static void expect_refused(ske_rw *r, const char *groups, int alert, const char *text)
{
    pair p;
    ske_run(r, &p, groups, NULL);
    expect_alert(p.client, p.server, alert, text);
    assert_int_equal(parley_conn_group(p.client), 0); /* no group reported unless the exchange succeeded */
    assert_int_equal(r->yc_len, 0);                                     /* no ClientKeyExchange */
    free_pair(&p);
}

static void test_ske_refused(void **state)
{
    (void)state;
    static ske_rw r;
    uint8_t b[1100];
    const uint8_t *m2048, *m8192;
    size_t l2048 = pl_modp_prime(PARLEY_GROUP_MODP2048, &m2048), l8192 = pl_modp_prime(PARLEY_GROUP_MODP8192, &m8192);
    /* The 1024-bit RFC 2409 prime (OpenSSL's auto DH below 112 bits of security). */
    size_t n = unhex(rfc2409_1024, b, sizeof b);
    ske_set(&r, b, n, 2, NULL, 0);
    expect_refused(&r, NULL, 71, "server's DH group is the 1024-bit RFC 2409 prime (Oakley group 2), too weak");
    /* The 2048-bit RFC 3526 prime with one bit flipped. */
    memcpy(b, m2048, l2048);
    b[100] ^= 0x10;
    ske_set(&r, b, l2048, 2, NULL, 0);
    expect_refused(&r, NULL, 71, "server's DH group is a 2048-bit prime that is neither RFC 7919 nor RFC 3526 (2048 bits or more)");
    /* A prime shorter than 2048 bits (the RFC 3526 one without its top byte). */
    ske_set(&r, m2048 + 1, l2048 - 1, 2, NULL, 0);
    expect_refused(&r, NULL, 71, "a 2040-bit prime that is neither");
    /* Generator 5 with the right prime, also as 00 05 (the value is named,
     * RFC 7919 3 compares values), and a 33-bit generator. */
    ske_set(&r, m2048, l2048, 5, NULL, 0);
    expect_refused(&r, NULL, 71, "server's DH group is the 2048-bit RFC 3526 prime with generator 5, not 2");
    ske_set(&r, m2048, l2048, 0, NULL, 0);
    r.g[1] = 5, r.glen = 2;
    expect_refused(&r, NULL, 71, "server's DH group is the 2048-bit RFC 3526 prime with generator 5, not 2");
    ske_set(&r, m2048, l2048, 0, NULL, 0);
    memcpy(r.g, "\x00\x00\x01\x00\x00\x00\x02", 7), r.glen = 7;
    expect_refused(&r, NULL, 71, "server's DH group is the 2048-bit RFC 3526 prime with a 33-bit generator, not 2");
    /* A weak prime is weak however it is padded. */
    b[0] = 0;
    n = unhex(rfc2409_1024, b + 1, sizeof b - 1);
    ske_set(&r, b, n + 1, 2, NULL, 0);
    expect_refused(&r, NULL, 71, "server's DH group is the 1024-bit RFC 2409 prime (Oakley group 2), too weak");
    /* RFC 7919 3: the signature is validated before the parameters are
     * compared. A forged ServerKeyExchange (the signature spoiled) is a bad
     * signature, decrypt_error, whether its group is weak, too large or good. */
    n = unhex(rfc2409_1024, b, sizeof b);
    ske_set(&r, b, n, 2, NULL, 0);
    r.forge = 1;
    expect_refused(&r, NULL, 51, "the server's ServerKeyExchange signature is invalid");
    ske_set(&r, m8192, l8192, 2, NULL, 0);
    r.forge = 1;
    expect_refused(&r, NULL, 51, "the server's ServerKeyExchange signature is invalid");
    ske_set(&r, m2048, l2048, 2, NULL, 0);
    r.forge = 1;
    expect_refused(&r, NULL, 51, "the server's ServerKeyExchange signature is invalid");
    /* Ys = 1 and Ys = p - 1: handshake_failure (RFC 7919 3). */
    uint8_t one = 1;
    ske_set(&r, m2048, l2048, 2, &one, 1);
    expect_refused(&r, NULL, 40, "out of range (must be 1 < Y < p-1)");
    memcpy(b, m2048, l2048);
    b[l2048 - 1] -= 1;
    ske_set(&r, m2048, l2048, 2, b, l2048);
    expect_refused(&r, NULL, 40, "out of range (must be 1 < Y < p-1)");
    /* modp8192 when the largest FFDHE group listed is ffdhe4096 (the
     * default): no larger exchange than we offered. */
    ske_set(&r, m8192, l8192, 2, NULL, 0);
    expect_refused(&r, NULL, 71, "server's DH group is the 8192-bit RFC 3526 prime, larger than any FFDHE group offered (up to 4096 bits)");
    /* The same rule for a named group the client did not list (RFC 7919 3:
     * insufficient_security, not illegal_parameter). */
    const uint8_t *f8192;
    size_t l = pl_ffdhe_prime(PARLEY_GROUP_FFDHE8192, &f8192);
    ske_set(&r, f8192, l, 2, NULL, 0);
    expect_refused(&r, NULL, 71,
                   "server's DH group is ffdhe8192 (RFC 7919), larger than any FFDHE group offered (up to 4096 bits): list ffdhe8192 to accept it");
    /* The smallest FFDHE group listed is a floor: a client listing only
     * ffdhe4096 takes neither ffdhe2048 nor the 2048-bit RFC 3526 prime. */
    const uint8_t *f2048;
    size_t l2 = pl_ffdhe_prime(PARLEY_GROUP_FFDHE2048, &f2048);
    ske_set(&r, f2048, l2, 2, NULL, 0);
    expect_refused(&r, "x25519:ffdhe4096", 71, "server's DH group is ffdhe2048 (RFC 7919), smaller than any FFDHE group offered (4096 bits or more)");
    ske_set(&r, m2048, l2048, 2, NULL, 0);
    expect_refused(&r, "x25519:ffdhe4096", 71, "server's DH group is the 2048-bit RFC 3526 prime, smaller than any FFDHE group offered (4096 bits or more)");
    pl_pkey_free(r.key);
    r.key = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_kex),
        cmocka_unit_test(test_tls12_strips_z),
        cmocka_unit_test(test_ske_modp_accepted),
        cmocka_unit_test(test_ske_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
