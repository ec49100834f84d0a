/*
 * ladder_html_test.c - the ladder page (tools/parley/ladder*.c): text from a
 * peer is escaped (a certificate subject "<script>" renders as text), every
 * kind of step is drawn, error alerts are red and closure alerts are not,
 * the page states its CSP, and a peer cannot grow it past its bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ladder.h"

static void add(ladder *l, int kind, int type, const char *name, size_t len, const char *detail, int server, double ms)
{
    parley_trace_event ev = {kind, type, name, len, detail};
    assert_int_equal(ladder_add(l, &ev, server, ms), 0);
}

/* The page of l, as one string (free it). */
static char *page(const ladder *l, const char *title)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(ladder_write_html(l, f, title), 0);
    fclose(f);
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) c++;
    return c;
}

static void test_escaping(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 0);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 11, "Certificate", 400,
        "certificates: 1\n[0] subject: /CN=<script>alert(1)</script>\n    issuer: /O=\"a\" & 'b'\n", 0, 0);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 8, "EncryptedExtensions", 20, "alpn: <img src=x onerror=alert(2)>\n", 0, 1);
    add(&l, PARLEY_TRACE_INFO, -1, "<b>name</b>", 0, "bell\x07 esc\x1b", 0, 2);
    char *h = page(&l, "client to <evil>:443");
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<img"));
    assert_null(strstr(h, "<b>"));
    assert_null(strstr(h, "<evil>"));
    assert_non_null(strstr(h, "/CN=&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(h, "/O=&quot;a&quot; &amp; &#39;b&#39;"));
    assert_non_null(strstr(h, "alpn: &lt;img src=x onerror=alert(2)&gt;"));
    assert_non_null(strstr(h, "&lt;b&gt;name&lt;/b&gt;"));
    assert_non_null(strstr(h, "bell\\x07 esc\\x1b"));
    assert_null(strchr(h, '\x07'));
    assert_non_null(strstr(h, "<title>client to &lt;evil&gt;:443</title>"));
    /* Nothing may run or be fetched, whatever got through. */
    assert_non_null(strstr(h, "content=\"default-src 'none'; style-src 'unsafe-inline'\""));
    free(h);
    ladder_free(&l);
}

/* A TLS 1.3 handshake with HRR, resumption and keys as the client saw it. */
static void test_every_kind(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 0);
    add(&l, PARLEY_TRACE_MESSAGE_SENT, 1, "ClientHello", 300, "key_share: x25519 (32 bytes)\n", 0, 1000.0);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 2, "HelloRetryRequest", 90, "HelloRetryRequest\nselected_group: secp384r1\n", 0, 1001.5);
    add(&l, PARLEY_TRACE_INFO, -1, "HelloRetryRequest", 0, "secp384r1", 0, 1001.6);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 2, "ServerHello", 150,
        "random: 00\ncipher_suite: TLS_AES_256_GCM_SHA384\nversion: TLSv1.3\nkey_share: secp384r1 (97 bytes)\n", 0, 1003.0);
    add(&l, PARLEY_TRACE_INFO, -1, "PSK accepted", 0, "psk_dhe_ke", 0, 1003.1);
    add(&l, PARLEY_TRACE_KEYS, -1, "handshake traffic keys installed", 0, "", 0, 1003.2);
    add(&l, PARLEY_TRACE_RECORD_RECEIVED, 20, "ChangeCipherSpec", 6, "ignored (middlebox compatibility)", 0, 1003.3);
    add(&l, PARLEY_TRACE_INFO, -1, "handshake complete", 0, "", 0, 1004.0);
    add(&l, PARLEY_TRACE_RECORD_SENT, 21, "Alert", 7, "level: warning\ndescription: close_notify", 0, 1005.0);
    char *h = page(&l, "t");
    assert_non_null(strstr(h, "<div class=\"step message c2s\"><div class=\"label\">ClientHello"));
    assert_non_null(strstr(h, "<div class=\"step hrr s2c\"><div class=\"label\">HelloRetryRequest"));
    assert_non_null(strstr(h, "<div class=\"step info hrr\"><div class=\"label\">HelloRetryRequest"));
    assert_non_null(strstr(h, "<div class=\"step message s2c\"><div class=\"label\">ServerHello"));
    assert_non_null(strstr(h, "<div class=\"step info resumption\"><div class=\"label\">PSK accepted"));
    assert_non_null(strstr(h, "<div class=\"step keys ours-c\">"));
    assert_non_null(strstr(h, "RFC 8446 7.1")); /* where the handshake keys come from */
    assert_non_null(strstr(h, "<div class=\"step record s2c\"><div class=\"label\">ChangeCipherSpec"));
    assert_non_null(strstr(h, "<div class=\"step closure c2s\"><div class=\"label\">Alert"));
    assert_null(strstr(h, "<div class=\"step alert")); /* close_notify is no error */
    /* Times from the first step; the summary from the steps. */
    assert_non_null(strstr(h, "<div class=\"time\">+0.00 ms</div>"));
    assert_non_null(strstr(h, "<div class=\"time\">+5.00 ms</div>"));
    assert_non_null(strstr(h, "<td>TLS_AES_256_GCM_SHA384</td>"));
    assert_non_null(strstr(h, "<th>group</th><td>secp384r1</td>"));
    assert_non_null(strstr(h, "<th>resumed</th><td>yes</td>"));
    assert_non_null(strstr(h, "<th>HelloRetryRequest</th><td>yes</td>"));
    assert_non_null(strstr(h, "<span class=\"okay\">handshake complete</span>"));
    /* One arrow per message or record, its head drawn once. */
    assert_int_equal(count(h, "<svg class=\"arrow "), 5);
    free(h);
    ladder_free(&l);
}

/* The server's view of TLS 1.2: its sends go to the client; its keys on its side. */
static void test_server_view_tls12(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 1);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 1, "ClientHello", 200, "", 1, -1);
    add(&l, PARLEY_TRACE_MESSAGE_SENT, 2, "ServerHello", 90, "cipher_suite: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n", 1, -1);
    add(&l, PARLEY_TRACE_MESSAGE_SENT, 12, "ServerKeyExchange", 300, "curve: x25519\npublic: 32 bytes\n", 1, -1);
    add(&l, PARLEY_TRACE_KEYS, -1, "master secret derived", 0, "client random: aa\nserver random: bb\n", 1, -1);
    add(&l, PARLEY_TRACE_RECORD_SENT, 20, "ChangeCipherSpec", 6, "write keys switched", 1, -1);
    char *h = page(&l, "t");
    assert_non_null(strstr(h, "<div class=\"step message c2s\"><div class=\"label\">ClientHello"));
    assert_non_null(strstr(h, "<div class=\"step message s2c\"><div class=\"label\">ServerHello"));
    assert_non_null(strstr(h, "<div class=\"step keys ours-s\">"));
    assert_non_null(strstr(h, "RFC 5246 8.1"));
    assert_non_null(strstr(h, "<th>protocol</th><td>TLSv1.2</td>"));
    assert_non_null(strstr(h, "<th>group</th><td>x25519</td>"));
    assert_non_null(strstr(h, "Server<small>parley (this side)</small>"));
    assert_non_null(strstr(h, "<div class=\"time\"></div>")); /* not timed: no time shown */
    /* The CCS that switched keys carries the key mark. */
    assert_non_null(strstr(h, "<div class=\"step record s2c\"><div class=\"label\"><svg class=\"key\""));
    free(h);
    ladder_free(&l);
}

/* A TLS 1.3 client sees resumption only in the ServerHello's pre_shared_key. */
static void test_tls13_resumption_client(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 0);
    add(&l, PARLEY_TRACE_MESSAGE_SENT, 1, "ClientHello", 400, "pre_shared_key: 1 identities offered\n", 0, 0);
    char *h = page(&l, "t");
    assert_non_null(strstr(h, "<th>resumed</th><td>no</td>")); /* an offer is not a resumption */
    free(h);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 2, "ServerHello", 128, "pre_shared_key: identity 0 selected (resumption)\n", 0, 1);
    h = page(&l, "t");
    assert_non_null(strstr(h, "<div class=\"step message s2c resumption\"><div class=\"label\">ServerHello"));
    assert_non_null(strstr(h, "<th>resumed</th><td>yes</td>"));
    free(h);
    ladder_free(&l);
}

/* A fatal alert is red and makes the outcome a failure. */
static void test_alert_red(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 0);
    add(&l, PARLEY_TRACE_MESSAGE_SENT, 1, "ClientHello", 300, "", 0, 0);
    add(&l, PARLEY_TRACE_RECORD_SENT, 21, "Alert", 7, "level: fatal\ndescription: unknown_ca", 0, 1);
    char *h = page(&l, "t");
    assert_non_null(strstr(h, "<div class=\"step alert c2s\"><div class=\"label\">Alert"));
    assert_non_null(strstr(h, "<svg class=\"arrow alert\""));
    assert_non_null(strstr(h, ".alert .arrow line{stroke:#d00"));
    assert_non_null(strstr(h, ".alert .label{color:#c00}"));
    assert_non_null(strstr(h, "<span class=\"bad\">failed: unknown_ca (alert sent)</span>"));
    free(h);
    ladder_free(&l);
    /* Received by the client: "received". */
    ladder_init(&l, 0);
    add(&l, PARLEY_TRACE_RECORD_RECEIVED, 21, "Alert", 7, "level: fatal\ndescription: handshake_failure", 0, 0);
    h = page(&l, "t");
    assert_non_null(strstr(h, "failed: handshake_failure (alert received)"));
    free(h);
    ladder_free(&l);
}

/* A peer decides how many events there are and how long a detail is. */
static void test_bounds(void **state)
{
    (void)state;
    ladder l;
    ladder_init(&l, 1);
    char *big = malloc(3 * LADDER_MAX_TEXT);
    assert_non_null(big);
    memset(big, 'a', 3 * LADDER_MAX_TEXT - 1);
    big[3 * LADDER_MAX_TEXT - 1] = 0;
    for (int i = 0; i < LADDER_MAX_STEPS + 100; i++) add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 24, "KeyUpdate", 5, big, 1, i);
    assert_int_equal(l.n, LADDER_MAX_STEPS);
    assert_int_equal(l.dropped, 100);
    assert_int_equal(strlen(l.steps[0].detail), LADDER_MAX_TEXT);
    char *h = page(&l, "t");
    assert_non_null(strstr(h, "<th>steps</th><td>300 (the last ones not drawn"));
    assert_int_equal(count(h, "<svg class=\"arrow "), LADDER_MAX_STEPS);
    free(h);
    free(big);
    /* reset: a new connection starts empty, its times from zero. */
    ladder_reset(&l);
    assert_int_equal(l.n, 0);
    add(&l, PARLEY_TRACE_MESSAGE_RECEIVED, 1, "ClientHello", 5, "", 1, 5000);
    assert_true(l.steps[0].ms == 0.0);
    ladder_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),  cmocka_unit_test(test_every_kind), cmocka_unit_test(test_server_view_tls12),
        cmocka_unit_test(test_alert_red), cmocka_unit_test(test_bounds),  cmocka_unit_test(test_tls13_resumption_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
