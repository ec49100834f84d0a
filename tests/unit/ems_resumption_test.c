/*
 * ems_resumption_test.c - a TLS 1.2 session without the extended master
 * secret is never resumed (RFC 7627 5.3, 5.4), in memory, both roles: no
 * session id, no cache store, no ticket and no client session for it; a
 * non-EMS session (made by an older build) offered by id or by ticket is not
 * resumed; an EMS session offered without EMS is handshake_failure on the
 * server; a server resuming without EMS is handshake_failure on the client.
 * The peer without EMS is made on the wire (ems_wire.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "ems_wire.h"
#include "helpers.h"
#include "session/session.h"
#include "session/ticket.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* A session cache that counts stores (the path every cache takes: in-process,
 * shm and the program's Redis cache are called the same way). */
typedef struct {
    parley_session_cache base;
    parley_session_cache *inner;
    int stores;
} counting_cache;

static int cc_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t lifetime)
{
    counting_cache *c = (counting_cache *)self;
    c->stores++;
    return c->inner->store(c->inner, id, idlen, val, vlen, lifetime);
}
static int cc_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    counting_cache *c = (counting_cache *)self;
    return c->inner->fetch(c->inner, id, idlen, val, cap, vlen);
}
static void cc_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    counting_cache *c = (counting_cache *)self;
    c->inner->remove(c->inner, id, idlen);
}
static void cache_init(counting_cache *c)
{
    memset(c, 0, sizeof *c);
    c->base.store = cc_store;
    c->base.fetch = cc_fetch;
    c->base.remove = cc_remove;
    c->inner = parley_session_cache_memory_new(16);
    assert_non_null(c->inner);
}

/* The client's session blob re-encoded as a server would hold it, with
 * ems = 0: what an older build (or another implementation sharing the
 * ticket keys) could have stored. pl_session_encode refuses such a session,
 * so the EMS byte is cleared after encoding (offset 8: "PLS", format,
 * version, suite). */
static void non_ems_plain(const uint8_t *blob, size_t bl, pl_buf *plain, pl_session *s)
{
    assert_int_equal(pl_session_decode(blob, bl, s), 0);
    assert_int_equal(s->version, PARLEY_TLS1_2);
    assert_int_equal(s->ems, 1);
    pl_session srv = *s;
    srv.ticket_len = 0;
    assert_int_equal(pl_session_encode(&srv, plain), 0);
    assert_int_equal(plain->data[8], 1);
    plain->data[8] = 0;
    pl_session check;
    assert_int_equal(pl_session_decode(plain->data, plain->len, &check), 0);
    assert_int_equal(check.ems, 0);
}

/* ------------------------------------------------------------------ tests */

/* RFC 7627 5.4 (its SHOULD NOT taken as MUST NOT), RFC 5246 7.4.1.3, RFC 5077
 * 3.2: a non-EMS session gets an empty session_id, no cache entry, no
 * session_ticket extension and no NewSessionTicket; the client keeps
 * nothing (parley_conn_get_session fails), even a session it offered. An
 * EMS handshake with the same configs gets all of them. */
static void test_non_ems_session_not_kept(void **state)
{
    (void)state;
    counting_cache cache;
    cache_init(&cache);
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_cache(sc, &cache.base), PARLEY_OK);
    uint8_t sess[4096];
    size_t sl = 0;
    pair p;
    wire w;
    /* With EMS: id and ticket; the session is resumable. It is not cached
     * as well: the client resumes with the ticket (RFC 5077 3.4). */
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(w.sh_sid_len, 32);
    assert_int_equal(w.sh_ticket_ext, 1);
    assert_int_equal(w.nst_seen, 1);
    assert_int_equal(cache.stores, 0);
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    /* With tickets off on the server, the session id is the way back: cached. */
    {
        parley_config *sc2 = server_cfg("ec256");
        assert_int_equal(parley_config_set_session_cache(sc2, &cache.base), PARLEY_OK);
        assert_int_equal(parley_config_set_tickets(sc2, 0), PARLEY_OK);
        assert_int_equal(run_conn(&p, &w, cc, sc2, 0, NULL, 0), 0);
        assert_int_equal(w.sh_sid_len, 32);
        assert_int_equal(w.nst_seen, 0);
        assert_int_equal(cache.stores, 1);
        free_pair(&p);
        parley_config_free(sc2);
        cache.stores = 0;
    }
    /* Without EMS, offering that session (the hello without EMS cannot
     * resume it: handshake_failure, tested below), so a fresh client. */
    assert_int_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(parley_conn_ems(p.server), 0);
    assert_int_equal(w.sh_seen, 1);
    assert_int_equal(w.sh_sid_len, 0);
    assert_int_equal(w.sh_ticket_ext, 0);
    assert_int_equal(w.nst_seen, 0);
    assert_int_equal(cache.stores, 0); /* nothing cached for a non-EMS session */
    size_t l2 = 0;
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &l2), PARLEY_ERROR);
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
    parley_session_cache_memory_free(cache.inner);
}

/* A client that offered an EMS session and got a full handshake without EMS
 * (e.g. another server behind the name) has no session to save: the one it
 * offered is not handed back as this connection's. The server here ignores
 * the offered ticket (sealed under other keys) and has no cache. Likewise
 * after a full handshake with EMS in which the server named no session. */
static void test_offered_session_dropped_after_non_ems(void **state)
{
    (void)state;
    parley_config *cc = client12(), *sc = server_cfg("ec256"), *other = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_cache(other, NULL), PARLEY_OK);
    uint8_t sess[4096], again[4096];
    size_t al = 0;
    pair p;
    wire w;
    size_t sl = ems_session(cc, sc, sess, sizeof sess);
    assert_int_equal(run_conn(&p, &w, cc, other, 1, sess, sl), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    assert_int_equal(parley_conn_ems(p.client), 0);
    assert_int_equal(parley_conn_get_session(p.client, again, sizeof again, &al), PARLEY_ERROR);
    free_pair(&p);
    /* The same with EMS, from a server that names no session (no cache, no
     * tickets): nothing to save either, not the session offered. */
    parley_config *bare = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_cache(bare, NULL), PARLEY_OK);
    assert_int_equal(parley_config_set_tickets(bare, 0), PARLEY_OK);
    assert_int_equal(run_conn(&p, &w, cc, bare, 0, sess, sl), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    assert_int_equal(parley_conn_ems(p.client), 1);
    assert_int_equal(w.sh_sid_len, 0);
    assert_int_equal(parley_conn_get_session(p.client, again, sizeof again, &al), PARLEY_ERROR);
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
    parley_config_free(other);
    parley_config_free(bare);
}

/* RFC 7627 5.3/5.4: a non-EMS session the server holds (stored by an older
 * build under the same keys) is not resumed, by id or by ticket, whether the
 * new ClientHello has EMS or not: a full handshake. */
static void test_non_ems_session_offered_is_full_handshake(void **state)
{
    (void)state;
    for (int by_ticket = 0; by_ticket <= 1; by_ticket++) {
        counting_cache cache;
        cache_init(&cache);
        parley_config *cc = client12(), *sc = server_cfg("ec256");
        if (by_ticket) {
            assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
        } else {
            assert_int_equal(parley_config_set_session_cache(sc, &cache.base), PARLEY_OK);
            assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
        }
        uint8_t sess[4096];
        pair p;
        wire w;
        size_t sl = ems_session(cc, sc, sess, sizeof sess);
        /* Control: the real (EMS) session resumes. */
        assert_int_equal(run_conn(&p, &w, cc, sc, 0, sess, sl), 0);
        assert_int_equal(parley_conn_resumed(p.server), 1);
        free_pair(&p);
        /* The server's copy becomes a non-EMS one, sealed under its keys. */
        pl_buf plain = {0}, sealed = {0};
        pl_session s;
        non_ems_plain(sess, sl, &plain, &s);
        if (by_ticket) {
            assert_int_equal(pl_seal(&sc->tickets, PL_SEAL_TICKET, NULL, 0, plain.data, plain.len, &sealed), 0);
            memcpy(s.ticket, sealed.data, sealed.len);
            s.ticket_len = (uint16_t)sealed.len;
            pl_buf blob = {0};
            assert_int_equal(pl_session_encode(&s, &blob), 0);
            memcpy(sess, blob.data, blob.len);
            sl = blob.len;
            pl_buf_free(&blob);
        } else {
            assert_int_equal(pl_seal(&sc->tickets, PL_SEAL_CACHE, s.id, s.id_len, plain.data, plain.len, &sealed), 0);
            assert_int_equal(cache.inner->store(cache.inner, s.id, s.id_len, sealed.data, sealed.len, 600), PARLEY_OK);
        }
        pl_buf_free(&plain);
        pl_buf_free(&sealed);
        for (int strip = 0; strip <= 1; strip++) {
            int rc = run_conn(&p, &w, cc, sc, strip, sess, sl);
            if (rc != 0) fprintf(stderr, "ticket=%d strip=%d: client: %s / server: %s\n", by_ticket, strip,
                                 parley_conn_error_string(p.client), parley_conn_error_string(p.server));
            assert_int_equal(rc, 0);
            assert_int_equal(parley_conn_resumed(p.server), 0);
            assert_int_equal(parley_conn_resumed(p.client), 0);
            assert_int_equal(parley_conn_ems(p.server), !strip);
            exchange(&p, p.client, p.server, "full handshake");
            free_pair(&p);
        }
        parley_config_free(cc);
        parley_config_free(sc);
        parley_session_cache_memory_free(cache.inner);
    }
}

/* RFC 7627 5.3: "If the original session used the extended_master_secret
 * extension but the new ClientHello does not contain it, the server MUST
 * abort the abbreviated handshake": handshake_failure, by id or by ticket. */
static void test_ems_session_offered_without_ems_aborts(void **state)
{
    (void)state;
    for (int by_ticket = 0; by_ticket <= 1; by_ticket++) {
        parley_config *cc = client12(), *sc = server_cfg("ec256");
        if (by_ticket) assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
        else assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
        uint8_t sess[4096];
        pair p;
        wire w;
        size_t sl = ems_session(cc, sc, sess, sizeof sess);
        assert_int_not_equal(run_conn(&p, &w, cc, sc, 1, sess, sl), 0);
        expect_alert(p.server, p.client, 40,
                     "client offers a session made with the extended master secret but does not send the extension (RFC 7627 5.3)");
        free_pair(&p);
        parley_config_free(cc);
        parley_config_free(sc);
    }
}

/* RFC 7627 5.3 on the client: a server that resumes an EMS session without
 * EMS is handshake_failure. The server's ServerHello is changed on the wire:
 * its extended_master_secret becomes session_ticket (offered by the client,
 * so otherwise acceptable). */
static void test_client_refuses_resumption_without_ems(void **state)
{
    (void)state;
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    uint8_t sess[4096];
    pair p;
    wire w;
    size_t sl = ems_session(cc, sc, sess, sizeof sess);
    assert_int_not_equal(run_conn(&p, &w, cc, sc, WIRE_EMS_TO_TICKET, sess, sl), 0);
    assert_int_equal(w.sh_sid_len, 32); /* the server resumed */
    assert_int_equal(w.sh_ticket_ext, 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 40);
    assert_string_equal(parley_conn_error_string(p.client), "server resumed the session with a different extended master secret state");
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
}

/* A non-EMS session blob is refused by parley_conn_set_session and would
 * not be offered; the same blob with EMS is accepted. */
static void test_client_refuses_non_ems_blob(void **state)
{
    (void)state;
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    uint8_t sess[4096];
    pair p;
    size_t sl = ems_session(cc, sc, sess, sizeof sess);
    pair_offering(&p, cc, sc, NULL, 0);
    assert_int_equal(sess[8], 1);
    sess[8] = 0;
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_ERROR);
    sess[8] = 1;
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_non_ems_session_not_kept),
        cmocka_unit_test(test_offered_session_dropped_after_non_ems),
        cmocka_unit_test(test_non_ems_session_offered_is_full_handshake),
        cmocka_unit_test(test_ems_session_offered_without_ems_aborts),
        cmocka_unit_test(test_client_refuses_resumption_without_ems),
        cmocka_unit_test(test_client_refuses_non_ems_blob),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
