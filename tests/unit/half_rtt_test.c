/* half_rtt_test.c - 0.5-RTT data from a TLS 1.3 server (RFC 8446 2.3,
 * 4.4.4: a server MAY send data after its first flight, before the client's
 * Finished). A Parley server that accepted 0-RTT answers it with
 * parley_conn_write before the client's Finished reaches it, and the Parley
 * client reads the answer; a write before the server's Finished, in a full
 * TLS 1.3 handshake (0-RTT not accepted: a client certificate may still be
 * due) and in a TLS 1.2 abbreviated handshake (the server's Finished goes
 * first there too) sends nothing and waits for the handshake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

static const uint8_t tkey[48] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
static const char EARLY[] = "GET /zero-rtt";
static const char REPLY[] = "half-RTT reply";

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static parley_config *srv(int version, uint32_t max_early)
{
    parley_config *sc = only_version(server_cfg("ec256"), version);
    assert_int_equal(parley_config_set_ticket_keys(sc, tkey, 1), PARLEY_OK);
    if (max_early) assert_int_equal(parley_config_set_max_early_data(sc, max_early), PARLEY_OK);
    return sc;
}

static parley_config *cli(int version) { return only_version(client_cfg("ec256"), version); }

/* A full handshake; the client's session (in TLS 1.3 the ticket comes after it). */
static size_t session(int version, uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    make_pair(&p, cli(version), srv(version, 16384), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "ticket first");
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

/* Every byte the client reads now (after its handshake), into got. */
static size_t client_reads(parley_conn *c, uint8_t *got, size_t cap)
{
    size_t total = 0, n;
    while (total < cap && parley_conn_read(c, got + total, cap - total, &n) == PARLEY_OK) total += n;
    return total;
}

/* Accepted 0-RTT: the reply reaches the client, which reads it, while the
 * server still waits for the client's EndOfEarlyData and Finished. */
static void test_reply_before_client_finished(void **state)
{
    (void)state;
    uint8_t sess[4096], buf[16384], got[256];
    size_t sl = session(PARLEY_TLS1_3, sess, sizeof sess), n;
    pair p;
    make_pair(&p, cli(PARLEY_TLS1_3), srv(PARLEY_TLS1_3, 16384), "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)EARLY, strlen(EARLY)), PARLEY_OK);
    /* Before the server has seen anything: the write drives its handshake,
     * which needs the ClientHello; nothing is written. */
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_WANT_READ);
    assert_int_equal(conn_take(p.server, buf, sizeof buf), 0);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    n = conn_take(p.client, buf, sizeof buf);
    conn_feed(p.server, buf, n);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_EARLY_DATA);
    assert_int_equal(parley_conn_early_data_status(p.server), PARLEY_EARLY_DATA_ACCEPTED);
    assert_int_equal(parley_conn_read_early_data(p.server, got, sizeof got, &n), PARLEY_OK);
    assert_int_equal(n, strlen(EARLY));
    assert_memory_equal(got, EARLY, n);
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_OK);
    assert_int_equal(parley_conn_handshake_done(p.server), 0);
    /* The server's flight and the reply; the client completes and reads it. */
    n = conn_take(p.server, buf, sizeof buf);
    conn_feed(p.client, buf, n);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_ACCEPTED);
    n = client_reads(p.client, got, sizeof got);
    assert_int_equal(n, strlen(REPLY));
    assert_memory_equal(got, REPLY, n);
    assert_int_equal(parley_conn_handshake_done(p.server), 0); /* its Finished not yet read */
    /* Then the client's EndOfEarlyData and Finished complete the server. */
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    n = conn_take(p.client, buf, sizeof buf);
    conn_feed(p.server, buf, n);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_OK);
    exchange(&p, p.client, p.server, "after");
    exchange(&p, p.server, p.client, "and back");
    free_pair(&p);
}

/* Accepted 0-RTT, but the write comes before the server's handshake has
 * run on the ClientHello: it sends the server's flight (up to Finished) and
 * stops at the early data, as parley_conn_handshake would; the reply is not
 * written, and the client reads nothing. Written again, it goes. */
static void test_write_before_server_finished(void **state)
{
    (void)state;
    uint8_t sess[4096], buf[16384], got[256];
    size_t sl = session(PARLEY_TLS1_3, sess, sizeof sess), n;
    pair p;
    make_pair(&p, cli(PARLEY_TLS1_3), srv(PARLEY_TLS1_3, 16384), "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)EARLY, strlen(EARLY)), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    n = conn_take(p.client, buf, sizeof buf);
    conn_feed(p.server, buf, n);
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_EARLY_DATA);
    n = conn_take(p.server, buf, sizeof buf);
    conn_feed(p.client, buf, n);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    assert_int_equal(client_reads(p.client, got, sizeof got), 0);
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_OK);
    n = conn_take(p.server, buf, sizeof buf);
    conn_feed(p.client, buf, n);
    n = client_reads(p.client, got, sizeof got);
    assert_int_equal(n, strlen(REPLY));
    assert_memory_equal(got, REPLY, n);
    free_pair(&p);
}

/* The server has sent its Finished and waits for the client's, with no
 * 0-RTT accepted: a write sends nothing (WANT_READ) until the handshake is
 * complete. full: a full TLS 1.3 handshake; else a TLS 1.2 resumption. */
static void no_half_rtt(int version, int resume)
{
    uint8_t sess[4096], buf[16384];
    size_t sl = resume ? session(version, sess, sizeof sess) : 0, n;
    pair p;
    make_pair(&p, cli(version), srv(version, 16384), "localhost");
    if (resume) assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    n = conn_take(p.client, buf, sizeof buf);
    conn_feed(p.server, buf, n);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    n = conn_take(p.server, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_WANT_READ);
    assert_int_equal(conn_take(p.server, buf + n, sizeof buf - n), 0);
    conn_feed(p.client, buf, n);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    assert_int_equal(parley_conn_resumed(p.client), resume);
    assert_int_equal(parley_conn_version(p.client), version);
    n = conn_take(p.client, buf, sizeof buf);
    conn_feed(p.server, buf, n);
    /* The handshake completes inside the write, then the data goes. */
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)REPLY, strlen(REPLY)), PARLEY_OK);
    assert_int_equal(parley_conn_handshake_done(p.server), 1);
    pair_pump(&p);
    uint8_t got[256];
    n = 0;
    size_t k;
    while (n < sizeof got && parley_conn_read(p.client, got + n, sizeof got - n, &k) == PARLEY_OK) n += k;
    assert_int_equal(n, strlen(REPLY));
    assert_memory_equal(got, REPLY, n);
    free_pair(&p);
}

static void test_full_tls13_waits(void **state)
{
    (void)state;
    no_half_rtt(PARLEY_TLS1_3, 0);
}

static void test_tls12_resumption_waits(void **state)
{
    (void)state;
    no_half_rtt(PARLEY_TLS1_2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_before_client_finished),
        cmocka_unit_test(test_write_before_server_finished),
        cmocka_unit_test(test_full_tls13_waits),
        cmocka_unit_test(test_tls12_resumption_waits),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
