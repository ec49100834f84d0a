/* early_data_alloc_test.c - every allocation libparley makes on a client's
 * 0-RTT connection (the early data copied, offered, skipped by a parley
 * server, then written again by the application after the handshake, since
 * the library does not resend it, RFC 8446 4.2.10) fails in turn: each run
 * either completes with the data delivered exactly once, or fails cleanly;
 * never a crash, and under ASan never a leak (LeakSanitizer at exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

static const char DATA[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
#define DLEN (sizeof DATA - 1)

static unsigned long g_count, g_fail_at; /* g_fail_at 0: nothing fails */
static int g_failed;

static void *af_malloc(size_t n)
{
    if (g_fail_at && ++g_count == g_fail_at) {
        g_failed = 1;
        return NULL;
    }
    return malloc(n);
}

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* One resumption offering DATA as early data: 1 completed (and the server
 * read DATA once), 0 failed cleanly. */
static int one_run(parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl)
{
    parley_conn *c = parley_conn_new_client(cc, "localhost"), *s = parley_conn_new_server(sc);
    int done = 0, written = 0;
    uint8_t got[256];
    size_t total = 0;
    if (!c || !s) goto out;
    if (parley_conn_set_session(c, sess, sl) != PARLEY_OK) goto out;
    if (parley_conn_set_early_data(c, (const uint8_t *)DATA, DLEN) != PARLEY_OK) goto out;
    for (int round = 0; round < 40; round++) {
        const uint8_t *d;
        size_t n, used;
        int crc = parley_conn_handshake_done(c) ? PARLEY_OK : parley_conn_handshake(c);
        if (parley_conn_handshake_done(c) && !written) {
            /* Rejected: the application sends the data itself. */
            if (parley_conn_write(c, (const uint8_t *)DATA, DLEN) != PARLEY_OK) goto out;
            written = 1;
        }
        parley_conn_pending_output(c, &d, &n);
        for (size_t off = 0; off < n; off += used) {
            if (parley_conn_recv_bytes(s, d + off, n - off, &used) != PARLEY_OK || !used) break;
            (void)parley_conn_handshake(s);
        }
        parley_conn_output_sent(c, n);
        int src = PARLEY_OK;
        if (!parley_conn_handshake_done(s)) src = parley_conn_handshake(s);
        while (src == PARLEY_OK && total < sizeof got &&
               (src = parley_conn_read(s, got + total, sizeof got - total, &n)) == PARLEY_OK)
            total += n;
        parley_conn_pending_output(s, &d, &n);
        for (size_t off = 0; off < n; off += used)
            if (parley_conn_recv_bytes(c, d + off, n - off, &used) != PARLEY_OK || !used) break;
        parley_conn_output_sent(s, n);
        if (crc == PARLEY_ERROR || src == PARLEY_ERROR) break;
        if (parley_conn_handshake_done(c) && total >= DLEN) {
            done = 1;
            break;
        }
    }
    if (done) {
        assert_int_equal(total, DLEN); /* exactly once */
        assert_memory_equal(got, DATA, DLEN);
        assert_int_equal(parley_conn_early_data_status(c), PARLEY_EARLY_DATA_REJECTED);
    }
out:
    parley_conn_free(c);
    parley_conn_free(s);
    return done;
}

static void test_every_allocation_fails_once(void **state)
{
    (void)state;
    uint8_t sess[4096];
    size_t sl = 0;
    /* Two servers sharing a ticket key; the second chooses another ALPN
     * protocol than the session's, so it rejects the early data whatever its
     * 0-RTT policy (RFC 8446 4.2.10). */
    static const uint8_t tkey[48] = {9, 8, 7};
    parley_config *s1 = server_cfg("ec256"), *sc = server_cfg("ec256"), *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_max_early_data(s1, 16384), PARLEY_OK);
    assert_int_equal(parley_config_set_max_early_data(sc, 16384), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys(s1, tkey, 1), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys(sc, tkey, 1), PARLEY_OK);
    assert_int_equal(parley_config_set_alpn(s1, "h2"), PARLEY_OK);
    assert_int_equal(parley_config_set_alpn(sc, "http/1.1"), PARLEY_OK);
    assert_int_equal(parley_config_set_alpn(cc, "h2,http/1.1"), PARLEY_OK);
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    pair p;
    parley_config_ref(cc);
    make_pair(&p, cc, s1, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "ticket");
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    assert_int_equal(one_run(cc, sc, sess, sl), 1); /* the run being swept works */
    unsigned long k, completed = 0;
    for (k = 1; k < 100000; k++) {
        g_count = 0;
        g_failed = 0;
        g_fail_at = k;
        completed += (unsigned long)one_run(cc, sc, sess, sl);
        g_fail_at = 0;
        if (!g_failed) break; /* fewer than k allocations: every one has failed once */
    }
    assert_true(k > 10);
    printf("  %lu allocations each failed once (%lu runs completed anyway)\n", k - 1, completed);
    parley_config_free(cc);
    parley_config_free(sc);
}

int main(void)
{
    if (parley_set_allocator(af_malloc, free) != PARLEY_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
