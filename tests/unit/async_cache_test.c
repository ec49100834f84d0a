/* async_cache_test.c - a session cache that answers later (fetch_start /
 * parley_conn_session_found): the server's handshake pauses with
 * PARLEY_WANT_SESSION and goes on with the answer, for TLS 1.2 session ids and
 * TLS 1.3 cache tickets; "not found" and a refused lookup mean full handshakes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* A memory cache whose lookups are answered by the test, later. */
typedef struct {
    parley_session_cache base;
    parley_session_cache *mem;
    parley_conn *waiting;
    uint8_t id[64];
    size_t idlen;
    int lookups, refuse;
} async_cache;

static int a_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t life)
{
    async_cache *a = (async_cache *)self;
    return a->mem->store(a->mem, id, idlen, val, vlen, life);
}
static int a_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    (void)self, (void)id, (void)idlen, (void)val, (void)cap, (void)vlen;
    fail_msg("fetch must not be used when fetch_start is set");
    return PARLEY_ERROR;
}
static void a_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    async_cache *a = (async_cache *)self;
    a->mem->remove(a->mem, id, idlen);
}
static int a_fetch_start(parley_session_cache *self, parley_conn *conn, const uint8_t *id, size_t idlen)
{
    async_cache *a = (async_cache *)self;
    a->lookups++;
    if (a->refuse) return PARLEY_ERROR;
    a->waiting = conn;
    memcpy(a->id, id, idlen);
    a->idlen = idlen;
    return PARLEY_OK;
}

/* Answer the pending lookup: from the memory cache, or "not found". */
static void answer(async_cache *a, int found)
{
    uint8_t val[4096];
    size_t vl = 0;
    assert_non_null(a->waiting);
    if (found && a->mem->fetch(a->mem, a->id, a->idlen, val, sizeof val, &vl) != PARLEY_OK) vl = 0;
    assert_int_equal(parley_conn_session_found(a->waiting, vl ? val : NULL, vl), PARLEY_OK);
    a->waiting = NULL;
}

/* Drive a pair to the end, answering lookups as they come; returns how many pauses there were. */
static int handshake_answering(pair *p, async_cache *a, int found)
{
    int pauses = 0;
    for (int i = 0; i < 50; i++) {
        int c = parley_conn_handshake(p->client), s = parley_conn_handshake(p->server);
        if (s == PARLEY_WANT_SESSION) {
            int asked = a->lookups;
            pauses++;
            /* Driven again before the answer: still waiting, and not asked twice. */
            assert_int_equal(parley_conn_handshake(p->server), PARLEY_WANT_SESSION);
            assert_int_equal(a->lookups, asked);
            answer(a, found);
        }
        pair_pump(p);
        if (c == PARLEY_OK && s == PARLEY_OK) return pauses;
        assert_true(c != PARLEY_ERROR && s != PARLEY_ERROR);
    }
    fail_msg("handshake did not finish");
    return -1;
}

static int run(async_cache *a, parley_config *sc, int version, int found, int *resumed)
{
    pair p;
    uint8_t sess[4096];
    size_t sl = 0;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    parley_config_ref(sc);
    make_pair(&p, cc, sc, "localhost");
    handshake_answering(&p, a, 1);
    exchange(&p, p.server, p.client, "ticket time");
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    parley_config_ref(sc);
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    int pauses = handshake_answering(&p, a, found);
    *resumed = parley_conn_resumed(p.server);
    assert_int_equal(parley_conn_resumed(p.client), *resumed);
    exchange(&p, p.client, p.server, "after");
    free_pair(&p);
    return pauses;
}

static void test_async_lookups(void **state)
{
    (void)state;
    async_cache a = {.base = {a_store, a_fetch, a_remove, a_fetch_start}};
    a.mem = parley_session_cache_memory_new(16);
    int resumed;
    for (int v = 0; v < 2; v++) {
        int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
        parley_config *sc = server_cfg("ec256");
        /* Tickets off: TLS 1.2 resumes by id, TLS 1.3 tickets are cache keys. */
        assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
        assert_int_equal(parley_config_set_session_cache(sc, &a.base), PARLEY_OK);
        assert_int_equal(run(&a, sc, version, 1, &resumed), 1);
        assert_int_equal(resumed, 1);
        assert_int_equal(run(&a, sc, version, 0, &resumed), 1); /* answered "not found" */
        assert_int_equal(resumed, 0);
        a.refuse = 1;
        assert_int_equal(run(&a, sc, version, 1, &resumed), 0); /* the cache would not look: no pause */
        assert_int_equal(resumed, 0);
        a.refuse = 0;
        parley_config_free(sc);
    }
    /* A lookup answered when none is pending is refused. */
    parley_config *cc = client_cfg("ec256");
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    assert_int_equal(parley_conn_session_found(c, NULL, 0), PARLEY_ERROR);
    parley_conn_free(c);
    parley_config_free(cc);
    parley_session_cache_memory_free(a.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_async_lookups)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
