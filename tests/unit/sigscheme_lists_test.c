/*
 * sigscheme_lists_test.c - parley_config_set_signing_schemes and
 * parley_config_set_verify_schemes: names as parley_sigscheme_name prints
 * them; a bad list leaves the config as it was; the signing list decides
 * what this side signs with (in its order), the verify list what it
 * advertises and accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "slrsa", "rsa2048", "localhost", -1, 30) || make_cert(d, "slec", "ec256", "localhost", -1, 30);
}

static void test_setter_rules(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    static const char *bad[] = {"",
                                "rsa_pkcs1_sha1",          /* named, but refused (RFC 9155) */
                                "ecdsa_sha1",
                                "unknown",
                                "ed25519:nope",
                                "ed25519::ed448"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parley_config_set_signing_schemes(cfg, bad[i]), PARLEY_ERROR);
        assert_int_equal(parley_config_set_verify_schemes(cfg, bad[i]), PARLEY_ERROR);
    }
    assert_int_equal(parley_config_set_signing_schemes(cfg, NULL), PARLEY_ERROR);
    /* Every scheme Parley has, by its printed name, 14 of them (at most 16). */
    const uint16_t all[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805,
                            0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601};
    char list[512] = "";
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (list[0]) strcat(list, ":");
        strcat(list, parley_sigscheme_name(all[i]));
    }
    assert_int_equal(parley_config_set_signing_schemes(cfg, list), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_schemes(cfg, list), PARLEY_OK);
    char longer[600];
    snprintf(longer, sizeof longer, "%s:ed25519:ed25519:ed25519", list);
    assert_int_equal(parley_config_set_verify_schemes(cfg, longer), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cfg), "too long"));
    parley_config_free(cfg);
}

/* One handshake; returns 0 when it completed (the pair is left to free). */
static int run(pair *p, parley_config *cc, parley_config *sc)
{
    make_pair(p, cc, sc, "localhost");
    return pair_handshake(p, NULL, NULL);
}

/* The server signs with the first scheme of ITS signing list that the
 * client offers, in both versions; the client accepts only its verify list. */
static void test_signing_order(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        uint16_t ver = v ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        pair p;
        parley_config *sc = only_version(server_cfg("slrsa"), ver);
        assert_int_equal(parley_config_set_signing_schemes(sc, "rsa_pss_rsae_sha512:rsa_pss_rsae_sha256"), PARLEY_OK);
        assert_int_equal(run(&p, client_cfg("slrsa"), sc), 0);
        assert_int_equal(parley_conn_signature_scheme(p.client), PARLEY_SIG_RSA_PSS_RSAE_SHA512);
        assert_int_equal(parley_conn_peer_signature_scheme(p.client), PARLEY_SIG_RSA_PSS_RSAE_SHA512);
        free_pair(&p);

        /* The client's verify list narrows what the server may pick. */
        parley_config *cc = client_cfg("slrsa");
        assert_int_equal(parley_config_set_verify_schemes(cc, "rsa_pss_rsae_sha384:ecdsa_secp256r1_sha256"), PARLEY_OK);
        assert_int_equal(run(&p, cc, only_version(server_cfg("slrsa"), ver)), 0);
        assert_int_equal(parley_conn_peer_signature_scheme(p.client), PARLEY_SIG_RSA_PSS_RSAE_SHA384);
        free_pair(&p);

        /* Nothing in common: the server cannot sign (handshake_failure). */
        cc = client_cfg("slrsa");
        assert_int_equal(parley_config_set_verify_schemes(cc, "ecdsa_secp256r1_sha256"), PARLEY_OK);
        assert_int_not_equal(run(&p, cc, only_version(server_cfg("slrsa"), ver)), 0);
        assert_int_equal(parley_conn_alert_sent(p.server), 40);
        free_pair(&p);

        /* A server whose signing list leaves out its key's schemes has no certificate to use. */
        sc = only_version(server_cfg("slec"), ver);
        assert_int_equal(parley_config_set_signing_schemes(sc, "rsa_pss_rsae_sha256:ed25519"), PARLEY_OK);
        assert_int_not_equal(run(&p, client_cfg("slec"), sc), 0);
        assert_int_equal(parley_conn_alert_sent(p.server), 40);
        free_pair(&p);
    }
}

/* A server's verify list is what its CertificateRequest advertises: the
 * client signs with the one RSA scheme in it. */
static void test_verify_list_on_server(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/slrsa.pem", test_dir());
    for (int v = 0; v < 2; v++) {
        uint16_t ver = v ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        pair p;
        parley_config *sc = only_version(server_cfg("slec"), ver);
        assert_int_equal(parley_config_set_client_ca(sc, path), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_schemes(sc, "rsa_pss_rsae_sha384:ecdsa_secp256r1_sha256"), PARLEY_OK);
        parley_config *cc = mtls_client("slec", "slrsa");
        assert_int_equal(run(&p, cc, sc), 0);
        /* The client signed with the only RSA scheme the server asked for. */
        assert_int_equal(parley_conn_peer_signature_scheme(p.server), PARLEY_SIG_RSA_PSS_RSAE_SHA384);
        free_pair(&p);
    }
    /* Only PKCS#1 v1.5 in the verify list: a TLS 1.3 CertificateRequest
     * would carry an empty signature_algorithms (RFC 8446 4.2.3 forbids
     * it), so the server refuses to ask, and says why. */
    pair p;
    parley_config *sc = only_version(server_cfg("slec"), PARLEY_TLS1_3);
    assert_int_equal(parley_config_set_client_ca(sc, path), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_schemes(sc, "rsa_pkcs1_sha256"), PARLEY_OK);
    assert_int_not_equal(run(&p, mtls_client("slec", "slrsa"), sc), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    assert_non_null(strstr(parley_conn_error_string(p.server), "only PKCS#1 v1.5"));
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setter_rules),
        cmocka_unit_test(test_signing_order),
        cmocka_unit_test(test_verify_list_on_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
