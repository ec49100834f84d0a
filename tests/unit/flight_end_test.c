/*
 * flight_end_test.c - a message after which the peer must wait for our
 * answer ends its record: one more handshake byte after it in the same
 * record is unexpected_message (RFC 8446 5.1: a ClientHello and a
 * ServerHello, HelloRetryRequest included, are aligned with a record
 * boundary; TLS 1.2, RFC 5246 7.3: the client waits for ServerHelloDone, the
 * server for the client's ClientHello-answering flight). Each case is run
 * twice with the same bytes but for that one byte: without it the receiver
 * goes on (WANT_READ), with it it fails with the alert on the wire.
 */
#include "rawrec.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Feeds the records of `flight` (n bytes) to rcv, the record `idx` (-1: the
 * last) with `extra` appended inside it when add is set. */
static void feed_with_extra(parley_conn *rcv, const uint8_t *flight, size_t n, int idx, int add, uint8_t extra)
{
    static uint8_t out[1 << 17];
    size_t off = 0, w = 0;
    int i = 0, nrec = 0;
    for (size_t o = 0; o < n; o += rec_len(flight + o)) nrec++;
    int target = idx < 0 ? nrec - 1 : idx;
    assert_true(target >= 0 && target < nrec);
    while (off < n) {
        size_t rl = rec_len(flight + off);
        assert_true(w + rl + 1 <= sizeof out);
        memcpy(out + w, flight + off, rl);
        if (i == target && add) {
            size_t body = rl - PL_REC_HEADER + 1;
            out[w + 3] = (uint8_t)(body >> 8);
            out[w + 4] = (uint8_t)body;
            out[w + rl] = extra;
            rl++;
        }
        w += rl;
        off += rec_len(flight + off);
        i++;
    }
    conn_feed(rcv, out, w);
}

/* The server takes a ClientHello record with the first byte of another
 * message behind it: TLS 1.3 a second ClientHello (sent before the
 * HelloRetryRequest could be seen), TLS 1.2 a ClientKeyExchange. */
static void test_server_client_hello_ends_record(void **state)
{
    (void)state;
    static const uint16_t versions[] = {PARLEY_TLS1_3, PARLEY_TLS1_2};
    static uint8_t ch[1 << 16];
    for (size_t v = 0; v < 2; v++) {
        for (int add = 0; add < 2; add++) {
            pair p;
            pair_new(&p, versions[v]);
            assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
            size_t n = conn_take(p.client, ch, sizeof ch);
            assert_true(n > PL_REC_HEADER);
            feed_with_extra(p.server, ch, n, -1, add,
                            versions[v] == PARLEY_TLS1_3 ? PL_HS_CLIENT_HELLO : PL_HS_CLIENT_KEY_EXCHANGE);
            if (!add) {
                assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
            } else {
                fails(p.server, p.client, PL_ALERT_UNEXPECTED_MESSAGE, "handshake data after ClientHello in the same record");
            }
            free_pair(&p);
        }
    }
}

/* A TLS 1.2 client takes the server's first flight with the first byte of
 * a NewSessionTicket after its ServerHelloDone. */
static void test_client12_server_hello_done_ends_record(void **state)
{
    (void)state;
    static uint8_t fl[1 << 17];
    for (int add = 0; add < 2; add++) {
        pair p;
        pair_after_client_hello(&p, PARLEY_TLS1_2);
        size_t n = conn_take(p.server, fl, sizeof fl);
        static const uint8_t shd[] = {PL_HS_SERVER_HELLO_DONE, 0, 0, 0};
        assert_true(n > sizeof shd);
        assert_memory_equal(fl + n - sizeof shd, shd, sizeof shd); /* the flight ends with ServerHelloDone */
        feed_with_extra(p.client, fl, n, -1, add, PL_HS_NEW_SESSION_TICKET);
        if (!add) {
            assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        } else {
            drop_output(p.client); /* the ClientHello, still pending */
            fails(p.client, p.server, PL_ALERT_UNEXPECTED_MESSAGE,
                  "handshake data after ServerHelloDone in the same record");
        }
        free_pair(&p);
    }
}

/* A TLS 1.3 client takes a HelloRetryRequest record with the first byte of
 * a ServerHello behind it. */
static void test_client13_hello_retry_ends_record(void **state)
{
    (void)state;
    static uint8_t fl[1 << 16];
    for (int add = 0; add < 2; add++) {
        pair p;
        parley_config *scfg = server_cfg("ec256");
        assert_int_equal(parley_config_set_groups(scfg, "secp256r1"), PARLEY_OK); /* the client's share is x25519 */
        make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_3), scfg, "localhost");
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        pair_pump(&p);
        assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
        drop_output(p.client);
        size_t n = conn_take(p.server, fl, sizeof fl);
        assert_int_equal(fl[0], PL_CT_HANDSHAKE);
        assert_int_equal(fl[PL_REC_HEADER], PL_HS_SERVER_HELLO);
        feed_with_extra(p.client, fl, n, 0, add, PL_HS_SERVER_HELLO);
        if (!add) {
            /* The second ClientHello goes out. */
            assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
            const uint8_t *d;
            size_t on;
            parley_conn_pending_output(p.client, &d, &on);
            assert_true(on > 0);
        } else {
            fails(p.client, p.server, PL_ALERT_UNEXPECTED_MESSAGE,
                  "handshake data after the HelloRetryRequest in the same record");
        }
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_client_hello_ends_record),
        cmocka_unit_test(test_client12_server_hello_done_ends_record),
        cmocka_unit_test(test_client13_hello_retry_ends_record),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
