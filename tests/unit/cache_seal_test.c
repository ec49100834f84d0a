/* cache_seal_test.c - what a session cache holds, seen through the public
 * parley_session_cache interface: values are sealed under the ticket keys
 * with the session id bound in, so whoever can read or write the cache (a
 * shared Redis, say) learns no master secret and can mint no session. A
 * value that was tampered with, sealed under another key, moved to another
 * id or forged in the clear is a cache miss: a full handshake, never an
 * error. For TLS 1.2 session ids and TLS 1.3 cache tickets (--no-tickets),
 * through fetch and through fetch_start. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "session/session.h"
#include "session/ticket.h"

static int setup(void **state)
{
    (void)state;
    if (make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30)) return -1;
    /* The client's certificate, and the CA of a server that requires one. */
    return make_cert(test_dir(), "cli256", "ec256", "localhost", -1, 30);
}

/* ------------------------------------------------ a cache the test can see into */

#define SLOTS 16
typedef struct {
    uint8_t id[32], val[4096];
    size_t idlen, vlen;
    int used;
} slot;

typedef struct {
    parley_session_cache base;
    slot s[SLOTS];
    slot last; /* the last value stored */
    int stores, next;
    size_t lie; /* fetch reports this many bytes more than the buffer holds */
} see_cache;

static slot *find(see_cache *c, const uint8_t *id, size_t idlen)
{
    for (int i = 0; i < SLOTS; i++)
        if (c->s[i].used && c->s[i].idlen == idlen && memcmp(c->s[i].id, id, idlen) == 0) return &c->s[i];
    return NULL;
}

/* Put val under id (what an attacker with write access to the cache does). */
static void put(see_cache *c, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen)
{
    slot *s = find(c, id, idlen);
    for (int i = 0; !s && i < SLOTS; i++)
        if (!c->s[i].used) s = &c->s[i];
    if (!s) s = &c->s[c->next++ % SLOTS]; /* full: the oldest goes */
    assert_true(idlen <= sizeof s->id && vlen <= sizeof s->val);
    memcpy(s->id, id, idlen);
    memcpy(s->val, val, vlen);
    s->idlen = idlen;
    s->vlen = vlen;
    s->used = 1;
}

static int sc_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t life)
{
    see_cache *c = (see_cache *)self;
    (void)life;
    put(c, id, idlen, val, vlen);
    memcpy(c->last.id, id, idlen);
    memcpy(c->last.val, val, vlen);
    c->last.idlen = idlen;
    c->last.vlen = vlen;
    c->stores++;
    return PARLEY_OK;
}

static int sc_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    see_cache *c = (see_cache *)self;
    slot *s = find(c, id, idlen);
    if (!s || s->vlen > cap) return PARLEY_ERROR;
    memcpy(val, s->val, s->vlen);
    *vlen = c->lie ? cap + c->lie : s->vlen;
    return PARLEY_OK;
}

static void sc_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    slot *s = find((see_cache *)self, id, idlen);
    if (s) s->used = 0;
}

/* The asynchronous kind: fetch_start answers through parley_conn_session_found
 * (here at once, from within fetch_start, which the interface allows). */
static int sc_fetch_start(parley_session_cache *self, parley_conn *conn, const uint8_t *id, size_t idlen)
{
    slot *s = find((see_cache *)self, id, idlen);
    assert_int_equal(parley_conn_session_found(conn, s ? s->val : NULL, s ? s->vlen : 0), PARLEY_OK);
    return PARLEY_OK;
}

static void cache_init(see_cache *c, int async)
{
    memset(c, 0, sizeof *c);
    c->base.store = sc_store;
    c->base.fetch = sc_fetch;
    c->base.remove = sc_remove;
    if (async) c->base.fetch_start = sc_fetch_start;
}

/* ------------------------------------------------ servers and clients */

/* A server on the shared cache with sealed tickets off (TLS 1.2 resumes by
 * session id, TLS 1.3 tickets are keys into the cache) and ticket keys made
 * of the byte `k`: two servers with the same k are two hosts of one fleet. */
int pl_config_freeze(parley_config *cfg, int client); /* config.c */

static parley_config *server(see_cache *cache, uint8_t k, int require_client_cert)
{
    uint8_t keys[48];
    memset(keys, k, sizeof keys);
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    assert_int_equal(parley_config_set_session_cache(sc, &cache->base), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys(sc, keys, 1), PARLEY_OK);
    if (require_client_cert) {
        char pem[512];
        snprintf(pem, sizeof pem, "%s/cli256.pem", test_dir());
        assert_int_equal(parley_config_set_client_ca(sc, pem), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    }
    return sc;
}

static parley_config *client(int version, int with_cert)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    if (with_cert) {
        char pem[512], key[512];
        snprintf(pem, sizeof pem, "%s/cli256.pem", test_dir());
        snprintf(key, sizeof key, "%s/cli256.key", test_dir());
        assert_int_equal(parley_config_add_cert_files(cc, pem, key), PARLEY_OK);
    }
    return cc;
}

/* A full handshake on sc; the client's session into sess. */
static void full(parley_config *sc, int version, uint8_t *sess, size_t *sl)
{
    pair p;
    parley_config_ref(sc);
    make_pair(&p, client(version, 0), sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.server), 0);
    exchange(&p, p.server, p.client, "a ticket comes before this"); /* TLS 1.3: the client reads its ticket */
    assert_int_equal(parley_conn_get_session(p.client, sess, 4096, sl), PARLEY_OK);
    free_pair(&p);
}

/* Offer sess to sc (the client has a certificate, in case sc asks for one):
 * 1 resumed, 0 full handshake, -1 the handshake failed. */
static int offer(parley_config *sc, int version, const uint8_t *sess, size_t sl)
{
    pair p;
    parley_config_ref(sc);
    make_pair(&p, client(version, 1), sc, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    int rc = pair_handshake(&p, NULL, NULL) == 0 ? parley_conn_resumed(p.server) : -1;
    if (rc >= 0) {
        assert_int_equal(parley_conn_resumed(p.client), rc);
        exchange(&p, p.client, p.server, "after");
    }
    free_pair(&p);
    return rc;
}

/* The cache key the client's session stands for: its TLS 1.2 session id or
 * its TLS 1.3 ticket (a key into the cache with sealed tickets off). */
static void cache_key(const uint8_t *sess, size_t sl, uint8_t *id, size_t *idlen)
{
    pl_session s;
    assert_int_equal(pl_session_decode(sess, sl, &s), 0);
    *idlen = s.version == PARLEY_TLS1_2 ? s.id_len : s.ticket_len;
    assert_int_equal(*idlen, 32);
    memcpy(id, s.version == PARLEY_TLS1_2 ? s.id : s.ticket, *idlen);
}

static const char *vname(int version) { return version == PARLEY_TLS1_2 ? "TLS 1.2" : "TLS 1.3"; }

/* ------------------------------------------------ (a) nothing readable */

/* No stored value holds the session's secret (the TLS 1.2 master secret, the
 * TLS 1.3 resumption PSK) or any 8 bytes of it. */
static void test_no_plaintext_secret(void **state)
{
    (void)state;
    for (int async = 0; async < 2; async++) {
        for (int v = 0; v < 2; v++) {
            int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
            see_cache cache;
            cache_init(&cache, async);
            parley_config *sc = server(&cache, 0x11, 0);
            uint8_t sess[4096];
            size_t sl;
            full(sc, version, sess, &sl);
            assert_int_equal(cache.stores, 1);
            pl_session s;
            assert_int_equal(pl_session_decode(sess, sl, &s), 0);
            assert_true(s.secret_len >= 32);
            for (size_t off = 0; off + 8 <= s.secret_len; off++)
                if (memmem(cache.last.val, cache.last.vlen, s.secret + off, 8))
                    fail_msg("%s: the cached value holds the session secret in the clear (bytes %zu..%zu)", vname(version), off,
                             off + 7);
            /* ...nor is it a session encoding anyone could read. */
            assert_null(memmem(cache.last.val, cache.last.vlen, "PLS", 3));
            /* The value is good: it resumes. */
            assert_int_equal(offer(sc, version, sess, sl), 1);
            parley_config_free(sc);
        }
    }
}

/* ------------------------------------------------ (b) tampering */

/* Every byte of the stored value flipped in turn, against a server of the
 * same fleet that requires client certificates: never resumed (a session made
 * without one must not become one that had it: the client_auth flag), never
 * an error: each is a full handshake (with the client's certificate). */
static void test_flipped_bytes(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
        see_cache cache;
        cache_init(&cache, v); /* TLS 1.3 through fetch_start, TLS 1.2 through fetch */
        parley_config *plain = server(&cache, 0x22, 0), *strict = server(&cache, 0x22, 1);
        uint8_t sess[4096], id[32];
        size_t sl, idlen;
        full(plain, version, sess, &sl);
        cache_key(sess, sl, id, &idlen);
        slot orig = cache.last;
        int resumed = 0, failed = 0, first_bad = -1;
        for (size_t i = 0; i < orig.vlen; i++) {
            uint8_t val[4096];
            memcpy(val, orig.val, orig.vlen);
            val[i] ^= 0x01;
            put(&cache, id, idlen, val, orig.vlen); /* again each time: a TLS 1.3 cache ticket is single-use */
            int r = offer(strict, version, sess, sl);
            if (r != 0 && first_bad < 0) first_bad = (int)i;
            resumed += r == 1;
            failed += r < 0;
        }
        if (resumed || failed)
            fail_msg("%s: of %zu values with one byte flipped, %d resumed and %d failed the handshake (first: byte %d)", vname(version),
                     orig.vlen, resumed, failed, first_bad);
        /* The untouched value still resumes on the server that does not
         * require a certificate, and is refused by the one that does. */
        put(&cache, id, idlen, orig.val, orig.vlen);
        assert_int_equal(offer(strict, version, sess, sl), 0);
        put(&cache, id, idlen, orig.val, orig.vlen);
        assert_int_equal(offer(plain, version, sess, sl), 1);
        parley_config_free(plain);
        parley_config_free(strict);
    }
}

/* A value sealed by a server with other ticket keys is a miss; a server with
 * the same keys (another host of the fleet) opens it. */
static void test_other_key(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
        see_cache cache;
        cache_init(&cache, 0);
        parley_config *a = server(&cache, 0x33, 0), *a2 = server(&cache, 0x33, 0), *other = server(&cache, 0x44, 0);
        uint8_t sess[4096];
        size_t sl;
        full(other, version, sess, &sl);
        slot orig = cache.last;
        if (offer(a, version, sess, sl) != 0) fail_msg("%s: a value sealed under another key was not a miss", vname(version));
        put(&cache, orig.id, orig.idlen, orig.val, orig.vlen);
        full(a, version, sess, &sl);
        assert_int_equal(offer(a2, version, sess, sl), 1);
        parley_config_free(a);
        parley_config_free(a2);
        parley_config_free(other);
    }
}

/* The client's session, under another cache key (its session id or ticket). */
static void rekey_session(uint8_t *sess, size_t *sl, const uint8_t *id)
{
    pl_session s;
    pl_buf b = {0};
    assert_int_equal(pl_session_decode(sess, *sl, &s), 0);
    memcpy(s.version == PARLEY_TLS1_2 ? s.id : s.ticket, id, 32);
    assert_int_equal(pl_session_encode(&s, &b), 0);
    memcpy(sess, b.data, b.len);
    *sl = b.len;
    pl_buf_free(&b);
}

/* A value moved to another id: neither the owner of the other session nor
 * the owner of the moved one resumes with it. */
static void test_moved_value(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
        see_cache cache;
        cache_init(&cache, 0);
        parley_config *sc = server(&cache, 0x55, 0);
        uint8_t s1[4096], s2[4096], id1[32], id2[32];
        size_t l1, l2, idlen;
        full(sc, version, s1, &l1);
        slot v1 = cache.last;
        full(sc, version, s2, &l2);
        cache_key(s1, l1, id1, &idlen);
        cache_key(s2, l2, id2, &idlen);
        /* Session 1's value under id 2, offered by the holder of session 2... */
        put(&cache, id2, idlen, v1.val, v1.vlen);
        int r = offer(sc, version, s2, l2);
        if (r != 0) fail_msg("%s: a value moved to another id, offered with that id's session: %s", vname(version), r > 0 ? "resumed" : "handshake failed");
        /* ...and by the holder of session 1 under id 2. */
        put(&cache, id2, idlen, v1.val, v1.vlen);
        rekey_session(s1, &l1, id2);
        r = offer(sc, version, s1, l1);
        if (r != 0) fail_msg("%s: a value moved to another id, offered with its own secret: %s", vname(version), r > 0 ? "resumed" : "handshake failed");
        parley_config_free(sc);
    }
}

/* ------------------------------------------------ (c) forgery */

/* A session encoded in the clear (the format the cache held before values
 * were sealed) with client_auth set and a secret the forger knows, written
 * into the cache with a matching client session: a full handshake. */
/* A faulty cache that reports more bytes than the buffer it was given:
 * the length is not trusted (a read past the buffer before; ASan sees it). */
static void test_cache_length_lie(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
        see_cache cache;
        cache_init(&cache, 0);
        parley_config *sc = server(&cache, 0x77, 0);
        uint8_t sess[4096];
        size_t sl;
        full(sc, version, sess, &sl);
        cache.lie = 4096;
        assert_int_equal(offer(sc, version, sess, sl), 0);
        parley_config_free(sc);
    }
}

static void test_forged_plaintext(void **state)
{
    (void)state;
    for (int async = 0; async < 2; async++) {
        for (int v = 0; v < 2; v++) {
            int version = v ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
            see_cache cache;
            cache_init(&cache, async);
            parley_config *strict = server(&cache, 0x66, 1);
            pl_session s;
            memset(&s, 0, sizeof s);
            uint64_t now = (uint64_t)time(NULL);
            uint8_t id[32];
            memset(id, 0xA5, sizeof id);
            s.version = (uint16_t)version;
            s.suite = version == PARLEY_TLS1_2 ? 0xC02B /* ECDHE_ECDSA_AES_128_GCM_SHA256 */ : 0x1301 /* AES_128_GCM_SHA256 */;
            s.ems = version == PARLEY_TLS1_2;
            s.secret_len = version == PARLEY_TLS1_2 ? 48 : 32;
            memset(s.secret, 0x5A, s.secret_len);
            s.created = now;
            s.lifetime = 3600;
            s.issued_ms = now * 1000;
            s.age_add = 12345;
            s.client_auth = 1;
            strcpy(s.sni, "localhost");
            if (version == PARLEY_TLS1_2) {
                memcpy(s.id, id, 32);
                s.id_len = 32;
            }
            /* The trust identities are digests of public data (the CA
             * certificates and the policy), so a forger can compute them: the
             * forged value carries the right ones, and only the sealing can
             * keep it out. */
            parley_config *probe = client(version, 1);
            assert_int_equal(pl_config_freeze(strict, 0), 0);
            assert_int_equal(pl_config_freeze(probe, 1), 0);
            memcpy(s.trust, strict->client_trust_id, 32);
            pl_buf server_val = {0}, client_sess = {0};
            assert_int_equal(pl_session_encode(&s, &server_val), 0);
            memcpy(s.trust, probe->trust_id, 32);
            parley_config_free(probe);
            put(&cache, id, 32, server_val.data, server_val.len);
            if (version == PARLEY_TLS1_3) {
                memcpy(s.ticket, id, 32);
                s.ticket_len = 32;
            }
            assert_int_equal(pl_session_encode(&s, &client_sess), 0);
            int r = offer(strict, version, client_sess.data, client_sess.len);
            if (r != 0)
                fail_msg("%s%s: a forged session in the cache: %s", vname(version), async ? " (fetch_start)" : "",
                         r > 0 ? "resumed, with client_auth, without a client certificate" : "handshake failed");
            pl_buf_free(&server_val);
            pl_buf_free(&client_sess);
            parley_config_free(strict);
        }
    }
}

/* ------------------------------------------------ tickets and cache values apart */

/* One ring seals both, but a ticket never opens as a cache value nor a cache
 * value as a ticket, even with an empty id (where only the derived key tells
 * them apart); a cache value opens under its own id only, and under any key
 * of the ring (so rotation keeps it). */
static void test_kinds_apart(void **state)
{
    (void)state;
    static const uint8_t plain[] = "PLS\x03 pretend session";
    uint8_t id[32], other[32];
    memset(id, 7, sizeof id);
    memset(other, 8, sizeof other);
    pl_ticket_ring r;
    assert_int_equal(pl_ticket_ring_generate(&r), 0);
    pl_buf ticket = {0}, value = {0}, empty_id = {0}, out = {0};
    assert_int_equal(pl_seal(&r, PL_SEAL_TICKET, NULL, 0, plain, sizeof plain, &ticket), 0);
    assert_int_equal(pl_seal(&r, PL_SEAL_CACHE, id, sizeof id, plain, sizeof plain, &value), 0);
    assert_int_equal(pl_seal(&r, PL_SEAL_CACHE, NULL, 0, plain, sizeof plain, &empty_id), 0);
    assert_int_equal(pl_open(&r, PL_SEAL_TICKET, NULL, 0, ticket.data, ticket.len, &out), 0);
    assert_memory_equal(out.data, plain, sizeof plain);
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, id, sizeof id, value.data, value.len, &out), 0);
    assert_memory_equal(out.data, plain, sizeof plain);
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, NULL, 0, empty_id.data, empty_id.len, &out), 0);
    /* Across kinds: never. */
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, NULL, 0, ticket.data, ticket.len, &out), -1);
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, id, sizeof id, ticket.data, ticket.len, &out), -1);
    assert_int_equal(pl_open(&r, PL_SEAL_TICKET, NULL, 0, empty_id.data, empty_id.len, &out), -1);
    assert_int_equal(pl_open(&r, PL_SEAL_TICKET, NULL, 0, value.data, value.len, &out), -1);
    /* Another id, or a shorter one: never. */
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, other, sizeof other, value.data, value.len, &out), -1);
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, id, 16, value.data, value.len, &out), -1);
    assert_int_equal(out.len, 0);
    /* Rotated twice: the key that sealed it is now third in the ring and still opens it. */
    assert_int_equal(pl_ticket_ring_rotate(&r, r.made + 10, 1), 0);
    assert_int_equal(pl_ticket_ring_rotate(&r, r.made + 10, 1), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(pl_open(&r, PL_SEAL_CACHE, id, sizeof id, value.data, value.len, &out), 0);
    pl_buf_free(&ticket);
    pl_buf_free(&value);
    pl_buf_free(&empty_id);
    pl_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_plaintext_secret), cmocka_unit_test(test_flipped_bytes), cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_moved_value),         cmocka_unit_test(test_forged_plaintext), cmocka_unit_test(test_cache_length_lie), cmocka_unit_test(test_kinds_apart),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
