/* server_hello_conformance_test.c - the client role's side of issue #13
 * items 2 and 4: crafted ServerHello and HelloRetryRequest bytes, each
 * answered with the exact alert (RFC 8446 4.1.3, 4.1.4, 4.2, D.5). */
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

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

typedef struct {
    parley_conn *c;
    uint8_t ch[4096];
    size_t chlen;
    pl_client_hello hello; /* views into ch */
} client;

/* A client that has sent its (next) ClientHello; parsed into cl->hello. */
static void take_hello(client *cl)
{
    cl->chlen = conn_take(cl->c, cl->ch, sizeof cl->ch);
    assert_true(cl->chlen > 9);
    /* RFC 8446 5.1: the initial ClientHello's record says 0x0301. */
    assert_int_equal(cl->ch[1] << 8 | cl->ch[2], 0x0301);
    assert_int_equal(cl->ch[5], PL_HS_CLIENT_HELLO);
    size_t body = (size_t)cl->ch[7] << 8 | cl->ch[8];
    assert_int_equal(pl_client_hello_parse(cl->ch + 9, body, &cl->hello), 0);
}

/* After a HelloRetryRequest: the compatibility CCS first (RFC 8446 D.4,
 * before the second ClientHello), then that hello, in a 0x0303 record. */
static void take_second_hello(client *cl)
{
    static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    cl->chlen = conn_take(cl->c, cl->ch, sizeof cl->ch);
    assert_true(cl->chlen > 15);
    assert_memory_equal(cl->ch, ccs, 6);
    memmove(cl->ch, cl->ch + 6, cl->chlen - 6);
    cl->chlen -= 6;
    assert_int_equal(cl->ch[0] << 16 | cl->ch[1] << 8 | cl->ch[2], 0x160303);
    assert_int_equal(cl->ch[5], PL_HS_CLIENT_HELLO);
    size_t body = (size_t)cl->ch[7] << 8 | cl->ch[8];
    assert_int_equal(pl_client_hello_parse(cl->ch + 9, body, &cl->hello), 0);
}

static void new_client(client *cl)
{
    parley_config *cfg = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cfg, PARLEY_TLS1_2, PARLEY_TLS1_3), PARLEY_OK);
    cl->c = parley_conn_new_client(cfg, "localhost");
    parley_config_free(cfg);
    assert_int_equal(parley_conn_handshake(cl->c), PARLEY_WANT_READ);
    take_hello(cl);
}

/* A ServerHello (or, with random NULL, a HelloRetryRequest) echoing the
 * client's session id, as a record, handed to the client: its verdict. */
static int server_hello(client *cl, uint16_t legacy, const uint8_t *random, uint16_t suite, const rh_buf *exts)
{
    rh_buf body = {0}, msg = {0}, rec = {0};
    rh_u16(&body, legacy);
    rh_bytes(&body, random ? random : pl_hrr_random, 32);
    rh_u8(&body, (uint8_t)cl->hello.session_id.len);
    rh_bytes(&body, cl->hello.session_id.p, cl->hello.session_id.len);
    rh_u16(&body, suite);
    rh_u8(&body, 0);
    rh_u16(&body, (uint16_t)exts->len);
    rh_bytes(&body, exts->p, exts->len);
    rh_u8(&msg, PL_HS_SERVER_HELLO);
    rh_u24(&msg, (uint32_t)body.len);
    rh_bytes(&msg, body.p, body.len);
    rh_records(msg.p, msg.len, 0, &rec);
    conn_feed(cl->c, rec.p, rec.len);
    rh_buf_free(&body);
    rh_buf_free(&msg);
    rh_buf_free(&rec);
    return parley_conn_handshake(cl->c);
}

static void ext_version(rh_buf *e, uint16_t v)
{
    rh_u16(e, 43);
    rh_u16(e, 2);
    rh_u16(e, v);
}
/* key_share: a real x25519 share for a ServerHello, the group alone for an HRR. */
static void ext_share(rh_buf *e, uint16_t group, int hrr)
{
    rh_u16(e, 51);
    if (hrr) {
        rh_u16(e, 2);
        rh_u16(e, group);
        return;
    }
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t n;
    pl_kex *k = NULL;
    assert_int_equal(pl_kex_generate(group, &k, pub, &n), 0);
    pl_kex_free(k);
    rh_u16(e, (uint16_t)(4 + n));
    rh_u16(e, group);
    rh_u16(e, (uint16_t)n);
    rh_bytes(e, pub, n);
}

/* The extensions of a valid TLS 1.3 answer: supported_versions {1.3} and a
 * key_share: for an HRR, secp256r1 (offered without a share); for a
 * ServerHello, an x25519 share. */
static void ext_tls13(rh_buf *e, int hrr)
{
    ext_version(e, 0x0304);
    ext_share(e, hrr ? PARLEY_GROUP_SECP256R1 : PARLEY_GROUP_X25519, hrr);
}

/* An empty renegotiation_info: the extensions of a TLS 1.2 ServerHello. */
static void ext_tls12(rh_buf *e)
{
    rh_u16(e, 0xff01);
    rh_u16(e, 1);
    rh_u8(e, 0);
}

static void refused(client *cl, int rc, int alert, const char *words)
{
    assert_int_equal(rc, PARLEY_ERROR);
    if (!strstr(parley_conn_error_string(cl->c), words))
        fail_msg("error \"%s\" lacks \"%s\"", parley_conn_error_string(cl->c), words);
    assert_int_equal(parley_conn_alert_sent(cl->c), alert);
    parley_conn_free(cl->c);
}

static const uint8_t some_random[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

/* RFC 8446 D.5: legacy_version 0x0300 or less is protocol_version, also
 * when supported_versions selects TLS 1.3, in a ServerHello and an HRR. */
static void test_server_hello_ssl3_legacy_version(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0x0300, 0x0200};
    for (int hrr = 0; hrr < 2; hrr++)
        for (size_t i = 0; i < 2; i++) {
            client cl;
            rh_buf e = {0};
            new_client(&cl);
            ext_tls13(&e, hrr);
            refused(&cl, server_hello(&cl, bad[i], hrr ? NULL : some_random, 0x1301, &e), PL_ALERT_PROTOCOL_VERSION,
                    "(SSL 3.0 or older), which RFC 8446 D.5 requires refusing");
            rh_buf_free(&e);
        }
    /* Without supported_versions (a TLS 1.2 ServerHello) too. */
    client cl;
    rh_buf e = {0};
    new_client(&cl);
    ext_tls12(&e);
    refused(&cl, server_hello(&cl, 0x0300, some_random, 0xc02b, &e), PL_ALERT_PROTOCOL_VERSION, "RFC 8446 D.5");
    rh_buf_free(&e);
}

/* RFC 8446 4.1.3: a TLS 1.3 ServerHello's legacy_version is 0x0303;
 * another is a version we do not speak: protocol_version. */
static void test_server_hello_legacy_version_not_0303(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0x0304, 0x1234, 0x0302};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        client cl;
        rh_buf e = {0};
        char words[64];
        new_client(&cl);
        ext_tls13(&e, 0);
        snprintf(words, sizeof words, "ServerHello legacy_version is 0x%04x, not 0x0303", bad[i]);
        refused(&cl, server_hello(&cl, bad[i], some_random, 0x1301, &e), PL_ALERT_PROTOCOL_VERSION, words);
        rh_buf_free(&e);
    }
}

/* RFC 8446 4.2.1: supported_versions naming TLS 1.2 (or older) in a
 * ServerHello is illegal_parameter, before any TLS 1.2 extension beside it
 * is judged. */
static void test_server_hello_supported_versions_tls12(void **state)
{
    (void)state;
    client cl;
    rh_buf e = {0};
    new_client(&cl);
    ext_tls12(&e);
    ext_version(&e, 0x0303);
    refused(&cl, server_hello(&cl, 0x0303, some_random, 0xc02b, &e), PL_ALERT_ILLEGAL_PARAMETER,
            "supported_versions selects 0x0303, a version before TLS 1.3");
    rh_buf_free(&e);
}

/* RFC 8446 4.2: one extension of a type per block, in a ServerHello and an HRR. */
static void test_server_hello_duplicate_extension(void **state)
{
    (void)state;
    for (int hrr = 0; hrr < 2; hrr++) {
        client cl;
        rh_buf e = {0};
        new_client(&cl);
        ext_tls13(&e, hrr);
        ext_version(&e, 0x0304);
        refused(&cl, server_hello(&cl, 0x0303, hrr ? NULL : some_random, 0x1301, &e), PL_ALERT_ILLEGAL_PARAMETER,
                "extension supported_versions (43) appears twice");
        rh_buf_free(&e);
    }
}

/* RFC 8446 4.1.4: an HRR that would not change the ClientHello. */
static void test_hrr_without_change(void **state)
{
    (void)state;
    client cl;
    rh_buf e = {0};
    new_client(&cl);
    ext_version(&e, 0x0304);
    refused(&cl, server_hello(&cl, 0x0303, NULL, 0x1301, &e), PL_ALERT_ILLEGAL_PARAMETER,
            "HelloRetryRequest would not change the ClientHello");
    e.len = 0;
    new_client(&cl);
    ext_version(&e, 0x0304);
    ext_share(&e, PARLEY_GROUP_X25519, 1); /* the group of the share already sent */
    refused(&cl, server_hello(&cl, 0x0303, NULL, 0x1301, &e), PL_ALERT_ILLEGAL_PARAMETER,
            "for which a key share was already sent");
    rh_buf_free(&e);
}

/* RFC 8446 4.1.4: the ServerHello after an HRR keeps its cipher suite and
 * selected version. */
static void test_server_hello_after_hrr_changes_suite_or_version(void **state)
{
    (void)state;
    for (int what = 0; what < 2; what++) {
        client cl;
        rh_buf e = {0};
        new_client(&cl);
        ext_tls13(&e, 1);
        assert_int_equal(server_hello(&cl, 0x0303, NULL, 0x1301, &e), PARLEY_WANT_READ);
        take_second_hello(&cl); /* CCS, the second ClientHello */
        e.len = 0;
        if (what == 0) {
            ext_version(&e, 0x0304);
            ext_share(&e, PARLEY_GROUP_SECP256R1, 0);
            refused(&cl, server_hello(&cl, 0x0303, some_random, 0x1302, &e), PL_ALERT_ILLEGAL_PARAMETER,
                    "ServerHello cipher suite differs from the HelloRetryRequest's");
        } else {
            /* No supported_versions: TLS 1.2 after a TLS 1.3 HRR. */
            ext_tls12(&e);
            refused(&cl, server_hello(&cl, 0x0303, some_random, 0xc02b, &e), PL_ALERT_ILLEGAL_PARAMETER,
                    "TLS 1.2 ServerHello after a HelloRetryRequest");
        }
        rh_buf_free(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_hello_ssl3_legacy_version),
        cmocka_unit_test(test_server_hello_legacy_version_not_0303),
        cmocka_unit_test(test_server_hello_supported_versions_tls12),
        cmocka_unit_test(test_server_hello_duplicate_extension),
        cmocka_unit_test(test_hrr_without_change),
        cmocka_unit_test(test_server_hello_after_hrr_changes_suite_or_version),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
