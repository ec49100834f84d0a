/* early_data_replay_test.c - TLS 1.3 0-RTT anti-replay on the server
 * (RFC 8446 8), in raw bytes (early_data_raw.c): a replayed first flight
 * is refused by one server or by two sharing a cache, with sealed tickets
 * (ClientHello recording, 8.2) and with stateful ones (tickets off + cache:
 * single-use, 8.1); a store that cannot answer means no early data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "early_data_raw.h"

/* The same first flight twice: accepted once (RFC 8446 8), by one config
 * or by two sharing a cache (the forked workers' shared memory). */
static void replay_refused(void **state)
{
    (void)state;
    parley_session_cache *shm = parley_session_cache_shm_new(1 << 20);
    srv_opts so = {.max_early = 1000, .cache = shm};
    parley_config *a = ed_server(&so), *b = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    get_ticket(a, NULL, &s);
    ed e;
    ed_hello(&e, &s, &ho);
    ed_data(&e, "once", 4);
    parley_conn *c1, *c2, *c3;
    assert_int_equal(ed_feed(a, &e, &c1), PARLEY_EARLY_DATA);
    assert_int_equal(ed_feed(b, &e, &c2), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_early_data_status(c2), PARLEY_EARLY_DATA_REJECTED);
    assert_int_equal(ed_feed(a, &e, &c3), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_early_data_status(c3), PARLEY_EARLY_DATA_REJECTED);
    parley_conn_free(c1);
    parley_conn_free(c2);
    parley_conn_free(c3);
    ed_free(&e);
    parley_config_free(a);
    parley_config_free(b);
    /* No cache at all: the in-process store refuses a replay too. */
    srv_opts so2 = {.max_early = 1000, .no_cache = 1};
    parley_config *c = ed_server(&so2);
    get_ticket(c, NULL, &s);
    ed_hello(&e, &s, &ho);
    ed_data(&e, "once", 4);
    assert_int_equal(ed_feed(c, &e, &c1), PARLEY_EARLY_DATA);
    assert_int_equal(ed_feed(c, &e, &c2), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_early_data_status(c2), PARLEY_EARLY_DATA_REJECTED);
    parley_conn_free(c1);
    parley_conn_free(c2);
    ed_free(&e);
    parley_config_free(c);
    parley_session_cache_shm_free(shm);
}

/* A cache over a memory cache whose claim the test decides: -1 cannot
 * tell, 0 seen before, 1 first use; or none at all. Rejected unless 1. */
typedef struct {
    parley_session_cache base;
    parley_session_cache *mem;
} wrap_cache;
static int g_claim_rc;
static int g_keep_on_remove; /* a removal that has not happened yet (async) */
static int w_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *v, size_t vl, uint32_t life)
{
    parley_session_cache *m = ((wrap_cache *)self)->mem;
    return m->store(m, id, idlen, v, vl, life);
}
static int w_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *v, size_t cap, size_t *vl)
{
    parley_session_cache *m = ((wrap_cache *)self)->mem;
    return m->fetch(m, id, idlen, v, cap, vl);
}
static void w_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    parley_session_cache *m = ((wrap_cache *)self)->mem;
    if (!g_keep_on_remove) m->remove(m, id, idlen);
}
static uint32_t g_claim_life;
static int w_claim(parley_session_cache *self, const uint8_t *k, size_t kl, uint32_t life)
{
    (void)self, (void)k, (void)kl;
    g_claim_life = life;
    return g_claim_rc;
}
static int w_claim_mem(parley_session_cache *self, const uint8_t *k, size_t kl, uint32_t life)
{
    parley_session_cache *m = ((wrap_cache *)self)->mem;
    g_claim_life = life;
    return m->claim(m, k, kl, life);
}
static void fail_closed(void **state)
{
    (void)state;
    wrap_cache w = {.base = {.store = w_store, .fetch = w_fetch, .remove = w_remove}, .mem = parley_session_cache_memory_new(64)};
    srv_opts so = {.max_early = 1000, .cache = &w.base};
    parley_config *sc = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    get_ticket(sc, NULL, &s);
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED); /* no claim */
    w.base.claim = w_claim;
    g_claim_rc = -1;
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED); /* unreachable */
    g_claim_rc = 0;
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED); /* seen before */
    g_claim_rc = 1;
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_ACCEPTED);
    parley_config_free(sc);
    parley_session_cache_memory_free(w.mem);
}

/* Stateful tickets (tickets off + cache, RFC 8446 8.1): 0-RTT accepted, and
 * the ticket is single-use: forgotten when used, so the replayed flight
 * finds no session; and should the removal lag (an asynchronous cache), the
 * claim on the ticket id refuses it. The claim lasts the short span in
 * which the ticket-age check accepts that ClientHello, not the ticket's life
 * (hours: ~1 resumption a second would fill the records' area). */
static void stateful_tickets(void **state)
{
    (void)state;
    wrap_cache w = {.base = {.store = w_store, .fetch = w_fetch, .remove = w_remove, .claim = w_claim_mem},
                    .mem = parley_session_cache_memory_new(64)};
    srv_opts so = {.max_early = 1000, .cache = &w.base, .stateful = 1};
    parley_config *sc = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    for (g_keep_on_remove = 0; g_keep_on_remove < 2; g_keep_on_remove++) {
        get_ticket(sc, NULL, &s);
        assert_true(s.ticket_len == 32); /* a cache key, not a sealed session */
        ed e;
        ed_hello(&e, &s, &ho);
        ed_data(&e, "once", 4);
        parley_conn *c1, *c2;
        g_claim_life = 0;
        assert_int_equal(ed_feed(sc, &e, &c1), PARLEY_EARLY_DATA);
        assert_int_equal(parley_conn_early_data_status(c1), PARLEY_EARLY_DATA_ACCEPTED);
        assert_true(g_claim_life >= 21 && g_claim_life <= 60);
        uint8_t got[8];
        size_t n;
        assert_int_equal(parley_conn_read_early_data(c1, got, sizeof got, &n), PARLEY_OK);
        assert_memory_equal(got, "once", 4);
        assert_int_equal(parley_conn_handshake(c1), PARLEY_WANT_READ);
        ed_server_flight(&e, c1);
        ed_finish(&e, c1, EOED_OK);
        assert_int_equal(parley_conn_handshake(c1), PARLEY_OK);
        assert_int_equal(parley_conn_resumed(c1), 1);
        /* The replay: rejected (no session left, or the claim says seen). */
        assert_int_equal(ed_feed(sc, &e, &c2), PARLEY_WANT_READ);
        assert_int_equal(parley_conn_early_data_status(c2), PARLEY_EARLY_DATA_REJECTED);
        parley_conn_free(c1);
        parley_conn_free(c2);
        ed_free(&e);
    }
    g_keep_on_remove = 0;
    parley_config_free(sc);
    parley_session_cache_memory_free(w.mem);
}

/* Sealed tickets: the binder's record lasts the same short span. */
static void claim_lifetime(void **state)
{
    (void)state;
    wrap_cache w = {.base = {.store = w_store, .fetch = w_fetch, .remove = w_remove, .claim = w_claim},
                    .mem = parley_session_cache_memory_new(64)};
    srv_opts so = {.max_early = 1000, .cache = &w.base};
    parley_config *sc = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    get_ticket(sc, NULL, &s);
    g_claim_rc = 1;
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_ACCEPTED);
    /* Twice the 10 s age window, a second, and 10 s of clock skew. */
    assert_int_equal(g_claim_life, 31);
    parley_config_free(sc);
    parley_session_cache_memory_free(w.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_refused),
        cmocka_unit_test(fail_closed),
        cmocka_unit_test(stateful_tickets),
        cmocka_unit_test(claim_lifetime),
    };
    return cmocka_run_group_tests(tests, ed_setup, NULL);
}
