/* hello_retry_test.c - after a HelloRetryRequest the second ClientHello
 * must be the first with only the changes RFC 8446 4.1.2 permits (issue #13,
 * item 4): one test per kind of forbidden change (illegal_parameter) and
 * the permitted ones accepted. Built byte by byte (raw_hello.h). */
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
    hello_x25519_share(&e);
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
    parley_conn *s = hello_server_new();
    int rc = hello_send(s, h1);
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
    int rc = hello_send(s, h2);
    if (alert < 0) assert_int_equal(hello_answered(s, rc, 0x0304), PARLEY_GROUP_X25519);
    else hello_refused_by(s, rc, alert, words);
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
    if (with_x25519) hello_x25519_share(&e);
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
    hello_refused_by(s, hello_send(s, &h2), PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello adds pre_shared_key");
    parley_conn_free(s);
    rh_free(&h1);
    rh_free(&h2);
}

/* A pre_shared_key body with identities named by the letters of `ids`
 * (each "ticket-X"), ages `age`, and 32-byte binders. */
static void psk_body(rh_buf *b, const char *ids, uint8_t age)
{
    rh_buf l = {0};
    for (const char *c = ids; *c; c++) {
        char name[9] = "ticket-X";
        name[7] = *c;
        rh_u16(&l, 8), rh_bytes(&l, name, 8);
        rh_u16(&l, 0), rh_u16(&l, age); /* obfuscated_ticket_age */
    }
    rh_u16(b, (uint16_t)l.len), rh_bytes(b, l.p, l.len);
    l.len = 0;
    for (const char *c = ids; *c; c++) {
        rh_u8(&l, 32);
        for (int i = 0; i < 32; i++) rh_u8(&l, age);
    }
    rh_u16(b, (uint16_t)l.len), rh_bytes(b, l.p, l.len);
    rh_buf_free(&l);
}

/* First hello offering PSKs `ids1`, second `ids2` (new ages and binders). */
static void psk_retry(const char *ids1, const char *ids2, int alert, const char *words)
{
    raw_hello h1, h2;
    rh_buf b = {0};
    first_hello(&h1);
    psk_body(&b, ids1, 1);
    rh_set_body(&h1, (size_t)rh_find(&h1, 41), b.p, b.len);
    second_hello(&h2, &h1);
    b.len = 0;
    psk_body(&b, ids2, 2);
    rh_set_body(&h2, (size_t)rh_find(&h2, 41), b.p, b.len);
    second_hello_verdict(&h1, &h2, alert, words);
    rh_buf_free(&b);
    rh_free(&h1);
    rh_free(&h2);
}

/* RFC 8446 4.1.2 / 4.2.11: after an HRR the client may remove PSKs (those
 * that do not fit the selected suite), not change, add or reorder them. */
static void test_hrr_psk_identities(void **state)
{
    (void)state;
    static const char *changed = "second ClientHello changes or reorders the PSK identities";
    psk_retry("AB", "AB", -1, NULL);
    psk_retry("ABC", "AC", -1, NULL);
    psk_retry("ABC", "C", -1, NULL);
    psk_retry("AB", "BA", PL_ALERT_ILLEGAL_PARAMETER, changed);
    psk_retry("AB", "AX", PL_ALERT_ILLEGAL_PARAMETER, changed);
    psk_retry("A", "X", PL_ALERT_ILLEGAL_PARAMETER, changed);
    psk_retry("AB", "ABA", PL_ALERT_ILLEGAL_PARAMETER, "second ClientHello offers more PSK identities than the first");
    /* Past the 16 identities the server keeps digests of, an identity it
     * cannot find may be one of the later ones. */
    psk_retry("ABCDEFGHIJKLMNOPQRS", "ABCDEFGHIJKLMNOPQRS", -1, NULL);
    psk_retry("ABCDEFGHIJKLMNOPQRS", "BDFHJLNPQS", -1, NULL);
    psk_retry("ABCDEFGHIJKLMNOPQRS", "ABCDEFGHIJKLMNOPQRST", PL_ALERT_ILLEGAL_PARAMETER,
              "second ClientHello offers more PSK identities than the first");
    /* ... but one it does know cannot follow one past them. */
    psk_retry("ABCDEFGHIJKLMNOPQ", "QA", PL_ALERT_ILLEGAL_PARAMETER, changed);
    psk_retry("ABCDEFGHIJKLMNOPQRS", "PQS", -1, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
        cmocka_unit_test(test_hrr_psk_identities),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
