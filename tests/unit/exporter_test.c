/*
 * exporter_test.c - keying material exporters (RFC 8446 7.5, RFC 5705), in
 * memory: both ends of a handshake export the same bytes in TLS 1.3 and in
 * TLS 1.2 with EMS, labels and contexts change them, TLS 1.2 tells no
 * context from an empty one and TLS 1.3 does not, a TLS 1.2 connection
 * without EMS refuses (RFC 7627 5.4) without failing, and so do a call
 * before the handshake, reserved labels and bad lengths. Values are checked
 * against OpenSSL in tests/interop/test_exporter.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ems_wire.h"
#include "helpers.h"

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
    assert_int_equal(ex(p->client, "", NULL, 0, d, 16), PARLEY_ERROR);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13),
        cmocka_unit_test(test_tls12_ems),
        cmocka_unit_test(test_tls12_without_ems_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
