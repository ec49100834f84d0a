/*
 * ems_test.c - TLS 1.2 without the extended master secret (RFC 7627), in
 * memory, both roles.
 *
 * A Parley client always offers EMS, so a peer "without EMS" is made on the
 * wire: the client's ClientHello has its extended_master_secret extension
 * (00 17 00 00) renamed to a GREASE type (0a 0a 00 00, RFC 8701: ignored)
 * in flight, and the same bytes are changed in the client's own transcript
 * (still buffered: the hash is chosen at ServerHello), so both sides hash the
 * ClientHello the server saw. The server then answers without EMS and both
 * derive the legacy master secret; the handshake completes only if both
 * sides agree on that.
 *
 * Covered: the full handshake without EMS in both roles (ECDHE, DHE, RSA);
 * no session id, no cache store, no ticket and no client session for it;
 * a non-EMS session (made by an older build) offered by id or by ticket is
 * not resumed; an EMS session offered without EMS is handshake_failure on
 * the server (RFC 7627 5.3); a server resuming without EMS is
 * handshake_failure on the client; require_ems on either side refuses; the
 * exporter rule; the default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "helpers.h"
#include "session/session.h"
#include "session/ticket.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30);
}

/* ------------------------------------------------------------ wire tools */

/* ec_point_formats, extended_master_secret, renegotiation_info as a Parley
 * ClientHello carries them (client13.c). */
static const uint8_t ext12[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};

/* Rename extended_master_secret to GREASE in b[0..n): 1 if found. */
static int rename_ems(uint8_t *b, size_t n)
{
    for (size_t i = 0; i + sizeof ext12 <= n; i++)
        if (memcmp(b + i, ext12, sizeof ext12) == 0) {
            b[i + 6] = 0x0a;
            b[i + 7] = 0x0a;
            return 1;
        }
    return 0;
}

typedef struct {
    pair *p;
    int strip_ems;        /* the ClientHello goes without EMS */
    int ems_to_ticket;    /* the ServerHello's EMS extension becomes session_ticket */
    int stripped;         /* done */
    /* What the server sent, from its plaintext records. */
    int sh_seen, sh_sid_len, sh_ems, sh_ticket_ext, nst_seen, ccs_seen;
} wire;

/* The server's plaintext flight: ServerHello fields, a NewSessionTicket. */
static void scan_server(wire *w, uint8_t *b, size_t n)
{
    for (size_t r = 0; r + 5 <= n;) {
        size_t rl = (size_t)b[r + 3] << 8 | b[r + 4];
        if (r + 5 + rl > n) return;
        if (b[r] == 20) w->ccs_seen = 1;
        for (size_t m = r + 5; b[r] == 22 && !w->ccs_seen && m + 4 <= r + 5 + rl;) {
            size_t ml = (size_t)b[m + 1] << 16 | (size_t)b[m + 2] << 8 | b[m + 3];
            if (b[m] == 4) w->nst_seen = 1;
            if (b[m] == 2) {
                /* type(1) len(3) version(2) random(32) session_id<0..32> suite(2) comp(1) exts<..> */
                size_t o = m + 4 + 2 + 32;
                w->sh_seen = 1;
                w->sh_sid_len = b[o];
                o += 1 + b[o] + 3;
                size_t end = o + 2 + ((size_t)b[o] << 8 | b[o + 1]);
                for (o += 2; o + 4 <= end;) {
                    uint16_t t = (uint16_t)(b[o] << 8 | b[o + 1]);
                    size_t el = (size_t)b[o + 2] << 8 | b[o + 3];
                    if (t == 0x0017) {
                        w->sh_ems = 1;
                        if (w->ems_to_ticket) b[o + 1] = 0x23; /* extended_master_secret -> session_ticket */
                    }
                    if (t == 0x0023) w->sh_ticket_ext = 1;
                    o += 4 + el;
                }
            }
            m += 4 + ml;
        }
        r += 5 + rl;
    }
}

static void tamper(void *arg, int dir, uint8_t *b, size_t n)
{
    wire *w = arg;
    if (dir == 1) {
        scan_server(w, b, n);
        return;
    }
    if (!w->strip_ems || w->stripped || n < 6 || b[0] != 22 || b[5] != 1) return;
    /* The ClientHello on the wire, and the same bytes in the client's transcript. */
    pl_transcript *t = &w->p->client->hs->transcript;
    assert_true(rename_ems(b, n));
    assert_true(rename_ems(t->pending.data, t->pending.len));
    if (t->keep_raw) assert_true(rename_ems(t->raw.data, t->raw.len));
    w->stripped = 1;
}

/* A TLS 1.2-only client; sessions offered with `sess` when given. */
static parley_config *client12(void)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    return cc;
}

/* A pair between the configs (references taken) with the client offering
 * sess, not yet started. */
static void pair_offering(pair *p, parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl)
{
    parley_config_ref(cc);
    parley_config_ref(sc);
    make_pair(p, cc, sc, "localhost");
    if (sess) assert_int_equal(parley_conn_set_session(p->client, sess, sl), PARLEY_OK);
}

/* One connection between the two configs (references taken): 0 when both
 * handshakes complete. The pair stays open for the caller's checks. */
static int run_conn(pair *p, wire *w, parley_config *cc, parley_config *sc, int strip, const uint8_t *sess, size_t sl)
{
    memset(w, 0, sizeof *w);
    pair_offering(p, cc, sc, sess, sl);
    w->p = p;
    w->strip_ems = strip;
    p->tamper = tamper;
    p->tamper_arg = w;
    int rc = pair_handshake(p, NULL, NULL);
    if (strip) assert_true(w->stripped);
    return rc;
}

/* A full EMS handshake between the configs (references taken): the
 * client's session blob in sess (room for cap), its length returned. */
static size_t ems_session(parley_config *cc, parley_config *sc, uint8_t *sess, size_t cap)
{
    pair p;
    wire w;
    size_t sl = 0;
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
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

static void test_default_does_not_require_ems(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    assert_int_equal(cfg->require_ems, 0);
    assert_int_equal(parley_config_require_ems(cfg, 1), PARLEY_OK);
    assert_int_equal(cfg->require_ems, 1);
    parley_config_free(cfg);
}

/* RFC 7627 / RFC 5246 8.1: without EMS both sides derive the legacy master
 * secret and the handshake completes, in every key exchange; both report
 * ems 0 and refuse keying material export (RFC 7627 5.4). */
static void test_full_handshake_without_ems(void **state)
{
    (void)state;
    static const struct {
        const char *suite, *cert;
        int rsa;
    } cases[] = {
        {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ec256", 0},
        {"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "rsa2048", 0},
        {"TLS_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int strip = 1; strip >= 0; strip--) {
            pair p;
            wire w;
            parley_config *cc = client_cfg(cases[i].cert), *sc = server_cfg(cases[i].cert);
            assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
            assert_int_equal(parley_config_set_ciphers(cc, cases[i].suite), PARLEY_OK);
            assert_int_equal(parley_config_allow_rsa_kx(cc, cases[i].rsa), PARLEY_OK);
            assert_int_equal(parley_config_allow_rsa_kx(sc, cases[i].rsa), PARLEY_OK);
            int rc = run_conn(&p, &w, cc, sc, strip, NULL, 0);
            if (rc != 0) fprintf(stderr, "%s strip=%d: client: %s / server: %s\n", cases[i].suite, strip,
                                 parley_conn_error_string(p.client), parley_conn_error_string(p.server));
            assert_int_equal(rc, 0);
            assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
            assert_string_equal(parley_cipher_name(parley_conn_cipher(p.server)), cases[i].suite);
            assert_int_equal(w.sh_ems, !strip);
            assert_int_equal(parley_conn_ems(p.client), !strip);
            assert_int_equal(parley_conn_ems(p.server), !strip);
            assert_int_equal(pl_conn_export_allowed(p.client), !strip);
            assert_int_equal(pl_conn_export_allowed(p.server), !strip);
            exchange(&p, p.client, p.server, "legacy master secret, both ways");
            exchange(&p, p.server, p.client, "and back");
            free_pair(&p);
            parley_config_free(cc);
            parley_config_free(sc);
        }
    }
}

/* TLS 1.3 always allows export. */
static void test_export_allowed_tls13(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pl_conn_export_allowed(p.client), 0); /* not before the handshake */
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_3);
    assert_int_equal(pl_conn_export_allowed(p.client), 1);
    assert_int_equal(pl_conn_export_allowed(p.server), 1);
    free_pair(&p);
}

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
    /* With EMS: id, store, ticket; the session is resumable. */
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(w.sh_sid_len, 32);
    assert_int_equal(w.sh_ticket_ext, 1);
    assert_int_equal(w.nst_seen, 1);
    assert_int_equal(cache.stores, 1);
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    /* Without EMS, offering that session (the hello without EMS cannot
     * resume it: handshake_failure, tested below), so a fresh client. */
    assert_int_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(parley_conn_ems(p.server), 0);
    assert_int_equal(w.sh_seen, 1);
    assert_int_equal(w.sh_sid_len, 0);
    assert_int_equal(w.sh_ticket_ext, 0);
    assert_int_equal(w.nst_seen, 0);
    assert_int_equal(cache.stores, 1);
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
        assert_int_equal(parley_conn_alert_sent(p.server), 40);
        assert_non_null(strstr(parley_conn_error_string(p.server),
                               "client offers a session made with the extended master secret but does not send the extension (RFC 7627 5.3)"));
        assert_int_equal(parley_conn_alert_received(p.client), 40);
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
    memset(&w, 0, sizeof w);
    pair_offering(&p, cc, sc, sess, sl);
    w.p = &p;
    w.ems_to_ticket = 1;
    p.tamper = tamper;
    p.tamper_arg = &w;
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
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

/* No serialised form of a non-EMS TLS 1.2 session: encoding refuses it. */
static void test_encode_refuses_non_ems(void **state)
{
    (void)state;
    pl_session s = {.version = 0x0303, .suite = 0xc02b, .ems = 0, .secret_len = 48, .created = 1700000000, .lifetime = 60};
    pl_buf b = {0};
    assert_int_not_equal(pl_session_encode(&s, &b), 0);
    assert_int_equal(b.len, 0);
    assert_non_null(strstr(pl_last_message(), "not resumable (RFC 7627 5.4)"));
    pl_clear_error();
    s.ems = 1;
    assert_int_equal(pl_session_encode(&s, &b), 0);
    pl_buf_free(&b);
    /* TLS 1.3 has no EMS extension: its sessions are always resumable. */
    pl_session t = {.version = 0x0304, .suite = 0x1301, .secret_len = 32, .created = 1700000000, .lifetime = 60};
    assert_int_equal(pl_session_encode(&t, &b), 0);
    pl_buf_free(&b);
}

/* require_ems (strict mode): the server refuses a ClientHello without EMS,
 * the client a ServerHello without it; handshake_failure and the reason. */
static void test_require_ems(void **state)
{
    (void)state;
    pair p;
    wire w;
    parley_config *cc = client12(), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_require_ems(sc, 1), PARLEY_OK);
    assert_int_not_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    assert_string_equal(parley_conn_error_string(p.server),
                        "client does not support the extended master secret (RFC 7627), which is required");
    assert_int_equal(w.sh_seen, 0);
    free_pair(&p);
    /* With EMS the strict server is happy. */
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(parley_conn_ems(p.server), 1);
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);

    cc = client12();
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_require_ems(cc, 1), PARLEY_OK);
    assert_int_not_equal(run_conn(&p, &w, cc, sc, 1, NULL, 0), 0);
    assert_int_equal(w.sh_seen, 1);
    assert_int_equal(w.sh_ems, 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 40);
    assert_string_equal(parley_conn_error_string(p.client),
                        "server does not support the extended master secret (RFC 7627), which is required");
    free_pair(&p);
    parley_config_free(cc);
    parley_config_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_does_not_require_ems),
        cmocka_unit_test(test_full_handshake_without_ems),
        cmocka_unit_test(test_export_allowed_tls13),
        cmocka_unit_test(test_non_ems_session_not_kept),
        cmocka_unit_test(test_offered_session_dropped_after_non_ems),
        cmocka_unit_test(test_non_ems_session_offered_is_full_handshake),
        cmocka_unit_test(test_ems_session_offered_without_ems_aborts),
        cmocka_unit_test(test_client_refuses_resumption_without_ems),
        cmocka_unit_test(test_client_refuses_non_ems_blob),
        cmocka_unit_test(test_encode_refuses_non_ems),
        cmocka_unit_test(test_require_ems),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
