/* bounds_test.c - what a peer can make a connection queue or do without
 * sending application data is bounded (issue #14): renegotiation refusals,
 * KeyUpdate answers (coalesced) and floods, runs of records without content,
 * the cap on output the peer causes, and plaintext alerts once the peer's
 * TLS 1.3 handshake keys are in use. In memory; records are sealed with the
 * sender's live keys through the internal record layer, as an attacker with
 * its own TLS stack would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "helpers.h"
#include "internal.h"

/* The limits (internal.h); spelled here too so that this file also builds
 * against a tree without them, to show that its tests fail there. */
#ifndef PL_MAX_KEY_UPDATES
#define PL_MAX_KEY_UPDATES 32
#endif
#ifndef PL_MAX_EMPTY_RECORDS
#define PL_MAX_EMPTY_RECORDS 32
#endif
#ifndef PL_MAX_IGNORED_ALERTS
#define PL_MAX_IGNORED_ALERTS 4
#endif

static int setup(void **state)
{
    (void)state;
    if (make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30) != 0) return -1;
    return make_cert(test_dir(), "rsa2048", "rsa2048", "localhost", -1, 30);
}

static parley_config *only(parley_config *cfg, uint16_t version)
{
    assert_int_equal(parley_config_set_versions(cfg, version, version), PARLEY_OK);
    return cfg;
}

static void pair_at(pair *p, uint16_t version)
{
    make_pair(p, only(client_cfg("ec256"), version), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(p, NULL, NULL), 0);
}

static int read_rc(parley_conn *c)
{
    static uint8_t b[1 << 16];
    size_t n;
    int rc;
    while ((rc = parley_conn_read(c, b, sizeof b, &n)) == PARLEY_OK) {
    }
    return rc;
}

/* The next read on c fails: c sent `alert` and its error names `words`. */
static void ended_with(parley_conn *c, int alert, const char *words)
{
    assert_int_equal(read_rc(c), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(c), alert);
    assert_non_null(strstr(parley_conn_error_string(c), words));
}

static size_t pending(parley_conn *c)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(c, &d, &n);
    return n;
}

/* Seal one record of `type` with the connection's live write keys. */
static void seal(parley_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
    static const uint8_t dummy[1];
    if (!data) data = dummy;
    if (c->wr.tls12) assert_int_equal(pl_rec_seal12(&c->wr, &c->out, type, data, len), 0);
    else assert_int_equal(pl_rec_seal13(&c->wr, &c->out, type, data, len, 0), 0);
}

#define ALERT12 (5 + 8 + 2 + 16) /* a TLS 1.2 AES-GCM alert record */
#define KU13 (5 + 5 + 1 + 16)    /* a TLS 1.3 KeyUpdate record, no padding */

/* ------------------------------------------------------- renegotiation */

/* The first renegotiation attempt is refused with a warning and the
 * connection goes on; a second one is fatal (both directions). */
static void test_renegotiation_second_attempt_fatal(void **state)
{
    (void)state;
    pair p;
    pair_at(&p, PARLEY_TLS1_2);
    assert_int_equal(pl_conn_send_handshake(p.client, PL_HS_CLIENT_HELLO, NULL, 0), 0);
    pair_pump(&p);
    assert_int_equal(read_rc(p.server), PARLEY_WANT_READ);
    assert_int_equal(pending(p.server), ALERT12);
    pair_pump(&p);
    assert_int_equal(read_rc(p.client), PARLEY_WANT_READ); /* warning: ignored */
    exchange(&p, p.client, p.server, "refused once, still here");
    assert_int_equal(pl_conn_send_handshake(p.client, PL_HS_CLIENT_HELLO, NULL, 0), 0);
    pair_pump(&p);
    ended_with(p.server, PL_ALERT_UNEXPECTED_MESSAGE, "renegotiate again");
    free_pair(&p);

    /* HelloRequest to a client: the same. */
    pair_at(&p, PARLEY_TLS1_2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pl_conn_send_handshake(p.server, 0 /* hello_request */, NULL, 0), 0);
        pair_pump(&p);
        assert_int_equal(read_rc(p.client), i == 0 ? PARLEY_WANT_READ : PARLEY_ERROR);
        pair_pump(&p);
    }
    assert_int_equal(parley_conn_alert_sent(p.client), PL_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);
}

/* One 16 KiB record of 4096 empty ClientHellos made the server queue 4096
 * alerts (7.7 times the bytes received); now one warning and the fatal alert. */
static void test_renegotiation_flood_record(void **state)
{
    (void)state;
    pair p;
    pair_at(&p, PARLEY_TLS1_2);
    static uint8_t hellos[PL_MAX_PLAINTEXT];
    for (size_t i = 0; i < sizeof hellos; i += 4) hellos[i] = PL_HS_CLIENT_HELLO; /* type 1, length 0 */
    seal(p.client, PL_CT_HANDSHAKE, hellos, sizeof hellos);
    pair_pump(&p);
    int rc = read_rc(p.server);
    size_t out = pending(p.server);
    printf("server queued %zu bytes for a %zu-byte record of empty ClientHellos\n", out, sizeof hellos);
    assert_true(out <= 2 * ALERT12);
    assert_int_equal(rc, PARLEY_ERROR);
    free_pair(&p);
}

/* ------------------------------------------------------------ KeyUpdate */

/* Ten update_requested in a row are answered by one KeyUpdate; requests
 * received while that answer waits in the output add none; the answer goes
 * out before the next data at the latest, and both sides stay in step. */
static void test_key_update_answers_coalesced(void **state)
{
    (void)state;
    pair p;
    pair_at(&p, PARLEY_TLS1_3);
    for (int i = 0; i < 10; i++) assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    pair_pump(&p);
    assert_int_equal(read_rc(p.server), PARLEY_WANT_READ);
    printf("server queued %zu bytes for 10 KeyUpdate(update_requested)\n", pending(p.server));
    assert_int_equal(pending(p.server), KU13);
    /* The answer is still unsent: five more requests are answered by it and one more. */
    for (int i = 0; i < 5; i++) assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(p.client, &d, &n);
    conn_feed(p.server, d, n);
    parley_conn_output_sent(p.client, n);
    assert_int_equal(read_rc(p.server), PARLEY_WANT_READ);
    assert_int_equal(pending(p.server), KU13);
    exchange(&p, p.server, p.client, "after the answers");
    exchange(&p, p.client, p.server, "and back");
    /* The answer is also queued with nothing else to send: read, no write. */
    assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    pair_pump(&p);
    assert_int_equal(read_rc(p.server), PARLEY_WANT_READ);
    assert_int_equal(pending(p.server), KU13);
    pair_pump(&p);
    assert_int_equal(read_rc(p.client), PARLEY_WANT_READ);
    exchange(&p, p.server, p.client, "in step");
    free_pair(&p);
}

/* More than PL_MAX_KEY_UPDATES KeyUpdates without application data between
 * them end the connection; with data in between there is no limit. */
static void test_key_update_flood(void **state)
{
    (void)state;
    pair p;
    pair_at(&p, PARLEY_TLS1_3);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < PL_MAX_KEY_UPDATES; i++) assert_int_equal(parley_conn_key_update(p.client, 0), PARLEY_OK);
        exchange(&p, p.client, p.server, "data resets the count");
    }
    for (int i = 0; i <= PL_MAX_KEY_UPDATES; i++) assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    pair_pump(&p);
    ended_with(p.server, PL_ALERT_UNEXPECTED_MESSAGE, "KeyUpdates without application data");
    free_pair(&p);
}

/* Review of #14: NewSessionTickets cost the client a key derivation each;
 * a run of them without application data ends the connection, like KeyUpdates. */
static void test_ticket_flood(void **state)
{
    (void)state;
    static const uint8_t nst[] = {PL_HS_NEW_SESSION_TICKET, 0, 0, 18, 0, 0, 0x0e, 0x10, 0, 0, 0, 1, 1, 0,
                                  0, 4, 'a', 'b', 'c', 'd', 0, 0};
    pair p;
    pair_at(&p, PARLEY_TLS1_3);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < PL_MAX_TICKETS_WITHOUT_DATA - 1; i++) seal(p.server, PL_CT_HANDSHAKE, nst, sizeof nst);
        exchange(&p, p.server, p.client, "data resets the count");
    }
    for (int i = 0; i <= PL_MAX_TICKETS_WITHOUT_DATA; i++) seal(p.server, PL_CT_HANDSHAKE, nst, sizeof nst);
    pair_pump(&p);
    ended_with(p.client, PL_ALERT_UNEXPECTED_MESSAGE, "NewSessionTickets without application data");
    free_pair(&p);
}

/* ------------------------------------------------ records without content */

static void test_empty_record_runs(void **state)
{
    (void)state;
    static const uint8_t warning[2] = {1, PL_ALERT_UNRECOGNIZED_NAME};
    for (int v = 0; v < 3; v++) {
        pair p;
        pair_at(&p, v == 2 ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        /* v 0: empty application data (1.3); 1: user_canceled (1.3); 2: warning alerts (1.2). */
        uint8_t type = v == 0 ? PL_CT_APPLICATION_DATA : PL_CT_ALERT;
        const uint8_t *body = v == 0 ? NULL : v == 1 ? (const uint8_t[]){1, PL_ALERT_USER_CANCELED} : warning;
        size_t len = v == 0 ? 0 : 2;
        /* Ignored alerts have the tighter bound of OpenSSL and BoringSSL. */
        int max = v == 0 ? PL_MAX_EMPTY_RECORDS : PL_MAX_IGNORED_ALERTS;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < max; i++) seal(p.client, type, body, len);
            exchange(&p, p.client, p.server, "content resets the run");
        }
        for (int i = 0; i <= max; i++) seal(p.client, type, body, len);
        pair_pump(&p);
        ended_with(p.server, PL_ALERT_UNEXPECTED_MESSAGE, v == 0 ? "without content" : "ignored alerts in a row");
        free_pair(&p);
    }
}

/* Review of #14: fragments of a handshake message that never completes,
 * each followed by ignored alerts, must not reset the run of records without
 * content; and an alert inside a fragmented message is refused (RFC 8446
 * 5.1), in both versions. */
static void test_alert_inside_fragmented_message(void **state)
{
    (void)state;
    static const uint8_t header[4] = {PL_HS_KEY_UPDATE, 0x01, 0x86, 0xa0}; /* a 100,000-byte KeyUpdate */
    for (int v = 0; v < 2; v++) {
        pair p;
        pair_at(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        const uint8_t *alert = v ? (const uint8_t[]){1, PL_ALERT_UNRECOGNIZED_NAME} : (const uint8_t[]){1, PL_ALERT_USER_CANCELED};
        seal(p.client, PL_CT_HANDSHAKE, header, sizeof header);
        seal(p.client, PL_CT_ALERT, alert, 2);
        pair_pump(&p);
        ended_with(p.server, PL_ALERT_UNEXPECTED_MESSAGE, "inside a fragmented handshake message");
        free_pair(&p);
    }
}

/* A flood of compatibility ChangeCipherSpec records during a TLS 1.3 handshake. */
static void test_ccs_flood_in_handshake(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    for (int i = 0; i <= PL_MAX_EMPTY_RECORDS; i++) assert_int_equal(pl_conn_send_ccs(p.client), 0);
    pair_pump(&p);
    int rc;
    while ((rc = parley_conn_handshake(p.server)) == PARLEY_WANT_READ && pair_pump(&p)) {
    }
    assert_int_equal(rc, PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);
}

/* ------------------------------------------------------------ output cap */

/* The application's own writes are never refused, even far past the cap; but
 * output the peer causes is not added on top: a KeyUpdate answer waits for
 * the next write, a renegotiation refusal that does not fit fails the
 * connection instead of growing the buffer. */
static void test_output_cap(void **state)
{
    (void)state;
    size_t big = 1 << 20;
    uint8_t *m = calloc(1, big);
    assert_non_null(m);
    pair p;
    pair_at(&p, PARLEY_TLS1_3);
    assert_int_equal(parley_conn_write(p.server, m, big), PARLEY_OK);
    size_t before = pending(p.server);
    assert_true(before > 1000 * 1000); /* far past any cap for this config (about 70 KB) */
    assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(p.client, &d, &n);
    conn_feed(p.server, d, n);
    parley_conn_output_sent(p.client, n);
    assert_int_equal(read_rc(p.server), PARLEY_WANT_READ);
    assert_int_equal(pending(p.server), before); /* nothing added by the peer */
    assert_int_equal(parley_conn_write(p.server, m, big), PARLEY_OK); /* the answer goes first */
    free_pair(&p);

    pair_at(&p, PARLEY_TLS1_2);
    assert_int_equal(parley_conn_write(p.server, m, big), PARLEY_OK);
    before = pending(p.server);
    assert_true(before > 1000 * 1000); /* far past any cap for this config (about 70 KB) */
    assert_int_equal(pl_conn_send_handshake(p.client, PL_HS_CLIENT_HELLO, NULL, 0), 0);
    parley_conn_pending_output(p.client, &d, &n);
    conn_feed(p.server, d, n);
    parley_conn_output_sent(p.client, n);
    ended_with(p.server, PL_ALERT_INTERNAL_ERROR, "not reading");
    assert_true(pending(p.server) <= before + ALERT12); /* the fatal alert only */
    free_pair(&p);
    free(m);
}

/* The cap is made for the config: a 100 KB certificate chain with maximal
 * record padding (every message padded to a full record) still goes out in
 * one flight under it, in both versions. */
static void test_output_cap_fits_large_flight(void **state)
{
    (void)state;
    char key[512], big[512];
    snprintf(key, sizeof key, "%s/rsa2048.key", test_dir());
    snprintf(big, sizeof big, "%s/bigchain.pem", test_dir());
    /* A certificate of about 10 KB (hundreds of names), ten times: the
     * longest chain a Parley client takes (PL_MAX_PEER_CERTS). */
    FILE *f = fopen(key, "r");
    assert_non_null(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    static char san[16384];
    size_t sl = (size_t)snprintf(san, sizeof san, "DNS:localhost");
    for (int i = 0; sl < 10000; i++) sl += (size_t)snprintf(san + sl, sizeof san - sl, ",DNS:name-%04d.a-rather-long-domain.example", i);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    f = fopen(big, "w");
    for (int i = 0; i < PL_MAX_PEER_CERTS; i++) PEM_write_X509(f, x);
    fclose(f);
    size_t total = (size_t)i2d_X509(x, NULL) * PL_MAX_PEER_CERTS;
    X509_free(x);
    EVP_PKEY_free(k);
    for (int v = 0; v < 2; v++) {
        parley_config *sc = parley_config_new();
        assert_int_equal(parley_config_add_cert_files(sc, big, key), PARLEY_OK);
        assert_int_equal(parley_config_set_record_padding(sc, PL_MAX_PLAINTEXT), PARLEY_OK);
        /* Ten copies of one certificate compress to almost nothing (RFC
         * 8879): the flight under test is the plain one. */
        assert_int_equal(parley_config_set_cert_compression(sc, "none"), PARLEY_OK);
        parley_config *cc = only(client_cfg("rsa2048"), v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        assert_int_equal(parley_config_set_verify(cc, 0), PARLEY_OK);
        pair p;
        make_pair(&p, cc, sc, "localhost");
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        pair_pump(&p);
        assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
        printf("TLS 1.%d flight with a %zu-byte chain: %zu bytes\n", v ? 2 : 3, total, pending(p.server));
        assert_true(pending(p.server) > total);
        int crc, src;
        if (pair_handshake(&p, &crc, &src) != 0)
            printf("client: %s; server: %s\n", parley_conn_error_string(p.client), parley_conn_error_string(p.server));
        assert_int_equal(crc, PARLEY_OK);
        assert_int_equal(src, PARLEY_OK);
        free_pair(&p);
    }
}

/* ------------------------------------------ plaintext alerts (TLS 1.3) */

static size_t rec_len(const uint8_t *r) { return PL_REC_HEADER + (((size_t)r[3] << 8) | r[4]); }

static const uint8_t plain_alert[] = {PL_CT_ALERT, 3, 3, 0, 2, 2, PL_ALERT_HANDSHAKE_FAILURE};

/* Client: from the ServerHello on, the server's keys are in use; an injected
 * plaintext alert is unexpected_message, not a reason to report. */
static void test_plaintext_alert_client(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    pair_pump(&p);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(p.server, &d, &n);
    assert_int_equal(d[0], PL_CT_HANDSHAKE);
    conn_feed(p.client, d, rec_len(d)); /* the ServerHello alone */
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    conn_feed(p.client, plain_alert, sizeof plain_alert);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_received(p.client), -1);
    assert_int_equal(parley_conn_alert_sent(p.client), PL_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);
}

/* Server: a client that rejected our ServerHello has no keys and sends a
 * plaintext alert: still reported. Once a record from the client opened
 * under its handshake keys, a plaintext alert is unexpected_message. */
static void test_plaintext_alert_server(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    pair_pump(&p);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    conn_feed(p.server, plain_alert, sizeof plain_alert);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_received(p.server), PL_ALERT_HANDSHAKE_FAILURE);
    free_pair(&p);

    /* Client authentication: the client's Certificate is its first protected record. */
    char pem[512], key[512];
    snprintf(pem, sizeof pem, "%s/rsa2048.pem", test_dir());
    snprintf(key, sizeof key, "%s/rsa2048.key", test_dir());
    parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_add_cert_files(cc, pem, key), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(sc, pem), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    pair_pump(&p);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    pair_pump(&p);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    const uint8_t *d;
    size_t n, off = 0;
    parley_conn_pending_output(p.client, &d, &n);
    /* Up to and including the first protected record (CCS, then Certificate). */
    while (off < n && d[off] != PL_CT_APPLICATION_DATA) off += rec_len(d + off);
    assert_true(off < n);
    off += rec_len(d + off);
    conn_feed(p.server, d, off);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    conn_feed(p.server, plain_alert, sizeof plain_alert);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_received(p.server), -1);
    assert_int_equal(parley_conn_alert_sent(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_renegotiation_second_attempt_fatal),
        cmocka_unit_test(test_renegotiation_flood_record),
        cmocka_unit_test(test_key_update_answers_coalesced),
        cmocka_unit_test(test_key_update_flood),
        cmocka_unit_test(test_ticket_flood),
        cmocka_unit_test(test_empty_record_runs),
        cmocka_unit_test(test_ccs_flood_in_handshake),
        cmocka_unit_test(test_alert_inside_fragmented_message),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_output_cap_fits_large_flight),
        cmocka_unit_test(test_plaintext_alert_client),
        cmocka_unit_test(test_plaintext_alert_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
