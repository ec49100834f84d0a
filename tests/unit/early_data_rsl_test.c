/* early_data_rsl_test.c - 0-RTT records and record_size_limit (RFC 8449 4:
 * "Records are subject to the limits that were set in the handshake that
 * produces the keys that are used to protect those records"). The early keys
 * come from the ticket's connection, so: the server's ticket and the client's
 * session record the server's limit of that connection; the client sizes its
 * early records to it (checked on the wire); the server holds records under
 * the early key to the ticket's limit, whatever the current connection
 * advertises (record_overflow one byte beyond it, accepted at it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "session/session.h"

static const uint8_t TKEY[48] = {4, 4, 9, 8, 4, 4, 9};

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* A server accepting 16 KiB of 0-RTT; rsl: its record_size_limit (-1: the
 * default, 0: off). */
static parley_config *srv(int rsl)
{
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_ticket_keys(sc, TKEY, 1), PARLEY_OK);
    assert_int_equal(parley_config_set_max_early_data(sc, 16384), PARLEY_OK);
    if (rsl >= 0) assert_int_equal(parley_config_set_record_size_limit(sc, (unsigned)rsl), PARLEY_OK);
    return sc;
}

static parley_config *cli(void)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    return cc;
}

/* A full handshake with a server of limit rsl; the client's session. */
static size_t session(int rsl, uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    make_pair(&p, cli(), srv(rsl), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "the ticket comes first");
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

/* The client's first flight offering sess with n bytes of early data, to a
 * server of the default limit (16385: larger than any ticket's here). The
 * wire lengths of the early records go to lens (*k of them). */
static size_t first_flight(pair *p, const uint8_t *sess, size_t sl, const uint8_t *data, size_t n, uint8_t *fl, size_t cap,
                           size_t *lens, int *k)
{
    make_pair(p, cli(), srv(-1), "localhost");
    assert_int_equal(parley_conn_set_session(p->client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p->client, data, n), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
    size_t fn = conn_take(p->client, fl, cap);
    *k = 0;
    for (size_t i = 0; i + 5 <= fn; i += 5 + get16(fl + i + 3))
        if (fl[i] == 23) lens[(*k)++] = get16(fl + i + 3);
    return fn;
}

/* The server reads the flight: its handshake result after draining the
 * early data into got (*total bytes). */
static int server_takes(parley_conn *s, const uint8_t *fl, size_t fn, uint8_t *got, size_t cap, size_t *total)
{
    size_t n;
    *total = 0;
    conn_feed(s, fl, fn);
    int rc = parley_conn_handshake(s);
    while (rc == PARLEY_EARLY_DATA) {
        while (parley_conn_read_early_data(s, got + *total, cap - *total, &n) == PARLEY_OK) *total += n;
        rc = parley_conn_handshake(s);
    }
    return rc;
}

/* Both sides record the server's limit: the ticket the one advertised, the
 * client's session the one received; none when the server has it off. */
static void test_limit_recorded(void **state)
{
    (void)state;
    uint8_t sess[4096];
    pl_session s, t;
    parley_config *sc = srv(-1);
    static const int lim[] = {64, 1000, 0};
    for (int i = 0; i < 3; i++) {
        size_t sl = session(lim[i], sess, sizeof sess);
        assert_int_equal(pl_session_decode(sess, sl, &s), 0);
        assert_int_equal(s.record_size_limit, lim[i]);
        assert_int_equal(pl_ticket_open_session(sc, s.ticket, s.ticket_len, &t), 1);
        assert_int_equal(t.record_size_limit, lim[i]);
    }
    /* Outside 0 / 64..16385 the session does not decode (the limit is
     * followed by the 2-byte group of format 6). */
    size_t sl = session(64, sess, sizeof sess);
    put16(sess + sl - 4, 63);
    assert_int_not_equal(pl_session_decode(sess, sl, &s), 0);
    put16(sess + sl - 4, 16386);
    assert_int_not_equal(pl_session_decode(sess, sl, &s), 0);
    parley_config_free(sc);
}

/* The client's early records fit the ticket's limit (63 bytes of content
 * and the type byte under 64), also with padding; the server reads the
 * whole data. Without a limit, one record. */
static void test_client_fragments_to_limit(void **state)
{
    (void)state;
    static uint8_t data[200], got[1024], fl[8192];
    uint8_t sess[4096];
    size_t lens[16], total;
    int k;
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 13);
    size_t sl = session(64, sess, sizeof sess);
    pair p;
    size_t fn = first_flight(&p, sess, sl, data, sizeof data, fl, sizeof fl, lens, &k);
    assert_int_equal(k, 4); /* 63 + 63 + 63 + 11 */
    for (int i = 0; i < 3; i++) assert_int_equal(lens[i], 64 + 16);
    assert_int_equal(lens[3], 11 + 1 + 16);
    assert_int_equal(server_takes(p.server, fl, fn, got, sizeof got, &total), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_early_data_status(p.server), PARLEY_EARLY_DATA_ACCEPTED);
    assert_int_equal(total, sizeof data);
    assert_memory_equal(got, data, sizeof data);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_ACCEPTED);
    free_pair(&p);

    /* Padding stays within the limit too (RFC 8449 4 counts it). */
    parley_config *cc = cli();
    assert_int_equal(parley_config_set_record_padding(cc, 100), PARLEY_OK);
    make_pair(&p, cc, srv(-1), "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, data, 10), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    fn = conn_take(p.client, fl, sizeof fl);
    k = 0;
    for (size_t i = 0; i + 5 <= fn; i += 5 + get16(fl + i + 3))
        if (fl[i] == 23) lens[k++] = get16(fl + i + 3);
    assert_int_equal(k, 1);
    assert_int_equal(lens[0], 64 + 16);
    free_pair(&p);

    /* A server with the extension off: no limit, one record. */
    sl = session(0, sess, sizeof sess);
    fn = first_flight(&p, sess, sl, data, sizeof data, fl, sizeof fl, lens, &k);
    assert_int_equal(k, 1);
    assert_int_equal(lens[0], sizeof data + 1 + 16);
    free_pair(&p);
}

/* The server holds early records to the ticket's limit (64), though this
 * connection advertises 16385: a client session claiming no limit sends 63
 * bytes in one record (inner 64: accepted), then 64 (inner 65:
 * record_overflow). */
static void test_server_enforces_ticket_limit(void **state)
{
    (void)state;
    static uint8_t data[64], got[256], fl[8192];
    uint8_t sess[4096];
    size_t lens[16], total;
    int k;
    pl_session s;
    pl_buf b = {0};
    memset(data, 'e', sizeof data);
    size_t sl = session(64, sess, sizeof sess);
    assert_int_equal(pl_session_decode(sess, sl, &s), 0);
    s.record_size_limit = 0; /* the client forgets the limit; the ticket still has it */
    assert_int_equal(pl_session_encode(&s, &b), 0);
    assert_true(b.len <= sizeof sess);
    memcpy(sess, b.data, b.len);
    sl = b.len;
    pl_buf_free(&b);
    pair p;
    size_t fn = first_flight(&p, sess, sl, data, 63, fl, sizeof fl, lens, &k);
    assert_int_equal(k, 1);
    assert_int_equal(lens[0], 64 + 16);
    assert_int_equal(server_takes(p.server, fl, fn, got, sizeof got, &total), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_early_data_status(p.server), PARLEY_EARLY_DATA_ACCEPTED);
    assert_int_equal(total, 63);
    free_pair(&p);

    fn = first_flight(&p, sess, sl, data, 64, fl, sizeof fl, lens, &k);
    assert_int_equal(k, 1);
    assert_int_equal(lens[0], 65 + 16);
    assert_int_equal(server_takes(p.server, fl, fn, got, sizeof got, &total), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(p.server), 22); /* record_overflow */
    assert_non_null(strstr(parley_conn_error_string(p.server), "record_size_limit"));
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_recorded),
        cmocka_unit_test(test_client_fragments_to_limit),
        cmocka_unit_test(test_server_enforces_ticket_limit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
