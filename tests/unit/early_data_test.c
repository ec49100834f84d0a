/* early_data_test.c - TLS 1.3 0-RTT on the server, in raw bytes (RFC 8446
 * 2.3, 4.2.10, 4.5, 8): a ClientHello from a Parley client gets early_data
 * and a pre_shared_key for a ticket the server issued, with binders the test
 * computes; early data goes under client_early_traffic_secret derived here
 * (so the key schedule is checked too); the server's flight is opened with
 * its key log; EndOfEarlyData and Finished are the test's. Accept, every
 * condition of 4.2.10 that rejects, replay, fail closed, the size limit and
 * EndOfEarlyData missing, with a body, under the wrong key or in plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "mitm.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Every server config shares one ticket key: a ticket from one opens on another. */
static const uint8_t TKEY[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};

typedef struct {
    char line[8][256];
    int n;
} keylog;
static void kl_cb(void *arg, const char *line)
{
    keylog *k = arg;
    snprintf(k->line[k->n++ % 8], sizeof k->line[0], "%s", line);
}
/* The secret of the latest line with `label`. */
static size_t kl_get(const keylog *k, const char *label, uint8_t *out)
{
    size_t ll = strlen(label);
    for (int i = 0; i < k->n && i < 8; i++) {
        const char *l = k->line[(k->n - 1 - i) % 8];
        if (!strncmp(l, label, ll) && l[ll] == ' ') return hex_decode(l + ll + 66, out, 64);
    }
    fail_msg("no %s in the key log", label);
    return 0;
}

typedef struct {
    uint32_t max_early;
    const char *alpn, *ciphers, *groups;
    parley_session_cache *cache;
    int no_cache;
} srv_opts;

static keylog g_kl;
static parley_config *ed_server(const srv_opts *o)
{
    parley_config *c = server_cfg("ec256");
    assert_int_equal(parley_config_set_ticket_keys(c, TKEY, 1), PARLEY_OK);
    if (o->max_early) assert_int_equal(parley_config_set_max_early_data(c, o->max_early), PARLEY_OK);
    if (o->alpn) assert_int_equal(parley_config_set_alpn(c, o->alpn), PARLEY_OK);
    if (o->ciphers) assert_int_equal(parley_config_set_ciphers(c, o->ciphers), PARLEY_OK);
    if (o->groups) assert_int_equal(parley_config_set_groups(c, o->groups), PARLEY_OK);
    if (o->cache || o->no_cache) assert_int_equal(parley_config_set_session_cache(c, o->cache), PARLEY_OK);
    assert_int_equal(parley_config_set_keylog(c, kl_cb, &g_kl), PARLEY_OK);
    return c;
}
static parley_config *ed_client(const char *alpn)
{
    parley_config *c = client_cfg("ec256");
    if (alpn) assert_int_equal(parley_config_set_alpn(c, alpn), PARLEY_OK);
    return c;
}

/* A ticket from a full handshake with sc (reference kept by the caller). */
static void get_ticket(parley_config *sc, const char *calpn, pl_session *s)
{
    pair p;
    uint8_t blob[4096];
    size_t bl = 0;
    parley_config_ref(sc);
    make_pair(&p, ed_client(calpn), sc, "localhost");
    handshake_ok(&p, "full handshake");
    exchange(&p, p.server, p.client, "ticket");
    assert_int_equal(parley_conn_get_session(p.client, blob, sizeof blob, &bl), PARLEY_OK);
    assert_int_equal(pl_session_decode(blob, bl, s), 0);
    free_pair(&p);
}

/* The raw client's state. */
typedef struct {
    int hash, aead;
    size_t hl;
    pl_buf transcript;  /* handshake messages so far */
    pl_rec_keys ew;     /* early write keys */
    uint8_t c_early[PL_MAX_HASH];
    uint8_t rec[8192];  /* the first flight: ClientHello record, then early data */
    size_t rec_len;
    int ee_early;       /* the server's EncryptedExtensions had early_data */
} ed;

typedef struct {
    const char *sni, *calpn;
    int bogus_first;    /* a bogus identity before the ticket's */
    int age_shift_ms;
} hello_opts;

/* ClientHello of a Parley client, then early_data and the PSK of s. */
static void ed_hello(ed *e, const pl_session *s, const hello_opts *o)
{
    uint8_t out[4096], b[4096], zeros[PL_MAX_HASH] = {0};
    parley_config *cc = ed_client(o->calpn);
    parley_conn *c = parley_conn_new_client(cc, o->sni ? o->sni : "localhost");
    parley_config_free(cc); /* the connection holds it */
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, out, sizeof out);
    parley_conn_free(c);
    assert_true(n > 9 && out[0] == 22 && out[5] == 1 && get16(out + 3) == n - 5);
    const uint8_t *body = out + 9;
    size_t at = ch_ext_at(body), elen = get16(body + at);
    memset(e, 0, sizeof *e);
    int aead, hash;
    assert_true(pl_suite_params(s->suite, &aead, &hash));
    e->hash = hash, e->aead = aead, e->hl = pl_hash_len(hash);
    /* Extensions: the client's, early_data, pre_shared_key last (4.2.11). */
    size_t l = 0, nid = o->bogus_first ? 2 : 1;
    memcpy(b, body, at + 2 + elen);
    l = at + 2 + elen;
    put16(b + l, 42), put16(b + l + 2, 0), l += 4;
    size_t psk_at = l, ids_len = 0;
    put16(b + l, 41), l += 4;
    size_t ids_at = l;
    l += 2;
    if (o->bogus_first) {
        put16(b + l, 32), memset(b + l + 2, 0xee, 32), memset(b + l + 34, 0, 4), l += 38;
    }
    uint32_t age = (uint32_t)(pl_now_ms() - s->issued_ms) + s->age_add + (uint32_t)o->age_shift_ms;
    put16(b + l, s->ticket_len), memcpy(b + l + 2, s->ticket, s->ticket_len), l += 2 + s->ticket_len;
    b[l] = age >> 24, b[l + 1] = age >> 16, b[l + 2] = age >> 8, b[l + 3] = age, l += 4;
    ids_len = l - ids_at - 2;
    put16(b + ids_at, ids_len);
    size_t binders_at = l;
    put16(b + l, nid * (1 + e->hl)), l += 2;
    for (size_t i = 0; i < nid; i++) b[l] = (uint8_t)e->hl, memcpy(b + l + 1, zeros, e->hl), l += 1 + e->hl;
    put16(b + psk_at + 2, l - psk_at - 4);
    put16(b + at, l - at - 2);
    /* The message, its binder over the part before the binders (4.2.11.2). */
    uint8_t msg[4096], th[PL_MAX_HASH], binder[PL_MAX_HASH];
    msg[0] = 1, put24(msg + 1, l), memcpy(msg + 4, b, l);
    pl_ks13 ks;
    assert_int_equal(pl_ks13_init_psk(&ks, hash, s->secret, s->secret_len), 0);
    assert_int_equal(pl_hash(hash, msg, 4 + binders_at, th), 0);
    assert_int_equal(pl_ks13_binder(&ks, th, binder), 0);
    memcpy(msg + 4 + l - e->hl, binder, e->hl); /* the ticket's binder is the last */
    /* client_early_traffic_secret = Derive-Secret(early, "c e traffic", CH) (7.1). */
    assert_int_equal(pl_hash(hash, msg, 4 + l, th), 0);
    assert_int_equal(pl_ks13_derive_secret(hash, ks.secret, "c e traffic", th, e->c_early), 0);
    pl_ks13_wipe(&ks);
    assert_int_equal(pl_rec_install13(&e->ew, aead, hash, e->c_early, 1), 0);
    assert_int_equal(pl_buf_bytes(&e->transcript, msg, 4 + l), 0);
    e->rec[0] = 22, e->rec[1] = 3, e->rec[2] = 1, put16(e->rec + 3, 4 + l);
    memcpy(e->rec + 5, msg, 4 + l);
    e->rec_len = 9 + l;
}

/* Early data records appended to the first flight. */
static void ed_data(ed *e, const void *d, size_t n)
{
    pl_buf b = {0};
    assert_int_equal(pl_rec_seal13(&e->ew, &b, PL_CT_APPLICATION_DATA, d, n, 0), 0);
    assert_true(e->rec_len + b.len <= sizeof e->rec);
    memcpy(e->rec + e->rec_len, b.data, b.len);
    e->rec_len += b.len;
    pl_buf_free(&b);
}

static void ed_free(ed *e)
{
    pl_buf_free(&e->transcript);
    pl_rec_clear(&e->ew);
}

/* The server's flight (SH, CCS, then records under its handshake key):
 * messages into the transcript, EE's early_data noted. */
static void ed_server_flight(ed *e, parley_conn *srv)
{
    uint8_t out[16384], s_hs[PL_MAX_HASH];
    size_t n = conn_take(srv, out, sizeof out), off = 0;
    pl_rec_keys rk = {0};
    assert_int_equal(kl_get(&g_kl, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs), e->hl);
    assert_int_equal(pl_rec_install13(&rk, e->aead, e->hash, s_hs, 0), 0);
    while (off + 5 <= n) {
        size_t rl = get16(out + off + 3);
        uint8_t *p = out + off + 5, type = out[off];
        size_t pl = rl;
        if (type == 23) assert_int_equal(pl_rec_open13(&rk, out + off, p, rl, &type, &pl), 0);
        if (type == 22) assert_int_equal(pl_buf_bytes(&e->transcript, p, pl), 0);
        /* EncryptedExtensions: look for early_data (type 42, empty). */
        if (type == 22 && p[0] == 8)
            for (size_t i = 6; i + 4 <= pl; i += 4 + get16(p + i + 2))
                if (get16(p + i) == 42) e->ee_early = 1;
        off += 5 + rl;
    }
    pl_rec_clear(&rk);
}

enum { EOED_OK, EOED_NONE, EOED_BODY, EOED_HS_KEY, EOED_PLAIN, FIN_EARLY_KEY };
/* EndOfEarlyData (as `mode` says) and the client's Finished, to srv. */
static void ed_finish(ed *e, parley_conn *srv, int mode)
{
    static const uint8_t eoed[] = {5, 0, 0, 0}, eoed_body[] = {5, 0, 0, 1, 0};
    uint8_t c_hs[PL_MAX_HASH], th[PL_MAX_HASH], fin[4 + PL_MAX_HASH];
    pl_rec_keys hk = {0};
    pl_buf out = {0};
    assert_int_equal(kl_get(&g_kl, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c_hs), e->hl);
    assert_int_equal(pl_rec_install13(&hk, e->aead, e->hash, c_hs, 1), 0);
    if (mode == EOED_OK) assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, eoed, 4, 0), 0);
    if (mode == EOED_BODY) assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, eoed_body, 5, 0), 0);
    if (mode == EOED_HS_KEY) assert_int_equal(pl_rec_seal13(&hk, &out, 22, eoed, 4, 0), 0);
    if (mode == EOED_PLAIN) assert_int_equal(pl_rec_write_plain(&out, 22, eoed, 4), 0);
    if (mode != EOED_NONE) assert_int_equal(pl_buf_bytes(&e->transcript, eoed, 4), 0);
    assert_int_equal(pl_hash(e->hash, e->transcript.data, e->transcript.len, th), 0);
    fin[0] = 20, put24(fin + 1, e->hl);
    assert_int_equal(pl_ks13_finished(e->hash, c_hs, th, fin + 4), 0);
    assert_int_equal(pl_rec_seal13(mode == FIN_EARLY_KEY ? &e->ew : &hk, &out, 22, fin, 4 + e->hl, 0), 0);
    conn_feed(srv, out.data, out.len);
    pl_buf_free(&out);
    pl_rec_clear(&hk);
}

/* A server connection given the first flight: its handshake's first answer. */
static int ed_feed(parley_config *sc, const ed *e, parley_conn **srv)
{
    parley_config_ref(sc);
    *srv = parley_conn_new_server(sc);
    parley_config_free(sc);
    assert_non_null(*srv);
    conn_feed(*srv, e->rec, e->rec_len);
    return parley_conn_handshake(*srv);
}

/* ---------------------------------------------------------------- tests */

static void accepted(void **state)
{
    (void)state;
    srv_opts so = {.max_early = 1000};
    parley_config *sc = ed_server(&so);
    pl_session s;
    get_ticket(sc, NULL, &s);
    /* The server's ticket records its limit (RFC 8446 4.2.10). */
    pl_session in;
    assert_int_equal(pl_ticket_open_session(sc, s.ticket, s.ticket_len, &in), 1);
    assert_int_equal(in.max_early_data, 1000);
    ed e;
    hello_opts ho = {0};
    ed_hello(&e, &s, &ho);
    ed_data(&e, "GET /early", 10);
    ed_data(&e, " HTTP/1.1\r\n", 11);
    parley_conn *srv;
    assert_int_equal(ed_feed(sc, &e, &srv), PARLEY_EARLY_DATA);
    assert_int_equal(parley_conn_early_data_status(srv), PARLEY_EARLY_DATA_ACCEPTED);
    /* The key schedule agrees with ours, and the key log says so. */
    uint8_t logged[PL_MAX_HASH];
    assert_int_equal(kl_get(&g_kl, "CLIENT_EARLY_TRAFFIC_SECRET", logged), e.hl);
    assert_memory_equal(logged, e.c_early, e.hl);
    /* RFC 8446 2.3: the server's flight up to its Finished is out before the
     * early data is handed over; EncryptedExtensions says accepted (4.2.10). */
    ed_server_flight(&e, srv);
    assert_true(e.ee_early);
    assert_int_equal(e.transcript.data[e.transcript.len - 4 - e.hl], PL_HS_FINISHED);
    char got[64] = {0};
    size_t n = 0, total = 0;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got, 4, &n), PARLEY_OK); /* in pieces */
    total += n;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got + total, sizeof got - total, &n), PARLEY_OK);
    total += n;
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got, sizeof got, &n), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_handshake(srv), PARLEY_EARLY_DATA); /* the second record */
    assert_int_equal(parley_conn_read_early_data(srv, (uint8_t *)got + total, sizeof got - total, &n), PARLEY_OK);
    total += n;
    assert_string_equal(got, "GET /early HTTP/1.1\r\n");
    assert_int_equal(parley_conn_handshake(srv), PARLEY_WANT_READ); /* waiting for EndOfEarlyData */
    ed_finish(&e, srv, EOED_OK);
    assert_int_equal(parley_conn_handshake(srv), PARLEY_OK);
    assert_int_equal(parley_conn_resumed(srv), 1);
    assert_int_equal(parley_conn_early_data_status(srv), PARLEY_EARLY_DATA_ACCEPTED);
    parley_conn_free(srv);
    ed_free(&e);
    parley_config_free(sc);
}

/* The first flight to a fresh server connection of sc: the early data status
 * after the ClientHello, and the trace's reason in the error-free case. */
static int status_for(parley_config *sc, const pl_session *s, const hello_opts *ho)
{
    ed e;
    parley_conn *srv;
    ed_hello(&e, s, ho);
    ed_data(&e, "early", 5);
    int rc = ed_feed(sc, &e, &srv);
    int st = parley_conn_early_data_status(srv);
    /* Rejected: skipped, and the handshake goes on (RFC 8446 4.2.10). */
    if (st == PARLEY_EARLY_DATA_REJECTED) assert_int_equal(rc, PARLEY_WANT_READ);
    parley_conn_free(srv);
    ed_free(&e);
    return st;
}

static void rejected_each_condition(void **state)
{
    (void)state;
    pl_session s, s_alpn, s_none;
    hello_opts plain = {0};
    srv_opts so = {.max_early = 1000, .alpn = "h2,http/1.1"};
    parley_config *sc = ed_server(&so);
    get_ticket(sc, NULL, &s);
    get_ticket(sc, "http/1.1", &s_alpn);
    pl_session in;
    assert_int_equal(pl_ticket_open_session(sc, s_alpn.ticket, s_alpn.ticket_len, &in), 1);
    assert_string_equal(in.alpn, "http/1.1"); /* the ALPN of the full handshake is in the ticket */
    /* The control: each case below differs from an accepted one by one thing. */
    assert_int_equal(status_for(sc, &s, &plain), PARLEY_EARLY_DATA_ACCEPTED);
    hello_opts ho = {.calpn = "http/1.1"};
    assert_int_equal(status_for(sc, &s_alpn, &ho), PARLEY_EARLY_DATA_ACCEPTED);
    /* Another ALPN than the ticket's. */
    ho.calpn = "h2";
    assert_int_equal(status_for(sc, &s_alpn, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* Another server name: the PSK itself is not used. */
    ho = (hello_opts){.sni = "other.test"};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* The PSK is the second identity (4.2.10: only the first). */
    ho = (hello_opts){.bogus_first = 1};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* A ticket age outside the window (8.3). */
    ho = (hello_opts){.age_shift_ms = 60000};
    assert_int_equal(status_for(sc, &s, &ho), PARLEY_EARLY_DATA_REJECTED);
    /* Another suite with the same hash (the PSK is usable, 4.2.11). */
    srv_opts so2 = {.max_early = 1000, .alpn = "h2,http/1.1", .ciphers = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"};
    parley_config *sc2 = ed_server(&so2);
    assert_int_equal(status_for(sc2, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc2);
    /* A HelloRetryRequest is needed (no share for the server's only group). */
    srv_opts so3 = {.max_early = 1000, .alpn = "h2,http/1.1", .groups = "secp384r1"};
    parley_config *sc3 = ed_server(&so3);
    assert_int_equal(status_for(sc3, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc3);
    /* A ticket that allows no early data, on a server that now would. */
    srv_opts so4 = {.alpn = "h2,http/1.1"};
    parley_config *sc4 = ed_server(&so4);
    get_ticket(sc4, NULL, &s_none);
    assert_int_equal(pl_ticket_open_session(sc4, s_none.ticket, s_none.ticket_len, &in), 1);
    assert_int_equal(in.max_early_data, 0);
    assert_int_equal(status_for(sc, &s_none, &plain), PARLEY_EARLY_DATA_REJECTED);
    /* A server that accepts none now, with a ticket that allowed some. */
    assert_int_equal(status_for(sc4, &s, &plain), PARLEY_EARLY_DATA_REJECTED);
    parley_config_free(sc4);
    parley_config_free(sc);
}

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
    m->remove(m, id, idlen);
}
static int w_claim(parley_session_cache *self, const uint8_t *k, size_t kl, uint32_t life)
{
    (void)self, (void)k, (void)kl, (void)life;
    return g_claim_rc;
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

/* The failures after acceptance: more than max_early_data, and every wrong
 * EndOfEarlyData. `n` bytes of early data in records of at most 64. */
static void after_accept(int max, size_t n, int mode, int alert, const char *words)
{
    srv_opts so = {.max_early = (uint32_t)max};
    parley_config *sc = ed_server(&so);
    pl_session s;
    hello_opts ho = {0};
    get_ticket(sc, NULL, &s);
    ed e;
    ed_hello(&e, &s, &ho);
    uint8_t d[64];
    memset(d, 'x', sizeof d);
    for (size_t off = 0; off < n; off += 64) ed_data(&e, d, n - off < 64 ? n - off : 64);
    parley_conn *srv;
    int rc = ed_feed(sc, &e, &srv);
    while (rc == PARLEY_EARLY_DATA) {
        size_t got;
        while (parley_conn_read_early_data(srv, d, sizeof d, &got) == PARLEY_OK) {}
        rc = parley_conn_handshake(srv);
    }
    if (alert < 0 || mode >= 0) {
        assert_int_equal(rc, PARLEY_WANT_READ);
        ed_server_flight(&e, srv);
        ed_finish(&e, srv, mode);
        rc = parley_conn_handshake(srv);
    }
    if (alert < 0) {
        assert_int_equal(rc, PARLEY_OK);
    } else {
        assert_int_equal(rc, PARLEY_ERROR);
        if (!strstr(parley_conn_error_string(srv), words)) fail_msg("error \"%s\" lacks \"%s\"", parley_conn_error_string(srv), words);
        assert_int_equal(parley_conn_alert_sent(srv), alert);
    }
    parley_conn_free(srv);
    ed_free(&e);
    parley_config_free(sc);
}

static void limit_and_end_of_early_data(void **state)
{
    (void)state;
    after_accept(300, 300, EOED_OK, -1, "");                                              /* exactly the limit */
    after_accept(300, 301, -1, PL_ALERT_UNEXPECTED_MESSAGE, "more early data than max_early_data_size");
    after_accept(300, 10, EOED_BODY, PL_ALERT_DECODE_ERROR, "EndOfEarlyData has a body");
    after_accept(300, 10, EOED_NONE, PL_ALERT_BAD_RECORD_MAC, "");                      /* Finished under the handshake key */
    after_accept(300, 10, EOED_HS_KEY, PL_ALERT_BAD_RECORD_MAC, "");
    after_accept(300, 10, EOED_PLAIN, PL_ALERT_UNEXPECTED_MESSAGE, "unprotected record");
    after_accept(300, 10, FIN_EARLY_KEY, PL_ALERT_UNEXPECTED_MESSAGE, "while waiting for EndOfEarlyData");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(rejected_each_condition),
        cmocka_unit_test(replay_refused),
        cmocka_unit_test(fail_closed),
        cmocka_unit_test(limit_and_end_of_early_data),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
