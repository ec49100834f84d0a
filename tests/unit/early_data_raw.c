/* early_data_raw.c - see early_data_raw.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "early_data_raw.h"
#include "mitm.h"

int ed_setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Every server config shares one ticket key: a ticket from one opens on another. */
const uint8_t TKEY[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};

void kl_cb(void *arg, const char *line)
{
    keylog *k = arg;
    snprintf(k->line[k->n++ % 8], sizeof k->line[0], "%s", line);
}
/* The secret of the latest line with `label`. */
size_t kl_get(const keylog *k, const char *label, uint8_t *out)
{
    size_t ll = strlen(label);
    for (int i = 0; i < k->n && i < 8; i++) {
        const char *l = k->line[(k->n - 1 - i) % 8];
        if (!strncmp(l, label, ll) && l[ll] == ' ') return hex_decode(l + ll + 66, out, 64);
    }
    fail_msg("no %s in the key log", label);
    return 0;
}


keylog g_kl;
parley_config *ed_server(const srv_opts *o)
{
    parley_config *c = server_cfg("ec256");
    assert_int_equal(parley_config_set_ticket_keys(c, TKEY, 1), PARLEY_OK);
    if (o->max_early) assert_int_equal(parley_config_set_max_early_data(c, o->max_early), PARLEY_OK);
    if (o->alpn) assert_int_equal(parley_config_set_alpn(c, o->alpn), PARLEY_OK);
    if (o->ciphers) assert_int_equal(parley_config_set_ciphers(c, o->ciphers), PARLEY_OK);
    if (o->groups) assert_int_equal(parley_config_set_groups(c, o->groups), PARLEY_OK);
    if (o->cache || o->no_cache) assert_int_equal(parley_config_set_session_cache(c, o->cache), PARLEY_OK);
    if (o->stateful) assert_int_equal(parley_config_set_tickets(c, 0), PARLEY_OK);
    assert_int_equal(parley_config_set_keylog(c, kl_cb, &g_kl), PARLEY_OK);
    return c;
}
parley_config *ed_client(const char *alpn)
{
    parley_config *c = client_cfg("ec256");
    if (alpn) assert_int_equal(parley_config_set_alpn(c, alpn), PARLEY_OK);
    return c;
}

/* A ticket from a full handshake with sc (reference kept by the caller). */
void get_ticket(parley_config *sc, const char *calpn, pl_session *s)
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



/* ClientHello of a Parley client, then early_data and the PSK of s. */
void ed_hello(ed *e, const pl_session *s, const hello_opts *o)
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
void ed_data(ed *e, const void *d, size_t n)
{
    pl_buf b = {0};
    assert_int_equal(pl_rec_seal13(&e->ew, &b, PL_CT_APPLICATION_DATA, d, n, 0), 0);
    assert_true(e->rec_len + b.len <= sizeof e->rec);
    memcpy(e->rec + e->rec_len, b.data, b.len);
    e->rec_len += b.len;
    pl_buf_free(&b);
}

void ed_free(ed *e)
{
    pl_buf_free(&e->transcript);
    pl_rec_clear(&e->ew);
}

/* The server's flight (SH, CCS, then records under its handshake key):
 * messages into the transcript, EE's early_data noted. */
void ed_server_flight(ed *e, parley_conn *srv)
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

/* EndOfEarlyData (as `mode` says) and the client's Finished, to srv. */
void ed_finish(ed *e, parley_conn *srv, int mode)
{
    static const uint8_t eoed[] = {5, 0, 0, 0}, eoed_body[] = {5, 0, 0, 1, 0};
    uint8_t c_hs[PL_MAX_HASH], th[PL_MAX_HASH], fin[4 + PL_MAX_HASH];
    pl_rec_keys hk = {0};
    pl_buf out = {0};
    assert_int_equal(kl_get(&g_kl, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c_hs), e->hl);
    assert_int_equal(pl_rec_install13(&hk, e->aead, e->hash, c_hs, 1), 0);
    if (mode == ALERT_PLAIN) { /* a plaintext alert in the early-data phase */
        static const uint8_t alert[] = {2, 42};
        assert_int_equal(pl_rec_write_plain(&out, 21, alert, 2), 0);
        conn_feed(srv, out.data, out.len);
        pl_buf_free(&out);
        pl_rec_clear(&hk);
        return;
    }
    if (mode == EOED_OK) assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, eoed, 4, 0), 0);
    if (mode == EOED_BODY) assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, eoed_body, 5, 0), 0);
    if (mode == EOED_HS_KEY) assert_int_equal(pl_rec_seal13(&hk, &out, 22, eoed, 4, 0), 0);
    if (mode == EOED_PLAIN) assert_int_equal(pl_rec_write_plain(&out, 22, eoed, 4), 0);
    if (mode == DATA_AFTER_EOED) { /* application data under the handshake key */
        assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, eoed, 4, 0), 0);
        assert_int_equal(pl_rec_seal13(&hk, &out, 23, (const uint8_t *)"late", 4, 0), 0);
    }
    if (mode != EOED_NONE) assert_int_equal(pl_buf_bytes(&e->transcript, eoed, 4), 0);
    assert_int_equal(pl_hash(e->hash, e->transcript.data, e->transcript.len, th), 0);
    fin[0] = 20, put24(fin + 1, e->hl);
    assert_int_equal(pl_ks13_finished(e->hash, c_hs, th, fin + 4), 0);
    if (mode == EOED_CONCAT) { /* EndOfEarlyData and Finished in one early-key record */
        uint8_t both[4 + 4 + PL_MAX_HASH];
        memcpy(both, eoed, 4);
        memcpy(both + 4, fin, 4 + e->hl);
        assert_int_equal(pl_rec_seal13(&e->ew, &out, 22, both, 8 + e->hl, 0), 0);
    } else
        assert_int_equal(pl_rec_seal13(mode == FIN_EARLY_KEY ? &e->ew : &hk, &out, 22, fin, 4 + e->hl, 0), 0);
    conn_feed(srv, out.data, out.len);
    pl_buf_free(&out);
    pl_rec_clear(&hk);
}

/* A server connection given the first flight: its handshake's first answer. */
int ed_feed(parley_config *sc, const ed *e, parley_conn **srv)
{
    parley_config_ref(sc);
    *srv = parley_conn_new_server(sc);
    parley_config_free(sc);
    assert_non_null(*srv);
    conn_feed(*srv, e->rec, e->rec_len);
    return parley_conn_handshake(*srv);
}

/* The first flight to a fresh server connection of sc: the early data status
 * after the ClientHello, and the trace's reason in the error-free case. */
int status_for(parley_config *sc, const pl_session *s, const hello_opts *ho)
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

