/* client_hello_conformance_test.c - a server takes every ClientHello the
 * format allows and refuses the ones RFC 8446 forbids, with the exact alert
 * (issue #13, items 2 and 4): thousands of unknown extensions, hundreds of
 * unknown key shares, the largest possible ClientHello, duplicates,
 * TLS 1.2-only extensions under TLS 1.3, legacy_version 0x0300 and below,
 * and the second ClientHello after a HelloRetryRequest compared with the
 * first. The hellos are built byte by byte (raw_hello.h). */
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

#define EXT_EMS 23
#define EXT_SV 43
#define EXT_GROUPS 10
#define EXT_KEY_SHARE 51

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static parley_conn *new_server(void)
{
    parley_config *cfg = server_cfg("ec256");
    parley_conn *s = parley_conn_new_server(cfg);
    parley_config_free(cfg);
    assert_non_null(s);
    return s;
}

/* Feed bytes (any amount: the input buffer holds about one record) and run
 * the handshake after each piece. The handshake's last result. */
static int feed(parley_conn *s, const uint8_t *p, size_t n)
{
    int rc = PARLEY_WANT_READ;
    while (n) {
        size_t used = 0;
        assert_int_equal(parley_conn_recv_bytes(s, p, n, &used), PARLEY_OK);
        p += used;
        n -= used;
        rc = parley_conn_handshake(s);
        if (rc == PARLEY_ERROR) return rc;
        assert_true(used > 0 || rc != PARLEY_WANT_READ);
    }
    return rc;
}

static int send_hello(parley_conn *s, const raw_hello *h)
{
    rh_buf r = {0};
    rh_hello_records(h, &r);
    int rc = feed(s, r.p, r.len);
    rh_buf_free(&r);
    return rc;
}

/* The server failed with `alert` and its error says `words`. */
static void refused(parley_conn *s, int rc, int alert, const char *words)
{
    assert_int_equal(rc, PARLEY_ERROR);
    if (!strstr(parley_conn_error_string(s), words)) fail_msg("error \"%s\" lacks \"%s\"", parley_conn_error_string(s), words);
    assert_int_equal(parley_conn_alert_sent(s), alert);
}

/* The server's first message: a ServerHello (not an HRR) for `version`
 * (0x0304 via supported_versions, or 0x0303 without it); its key_share group. */
static uint16_t answered(parley_conn *s, int rc, uint16_t version)
{
    const uint8_t *d;
    size_t n;
    if (rc != PARLEY_WANT_READ) fail_msg("handshake failed: %s", parley_conn_error_string(s));
    parley_conn_pending_output(s, &d, &n);
    assert_true(n > 9);
    assert_int_equal(d[0], 22);
    assert_int_equal(d[5], PL_HS_SERVER_HELLO);
    size_t body = (size_t)d[6] << 16 | (size_t)d[7] << 8 | d[8];
    pl_server_hello sh;
    assert_int_equal(pl_server_hello_parse(d + 9, body, &sh), 0);
    assert_false(sh.is_hrr);
    if (version == 0x0304) assert_int_equal(sh.version, 0x0304);
    else assert_int_equal(sh.version, 0);
    return sh.group;
}

/* A TLS 1.3 hello with one x25519 share (a real public key). */
static void x25519_share(rh_buf *entries)
{
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t n;
    pl_kex *k = NULL;
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X25519, &k, pub, &n), 0);
    pl_kex_free(k);
    rh_share(entries, PARLEY_GROUP_X25519, pub, n);
}

static void hello13(raw_hello *h)
{
    static const uint16_t groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1};
    rh_buf shares = {0};
    rh_init(h);
    x25519_share(&shares);
    rh_add_tls13(h, groups, 2, &shares);
    rh_buf_free(&shares);
}

/* A fresh server given h answers with a ServerHello for `version` (see
 * answered); its key_share group. */
static uint16_t hello_accepted(const raw_hello *h, uint16_t version)
{
    parley_conn *s = new_server();
    uint16_t group = answered(s, send_hello(s, h), version);
    parley_conn_free(s);
    return group;
}

/* A fresh server given h refuses it with `alert` and says `words`. */
static void hello_refused(const raw_hello *h, int alert, const char *words)
{
    parley_conn *s = new_server();
    refused(s, send_hello(s, h), alert, words);
    parley_conn_free(s);
}

/* TLS 1.2 supported_groups {x25519, secp256r1} (the server's ECDSA
 * certificate is on secp256r1, RFC 8422 5.1) and signature_algorithms
 * {ecdsa_secp256r1_sha256}. */
static void add_tls12_groups_sigalgs(raw_hello *h)
{
    static const uint16_t groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1}, sigalgs[] = {0x0403};
    rh_buf b = {0};
    rh_u16_list_body(&b, groups, 2);
    rh_add_buf(h, EXT_GROUPS, &b);
    b.len = 0;
    rh_u16_list_body(&b, sigalgs, 1);
    rh_add_buf(h, 13, &b);
    rh_buf_free(&b);
}

/* ------------------------------------------------ item 2: no fixed caps */

static void test_2000_unknown_extensions(void **state)
{
    (void)state;
    raw_hello h;
    hello13(&h);
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
    hello13(&h);
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
    add_tls12_groups_sigalgs(&h);
    rh_add(&h, 11, "\x01\x00", 2);
    rh_add(&h, 0xff01, "\x00", 1);
    fill_max(&h, 0);
    rh_message(&h, &m);
    assert_int_equal(m.len, 131400);
    hello_accepted(&h, 0x0303);
    rh_free(&h);

    hello13(&h);
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
    parley_conn *s = new_server();
    assert_int_equal(feed(s, rec, sizeof rec), PARLEY_WANT_READ);
    parley_conn_free(s);
    rec[8] = 0x45;
    s = new_server();
    refused(s, feed(s, rec, sizeof rec), PL_ALERT_DECODE_ERROR, "ClientHello of 131397 bytes exceeds the limit of 131396");
    parley_conn_free(s);
    uint8_t cert[9] = {22, 3, 1, 0, 4, PL_HS_CERTIFICATE, 0x02, 0x00, 0x01}; /* 131073 */
    s = new_server();
    refused(s, feed(s, cert, sizeof cert), PL_ALERT_DECODE_ERROR, "Certificate of 131073 bytes exceeds the limit of 131072");
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
    x25519_share(&shares);
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
    hello13(&h);
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
    x25519_share(&shares);
    for (int i = 0; i < 300; i++) {
        groups[i] = (uint16_t)(0x6000 + i);
        rh_share(&shares, groups[i], ke, sizeof ke);
    }
    groups[300] = PARLEY_GROUP_X25519;
    x25519_share(&shares);
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
    x25519_share(&shares);
    rh_share(&shares, 0x6001, "k", 1);
    rh_init(&h);
    rh_add_tls13(&h, groups, 1, &shares);
    hello_refused(&h, PL_ALERT_ILLEGAL_PARAMETER, "key share for group 0x6001 which supported_groups does not list");
    rh_free(&h);
    shares.len = 0;
    x25519_share(&shares);
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
    hello13(&h);
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
    add_tls12_groups_sigalgs(&h);
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
        hello13(&h);
        h.legacy_version = bad[i];
        hello_refused(&h, PL_ALERT_PROTOCOL_VERSION, "(SSL 3.0 or older), which RFC 8446 D.5 requires refusing");
        rh_free(&h);
    }
    /* 0x0301 with supported_versions {1.3} is fine. */
    raw_hello h;
    hello13(&h);
    h.legacy_version = 0x0301;
    hello_accepted(&h, 0x0304);
    rh_free(&h);
}

/* ------------------------------- item 4: the second ClientHello (4.1.2) */

/* A first ClientHello that gets an HRR for x25519: it offers x25519 and
 * secp256r1 with no share, a session id, early_data, 100 bytes of padding
 * and a PSK (an identity this server cannot open: a full handshake follows). */
static const uint8_t psk1[] = {0, 22, 0, 16, 'n', 'o', 't', '-', 'a', '-', 'r', 'e', 'a', 'l', '-', 't', 'i', 'c', 'k', 'e',
                               0x01, 0x02, 0x03, 0x04, 0, 33, 32, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

static void first_hello(raw_hello *h)
{
    static const uint16_t groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1};
    static const uint8_t pad[100];
    rh_buf none = {0};
    rh_init(h);
    rh_add(h, 0x4a4a, "grease", 6);
    rh_add_tls13(h, groups, 2, &none);
    rh_add(h, 42, NULL, 0);          /* early_data */
    rh_add(h, 45, "\x01\x01", 2);    /* psk_key_exchange_modes: psk_dhe_ke */
    rh_add(h, 21, pad, sizeof pad);  /* padding */
    rh_add(h, 41, psk1, sizeof psk1); /* pre_shared_key, last */
}

/* The second as a conforming client sends it: one x25519 share, no
 * early_data, new age and binder, padding resized. */
static void second_hello(raw_hello *h2, const raw_hello *h1)
{
    rh_buf b = {0}, e = {0};
    rh_copy(h2, h1);
    x25519_share(&e);
    rh_key_share_body(&b, &e);
    rh_set_body(h2, (size_t)rh_find(h2, EXT_KEY_SHARE), b.p, b.len);
    rh_remove(h2, (size_t)rh_find(h2, 42));
    rh_set_body(h2, (size_t)rh_find(h2, 21), "\0\0\0\0\0\0\0", 7);
    if (rh_find(h2, 41) >= 0) {
        uint8_t psk2[sizeof psk1];
        memcpy(psk2, psk1, sizeof psk1);
        psk2[20] ^= 0x55;                       /* obfuscated_ticket_age */
        memset(psk2 + sizeof psk1 - 32, 2, 32); /* binder */
        rh_set_body(h2, (size_t)rh_find(h2, 41), psk2, sizeof psk2);
    }
    rh_buf_free(&b);
    rh_buf_free(&e);
}

/* A server that has answered h1 with an HRR for x25519 (output drained). */
static parley_conn *after_hrr(const raw_hello *h1)
{
    parley_conn *s = new_server();
    int rc = send_hello(s, h1);
    if (rc != PARLEY_WANT_READ) fail_msg("first ClientHello refused: %s", parley_conn_error_string(s));
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(s, &d, &n);
    assert_true(n > 9 && d[5] == PL_HS_SERVER_HELLO);
    pl_server_hello sh;
    assert_int_equal(pl_server_hello_parse(d + 9, ((size_t)d[7] << 8) | d[8], &sh), 0);
    assert_true(sh.is_hrr);
    assert_int_equal(sh.group, PARLEY_GROUP_X25519);
    parley_conn_output_sent(s, n);
    return s;
}

/* A server given h1 (answered with an HRR), then h2: it answers with a
 * ServerHello for x25519 (alert < 0) or refuses h2 with `alert` and `words`. */
static void second_hello_verdict(const raw_hello *h1, const raw_hello *h2, int alert, const char *words)
{
    parley_conn *s = after_hrr(h1);
    int rc = send_hello(s, h2);
    if (alert < 0) assert_int_equal(answered(s, rc, 0x0304), PARLEY_GROUP_X25519);
    else refused(s, rc, alert, words);
    parley_conn_free(s);
}

/* h2 = a conforming second hello changed by `mutate`; the server's verdict. */
static void retry(void (*mutate)(raw_hello *h2, const raw_hello *h1), int alert, const char *words)
{
    raw_hello h1, h2;
    first_hello(&h1);
    second_hello(&h2, &h1);
    if (mutate) mutate(&h2, &h1);
    second_hello_verdict(&h1, &h2, alert, words);
    rh_free(&h1);
    rh_free(&h2);
}

static void drop_psk(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_remove(h2, (size_t)rh_find(h2, 41));
}
static void drop_padding(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_remove(h2, (size_t)rh_find(h2, 21));
}
static void move_padding(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    int i = rh_find(h2, 21);
    rh_insert(h2, 0, 21, h2->ext[i].body, h2->ext[i].len);
    rh_remove(h2, (size_t)i + 1);
}

static void test_hrr_permitted_changes(void **state)
{
    (void)state;
    retry(NULL, -1, NULL);         /* new share, early_data gone, padding, age and binder */
    retry(drop_psk, -1, NULL);     /* all PSKs removed (RFC 8446 4.1.2, 4.2.11) */
    retry(drop_padding, -1, NULL); /* padding removed (RFC 7685) */
    retry(move_padding, -1, NULL);
}

static void reorder(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_swap(h2, (size_t)rh_find(h2, EXT_GROUPS), (size_t)rh_find(h2, 13));
}
static void test_hrr_reordered_extensions(void **state)
{
    (void)state;
    retry(reorder, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds, removes or reorders extensions");
}

static void change_suites(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    static const uint16_t s[] = {0x1301, 0x1303, 0x1302};
    rh_set_suites(h2, s, 3);
}
static void test_hrr_changed_suites(void **state)
{
    (void)state;
    retry(change_suites, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes cipher_suites");
}

static void change_sid(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    h2->session_id[31] ^= 1;
}
static void shorten_sid(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    h2->session_id_len = 0;
}
static void test_hrr_changed_session_id(void **state)
{
    (void)state;
    retry(change_sid, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes legacy_session_id");
    retry(shorten_sid, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes legacy_session_id");
}

static void change_random(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    h2->random[0] ^= 0x80;
}
static void test_hrr_changed_random(void **state)
{
    (void)state;
    retry(change_random, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes random");
}

static void change_version(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    h2->legacy_version = 0x0301;
}
static void change_compression(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_u8(&h2->compression, 1);
}
static void test_hrr_changed_version_or_compression(void **state)
{
    (void)state;
    retry(change_version, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes legacy_version (0x0301, was 0x0303)");
    retry(change_compression, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes legacy_compression_methods");
}

static void change_groups(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    static const uint16_t g[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP384R1};
    rh_buf b = {0};
    rh_u16_list_body(&b, g, 2);
    rh_set_body(h2, (size_t)rh_find(h2, EXT_GROUPS), b.p, b.len);
    rh_buf_free(&b);
}
static void test_hrr_changed_supported_groups(void **state)
{
    (void)state;
    retry(change_groups, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello changes the content of extension supported_groups (10)");
}

/* A change past the first 32 extensions is found as surely, unnamed. */
static void change_far_ext(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    int i = rh_find(h2, 0x4000 + 39);
    rh_set_body(h2, (size_t)i, "y", 1);
}
static void test_hrr_changed_extension_far_down(void **state)
{
    (void)state;
    raw_hello h1, h2;
    first_hello(&h1);
    for (int i = 0; i < 40; i++) rh_insert(&h1, 1 + (size_t)i, (uint16_t)(0x4000 + i), "x", 1);
    second_hello(&h2, &h1);
    second_hello_verdict(&h1, &h2, -1, NULL);
    change_far_ext(&h2, &h1);
    second_hello_verdict(&h1, &h2, PL_ALERT_ILLEGAL_PARAMETER,
                         "second ClientHello changes the content of an extension (only key_share, pre_shared_key and padding may change)");
    rh_free(&h1);
    rh_free(&h2);
}

static void add_ext(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_insert(h2, 1, 0x5a5a, NULL, 0);
}
static void remove_ext(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_remove(h2, 0); /* the GREASE-like unknown one */
}
static void add_cookie(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_insert(h2, (size_t)rh_find(h2, 45), 44, "\x00\x02hi", 4);
}
static void test_hrr_extension_added_or_removed(void **state)
{
    (void)state;
    retry(add_ext, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds, removes or reorders extensions");
    retry(remove_ext, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds, removes or reorders extensions");
    /* This server's HRR carries no cookie: one in the second hello is not an echo. */
    retry(add_cookie, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds, removes or reorders extensions");
}

static void keep_early_data(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    rh_insert(h2, (size_t)rh_find(h2, 45), 42, NULL, 0);
}
static void test_hrr_early_data_kept(void **state)
{
    (void)state;
    retry(keep_early_data, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello offers early_data");
}

/* h2's key_share: [an x25519 share,] a secp256r1 one. */
static void p256_share(raw_hello *h2, int with_x25519)
{
    rh_buf b = {0}, e = {0};
    if (with_x25519) x25519_share(&e);
    uint8_t p256[65] = {4};
    rh_share(&e, PARLEY_GROUP_SECP256R1, p256, sizeof p256);
    rh_key_share_body(&b, &e);
    rh_set_body(h2, (size_t)rh_find(h2, EXT_KEY_SHARE), b.p, b.len);
    rh_buf_free(&b);
    rh_buf_free(&e);
}
static void two_shares(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    p256_share(h2, 1);
}
static void other_group_share(raw_hello *h2, const raw_hello *h1)
{
    (void)h1;
    p256_share(h2, 0);
}
static void test_hrr_two_shares(void **state)
{
    (void)state;
    retry(two_shares, PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello must carry exactly one key share, for x25519 (it has 2)");
}
static void test_hrr_share_for_other_group(void **state)
{
    (void)state;
    retry(other_group_share, PL_ALERT_ILLEGAL_PARAMETER,
          "second ClientHello must carry exactly one key share, for x25519 (it has 1, for another group)");
}

static void test_hrr_psk_added(void **state)
{
    (void)state;
    raw_hello h1, h2;
    first_hello(&h1);
    rh_remove(&h1, (size_t)rh_find(&h1, 41));
    second_hello(&h2, &h1);
    rh_add(&h2, 41, psk1, sizeof psk1);
    parley_conn *s = after_hrr(&h1);
    refused(s, send_hello(s, &h2), PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds pre_shared_key");
    parley_conn_free(s);
    rh_free(&h1);
    rh_free(&h2);
}

/* RFC 8422 5.1.2: a TLS 1.2 client listing the RFC's curves must accept
 * uncompressed points (illegal_parameter); the list is <1..2^8-1>. */
static int tls12_point_formats(const void *body, size_t len)
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
    rh_add_buf(&h, EXT_GROUPS, &b);
    b.len = 0;
    rh_u16_list_body(&b, sigalgs, 1);
    rh_add_buf(&h, 13, &b);
    rh_add(&h, EXT_EMS, NULL, 0);
    rh_add(&h, 11, body, len);
    parley_conn *s = new_server();
    int rc = send_hello(s, &h);
    if (rc == PARLEY_ERROR) {
        rc = parley_conn_alert_sent(s);
        if (rc == PL_ALERT_ILLEGAL_PARAMETER) assert_non_null(strstr(parley_conn_error_string(s), "uncompressed"));
    } else {
        answered(s, rc, 0x0303);
        rc = 0;
    }
    parley_conn_free(s);
    rh_free(&h);
    rh_buf_free(&b);
    return rc;
}

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
        cmocka_unit_test(test_hrr_permitted_changes),
        cmocka_unit_test(test_hrr_reordered_extensions),
        cmocka_unit_test(test_hrr_changed_suites),
        cmocka_unit_test(test_hrr_changed_session_id),
        cmocka_unit_test(test_hrr_changed_random),
        cmocka_unit_test(test_hrr_changed_version_or_compression),
        cmocka_unit_test(test_hrr_changed_supported_groups),
        cmocka_unit_test(test_hrr_changed_extension_far_down),
        cmocka_unit_test(test_hrr_extension_added_or_removed),
        cmocka_unit_test(test_hrr_early_data_kept),
        cmocka_unit_test(test_hrr_two_shares),
        cmocka_unit_test(test_hrr_share_for_other_group),
        cmocka_unit_test(test_hrr_psk_added),
        cmocka_unit_test(test_point_formats_tls12),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
