/*
 * verify_callback_test.c - parley_config_set_verify_callback: the
 * application's verdict replaces chain verification in both roles (called
 * with the chain as sent, leaf first; its alert ends the handshake), a
 * server may ask for client certificates without a client CA file, the
 * leaf's keyUsage still applies before the callback is called, and
 * parley_conn_peer_signature_scheme names the peer's signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

typedef struct {
    int calls;
    int answer;            /* what the callback returns */
    size_t n, leaf_len;    /* what it saw last */
    uint8_t leaf[4096];
    int saw_server_role;   /* the conn it got was a server's */
} seen;

static int record_cb(void *arg, const parley_conn *conn, const uint8_t *const *der, const size_t *der_len, size_t n)
{
    seen *s = arg;
    s->calls++;
    s->n = n;
    s->leaf_len = der_len[0] < sizeof s->leaf ? der_len[0] : 0;
    memcpy(s->leaf, der[0], s->leaf_len);
    s->saw_server_role = parley_conn_is_server(conn);
    return s->answer;
}

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash '%s/../unit/x509_pki.sh' '%s' >/dev/null", PARLEY_VECTORS, d);
    /* "vcsrv" is trusted by nobody; "vcother" is a CA the client trusts. */
    return make_cert(d, "vcsrv", "ec256", "localhost", -1, 30) || make_cert(d, "vcother", "ec256", "other.test", -1, 30) ||
           make_cert(d, "vccli", "rsa2048", "client.example", -1, 30) || system(cmd) != 0;
}

/* The DER of the first certificate in NAME.pem. */
static size_t leaf_der(const char *name, uint8_t *out, size_t cap)
{
    char path[512], pem[16384];
    snprintf(path, sizeof path, "%s/%s.pem", test_dir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = 0;
    parley_cert_list *l = NULL;
    char err[256];
    assert_int_equal(parley_cert_list_from_pem((const uint8_t *)pem, n, &l, err, sizeof err), PARLEY_OK);
    size_t len = 0;
    const uint8_t *d = parley_cert_list_der(l, 0, &len);
    assert_non_null(d);
    assert_true(len <= cap);
    memcpy(out, d, len);
    parley_cert_list_free(l);
    return len;
}

static int handshake_with(parley_config *cc, parley_config *sc, pair *p)
{
    make_pair(p, cc, sc, "localhost");
    return pair_handshake(p, NULL, NULL);
}

/* Client: an untrusted chain is accepted by the callback, which got it. */
static void test_client_accepts(void **state)
{
    (void)state;
    seen s = {0};
    pair p;
    /* Without the callback the chain is refused (unknown_ca): the callback is what lets it in. */
    assert_int_not_equal(handshake_with(client_cfg("vcother"), server_cfg("vcsrv"), &p), 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 48);
    free_pair(&p);

    parley_config *cc = client_cfg("vcother");
    assert_int_equal(parley_config_set_verify_callback(cc, record_cb, &s), PARLEY_OK);
    assert_int_equal(handshake_with(cc, server_cfg("vcsrv"), &p), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.saw_server_role, 0);
    uint8_t want[4096];
    size_t wl = leaf_der("vcsrv", want, sizeof want);
    assert_int_equal(s.leaf_len, wl);
    assert_memory_equal(s.leaf, want, wl);
    assert_non_null(strstr(parley_conn_verify_result(p.client), "verify callback"));
    /* The server signed with ECDSA P-256: both getters say so on the client. */
    assert_int_equal(parley_conn_peer_signature_scheme(p.client), PARLEY_SIG_ECDSA_SECP256R1_SHA256);
    assert_int_equal(parley_conn_signature_scheme(p.client), PARLEY_SIG_ECDSA_SECP256R1_SHA256);
    /* The server was not authenticated by a peer signature. */
    assert_int_equal(parley_conn_peer_signature_scheme(p.server), 0);
    free_pair(&p);
}

/* Client: the callback's alert is sent, any non-certificate value as bad_certificate. */
static void test_client_rejects(void **state)
{
    (void)state;
    const int answers[][2] = {{46, 46}, {45, 45}, {40, 40}, {99, 42}, {-1, 42}};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        seen s = {0};
        s.answer = answers[i][0];
        pair p;
        parley_config *cc = client_cfg("vcother");
        assert_int_equal(parley_config_set_verify_callback(cc, record_cb, &s), PARLEY_OK);
        assert_int_not_equal(handshake_with(cc, server_cfg("vcsrv"), &p), 0);
        assert_int_equal(s.calls, 1);
        expect_alert(p.client, p.server, answers[i][1], "rejected by the application's verify callback");
        free_pair(&p);
    }
}

/* Server: client certificates requested with no client CA file; the
 * callback sees the client's chain; the client's CertificateVerify is
 * reported by parley_conn_peer_signature_scheme, in both versions. */
static void test_server_without_ca_file(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        uint16_t ver = v ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        seen s = {0};
        pair p;
        parley_config *sc = only_version(server_cfg("vcsrv"), ver);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_callback(sc, record_cb, &s), PARLEY_OK);
        parley_config *cc = mtls_client("vcother", "vccli");
        assert_int_equal(parley_config_set_verify(cc, 0), PARLEY_OK);
        assert_int_equal(handshake_with(cc, sc, &p), 0);
        assert_int_equal(s.calls, 1);
        assert_int_equal(s.saw_server_role, 1);
        uint8_t want[4096];
        size_t wl = leaf_der("vccli", want, sizeof want);
        assert_int_equal(s.leaf_len, wl);
        assert_memory_equal(s.leaf, want, wl);
        uint16_t peer = parley_conn_peer_signature_scheme(p.server);
        assert_true(peer == PARLEY_SIG_RSA_PSS_RSAE_SHA256 || peer == PARLEY_SIG_RSA_PSS_RSAE_SHA384 ||
                    peer == PARLEY_SIG_RSA_PSS_RSAE_SHA512 || (v && peer == PARLEY_SIG_RSA_PKCS1_SHA256));
        /* parley_conn_signature_scheme stays the server's own (ECDSA). */
        assert_int_equal(parley_conn_signature_scheme(p.server), PARLEY_SIG_ECDSA_SECP256R1_SHA256);
        free_pair(&p);

        /* Rejected: the client gets the alert. */
        s = (seen){0};
        s.answer = 49;
        sc = only_version(server_cfg("vcsrv"), ver);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_callback(sc, record_cb, &s), PARLEY_OK);
        cc = mtls_client("vcother", "vccli");
        assert_int_equal(parley_config_set_verify(cc, 0), PARLEY_OK);
        assert_int_not_equal(handshake_with(cc, sc, &p), 0);
        /* (In TLS 1.3 the client is done before the alert comes: only the server's side is checked.) */
        assert_int_equal(s.calls, 1);
        assert_int_equal(parley_conn_alert_sent(p.server), 49);
        assert_non_null(strstr(parley_conn_error_string(p.server), "rejected by the application's verify callback"));
        free_pair(&p);
    }
    /* Without a callback, no CA file is still a configuration error. */
    parley_config *sc = server_cfg("vcsrv");
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_OPTIONAL), PARLEY_OK);
    assert_null(parley_conn_new_server(sc));
    assert_non_null(strstr(parley_config_error_string(sc), "client CA file"));
    parley_config_free(sc);
}

/* keyUsage is checked before the callback: a keyAgreement-only ECDSA leaf
 * (x509_pki.sh's kuagree) cannot sign, whatever the callback says; and
 * with verification off too. */
static void test_key_usage_still_applies(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        seen s = {0};
        pair p;
        parley_config *cc = client_cfg("vcother");
        if (mode == 0) assert_int_equal(parley_config_set_verify_callback(cc, record_cb, &s), PARLEY_OK);
        else assert_int_equal(parley_config_set_verify(cc, 0), PARLEY_OK);
        assert_int_not_equal(handshake_with(cc, server_cfg("kuagree"), &p), 0);
        assert_int_equal(s.calls, 0);
        expect_alert(p.client, p.server, 43, "keyUsage");
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_accepts),
        cmocka_unit_test(test_client_rejects),
        cmocka_unit_test(test_server_without_ca_file),
        cmocka_unit_test(test_key_usage_still_applies),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
