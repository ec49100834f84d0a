/* rawrec.c - see rawrec.h. */
#include "rawrec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

void pair_new(pair *p, uint16_t v)
{
    make_pair(p, only_version(client_cfg("ec256"), v), server_cfg("ec256"), "localhost");
}

void pair_after_client_hello(pair *p, uint16_t v)
{
    pair_new(p, v);
    assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
    pair_pump(p);
    assert_int_equal(parley_conn_handshake(p->server), PARLEY_WANT_READ);
}

parley_conn *plaintext_receiver(pair *p, uint16_t v, int server)
{
    if (v != PARLEY_TLS1_2) {
        pair_new(p, v);
        assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
        return server ? p->server : p->client;
    }
    pair_after_client_hello(p, v);
    if (server) {
        drop_output(p->server);
        return p->server;
    }
    feed_recs(p->server, p->client, 0, 1); /* the ServerHello */
    return p->client;
}

/* Runs c (its handshake, then reads): the result; the bytes read in *got. */
int drive(parley_conn *c, size_t *got)
{
    static uint8_t b[1 << 16];
    size_t n, total = 0;
    int rc = PARLEY_OK;
    if (!c->hs_done) rc = parley_conn_handshake(c);
    if (rc == PARLEY_OK)
        while ((rc = parley_conn_read(c, b, sizeof b, &n)) == PARLEY_OK) total += n;
    if (got) *got = total;
    return rc;
}

/* A completed handshake, and everything sent delivered and read (tickets):
 * the next record either side gets is the test's. */
void pair_done(pair *p, uint16_t v)
{
    pair_new(p, v);
    assert_int_equal(pair_handshake(p, NULL, NULL), 0);
    do {
        assert_int_equal(drive(p->client, NULL), PARLEY_WANT_READ);
        assert_int_equal(drive(p->server, NULL), PARLEY_WANT_READ);
    } while (pair_pump(p));
    assert_int_equal(p->qlen[0] + p->qlen[1], 0);
}

size_t rec_len(const uint8_t *r) { return PL_REC_HEADER + (((size_t)r[3] << 8) | r[4]); }

/* Offset of record idx in the connection's pending output (-1: the last). */
size_t out_rec(parley_conn *c, int idx, const uint8_t **d)
{
    size_t n, off = 0, last = 0;
    parley_conn_pending_output(c, d, &n);
    assert_true(n >= PL_REC_HEADER);
    for (int i = 0; off < n; i++) {
        if (i == idx) return off;
        last = off;
        off += rec_len(*d + off);
    }
    assert_int_equal(off, n);
    assert_int_equal(idx, -1);
    return last;
}

/* Feed records [from, to) of a's pending output to b (to -1: all). */
void feed_recs(parley_conn *a, parley_conn *b, int from, int to)
{
    const uint8_t *d;
    size_t n, s = out_rec(a, from, &d), e = s;
    parley_conn_pending_output(a, &d, &n);
    for (int i = from; (to < 0 || i < to) && e < n; i++) e += rec_len(d + e);
    conn_feed(b, d + s, e - s);
}

void drop_output(parley_conn *c)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(c, &d, &n);
    parley_conn_output_sent(c, n);
}

/* The alert record c put on the wire last carries `alert`: read from the
 * bytes (plaintext), decrypted with c's write secret (TLS 1.3), or given to
 * the peer, which must report it received (TLS 1.2). */
void alert_on_wire(parley_conn *c, parley_conn *peer, int alert)
{
    const uint8_t *d;
    size_t off = out_rec(c, -1, &d);
    int v12_protected = pl_rec_active(&c->wr) && c->wr.tls12;
    if (d[off] == PL_CT_ALERT && !v12_protected) {
        const uint8_t want[] = {PL_CT_ALERT, 3, 3, 0, 2, 2, (uint8_t)alert};
        assert_int_equal(rec_len(d + off), sizeof want);
        assert_memory_equal(d + off, want, sizeof want);
        return;
    }
    if (!v12_protected) {
        assert_int_equal(d[off], PL_CT_APPLICATION_DATA);
        pl_rec_keys r = {0};
        uint8_t type, buf[64];
        size_t len = rec_len(d + off) - PL_REC_HEADER, plen;
        assert_true(len <= sizeof buf);
        memcpy(buf, d + off + PL_REC_HEADER, len);
        assert_int_equal(pl_rec_install13(&r, c->wr.alg, c->wr.hash, c->wr.secret, 0), 0);
        r.seq = c->wr.seq - 1;
        assert_int_equal(pl_rec_open13(&r, d + off, buf, len, &type, &plen), 0);
        pl_rec_clear(&r);
        assert_int_equal(type, PL_CT_ALERT);
        assert_int_equal(plen, 2);
        assert_int_equal(buf[0], 2);
        assert_int_equal(buf[1], alert);
        return;
    }
    assert_non_null(peer);
    feed_recs(c, peer, 0, -1);
    assert_int_equal(drive(peer, NULL), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_received(peer), alert);
}

/* The next step of c fails: it sent `alert` (also on the wire) and its
 * error says `words`. */
void fails(parley_conn *c, parley_conn *peer, int alert, const char *words)
{
    assert_int_equal(drive(c, NULL), PARLEY_ERROR);
    const char *e = parley_conn_error_string(c);
    if (parley_conn_alert_sent(c) != alert || !strstr(e, words))
        print_message("expected alert %d and \"%s\"; got alert %d: %s\n", alert, words, parley_conn_alert_sent(c), e);
    assert_int_equal(parley_conn_alert_sent(c), alert);
    assert_non_null(strstr(e, words));
    alert_on_wire(c, peer, alert);
}

/* ------------------------------------------------ sealing, any length */

/* A TLS 1.3 record whose TLSInnerPlaintext is exactly `inner` (n bytes, any
 * length), sealed with k at its sequence number; the record in out. */
size_t seal_inner(pl_rec_keys *k, uint8_t *out, const uint8_t *inner, size_t n)
{
    uint8_t nonce[PL_AEAD_NONCE];
    size_t clen = n + PL_AEAD_TAG;
    out[0] = PL_CT_APPLICATION_DATA;
    out[1] = out[2] = 3;
    out[3] = (uint8_t)(clen >> 8);
    out[4] = (uint8_t)clen;
    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 8; i++) nonce[PL_AEAD_NONCE - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
    const uint8_t *parts[1] = {inner};
    size_t lens[1] = {n};
    assert_int_equal(pl_aead_seal_to(k->aead, nonce, out, PL_REC_HEADER, parts, lens, 1, out + 5, out + 5 + n), 0);
    k->seq++;
    return PL_REC_HEADER + clen;
}

/* TLSInnerPlaintext: content, type, then zeros up to `inner` bytes. */
size_t make_inner(uint8_t *buf, const uint8_t *content, size_t len, uint8_t type, size_t inner)
{
    assert_true(inner >= len + 1);
    if (len) memmove(buf, content, len);
    buf[len] = type;
    memset(buf + len + 1, 0, inner - len - 1);
    return inner;
}

/* A TLS 1.2 AEAD record of `len` plaintext bytes (any length), sealed with k. */
size_t seal12_any(pl_rec_keys *k, uint8_t *out, uint8_t type, const uint8_t *data, size_t len)
{
    uint8_t nonce[PL_AEAD_NONCE], aad[13];
    size_t ex = k->alg == PL_CHACHA20_POLY1305 ? 0 : 8, clen = ex + len + PL_AEAD_TAG;
    out[0] = type;
    out[1] = out[2] = 3;
    out[3] = (uint8_t)(clen >> 8);
    out[4] = (uint8_t)clen;
    for (int i = 0; i < 8; i++) aad[i] = (uint8_t)(k->seq >> (56 - 8 * i));
    aad[8] = type;
    aad[9] = aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    if (ex) {
        memcpy(nonce, k->iv, 4); /* RFC 5288: salt || explicit (= seq) */
        memcpy(nonce + 4, aad, 8);
        memcpy(out + 5, aad, 8);
    } else {
        memcpy(nonce, k->iv, sizeof nonce); /* RFC 7905 */
        for (int i = 0; i < 8; i++) nonce[PL_AEAD_NONCE - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
    }
    const uint8_t *parts[1] = {data};
    size_t lens[1] = {len};
    assert_int_equal(pl_aead_seal_to(k->aead, nonce, aad, sizeof aad, parts, lens, 1, out + 5 + ex, out + 5 + ex + len), 0);
    k->seq++;
    return PL_REC_HEADER + clen;
}

/* Open a TLS 1.3 record of rcv's peer with rcv's read secret at sequence
 * number seq (rcv's own keys are not touched): content into buf. */
size_t open_as(parley_conn *rcv, const uint8_t *r, uint64_t seq, uint8_t *buf, uint8_t *type)
{
    pl_rec_keys k = {0};
    size_t len = rec_len(r) - PL_REC_HEADER, plen;
    assert_int_equal(pl_rec_install13(&k, rcv->rd.alg, rcv->rd.hash, rcv->rd.secret, 0), 0);
    k.seq = seq;
    memcpy(buf, r + PL_REC_HEADER, len);
    assert_int_equal(pl_rec_open13(&k, r, buf, len, type, &plen), 0);
    pl_rec_clear(&k);
    return plen;
}

/* Write keys equal to what rcv reads now (its peer's), at seq. */
pl_rec_keys writer_as(parley_conn *rcv, uint64_t seq)
{
    pl_rec_keys w = {0};
    assert_int_equal(pl_rec_install13(&w, rcv->rd.alg, rcv->rd.hash, rcv->rd.secret, 1), 0);
    w.seq = seq;
    return w;
}

/* Seal with c's live write keys (pl_rec_seal13 / 12) and send to peer. */
void send_sealed(parley_conn *c, parley_conn *peer, uint8_t type, const uint8_t *data, size_t len)
{
    static const uint8_t dummy[1];
    pl_buf out = {0};
    if (!data) data = dummy;
    if (c->wr.tls12) assert_int_equal(pl_rec_seal12(&c->wr, &out, type, data, len), 0);
    else assert_int_equal(pl_rec_seal13(&c->wr, &out, type, data, len, 0), 0);
    conn_feed(peer, out.data, out.len);
    pl_buf_free(&out);
}

/* ------------------------------------------------------- rejected 0-RTT */

/* The client's ClientHello with an early_data extension appended (RFC 8446
 * 4.2.10); the server rejects early data and skips its records. */
size_t hello_with_early_data(parley_conn *client, uint8_t *out)
{
    const uint8_t *d;
    size_t n;
    assert_int_equal(parley_conn_handshake(client), PARLEY_WANT_READ);
    parley_conn_pending_output(client, &d, &n);
    assert_int_equal(rec_len(d), n);
    memcpy(out, d, n);
    static const uint8_t ext[4] = {0x00, 0x2a, 0x00, 0x00};
    memcpy(out + n, ext, sizeof ext);
    size_t at = 5 + 4 + 2 + 32;
    at += 1 + out[at];                              /* session id */
    at += 2 + ((size_t)out[at] << 8 | out[at + 1]); /* cipher suites */
    at += 1 + out[at];                              /* compression */
    size_t elen = ((size_t)out[at] << 8 | out[at + 1]) + 4, body = n - 9 + 4, rl = n - 5 + 4;
    assert_int_equal(at + 2 + elen, n + 4);
    out[at] = (uint8_t)(elen >> 8);
    out[at + 1] = (uint8_t)elen;
    out[3] = (uint8_t)(rl >> 8);
    out[4] = (uint8_t)rl;
    out[6] = (uint8_t)(body >> 16);
    out[7] = (uint8_t)(body >> 8);
    out[8] = (uint8_t)body;
    drop_output(client);
    return n + 4;
}
