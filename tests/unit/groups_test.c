/*
 * groups_test.c - issue #13 item 5: the groups peers commonly offer
 * (secp521r1 and x448, RFC 8446 4.2.7; ffdhe6144 and ffdhe8192 for DHE,
 * RFC 7919): their names, handshakes in both versions, a low-order x448
 * share in flight (the man in the middle of mitm.h), and a TLS 1.2
 * server's ECDSA certificate curve following the client's groups (RFC 8422
 * 5.1). The groups' public-value checks are in crypto_test.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "internal.h"
#include "helpers.h"
#include "mitm.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30) ||
           make_cert(d, "ec521", "ec521", "localhost", -1, 30) || make_cert(d, "ed448", "ed448", "localhost", -1, 30);
}

/* The client's key share for x448 becomes u = 0 (or 1): a low-order point. */
static int ch_x448_low_order(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    size_t i = ch_ext_at(b) + 2;
    while (i + 4 <= *len) {
        size_t el = get16(b + i + 2);
        if (get16(b + i) == PL_EXT_KEY_SHARE) {
            /* client_shares<2..2^16-1>: the first entry, group then key_exchange. */
            assert_int_equal(get16(b + i + 6), PARLEY_GROUP_X448);
            assert_int_equal(get16(b + i + 8), 56);
            memset(b + i + 10, 0, 56);
            b[i + 10] = (uint8_t)m->arg;
            return 1;
        }
        i += 4 + el;
    }
    fail_msg("no key_share");
    return 0;
}

/* ------------------------------------------------------------- groups */

static void handshake_group(int v, const char *client_groups, const char *server_groups, const char *suite, const char *cert,
                            uint16_t want)
{
    pair p;
    parley_config *cc = only_version(client_cfg(cert), v), *sc = only_version(server_cfg(cert), v);
    if (client_groups) assert_int_equal(parley_config_set_groups(cc, client_groups), PARLEY_OK);
    if (server_groups) assert_int_equal(parley_config_set_groups(sc, server_groups), PARLEY_OK);
    if (suite) assert_int_equal(parley_config_set_ciphers(cc, suite), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    handshake_ok(&p, parley_group_name(want));
    assert_int_equal(parley_conn_group(p.client), want);
    assert_int_equal(parley_conn_group(p.server), want);
    exchange(&p, p.client, p.server, "ping");
    free_pair(&p);
}

static void test_new_groups_handshake(void **state)
{
    (void)state;
    /* TLS 1.3 key_share (RFC 8446 4.2.7, 4.2.8): each new group as the only one. */
    handshake_group(PARLEY_TLS1_3, "x448", NULL, NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_3, "secp521r1", NULL, NULL, "ec256", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_3, "ffdhe6144", "ffdhe6144", NULL, "ec256", PARLEY_GROUP_FFDHE6144);
    handshake_group(PARLEY_TLS1_3, "ffdhe8192", "ffdhe8192", NULL, "ec256", PARLEY_GROUP_FFDHE8192);
    /* TLS 1.2 ECDHE (RFC 8422) and DHE (RFC 7919). */
    /* (A TLS 1.2 client lists its ECDSA certificate's curve too, RFC 8422
     * 5.1; the server's order picks the group.) */
    handshake_group(PARLEY_TLS1_2, "x448:secp256r1", "x448:secp256r1", NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_2, "secp521r1:secp256r1", "secp521r1:secp256r1", NULL, "ec256", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_2, "x448", NULL, NULL, "ed448", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_2, "secp521r1", NULL, NULL, "ec521", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_2, "ffdhe6144", "ffdhe6144", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", PARLEY_GROUP_FFDHE6144);
    handshake_group(PARLEY_TLS1_2, "ffdhe8192", "ffdhe8192", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", PARLEY_GROUP_FFDHE8192);
    /* Supported, not preferred: the defaults still agree on x25519, and a
     * server that wants only a new group gets it by HelloRetryRequest. */
    handshake_group(PARLEY_TLS1_3, NULL, NULL, NULL, "ec256", PARLEY_GROUP_X25519);
    handshake_group(PARLEY_TLS1_3, NULL, "x448", NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_3, NULL, "secp521r1", NULL, "ec256", PARLEY_GROUP_SECP521R1);
    /* A TLS 1.2 server picks DHE's group from its own order among the client's. */
    handshake_group(PARLEY_TLS1_2, "ffdhe8192:ffdhe6144", "ffdhe6144:ffdhe8192", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048",
                    PARLEY_GROUP_FFDHE6144);
}

/* ffdhe6144/8192 are supported but off by default: a client that lists
 * only one of them cannot make a default server spend an 8192-bit exchange
 * (TLS 1.3 key share or TLS 1.2 DHE, RFC 7919 4). */
static void test_large_ffdhe_not_default(void **state)
{
    (void)state;
    for (int v = PARLEY_TLS1_2; v <= PARLEY_TLS1_3; v++) {
        pair p;
        parley_config *cc = only_version(client_cfg("rsa2048"), v), *sc = only_version(server_cfg("rsa2048"), v);
        assert_int_equal(parley_config_set_groups(cc, "ffdhe8192"), PARLEY_OK);
        if (v == PARLEY_TLS1_2) assert_int_equal(parley_config_set_ciphers(cc, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        int crc, src;
        assert_int_not_equal(pair_handshake(&p, &crc, &src), 0);
        assert_int_equal(src, PARLEY_ERROR);
        assert_int_equal(parley_conn_alert_sent(p.server), PL_ALERT_HANDSHAKE_FAILURE);
        free_pair(&p);
    }
}

static void test_group_names(void **state)
{
    (void)state;
    const struct {
        uint16_t id;
        const char *name, *alias;
    } g[] = {{PARLEY_GROUP_SECP521R1, "secp521r1", "P-521"},
             {PARLEY_GROUP_X448, "x448", "X448"},
             {PARLEY_GROUP_FFDHE6144, "ffdhe6144", NULL},
             {PARLEY_GROUP_FFDHE8192, "ffdhe8192", NULL}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        assert_string_equal(parley_group_name(g[i].id), g[i].name);
        parley_config *cfg = parley_config_new();
        assert_int_equal(parley_config_set_groups(cfg, g[i].name), PARLEY_OK);
        if (g[i].alias) assert_int_equal(parley_config_set_groups(cfg, g[i].alias), PARLEY_OK);
        parley_config_free(cfg);
    }
    assert_string_equal(parley_sigscheme_name(0x0603), "ecdsa_secp521r1_sha512");
    assert_string_equal(parley_sigscheme_name(0x0808), "ed448");
    assert_string_equal(parley_sigscheme_name(0x0303), "ecdsa_sha224");
    /* Every group at once fits the configuration. */
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_groups(cfg, "x25519:secp256r1:secp384r1:x448:secp521r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192"),
                     PARLEY_OK);
    parley_config_free(cfg);
}

/* crypto_test-style: the new groups' public values are validated. */
/* In flight: a TLS 1.3 x448 key share at a low-order point is refused. */
static void test_x448_low_order_share_in_flight(void **state)
{
    (void)state;
    for (int u = 0; u < 2; u++) {
        pair p;
        mitm m = {0};
        m.fn = ch_x448_low_order;
        m.arg = u;
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_groups(cc, "x448"), PARLEY_OK);
        mitm_pair(&p, &m, cc, server_cfg("ec256"), PARLEY_TLS1_3);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        expect_alert(p.server, p.client, 47, "x448");
        free_pair(&p);
    }
}


/* RFC 8422 5.1: a TLS 1.2 client's supported_groups also names the curves
 * of the ECDSA certificates it can verify; the server must not pick one on
 * another curve. With an RSA certificate too, it answers with that; with
 * only the ECDSA one, there is no handshake it may negotiate. */
static void test_tls12_certificate_curve_follows_groups(void **state)
{
    (void)state;
    char c[512], k[512];
    for (int g = 0; g < 2; g++) {
        pair p;
        parley_config *sc = only_version(server_cfg("ec256"), PARLEY_TLS1_2);
        snprintf(c, sizeof c, "%s/rsa2048.pem", test_dir());
        snprintf(k, sizeof k, "%s/rsa2048.key", test_dir());
        assert_int_equal(parley_config_add_cert_files(sc, c, k), PARLEY_OK);
        parley_config *cc = only_version(client_cfg("rsa2048"), PARLEY_TLS1_2);
        assert_int_equal(parley_config_set_groups(cc, g ? "secp384r1" : "x448"), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        handshake_ok(&p, g ? "secp384r1" : "x448");
        assert_string_equal(parley_cipher_name(parley_conn_cipher(p.client)), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        free_pair(&p);
    }
    pair p;
    parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_groups(cc, "secp384r1:x25519"), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    make_pair(&p, cc, only_version(server_cfg("ec256"), PARLEY_TLS1_2), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    expect_alert(p.server, p.client, 40, "the client's supported_groups do not list secp256r1, the curve of the ECDSA certificate (RFC 8422 5.1)");
    free_pair(&p);
    /* The same client with its certificate's curve listed is served. */
    cc = only_version(client_cfg("ec521"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_groups(cc, "x25519:secp521r1"), PARLEY_OK);
    make_pair(&p, cc, only_version(server_cfg("ec521"), PARLEY_TLS1_2), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_group(p.client), PARLEY_GROUP_X25519);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_names),
        cmocka_unit_test(test_large_ffdhe_not_default),
        cmocka_unit_test(test_new_groups_handshake),
        cmocka_unit_test(test_x448_low_order_share_in_flight),
        cmocka_unit_test(test_tls12_certificate_curve_follows_groups),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
