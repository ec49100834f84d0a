/*
 * exporter_test.c - keying material exporters (RFC 8446 7.5, RFC 5705), in
 * memory: both ends of a handshake export the same bytes in TLS 1.3 and in
 * TLS 1.2 with EMS, labels and contexts change them, TLS 1.2 tells no
 * context from an empty one and TLS 1.3 does not, a TLS 1.2 connection
 * without EMS refuses (RFC 7627 5.4) without failing, and so do a call
 * before the handshake, reserved labels and bad lengths. Known answers,
 * computed with OpenSSL from the keylogged secrets and with a context:
 * TLS 1.3 HKDF-Expand-Label over EXPORTER_SECRET (RFC 8446 7.5) and TLS
 * 1.2's PRF over the master secret with seed randoms || u16 len || context
 * (RFC 5705 4). Values are also checked against OpenSSL's and GnuTLS's peers
 * in tests/interop/test_exporter_pha.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ems_wire.h"
#include "helpers.h"
#include "internal.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static int ex(parley_conn *c, const char *label, const char *ctx, int use, uint8_t *out, size_t len)
{
    return parley_conn_export_keying_material(c, label, (const uint8_t *)ctx, ctx ? strlen(ctx) : 0, use, out, len);
}

/* Both ends agree; label, context and length matter as the RFCs say. */
static void both_ends(pair *p, int tls13)
{
    uint8_t a[64], b[64], c2[64], d[64];
    assert_int_equal(ex(p->client, "EXPERIMENTAL parley", "ctx", 1, a, 64), PARLEY_OK);
    assert_int_equal(ex(p->server, "EXPERIMENTAL parley", "ctx", 1, b, 64), PARLEY_OK);
    assert_memory_equal(a, b, 64);
    /* Another label, another context: other bytes. */
    assert_int_equal(ex(p->server, "EXPERIMENTAL other", "ctx", 1, c2, 64), PARLEY_OK);
    assert_memory_not_equal(a, c2, 64);
    assert_int_equal(ex(p->server, "EXPERIMENTAL parley", "ctY", 1, c2, 64), PARLEY_OK);
    assert_memory_not_equal(a, c2, 64);
    /* No context vs an empty one: the same in TLS 1.3 (RFC 8446 7.5), not in TLS 1.2 (RFC 5705 4). */
    assert_int_equal(ex(p->client, "EXPERIMENTAL parley", NULL, 0, c2, 64), PARLEY_OK);
    assert_int_equal(ex(p->client, "EXPERIMENTAL parley", "", 1, d, 64), PARLEY_OK);
    if (tls13)
        assert_memory_equal(c2, d, 64);
    else
        assert_memory_not_equal(c2, d, 64);
    assert_int_equal(ex(p->server, "EXPERIMENTAL parley", NULL, 0, b, 64), PARLEY_OK);
    assert_memory_equal(c2, b, 64);
    /* TLS 1.2's PRF output is a prefix-stable stream; TLS 1.3's HKDF length is in its info. */
    assert_int_equal(ex(p->client, "EXPERIMENTAL parley", "ctx", 1, d, 32), PARLEY_OK);
    if (tls13)
        assert_memory_not_equal(a, d, 32);
    else
        assert_memory_equal(a, d, 32);
    /* Refusals that leave the connection as it was. */
    static const char *const reserved[] = {"client finished", "server finished", "master secret", "key expansion",
                                           "extended master secret"};
    for (size_t i = 0; i < 5; i++) assert_int_equal(ex(p->client, reserved[i], NULL, 0, d, 16), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p->client), "reserved"));
    /* The empty label is a label: both ends agree on it, and it differs from another. */
    uint8_t e1[16], e2[16];
    assert_int_equal(ex(p->client, "", NULL, 0, e1, 16), PARLEY_OK);
    assert_int_equal(ex(p->server, "", NULL, 0, e2, 16), PARLEY_OK);
    assert_memory_equal(e1, e2, 16);
    assert_memory_not_equal(e1, d, 16);
    static char toolong[PARLEY_EXPORT_MAX_LABEL + 2];
    memset(toolong, 'x', PARLEY_EXPORT_MAX_LABEL + 1);
    assert_int_equal(ex(p->client, toolong, NULL, 0, d, 16), PARLEY_ERROR);
    assert_int_equal(ex(p->client, "EXPERIMENTAL x", NULL, 0, d, 0), PARLEY_ERROR);
    static uint8_t big[PARLEY_EXPORT_MAX + 1];
    assert_int_equal(ex(p->client, "EXPERIMENTAL x", NULL, 0, big, sizeof big), PARLEY_ERROR);
    assert_int_equal(ex(p->client, "EXPERIMENTAL x", NULL, 0, big, PARLEY_EXPORT_MAX), PARLEY_OK);
    exchange(p, p->client, p->server, "still usable");
    exchange(p, p->server, p->client, "both ways");
}

static void test_tls13(void **state)
{
    (void)state;
    pair p;
    uint8_t out[16];
    make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_3), server_cfg("ec256"), "localhost");
    /* Before the handshake: refused, and the handshake still runs. */
    assert_int_equal(ex(p.client, "EXPERIMENTAL parley", NULL, 0, out, 16), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p.client), "not complete"));
    handshake_ok(&p, "TLS 1.3");
    both_ends(&p, 1);
    free_pair(&p);
}

static void test_tls12_ems(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_2), server_cfg("ec256"), "localhost");
    handshake_ok(&p, "TLS 1.2");
    assert_int_equal(parley_conn_ems(p.client), 1);
    both_ends(&p, 0);
    free_pair(&p);
}

/* RFC 7627 5.4: no export from a TLS 1.2 connection without EMS, on either
 * end, and the refusal does not fail the connection. */
static void test_tls12_without_ems_refused(void **state)
{
    (void)state;
    pair p;
    wire w;
    uint8_t out[16];
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    assert_int_equal(run_conn(&p, &w, cc, sc, WIRE_STRIP_EMS, NULL, 0), 0); /* references taken: ours freed below */
    assert_int_equal(parley_conn_ems(p.client), 0);
    assert_int_equal(ex(p.client, "EXPERIMENTAL parley", NULL, 0, out, 16), PARLEY_ERROR);
    assert_int_equal(ex(p.server, "EXPERIMENTAL parley", NULL, 0, out, 16), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p.server), "extended master secret"));
    exchange(&p, p.client, p.server, "not failed");
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
}

/* ----------------------------------------------- known answers (OpenSSL) */

static char g_kl[4][300];
static int g_nkl;

static void keylog(void *arg, const char *line)
{
    (void)arg;
    if (g_nkl < 4 && (strncmp(line, "EXPORTER_SECRET ", 16) == 0 || strncmp(line, "CLIENT_RANDOM ", 14) == 0))
        snprintf(g_kl[g_nkl++], sizeof g_kl[0], "%s", line);
}

/* The last field of a keylog line, decoded. */
static size_t keylog_secret(const char *line, uint8_t *out, size_t cap)
{
    const char *sp = strrchr(line, ' ');
    assert_non_null(sp);
    return hex_decode(sp + 1, out, cap);
}

static const EVP_MD *suite_md(const parley_conn *c)
{
    return strstr(parley_cipher_name(parley_conn_cipher(c)), "SHA384") ? EVP_sha384() : EVP_sha256();
}

/* HKDF-Expand-Label (RFC 8446 7.1), with OpenSSL's HKDF. */
static void expand_label(const EVP_MD *md, const uint8_t *sec, size_t sl, const char *label, const uint8_t *ctx, size_t cl,
                         uint8_t *out, size_t ol)
{
    uint8_t info[600];
    size_t n = 0, ll = strlen(label);
    info[n++] = (uint8_t)(ol >> 8), info[n++] = (uint8_t)ol, info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6), n += 6;
    memcpy(info + n, label, ll), n += ll;
    info[n++] = (uint8_t)cl;
    memcpy(info + n, ctx, cl), n += cl;
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    assert_non_null(p);
    assert_int_equal(EVP_PKEY_derive_init(p), 1);
    assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(p, md), 1);
    assert_int_equal(EVP_PKEY_CTX_hkdf_mode(p, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(p, sec, (int)sl), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(p, info, (int)n), 1);
    size_t o = ol;
    assert_int_equal(EVP_PKEY_derive(p, out, &o), 1);
    EVP_PKEY_CTX_free(p);
}

/* RFC 8446 7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret,
 * label, ""), "exporter", Hash(context), length). */
static void test_kat_tls13(void **state)
{
    (void)state;
    pair p;
    g_nkl = 0;
    parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_3);
    assert_int_equal(parley_config_set_keylog(cc, keylog, NULL), PARLEY_OK);
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    handshake_ok(&p, "TLS 1.3");
    assert_int_equal(g_nkl, 1);
    uint8_t ems[64], hc[64], he[64], tmp[64], want[100], got[100];
    size_t el = keylog_secret(g_kl[0], ems, sizeof ems);
    const EVP_MD *md = suite_md(p.client);
    assert_int_equal(el, (size_t)EVP_MD_get_size(md));
    const char *ctx = "some context";
    unsigned hl;
    assert_int_equal(EVP_Digest(ctx, strlen(ctx), hc, &hl, md, NULL), 1);
    assert_int_equal(EVP_Digest("", 0, he, &hl, md, NULL), 1);
    expand_label(md, ems, el, "EXPERIMENTAL x", he, hl, tmp, hl);
    expand_label(md, tmp, hl, "exporter", hc, hl, want, sizeof want);
    assert_int_equal(ex(p.server, "EXPERIMENTAL x", ctx, 1, got, sizeof got), PARLEY_OK);
    assert_memory_equal(want, got, sizeof got);
    assert_int_equal(ex(p.client, "EXPERIMENTAL x", ctx, 1, got, sizeof got), PARLEY_OK);
    assert_memory_equal(want, got, sizeof got);
    free_pair(&p);
}

/* RFC 5705 4: PRF(master_secret, label, client_random || server_random ||
 * context_length (u16) || context), with OpenSSL's TLS1-PRF. */
static void test_kat_tls12(void **state)
{
    (void)state;
    pair p;
    g_nkl = 0;
    parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_keylog(cc, keylog, NULL), PARLEY_OK);
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    handshake_ok(&p, "TLS 1.2");
    assert_int_equal(parley_conn_ems(p.client), 1);
    assert_int_equal(g_nkl, 1);
    uint8_t ms[48], cr[32];
    assert_int_equal(keylog_secret(g_kl[0], ms, sizeof ms), 48);
    /* The server random is not in the keylog: the connection's, whose
     * client half must be the keylogged one. */
    assert_int_equal(hex_decode(g_kl[0] + 14, cr, sizeof cr), 32);
    assert_memory_equal(cr, p.client->exp_randoms, 32);
    const char *ctx = "ctx!";
    uint8_t seed[80];
    size_t n = 0;
    memcpy(seed, p.client->exp_randoms, 64), n = 64;
    seed[n++] = 0, seed[n++] = 4;
    memcpy(seed + n, ctx, 4), n += 4;
    EVP_KDF *k = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    assert_non_null(k);
    EVP_KDF_CTX *kc = EVP_KDF_CTX_new(k);
    OSSL_PARAM prm[5];
    prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(suite_md(p.client)), 0);
    prm[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, ms, 48);
    prm[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)"EXPERIMENTAL y", 14);
    prm[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, n);
    prm[4] = OSSL_PARAM_construct_end();
    uint8_t want[77], got[77];
    assert_int_equal(EVP_KDF_derive(kc, want, sizeof want, prm), 1);
    EVP_KDF_CTX_free(kc);
    EVP_KDF_free(k);
    assert_int_equal(ex(p.server, "EXPERIMENTAL y", ctx, 1, got, sizeof got), PARLEY_OK);
    assert_memory_equal(want, got, sizeof got);
    assert_int_equal(ex(p.client, "EXPERIMENTAL y", ctx, 1, got, sizeof got), PARLEY_OK);
    assert_memory_equal(want, got, sizeof got);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13),
        cmocka_unit_test(test_tls12_ems),
        cmocka_unit_test(test_tls12_without_ems_refused),
        cmocka_unit_test(test_kat_tls13),
        cmocka_unit_test(test_kat_tls12),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
