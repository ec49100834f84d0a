/* early_data_test.c - TLS 1.3 0-RTT on the server, in raw bytes (RFC 8446
 * 2.3, 4.2.10, 4.5, 8): a ClientHello from a Parley client gets early_data
 * and a pre_shared_key for a ticket the server issued, with binders the test
 * computes; early data goes under client_early_traffic_secret derived here
 * (so the key schedule is checked too); the server's flight is opened with
 * its key log; EndOfEarlyData and Finished are the test's. Accept, every
 * condition of 4.2.10 that rejects, replay, fail closed, the size limit and
 * EndOfEarlyData missing, with a body, under the wrong key or in plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "early_data_raw.h"

/* ---------------------------------------------------------------- tests */

static void accepted(void **state)
{
    (void)state;
    srv_opts so = {.max_early = 1000};
    parley_config *sc = ed_server(&so);
    pl_session s;
    get_ticket(sc, NULL, &s);
    /* The server's ticket records its limit (RFC 8446 4.2.10). */
    pl_session in;
    assert_int_equal(pl_ticket_open_session(sc, s.ticket, s.ticket_len, &in), 1);
    assert_int_equal(in.max_early_data, 1000);
    ed e;
    hello_opts ho = {0};
    ed_hello(&e, &s, &ho);
    ed_data(&e, "GET /early", 10);
    ed_data(&e, " HTTP/1.1\r\n", 11);
    parley_conn *srv;
    assert_int_equal(ed_feed(sc, &e, &srv), PARLEY_EARLY_DATA);
    assert_int_equal(parley_conn_early_data_status(srv), PARLEY_EARLY_DATA_ACCEPTED);
    /* The key schedule agrees with ours, and the key log says so. */
    uint8_t logged[PL_MAX_HASH];
    assert_int_equal(kl_get(&g_kl, "CLIENT_EARLY_TRAFFIC_SECRET", logged), e.hl);
    assert_memory_equal(logged, e.c_early, e.hl);
    /* RFC 8446 2.3: the server's flight up to its Finished is out before the
     * early data is handed over; EncryptedExtensions says accepted (4.2.10). */
    ed_server_flight(&e, srv);
    assert_true(e.ee_early);
    assert_int_equal(e.transcript.data[e.transcript.len - 4 - e.hl], PL_HS_FINISHED);
    char got[64] = {0};
    size_t n = 0, total = 0;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got, 4, &n), PARLEY_OK); /* in pieces */
    total += n;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got + total, sizeof got - total, &n), PARLEY_OK);
    total += n;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got, sizeof got, &n), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_handshake(srv), PARLEY_EARLY_DATA); /* the second record */
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got + total, sizeof got - total, &n), PARLEY_OK);
    total += n;
    assert_string_equal(got, "GET /early HTTP/1.1\r\n");
    assert_int_equal(parley_conn_handshake(srv), PARLEY_WANT_READ); /* waiting for EndOfEarlyData */
    ed_finish(&e, srv, EOED_OK);
    assert_int_equal(parley_conn_handshake(srv), PARLEY_OK);
    assert_int_equal(parley_conn_resumed(srv), 1);
    assert_int_equal(parley_conn_early_data_status(srv), PARLEY_EARLY_DATA_ACCEPTED);
    parley_conn_free(srv);
    ed_free(&e);
    parley_config_free(sc);
}

static void rejected_each_condition(void **state)
{
    (void)state;
    pl_session s, s_alpn, s_none;
    hello_opts plain = {0};
    srv_opts so = {.max_early = 1000, .alpn = "h2,http/1.1"};
    parley_config *sc = ed_server(&so);
    get_ticket(sc, NULL, &s);
    get_ticket(sc, "http/1.1", &s_alpn);
    pl_session in;
    assert_int_equal(pl_ticket_open_session(sc, s_alpn.ticket, s_alpn.ticket_len, &in), 1);
    assert_string_equal(in.alpn, "http/1.1"); /* the ALPN of the full handshake is in the ticket */
    /* The control: each case below differs from an accepted one by one thing. */
    assert_int_equal(status_for(sc, &s, &plain), PARLEY_EARLY_DATA_ACCEPTED);
    hello_opts ho = {.calpn = "http/1.1"};
    assert_int_equal(status_for(sc, &s_alpn, &ho), PARLEY_EARLY_DATA_ACCEPTED);
    /* Another ALPN than the ticket's. */
    ho.calpn = "h2";
    assert_int_equal(status_for(sc, &s_alpn, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* Another server name: the PSK itself is not used. */
    ho = (hello_opts){.sni = "other.test"};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* The PSK is the second identity (4.2.10: only the first). */
    ho = (hello_opts){.bogus_first = 1};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* A ticket age outside the window (8.3). */
    ho = (hello_opts){.age_shift_ms = 60000};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* Another suite with the same hash (the PSK is usable, 4.2.11). */
    srv_opts so2 = {.max_early = 1000, .alpn = "h2,http/1.1", .ciphers = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"};
    parley_config *sc2 = ed_server(&so2);
    assert_int_equal(status_for(sc2, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc2);
    /* A HelloRetryRequest is needed (no share for the server's only group). */
    srv_opts so3 = {.max_early = 1000, .alpn = "h2,http/1.1", .groups = "secp384r1"};
    parley_config *sc3 = ed_server(&so3);
    assert_int_equal(status_for(sc3, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc3);
    /* A ticket that allows no early data, on a server that now would. */
    srv_opts so4 = {.alpn = "h2,http/1.1"};
    parley_config *sc4 = ed_server(&so4);
    get_ticket(sc4, NULL, &s_none);
    assert_int_equal(pl_ticket_open_session(sc4, s_none.ticket, s_none.ticket_len, &in), 1);
    assert_int_equal(in.max_early_data, 0);
    assert_int_equal(status_for(sc, &s_none, &plain), PARLEY_EARLY_DATA_REJECTED);
    /* A server that accepts none now, with a ticket that allowed some. */
    assert_int_equal(status_for(sc4, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc4);
    parley_config_free(sc);
}

/* The failures after acceptance: more than max_early_data, and every wrong
 * EndOfEarlyData. `n` bytes of early data in records of at most 64. */
static void after_accept(int max, size_t n, int mode, int alert, const char *words)
{
    srv_opts so = {.max_early = (uint32_t)max};
    parley_config *sc = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    get_ticket(sc, NULL, &s);
    ed e;
    ed_hello(&e, &s, &ho);
    uint8_t d[64];
    memset(d, 'x', sizeof d);
    for (size_t off = 0; off < n; off += 64) ed_data(&e, d, n - off < 64 ? n - off : 64);
    parley_conn *srv;
    int rc = ed_feed(sc, &e, &srv);
    while (rc == PARLEY_EARLY_DATA) {
        size_t got;
        while (parley_conn_read_early_data(srv, d, sizeof d, &got) == PARLEY_OK) {}
        rc = parley_conn_handshake(srv);
    }
    if (alert < 0 || mode >= 0) {
        assert_int_equal(rc, PARLEY_WANT_READ);
        ed_server_flight(&e, srv);
        ed_finish(&e, srv, mode);
        rc = parley_conn_handshake(srv);
    }
    if (alert < 0) {
        assert_int_equal(rc, PARLEY_OK);
    } else {
        assert_int_equal(rc, PARLEY_ERROR);
        if (!strstr(parley_conn_error_string(srv), words)) fail_msg("error \"%s\" lacks \"%s\"", parley_conn_error_string(srv), words);
        assert_int_equal(parley_conn_alert_sent(srv), alert);
    }
    parley_conn_free(srv);
    ed_free(&e);
    parley_config_free(sc);
}

static void limit_and_end_of_early_data(void **state)
{
    (void)state;
    after_accept(300, 300, EOED_OK, -1, "");                                              /* exactly the limit */
    after_accept(300, 301, -1, PL_ALERT_UNEXPECTED_MESSAGE, "more early data than max_early_data_size");
    after_accept(300, 10, EOED_BODY, PL_ALERT_DECODE_ERROR, "EndOfEarlyData has a body");
    after_accept(300, 10, EOED_NONE, PL_ALERT_BAD_RECORD_MAC, "");                      /* Finished under the handshake key */
    after_accept(300, 10, EOED_HS_KEY, PL_ALERT_BAD_RECORD_MAC, "");
    after_accept(300, 10, EOED_PLAIN, PL_ALERT_UNEXPECTED_MESSAGE, "unprotected record");
    after_accept(300, 10, FIN_EARLY_KEY, PL_ALERT_UNEXPECTED_MESSAGE, "while waiting for EndOfEarlyData");
    /* RFC 8446 5.1: the key changes after EndOfEarlyData, so it must end
     * its record; then nothing but Finished until the handshake is done. */
    after_accept(300, 10, EOED_CONCAT, PL_ALERT_UNEXPECTED_MESSAGE, "not at a record boundary");
    after_accept(300, 10, DATA_AFTER_EOED, PL_ALERT_UNEXPECTED_MESSAGE, "before the handshake completed");
    /* Records opened under the early key: the client's keys are in use, a
     * plaintext alert is refused (RFC 8446 5), not taken as its reason. */
    after_accept(300, 10, ALERT_PLAIN, PL_ALERT_UNEXPECTED_MESSAGE, "unprotected record");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(rejected_each_condition),
        cmocka_unit_test(limit_and_end_of_early_data),
    };
    return cmocka_run_group_tests(tests, ed_setup, NULL);
}
