/*
 * early_skip_budget_test.c - how much rejected 0-RTT a server skips (RFC
 * 8446 4.2.10: "up to the configured max_early_data_size"). A record that
 * does not open cannot be told from its padding, so each skipped record is
 * charged whole, on the wire: a server that advertises no early data skips
 * 16384 bytes, and a run of tiny records (once charged nothing: a
 * 17-byte record held "no data") runs out like any other. A server that
 * advertises an allowance skips a client's whole allowance sent in full
 * records. Each case with and without a HelloRetryRequest (no read keys
 * yet, every record is skipped; with keys, trial decryption fails).
 */
#include "rawrec.h"

static uint8_t rec[PL_MAX_CIPHERTEXT + PL_REC_HEADER];

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* A server that rejects early data (max_early_data: 0 for none), its
 * ClientHello taken; with hrr, it answered a HelloRetryRequest. */
static void rejecting_server(pair *p, uint32_t max_early, int hrr)
{
    static uint8_t ch[4096];
    parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_3), *sc = server_cfg("ec256");
    if (hrr) {
        assert_int_equal(parley_config_set_groups(cc, "x25519:secp384r1"), PARLEY_OK);
        assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK);
    }
    if (max_early) assert_int_equal(parley_config_set_max_early_data(sc, max_early), PARLEY_OK);
    make_pair(p, cc, sc, "localhost");
    size_t n = hello_with_early_data(p->client, ch);
    conn_feed(p->server, ch, n);
    assert_int_equal(parley_conn_handshake(p->server), PARLEY_WANT_READ);
    assert_int_equal(p->server->hs->early_skipping, 1);
}

/* Feeds one application_data record of clen bytes of garbage. */
static void feed_garbage(pair *p, size_t clen)
{
    rec[0] = PL_CT_APPLICATION_DATA;
    rec[1] = rec[2] = 3;
    rec[3] = (uint8_t)(clen >> 8);
    rec[4] = (uint8_t)clen;
    for (size_t i = 0; i < clen; i++) rec[5 + i] = (uint8_t)(i * 13 + 5);
    conn_feed(p->server, rec, PL_REC_HEADER + clen);
}

/* feed_garbage, then the result of the server's next step. */
static int skip_one(pair *p, size_t clen)
{
    feed_garbage(p, clen);
    int rc = parley_conn_handshake(p->server);
    if (rc == PARLEY_WANT_READ) assert_int_equal(p->server->in_len, 0); /* taken and skipped */
    return rc;
}

/* No allowance: 16384 bytes on the wire are skipped, one more is
 * unexpected_message (what BoGo's SkipEarlyData-TooMuchData sends: one
 * record of 16385 bytes of ciphertext). */
static void test_default_budget(void **state)
{
    (void)state;
    for (int hrr = 0; hrr < 2; hrr++) {
        for (int over = 0; over < 2; over++) {
            pair p;
            rejecting_server(&p, 0, hrr);
            assert_int_equal(skip_one(&p, 16384 - PL_REC_HEADER - 100), PARLEY_WANT_READ);
            if (!over) {
                assert_int_equal(skip_one(&p, 100 - PL_REC_HEADER), PARLEY_WANT_READ);
            } else {
                feed_garbage(&p, 100 - PL_REC_HEADER + 1);
                fails(p.server, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "more rejected early data than the server skips");
            }
            free_pair(&p);
        }
        pair p;
        rejecting_server(&p, 0, hrr);
        assert_int_equal(skip_one(&p, MAXP + 1), PARLEY_ERROR);
        assert_int_equal(parley_conn_alert_sent(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
        free_pair(&p);
    }
}

/* Records of 17 bytes (a tag and a type byte: no data) are not free: the
 * 745th of 22 bytes on the wire passes 16384. */
static void test_tiny_records_run_out(void **state)
{
    (void)state;
    for (int hrr = 0; hrr < 2; hrr++) {
        pair p;
        rejecting_server(&p, 0, hrr);
        int i, rc = PARLEY_WANT_READ;
        for (i = 0; i < 10000 && rc == PARLEY_WANT_READ; i++) rc = skip_one(&p, PL_AEAD_TAG + 1);
        assert_int_equal(rc, PARLEY_ERROR);
        assert_int_equal(i, 16384 / (PL_REC_HEADER + PL_AEAD_TAG + 1) + 1);
        assert_int_equal(parley_conn_alert_sent(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
        free_pair(&p);
    }
}

/* An allowance of 65536 bytes: the whole of it in four full records (2^14
 * bytes of data, type and tag each) is skipped. */
static void test_full_allowance_skipped(void **state)
{
    (void)state;
    for (int hrr = 0; hrr < 2; hrr++) {
        pair p;
        rejecting_server(&p, 65536, hrr);
        for (int i = 0; i < 4; i++) assert_int_equal(skip_one(&p, MAXP + 1 + PL_AEAD_TAG), PARLEY_WANT_READ);
        assert_int_equal(p.server->failed, 0);
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_budget),
        cmocka_unit_test(test_tiny_records_run_out),
        cmocka_unit_test(test_full_allowance_skipped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
