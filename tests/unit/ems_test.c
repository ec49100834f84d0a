/*
 * ems_test.c - TLS 1.2 without the extended master secret (RFC 7627), in
 * memory, both roles: the full handshake without EMS in every key exchange
 * (ECDHE, DHE, RSA), the exporter rule, require_ems on either side, the
 * default, and no encoding for a non-EMS session. The peer without EMS is
 * made on the wire (ems_wire.h); resumption is in ems_resumption_test.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "ems_wire.h"
#include "helpers.h"
#include "session/session.h"
#include "session/ticket.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30);
}

static void test_default_does_not_require_ems(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    assert_int_equal(cfg->require_ems, 0);
    assert_int_equal(parley_config_require_ems(cfg, 1), PARLEY_OK);
    assert_int_equal(cfg->require_ems, 1);
    parley_config_free(cfg);
}

/* RFC 7627 / RFC 5246 8.1: without EMS both sides derive the legacy master
 * secret and the handshake completes, in every key exchange; both report
 * ems 0 and refuse keying material export (RFC 7627 5.4). */
static void test_full_handshake_without_ems(void **state)
{
    (void)state;
    static const struct {
        const char *suite, *cert;
        int rsa;
    } cases[] = {
        {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ec256", 0},
        {"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "rsa2048", 0},
        {"TLS_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int strip = 1; strip >= 0; strip--) {
            pair p;
            wire w;
            parley_config *cc = client_cfg(cases[i].cert), *sc = server_cfg(cases[i].cert);
            assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
            assert_int_equal(parley_config_set_ciphers(cc, cases[i].suite), PARLEY_OK);
            assert_int_equal(parley_config_allow_rsa_kx(cc, cases[i].rsa), PARLEY_OK);
            assert_int_equal(parley_config_allow_rsa_kx(sc, cases[i].rsa), PARLEY_OK);
            int rc = run_conn(&p, &w, cc, sc, strip, NULL, 0);
            if (rc != 0) fprintf(stderr, "%s strip=%d: client: %s / server: %s\n", cases[i].suite, strip,
                                 parley_conn_error_string(p.client), parley_conn_error_string(p.server));
            assert_int_equal(rc, 0);
            assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
            assert_string_equal(parley_cipher_name(parley_conn_cipher(p.server)), cases[i].suite);
            assert_int_equal(w.sh_ems, !strip);
            assert_int_equal(parley_conn_ems(p.client), !strip);
            assert_int_equal(parley_conn_ems(p.server), !strip);
            assert_int_equal(pl_conn_export_allowed(p.client), !strip);
            assert_int_equal(pl_conn_export_allowed(p.server), !strip);
            exchange(&p, p.client, p.server, "legacy master secret, both ways");
            exchange(&p, p.server, p.client, "and back");
            free_pair(&p);
            parley_config_free(cc);
            parley_config_free(sc);
        }
    }
}

/* TLS 1.3 always allows export. */
static void test_export_allowed_tls13(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pl_conn_export_allowed(p.client), 0); /* not before the handshake */
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_3);
    assert_int_equal(pl_conn_export_allowed(p.client), 1);
    assert_int_equal(pl_conn_export_allowed(p.server), 1);
    free_pair(&p);
}

/* No serialised form of a non-EMS TLS 1.2 session: encoding refuses it. */
static void test_encode_refuses_non_ems(void **state)
{
    (void)state;
    pl_session s = {.version = 0x0303, .suite = 0xc02b, .ems = 0, .secret_len = 48, .created = 1700000000, .lifetime = 60};
    pl_buf b = {0};
    assert_int_not_equal(pl_session_encode(&s, &b), 0);
    assert_int_equal(b.len, 0);
    assert_non_null(strstr(pl_last_message(), "not resumable (RFC 7627 5.4)"));
    pl_clear_error();
    s.ems = 1;
    assert_int_equal(pl_session_encode(&s, &b), 0);
    pl_buf_free(&b);
    /* TLS 1.3 has no EMS extension: its sessions are always resumable. */
    pl_session t = {.version = 0x0304, .suite = 0x1301, .secret_len = 32, .created = 1700000000, .lifetime = 60};
    assert_int_equal(pl_session_encode(&t, &b), 0);
    pl_buf_free(&b);
}

/* require_ems (strict mode): the server refuses a ClientHello without EMS,
 * the client a ServerHello without it; handshake_failure and the reason. */
static void test_require_ems(void **state)
{
    (void)state;
    pair p;
    wire w;
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_require_ems(sc, 1), PARLEY_OK);
    assert_int_not_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    assert_string_equal(parley_conn_error_string(p.server),
                        "client does not support the extended master secret (RFC 7627), which is required");
    assert_int_equal(w.sh_seen, 0);
    free_pair(&p);
    /* With EMS the strict server is happy. */
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(parley_conn_ems(p.server), 1);
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);

    cc = client12();
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_require_ems(cc, 1), PARLEY_OK);
    assert_int_not_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(w.sh_seen, 1);
    assert_int_equal(w.sh_ems, 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 40);
    assert_string_equal(parley_conn_error_string(p.client),
                        "server does not support the extended master secret (RFC 7627), which is required");
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_does_not_require_ems),
        cmocka_unit_test(test_full_handshake_without_ems),
        cmocka_unit_test(test_export_allowed_tls13),
        cmocka_unit_test(test_encode_refuses_non_ems),
        cmocka_unit_test(test_require_ems),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
