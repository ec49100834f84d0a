/*
 * server_hello12_extensions_test.c - a TLS 1.2 ServerHello leaves out its
 * extensions field when it has no extension to send (RFC 5246 7.4.1.3: the
 * field is optional; a client that offered no extension gets none back,
 * 7.4.1.4), and carries it when it has one (an offered
 * extended_master_secret is answered). Raw ClientHellos with only what an
 * ECDHE-ECDSA suite needs (groups, signature algorithms: a ClientHello
 * without any extension is refused for its SHA-1-only signatures), with and
 * without extended_master_secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "hello_server.h"
#include "internal.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* The ServerHello's body from s's first record; its extensions block's
 * length in *ext_len, -1 when the field is absent. */
static long server_hello_extensions(parley_conn *s)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(s, &d, &n);
    assert_true(n > 9);
    assert_int_equal(d[0], PL_CT_HANDSHAKE);
    assert_int_equal(d[5], PL_HS_SERVER_HELLO);
    size_t body = (size_t)d[6] << 16 | (size_t)d[7] << 8 | d[8];
    const uint8_t *b = d + 9;
    size_t at = 2 + 32;
    at += 1 + b[at]; /* session id */
    at += 2 + 1;     /* suite, compression */
    assert_true(at <= body);
    if (at == body) return -1;
    assert_true(at + 2 <= body);
    size_t el = (size_t)b[at] << 8 | b[at + 1];
    assert_int_equal(at + 2 + el, body);
    return (long)el;
}

static void test_extensions_field(void **state)
{
    (void)state;
    static const uint16_t suites[] = {0xc02b}; /* ECDHE-ECDSA-AES128-GCM-SHA256 */
    for (int k = 0; k < 2; k++) {
        raw_hello h;
        rh_init(&h);
        rh_set_suites(&h, suites, 1);
        /* What an ECDHE-ECDSA suite needs, none of which a server answers. */
        hello_add_tls12_groups_sigalgs(&h);
        if (k == 1) rh_add(&h, EXT_EMS, NULL, 0);
        parley_conn *s = hello_server_new();
        int rc = hello_send(s, &h);
        hello_answered(s, rc, 0x0303);
        long el = server_hello_extensions(s);
        if (k == 0) assert_int_equal(el, -1); /* nothing to send: the field is left out */
        else assert_int_equal(el, 4);         /* extended_master_secret, empty */
        parley_conn_free(s);
        rh_free(&h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extensions_field),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
