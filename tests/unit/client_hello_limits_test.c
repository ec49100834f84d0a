/* client_hello_limits_test.c - a server takes every ClientHello the format
 * allows and refuses the malformed ones with the exact alert (issue #13,
 * item 2 and 4): thousands of unknown extensions, hundreds of unknown key
 * shares, the largest possible ClientHello, duplicates, TLS 1.2-only
 * extensions under TLS 1.3 and their TLS 1.2 rules (EMS body, point
 * formats), legacy_version 0x0300 and below. The hellos are built byte by
 * byte (raw_hello.h) and judged by hello_server.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "helpers.h"
#include "internal.h"
#include "raw_hello.h"

#include "hello_server.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* ------------------------------------------------ item 2: no fixed caps */

static void test_2000_unknown_extensions(void **state)
{
    (void)state;
    raw_hello h;
    hello13_init(&h);
    for (int i = 0; i < 2000; i++) {
        uint8_t body[3] = {(uint8_t)i, 0xab, 0xcd};
        rh_insert(&h, (size_t)i % 5, (uint16_t)(0x4000 + i), body, (size_t)i % 4);
    }
    assert_int_equal(hello_accepted(&h, 0x0304), PARLEY_GROUP_X25519);
    rh_free(&h);
}

/* 16383 four-byte extensions: the whole extensions<8..2^16-1> block. */
static void test_extensions_block_full(void **state)
{
    (void)state;
    raw_hello h;
    hello13_init(&h);
    size_t used = rh_extensions_len(&h);
    uint16_t t = 0x4000;
    while (65535 - used >= 8) {
        rh_insert(&h, 2, t++, NULL, 0);
        used += 4;
    }
    static const uint8_t pad[3];
    rh_add(&h, t, pad, 65535 - used - 4);
    assert_int_equal(rh_extensions_len(&h), 65535);
    assert_true(h.n_ext > 16000);
    assert_int_equal(hello_accepted(&h, 0x0304), PARLEY_GROUP_X25519);
    rh_free(&h);
}

/* The largest ClientHello there is (131,400 bytes with its header): 32767
 * cipher suites, 255 compression methods, a 32-byte session id and 65535
 * bytes of extensions. TLS 1.3 allows only null compression, so the largest
 * is a TLS 1.2 hello; a TLS 1.3 one with everything else at the maximum is
 * accepted too. Both arrive in nine 16 KiB records. */
static void fill_max(raw_hello *h, int tls13)
{
    h->suites.len = 0;
    rh_u16(&h->suites, tls13 ? 0x1301 : 0xc02b);
    for (uint32_t i = 1; i < 32767; i++) rh_u16(&h->suites, (uint16_t)(0x7000 + i));
    if (!tls13) {
        for (int i = 1; i < 255; i++) rh_u8(&h->compression, (uint8_t)i);
    }
    size_t used = rh_extensions_len(h);
    uint8_t big[65535];
    memset(big, 0x5a, sizeof big);
    rh_add(h, 0x7777, big, 65535 - used - 4);
    assert_int_equal(rh_extensions_len(h), 65535);
}

static void test_max_size_client_hello(void **state)
{
    (void)state;
    raw_hello h;
    rh_buf m = {0};
    /* TLS 1.2: EMS, groups, sigalgs, point formats; no supported_versions. */
    rh_init(&h);
    rh_add(&h, EXT_EMS, NULL, 0);
    hello_add_tls12_groups_sigalgs(&h);
    rh_add(&h, 11, "\x01\x00", 2);
    rh_add(&h, 0xff01, "\x00", 1);
    fill_max(&h, 0);
    rh_message(&h, &m);
    assert_int_equal(m.len, 131400);
    hello_accepted(&h, 0x0303);
    rh_free(&h);

    hello13_init(&h);
    fill_max(&h, 1);
    m.len = 0;
    rh_message(&h, &m);
    assert_int_equal(m.len, 131400 - 254);
    assert_int_equal(hello_accepted(&h, 0x0304), PARLEY_GROUP_X25519);
    rh_free(&h);
    rh_buf_free(&m);
}

/* The bound follows the message type as soon as its header is in: a
 * ClientHello header announcing the maximum waits for its body; one byte
 * more, or any other message over 128 KiB, is refused at once. */
static void test_reassembly_bound_by_type(void **state)
{
    (void)state;
    uint8_t rec[9] = {22, 3, 1, 0, 4, PL_HS_CLIENT_HELLO, 0x02, 0x01, 0x44}; /* 131396 */
    parley_conn *s = hello_server_new();
    assert_int_equal(hello_feed(s, rec, sizeof rec), PARLEY_WANT_READ);
    parley_conn_free(s);
    rec[8] = 0x45;
    s = hello_server_new();
    hello_refused_by(s, hello_feed(s, rec, sizeof rec), PL_ALERT_DECODE_ERROR, "ClientHello of 131397 bytes exceeds the limit of 131396");
    parley_conn_free(s);
    uint8_t cert[9] = {22, 3, 1, 0, 4, PL_HS_CERTIFICATE, 0x02, 0x00, 0x01}; /* 131073 */
    s = hello_server_new();
    hello_refused_by(s, hello_feed(s, cert, sizeof cert), PL_ALERT_DECODE_ERROR, "Certificate of 131073 bytes exceeds the limit of 131072");
    parley_conn_free(s);
}

/* 300 shares for groups the server does not know, then an x25519 one. */
static void test_300_unknown_key_shares(void **state)
{
    (void)state;
    uint16_t groups[302];
    rh_buf shares = {0};
    uint8_t ke[40];
    memset(ke, 0x33, sizeof ke);
    for (int i = 0; i < 300; i++) {
        groups[i] = (uint16_t)(0x6000 + i);
        rh_share(&shares, groups[i], ke, 1 + (size_t)i % sizeof ke);
    }
    groups[300] = PARLEY_GROUP_X25519;
    groups[301] = PARLEY_GROUP_SECP256R1;
    hello_x25519_share(&shares);
    raw_hello h;
    rh_init(&h);
    rh_add_tls13(&h, groups, 302, &shares);
    assert_int_equal(hello_accepted(&h, 0x0304), PARLEY_GROUP_X25519);
    rh_free(&h);
    rh_buf_free(&shares);
}

/* RFC 8446 4.2: the same extension at positions 1 and 5000 (0-based: 0, 4999). */
static void test_duplicate_extension_far_apart(void **state)
{
    (void)state;
    raw_hello h;
    hello13_init(&h);
    for (int i = 0; i < 5000; i++) rh_insert(&h, 1, (uint16_t)(0x4000 + i), NULL, 0);
    rh_insert(&h, 0, 0x4abc, NULL, 0);
    rh_insert(&h, 4999, 0x4abc, "x", 1);
    hello_refused(&h, PL_ALERT_ILLEGAL_PARAMETER, "extension unknown (19132) appears twice");
    rh_free(&h);
}

/* RFC 8446 4.2.8: one share per group; also when 300 other shares separate them. */
static void test_duplicate_key_share_group(void **state)
{
    (void)state;
    uint16_t groups[301];
    rh_buf shares = {0};
    static const uint8_t ke[4] = {1, 2, 3, 4};
    hello_x25519_share(&shares);
    for (int i = 0; i < 300; i++) {
        groups[i] = (uint16_t)(0x6000 + i);
        rh_share(&shares, groups[i], ke, sizeof ke);
    }
    groups[300] = PARLEY_GROUP_X25519;
    hello_x25519_share(&shares);
    raw_hello h;
    rh_init(&h);
    rh_add_tls13(&h, groups, 301, &shares);
    hello_refused(&h, PL_ALERT_ILLEGAL_PARAMETER, "two key shares for group 0x001d");
    rh_free(&h);
    rh_buf_free(&shares);
}

/* The supported_groups membership check stays (RFC 8446 4.2.8), and an
 * empty key_exchange is malformed for any group, known or not. */
static void test_key_share_checks_kept(void **state)
{
    (void)state;
    static const uint16_t groups[] = {PARLEY_GROUP_X25519};
    rh_buf shares = {0};
    raw_hello h;
    hello_x25519_share(&shares);
    rh_share(&shares, 0x6001, "k", 1);
    rh_init(&h);
    rh_add_tls13(&h, groups, 1, &shares);
    hello_refused(&h, PL_ALERT_ILLEGAL_PARAMETER, "key share for group 0x6001 which supported_groups does not list");
    rh_free(&h);
    shares.len = 0;
    hello_x25519_share(&shares);
    rh_share(&shares, 0x6001, NULL, 0);
    static const uint16_t groups2[] = {PARLEY_GROUP_X25519, 0x6001};
    rh_init(&h);
    rh_add_tls13(&h, groups2, 2, &shares);
    hello_refused(&h, PL_ALERT_DECODE_ERROR, "empty key_exchange in key_share");
    rh_free(&h);
    rh_buf_free(&shares);
}

/* Extensions that mean something only in TLS 1.2 are ignored under TLS
 * 1.3, whatever they hold (RFC 8446 4.2); under TLS 1.2 a non-empty
 * extended_master_secret is decode_error (RFC 7627 5.1). */
static void test_tls12_extensions_ignored_in_tls13(void **state)
{
    (void)state;
    raw_hello h;
    hello13_init(&h);
    rh_add(&h, EXT_EMS, "\x01\x02\x03", 3);
    rh_add(&h, 11, "\xff\xff\xff", 3);   /* ec_point_formats: garbage */
    rh_add(&h, 0xff01, "\x05\x01", 2);  /* renegotiation_info: non-empty, malformed */
    rh_add(&h, 35, "\x00", 1);          /* session_ticket */
    assert_int_equal(hello_accepted(&h, 0x0304), PARLEY_GROUP_X25519);
    rh_free(&h);
}

static void test_ems_body_tls12(void **state)
{
    (void)state;
    static const uint16_t v12[] = {0x0303};
    raw_hello h;
    rh_buf b = {0};
    rh_init(&h);
    h.suites.len = 0;
    rh_u16(&h.suites, 0xc02b);
    rh_versions_body(&b, v12, 1);
    rh_add_buf(&h, EXT_SV, &b);
    hello_add_tls12_groups_sigalgs(&h);
    rh_add(&h, 0xff01, "\x00", 1);
    rh_add(&h, EXT_EMS, NULL, 0);
    /* Well-formed: accepted (sanity), then with a one-byte body. */
    hello_accepted(&h, 0x0303);
    rh_set_body(&h, (size_t)rh_find(&h, EXT_EMS), "\x00", 1);
    hello_refused(&h, PL_ALERT_DECODE_ERROR, "extended_master_secret must be empty");
    rh_free(&h);
    rh_buf_free(&b);
}

/* -------------------------------------- item 4: legacy_version (D.5) */

static void test_legacy_version_ssl3_refused(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0x0300, 0x0200, 0x0002};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        raw_hello h;
        hello13_init(&h);
        h.legacy_version = bad[i];
        hello_refused(&h, PL_ALERT_PROTOCOL_VERSION, "(SSL 3.0 or older), which RFC 8446 D.5 requires refusing");
        rh_free(&h);
    }
    /* 0x0301 with supported_versions {1.3} is fine. */
    raw_hello h;
    hello13_init(&h);
    h.legacy_version = 0x0301;
    hello_accepted(&h, 0x0304);
    rh_free(&h);
}

/* RFC 8422 5.1.2: a TLS 1.2 client listing the RFC's curves must accept
 * uncompressed points (illegal_parameter); the list is <1..2^8-1>. */
static int tls12_point_formats_groups(const void *body, size_t len, int with_groups)
{
    static const uint16_t v12[] = {0x0303}, groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1}, sigalgs[] = {0x0403};
    raw_hello h;
    rh_buf b = {0};
    rh_init(&h);
    h.suites.len = 0;
    rh_u16(&h.suites, 0xc02b);
    rh_versions_body(&b, v12, 1);
    rh_add_buf(&h, EXT_SV, &b);
    b.len = 0;
    rh_u16_list_body(&b, groups, 2);
    if (with_groups) rh_add_buf(&h, EXT_GROUPS, &b);
    b.len = 0;
    rh_u16_list_body(&b, sigalgs, 1);
    rh_add_buf(&h, 13, &b);
    rh_add(&h, EXT_EMS, NULL, 0);
    rh_add(&h, 11, body, len);
    parley_conn *s = hello_server_new();
    int rc = hello_send(s, &h);
    if (rc == PARLEY_ERROR) {
        rc = parley_conn_alert_sent(s);
        if (rc == PL_ALERT_ILLEGAL_PARAMETER) assert_non_null(strstr(parley_conn_error_string(s), "uncompressed"));
        if (rc == PL_ALERT_HANDSHAKE_FAILURE) assert_non_null(strstr(parley_conn_error_string(s), "no TLS 1.2 cipher suite"));
    } else {
        hello_answered(s, rc, 0x0303);
        rc = 0;
    }
    parley_conn_free(s);
    rh_free(&h);
    rh_buf_free(&b);
    return rc;
}

static int tls12_point_formats(const void *body, size_t len) { return tls12_point_formats_groups(body, len, 1); }

static void test_point_formats_tls12(void **state)
{
    (void)state;
    assert_int_equal(tls12_point_formats("\x01\x00", 2), 0);
    assert_int_equal(tls12_point_formats("\x03\x02\x01\x00", 4), 0); /* uncompressed among others */
    assert_int_equal(tls12_point_formats("\x01\x01", 2), PL_ALERT_ILLEGAL_PARAMETER);
    assert_int_equal(tls12_point_formats("\x02\x01\x02", 3), PL_ALERT_ILLEGAL_PARAMETER);
    assert_int_equal(tls12_point_formats("\x00", 1), PL_ALERT_DECODE_ERROR);         /* empty list */
    assert_int_equal(tls12_point_formats("\x01\x00\xff", 3), PL_ALERT_DECODE_ERROR); /* trailing byte */
    assert_int_equal(tls12_point_formats("\x02\x00", 2), PL_ALERT_DECODE_ERROR);     /* list overruns */
    /* Without supported_groups the RFC sets no MUST: no ECDHE suite for
     * this client (its only suite here: no suite in common), not an abort. */
    assert_int_equal(tls12_point_formats_groups("\x01\x01", 2, 0), PL_ALERT_HANDSHAKE_FAILURE);
    assert_int_equal(tls12_point_formats_groups("\x01\x00", 2, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2000_unknown_extensions),
        cmocka_unit_test(test_extensions_block_full),
        cmocka_unit_test(test_max_size_client_hello),
        cmocka_unit_test(test_reassembly_bound_by_type),
        cmocka_unit_test(test_300_unknown_key_shares),
        cmocka_unit_test(test_duplicate_extension_far_apart),
        cmocka_unit_test(test_duplicate_key_share_group),
        cmocka_unit_test(test_key_share_checks_kept),
        cmocka_unit_test(test_tls12_extensions_ignored_in_tls13),
        cmocka_unit_test(test_ems_body_tls12),
        cmocka_unit_test(test_legacy_version_ssl3_refused),
        cmocka_unit_test(test_point_formats_tls12),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
