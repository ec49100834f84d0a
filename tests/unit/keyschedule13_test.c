/*
 * keyschedule13_test.c - the TLS 1.3 key schedule, transcript and traffic
 * keys against every value in sections 3 (simple 1-RTT) and 5
 * (HelloRetryRequest) of the example traces (tests/vectors/tls13_traces.vec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "handshake/keyschedule13.h"
#include "handshake/transcript.h"
#include "helpers.h"

static vec_block *V;
static int NV;

static int setup(void **state)
{
    (void)state;
    NV = vec_load(&V);
    return NV > 100 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vec_free(V, NV);
    return 0;
}

/* Every extract step: HKDF-Extract(salt, IKM) == secret. */
static void test_every_extract(void **state)
{
    int checked = 0;
    (void)state;
    for (int i = 0; i < NV; i++) {
        size_t sl, il, secl;
        const uint8_t *salt = vec_field(&V[i], "salt", &sl), *ikm = vec_field(&V[i], "IKM", &il),
                      *sec = vec_field(&V[i], "secret", &secl);
        if (!salt || !ikm || !sec) continue;
        uint8_t out[PL_MAX_HASH];
        assert_int_equal(pl_hkdf_extract(PL_SHA256, salt, sl, ikm, il, out), 0);
        assert_memory_equal(out, sec, secl);
        checked++;
    }
    assert_int_equal(checked, 9); /* sections 3, 4 (resumed) and 5 */
}

/* Every derive step: HKDF-Expand(PRK, info) == expanded, and the same value
 * through HKDF-Expand-Label with the label and context decoded from info. */
static void test_every_expand_label(void **state)
{
    int checked = 0;
    (void)state;
    for (int i = 0; i < NV; i++) {
        size_t pl, il, el;
        const uint8_t *prk = vec_field(&V[i], "PRK", &pl), *info = vec_field(&V[i], "info", &il),
                      *exp = vec_field(&V[i], "expanded", &el);
        if (!prk || !info || !exp) continue;
        uint8_t out[PL_MAX_HASH], out2[PL_MAX_HASH];
        assert_int_equal(pl_hkdf_expand(PL_SHA256, prk, info, il, out, el), 0);
        assert_memory_equal(out, exp, el);
        /* HkdfLabel: u16 length, u8 label len, "tls13 " label, u8 ctx len, ctx */
        size_t outlen = ((size_t)info[0] << 8) | info[1], ll = info[2];
        char label[64];
        assert_true(ll >= 6 && ll < sizeof label + 6);
        memcpy(label, info + 3 + 6, ll - 6);
        label[ll - 6] = 0;
        size_t cl = info[3 + ll];
        assert_int_equal(outlen, el);
        assert_int_equal(pl_ks13_expand_label(PL_SHA256, prk, label, info + 4 + ll, cl, out2, outlen), 0);
        assert_memory_equal(out2, exp, el);
        checked++;
    }
    assert_true(checked >= 23);
}

/* Every traffic key derivation: key and iv. */
static void test_every_traffic_key(void **state)
{
    int checked = 0;
    (void)state;
    for (int i = 0; i < NV; i++) {
        size_t kl, ivl;
        const uint8_t *prk = vec_field(&V[i], "PRK", NULL), *key = vec_field(&V[i], "key_expanded", &kl),
                      *iv = vec_field(&V[i], "iv_expanded", &ivl);
        if (!prk || !key || !iv) continue;
        uint8_t k[PL_MAX_KEY], v[PL_AEAD_NONCE];
        assert_int_equal(kl, 16);
        assert_int_equal(pl_ks13_traffic_keys(PL_SHA256, PL_AES_128_GCM, prk, k, v), 0);
        assert_memory_equal(k, key, kl);
        assert_memory_equal(v, iv, ivl);
        checked++;
    }
    assert_int_equal(checked, 13);
}

/* Every x25519 key pair: public key from private key. */
static void test_x25519_keypairs(void **state)
{
    int checked = 0;
    (void)state;
    for (int i = 0; i < NV; i++) {
        if (!strstr(V[i].action, "x25519 key pair")) continue;
        size_t pl;
        const uint8_t *priv = vec_field(&V[i], "private_key", NULL), *pub = vec_field(&V[i], "public_key", &pl);
        pl_kex *k;
        uint8_t out[32];
        assert_int_equal(pl_kex_x25519_from_private(priv, &k, out), 0);
        assert_memory_equal(out, pub, 32);
        pl_kex_free(k);
        checked++;
    }
    assert_true(checked >= 3);
}

static const uint8_t *msg(int section, const char *name, int nth, size_t *len)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "construct a %s", name);
    const vec_block *b = vec_find(V, NV, section, NULL, prefix, nth);
    assert_non_null(b);
    const uint8_t *m = vec_field(b, name, len);
    assert_non_null(m);
    return m;
}

static const uint8_t *expanded(int section, const char *action, size_t *len)
{
    const vec_block *b = vec_find(V, NV, section, "server", action, 0);
    assert_non_null(b);
    return vec_field(b, "expanded", len);
}

static void add(pl_transcript *t, int section, const char *name, int nth)
{
    size_t l;
    const uint8_t *m = msg(section, name, nth, &l);
    assert_int_equal(pl_transcript_add(t, m, l), 0);
}

/* The whole schedule, driven as the handshake drives it. */
static void run_schedule(int section, int hrr)
{
    pl_transcript t = {0};
    pl_ks13 ks;
    uint8_t th[PL_MAX_HASH], fin[PL_MAX_HASH];
    size_t l, il;
    int ch = 0;
    if (hrr) {
        add(&t, section, "ClientHello", 0);
        assert_int_equal(pl_transcript_set_hash(&t, PL_SHA256), 0);
        assert_int_equal(pl_transcript_hrr(&t), 0);
        add(&t, section, "ServerHello", 0); /* the HelloRetryRequest */
        ch = 1;
    }
    add(&t, section, "ClientHello", ch);
    add(&t, section, "ServerHello", ch);
    assert_int_equal(pl_transcript_set_hash(&t, PL_SHA256), 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);

    const vec_block *early = vec_find(V, NV, section, "server", "extract secret \"early\"", 0);
    const vec_block *hsx = vec_find(V, NV, section, "server", "extract secret \"handshake\"", 0);
    const uint8_t *ecdhe = vec_field(hsx, "IKM", &il);
    assert_int_equal(pl_ks13_init(&ks, PL_SHA256), 0);
    assert_memory_equal(ks.secret, vec_field(early, "secret", NULL), 32);
    assert_int_equal(pl_ks13_handshake(&ks, ecdhe, il, th), 0);
    assert_memory_equal(ks.secret, vec_field(hsx, "secret", NULL), 32);
    assert_memory_equal(ks.c_hs, expanded(section, "derive secret \"tls13 c hs traffic\"", &l), 32);
    assert_memory_equal(ks.s_hs, expanded(section, "derive secret \"tls13 s hs traffic\"", &l), 32);

    /* Server Finished over CH..CertificateVerify. */
    add(&t, section, "EncryptedExtensions", 0);
    add(&t, section, "Certificate", 0);
    add(&t, section, "CertificateVerify", 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_finished(PL_SHA256, ks.s_hs, th, fin), 0);
    const vec_block *sf = vec_find(V, NV, section, "server", "calculate finished", 0);
    assert_memory_equal(fin, vec_field(sf, "finished", NULL), 32);
    add(&t, section, "Finished", 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    /* Order is enforced: resumption before master fails. */
    assert_true(pl_ks13_resumption(&ks, th) < 0);
    assert_int_equal(pl_ks13_master(&ks, th), 0);
    const vec_block *mx = vec_find(V, NV, section, "server", "extract secret \"master\"", 0);
    assert_memory_equal(ks.secret, vec_field(mx, "secret", NULL), 32);
    assert_memory_equal(ks.c_ap, expanded(section, "derive secret \"tls13 c ap traffic\"", &l), 32);
    assert_memory_equal(ks.s_ap, expanded(section, "derive secret \"tls13 s ap traffic\"", &l), 32);
    assert_memory_equal(ks.exporter, expanded(section, "derive secret \"tls13 exp master\"", &l), 32);

    /* Client Finished over CH..server Finished, then the resumption secret. */
    assert_int_equal(pl_ks13_finished(PL_SHA256, ks.c_hs, th, fin), 0);
    const vec_block *cf = vec_find(V, NV, section, "client", "calculate finished \"tls13 finished\":", 0);
    assert_non_null(cf);
    assert_memory_equal(fin, vec_field(cf, "finished", NULL), 32);
    add(&t, section, "Finished", 1);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_resumption(&ks, th), 0);
    const vec_block *rm = vec_find(V, NV, section, "client", "derive secret \"tls13 res master\"", 0);
    assert_memory_equal(ks.resumption, vec_field(rm, "expanded", NULL), 32);
    /* A second handshake-stage derivation is refused. */
    assert_true(pl_ks13_handshake(&ks, ecdhe, il, th) < 0);
    pl_transcript_free(&t);
}

static void test_schedule_1rtt(void **state)
{
    (void)state;
    run_schedule(3, 0);
}

static void test_schedule_hrr(void **state)
{
    (void)state;
    run_schedule(5, 1);
}

/* Section 4: the ticket's PSK from section 3's resumption master secret,
 * the binder over the truncated ClientHello, and the resumed schedule. */
static void test_schedule_resumed(void **state)
{
    pl_transcript t = {0};
    pl_ks13 ks;
    uint8_t psk[32], th[PL_MAX_HASH], fin[PL_MAX_HASH];
    size_t l, il, pl;
    (void)state;
    const vec_block *rs = vec_find(V, NV, 3, "server", "generate resumption secret", 0);
    assert_non_null(rs);
    assert_int_equal(pl_ks13_ticket_psk(PL_SHA256, vec_field(rs, "PRK", NULL), (const uint8_t *)"\0\0", 2, psk), 0);
    assert_memory_equal(psk, vec_field(rs, "expanded", NULL), 32);
    const vec_block *early = vec_find(V, NV, 4, "client", "extract secret \"early\"", 0);
    assert_int_equal(pl_ks13_init_psk(&ks, PL_SHA256, psk, 32), 0);
    assert_memory_equal(ks.secret, vec_field(early, "secret", NULL), 32);
    /* The binder: over Hash(ClientHello up to the binders), computed as the
     * handshake does, through the transcript without absorbing the prefix. */
    const vec_block *bb = vec_find(V, NV, 4, "client", "calculate PSK binder", 0);
    const uint8_t *prefix = vec_field(bb, "ClientHello_prefix", &pl);
    assert_int_equal(pl_transcript_hash_with(&t, PL_SHA256, prefix, pl, th), 0);
    assert_memory_equal(th, vec_field(bb, "binder_hash", NULL), 32);
    assert_int_equal(pl_ks13_binder(&ks, th, fin), 0);
    assert_memory_equal(fin, vec_field(bb, "finished", NULL), 32);

    /* The trace's "ClientHello" is the truncated one; the full message is
     * the first handshake record's payload, binders included. */
    const uint8_t *full = vec_field(vec_find(V, NV, 4, "client", "send handshake record", 0), "payload", &l);
    assert_true(l > pl && memcmp(full, prefix, pl) == 0);
    assert_int_equal(pl_transcript_add(&t, full, l), 0);
    add(&t, 4, "ServerHello", 0);
    assert_int_equal(pl_transcript_set_hash(&t, PL_SHA256), 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    const vec_block *hsx = vec_find(V, NV, 4, "server", "extract secret \"handshake\"", 0);
    const uint8_t *ecdhe = vec_field(hsx, "IKM", &il);
    assert_int_equal(pl_ks13_handshake(&ks, ecdhe, il, th), 0);
    assert_memory_equal(ks.secret, vec_field(hsx, "secret", NULL), 32);
    assert_memory_equal(ks.c_hs, expanded(4, "derive secret \"tls13 c hs traffic\"", &l), 32);
    assert_memory_equal(ks.s_hs, expanded(4, "derive secret \"tls13 s hs traffic\"", &l), 32);
    /* No Certificate or CertificateVerify: the server's Finished follows EncryptedExtensions. */
    add(&t, 4, "EncryptedExtensions", 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_finished(PL_SHA256, ks.s_hs, th, fin), 0);
    assert_memory_equal(fin, vec_field(vec_find(V, NV, 4, "server", "calculate finished", 0), "finished", NULL), 32);
    add(&t, 4, "Finished", 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_master(&ks, th), 0);
    assert_memory_equal(ks.c_ap, expanded(4, "derive secret \"tls13 c ap traffic\"", &l), 32);
    assert_memory_equal(ks.s_ap, expanded(4, "derive secret \"tls13 s ap traffic\"", &l), 32);
    /* The trace's client had 0-RTT accepted, so EndOfEarlyData is in its transcript. */
    add(&t, 4, "EndOfEarlyData", 0);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_finished(PL_SHA256, ks.c_hs, th, fin), 0);
    assert_memory_equal(fin, vec_field(vec_find(V, NV, 4, "client", "calculate finished \"tls13 finished\":", 0), "finished", NULL), 32);
    add(&t, 4, "Finished", 1);
    assert_int_equal(pl_transcript_hash(&t, th), 0);
    assert_int_equal(pl_ks13_resumption(&ks, th), 0);
    assert_memory_equal(ks.resumption, vec_field(vec_find(V, NV, 4, "client", "derive secret \"tls13 res master\"", 0), "expanded", NULL), 32);
    pl_transcript_free(&t);
}

/* The 1-RTT ECDHE secret from the client's private key and the server's share. */
static void test_x25519_shared_secret(void **state)
{
    (void)state;
    const vec_block *ck = vec_find(V, NV, 3, "client", "create an ephemeral x25519", 0);
    const vec_block *sk = vec_find(V, NV, 3, "server", "create an ephemeral x25519", 0);
    const vec_block *hsx = vec_find(V, NV, 3, "server", "extract secret \"handshake\"", 0);
    pl_kex *k;
    uint8_t pub[32], sec[PL_MAX_KEX_SECRET];
    size_t sl;
    assert_int_equal(pl_kex_x25519_from_private(vec_field(ck, "private_key", NULL), &k, pub), 0);
    assert_int_equal(pl_kex_derive(k, vec_field(sk, "public_key", NULL), 32, sec, &sl), 0);
    assert_int_equal(sl, 32);
    assert_memory_equal(sec, vec_field(hsx, "IKM", NULL), 32);
    pl_kex_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_extract),     cmocka_unit_test(test_every_expand_label),
        cmocka_unit_test(test_every_traffic_key), cmocka_unit_test(test_x25519_keypairs),
        cmocka_unit_test(test_schedule_1rtt),     cmocka_unit_test(test_schedule_hrr), cmocka_unit_test(test_schedule_resumed),
        cmocka_unit_test(test_x25519_shared_secret),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
