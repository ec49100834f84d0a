/* key_usage_test.c - the peer's leaf must allow what its key will do: sign
 * (TLS 1.3, TLS 1.2 (EC)DHE, client CertificateVerify) or, for TLS 1.2 RSA
 * key exchange, encrypt. libcrypto's TLS purposes accept any of
 * digitalSignature / keyEncipherment / keyAgreement. Certificates from the
 * openssl command line (x509_pki.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

#define ALERT_UNSUPPORTED_CERTIFICATE 43
#define RSA_KX "TLS_RSA_WITH_AES_128_GCM_SHA256"
#define ECDHE_RSA "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"

static int setup(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash '%s/../unit/x509_pki.sh' '%s' >/dev/null", PARLEY_VECTORS, test_dir());
    return system(cmd) == 0 ? 0 : -1;
}

/* A client trusting A: one version, and (non-NULL) these suites with RSA key exchange allowed. */
static parley_config *client(uint16_t version, const char *suites)
{
    parley_config *cc = client_cfg("a");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    if (suites) {
        assert_int_equal(parley_config_allow_rsa_kx(cc, 1), PARLEY_OK);
        assert_int_equal(parley_config_set_ciphers(cc, suites), PARLEY_OK);
    }
    return cc;
}

/* One handshake against a server with chain NAME (only `suites`, when
 * given). Returns the alert the client sent, 0 when it succeeded. The caller
 * keeps its reference to cc. */
static int against(parley_config *cc, const char *name, const char *suites)
{
    pair p;
    parley_config *sc = server_cfg(name);
    if (suites) {
        assert_int_equal(parley_config_allow_rsa_kx(sc, 1), PARLEY_OK);
        assert_int_equal(parley_config_set_ciphers(sc, suites), PARLEY_OK);
    }
    parley_config_ref(cc);
    make_pair(&p, cc, sc, "localhost");
    int rc = pair_handshake(&p, NULL, NULL);
    int alert = rc == 0 ? 0 : parley_conn_alert_sent(p.client);
    if (rc) print_message("  %s: alert %d, %s\n", name, alert, parley_conn_error_string(p.client));
    free_pair(&p);
    return alert;
}

static int once(uint16_t version, const char *client_suites, const char *name, const char *server_suites)
{
    parley_config *cc = client(version, client_suites);
    int alert = against(cc, name, server_suites);
    parley_config_free(cc);
    return alert;
}

/* keyUsage keyAgreement only: an ECDSA key that may not sign. */
static void test_server_key_agreement_only(void **state)
{
    (void)state;
    assert_int_equal(once(PARLEY_TLS1_3, NULL, "kuagree", NULL), ALERT_UNSUPPORTED_CERTIFICATE);
    assert_int_equal(once(PARLEY_TLS1_2, NULL, "kuagree", NULL), ALERT_UNSUPPORTED_CERTIFICATE);
}

/* keyEncipherment only: good for RSA key exchange, not for signing. */
static void test_server_key_encipherment_only(void **state)
{
    (void)state;
    assert_int_equal(once(PARLEY_TLS1_3, NULL, "rsaenc", NULL), ALERT_UNSUPPORTED_CERTIFICATE);
    assert_int_equal(once(PARLEY_TLS1_2, ECDHE_RSA, "rsaenc", ECDHE_RSA), ALERT_UNSUPPORTED_CERTIFICATE);
    assert_int_equal(once(PARLEY_TLS1_2, RSA_KX, "rsaenc", RSA_KX), 0);
}

/* digitalSignature only: good for signing, not for RSA key exchange. */
static void test_server_digital_signature_only(void **state)
{
    (void)state;
    assert_int_equal(once(PARLEY_TLS1_3, NULL, "rsasig", NULL), 0);
    assert_int_equal(once(PARLEY_TLS1_2, ECDHE_RSA, "rsasig", ECDHE_RSA), 0);
    assert_int_equal(once(PARLEY_TLS1_2, RSA_KX, "rsasig", RSA_KX), ALERT_UNSUPPORTED_CERTIFICATE);
}

/* The verification cache remembers a chain per use of its key: accepted for
 * RSA key exchange, the same chain is still refused for signing. */
static void test_cache_keeps_usages_apart(void **state)
{
    (void)state;
    parley_config *cc = client(PARLEY_TLS1_2, RSA_KX ":" ECDHE_RSA);
    assert_int_equal(against(cc, "rsaenc", RSA_KX), 0);
    assert_int_equal(pl_trust_cached(cc->trust), 1);
    assert_int_equal(against(cc, "rsaenc", ECDHE_RSA), ALERT_UNSUPPORTED_CERTIFICATE);
    parley_config_free(cc);
}

/* The server applies the same rule to a client certificate (its
 * CertificateVerify is a signature). */
static void test_client_certificate(void **state)
{
    (void)state;
    char ca[512], cert[512], key[512];
    snprintf(ca, sizeof ca, "%s/a.pem", test_dir());
    snprintf(cert, sizeof cert, "%s/kuagree.pem", test_dir());
    snprintf(key, sizeof key, "%s/kuagree.key", test_dir());
    for (int v = 0; v < 2; v++) {
        pair p;
        parley_config *sc = server_cfg("good");
        assert_int_equal(parley_config_set_client_ca(sc, ca), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        parley_config *cc = client(v ? PARLEY_TLS1_2 : PARLEY_TLS1_3, NULL);
        assert_int_equal(parley_config_add_cert_files(cc, cert, key), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
        print_message("  server: alert %d, %s\n", parley_conn_alert_sent(p.server), parley_conn_error_string(p.server));
        assert_int_equal(parley_conn_alert_sent(p.server), ALERT_UNSUPPORTED_CERTIFICATE);
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_key_agreement_only),     cmocka_unit_test(test_server_key_encipherment_only),
        cmocka_unit_test(test_server_digital_signature_only), cmocka_unit_test(test_cache_keeps_usages_apart),
        cmocka_unit_test(test_client_certificate),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
