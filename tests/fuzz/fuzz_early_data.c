/* fuzz_early_data.c - a server that has accepted 0-RTT (RFC 8446 2.3,
 * 4.2.10), fed records the input describes. Each run makes a fresh valid
 * first flight (a Parley client's ClientHello with early_data and a
 * pre_shared_key for a ticket made at start-up, its binder computed here), so
 * the server is always past the acceptance when the input begins; the input
 * is then a list of records, each [key][content type][length u16][content],
 * key 0 the client early traffic key, 1 its handshake traffic key (from the
 * key log), 2 plaintext, 3 raw bytes as they are. That reaches what bytes
 * alone cannot: early data reading and its limit, EndOfEarlyData and every
 * wrong thing around it (wrong key, body, fragments, interleaving, alerts). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static parley_config *scfg, *ccfg;
static pl_session sess;
static uint8_t c_hs[PL_MAX_HASH];
static size_t c_hs_len;

static void on_keylog(void *arg, const char *line)
{
    (void)arg;
    static const char l[] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET ";
    if (strncmp(line, l, sizeof l - 1) != 0) return;
    const char *h = line + sizeof l - 1 + 65;
    for (c_hs_len = 0; h[0] && h[1] && c_hs_len < sizeof c_hs; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) break;
        c_hs[c_hs_len++] = (uint8_t)v;
    }
}

/* Every claim is a first use: the fuzzer makes thousands of first flights a
 * second, which a real store would (rightly) start refusing. */
static int fz_store(parley_session_cache *s, const uint8_t *i, size_t il, const uint8_t *v, size_t vl, uint32_t t)
{
    (void)s, (void)i, (void)il, (void)v, (void)vl, (void)t;
    return PARLEY_ERROR;
}
static int fz_fetch(parley_session_cache *s, const uint8_t *i, size_t il, uint8_t *v, size_t c, size_t *vl)
{
    (void)s, (void)i, (void)il, (void)v, (void)c, (void)vl;
    return PARLEY_ERROR;
}
static void fz_remove(parley_session_cache *s, const uint8_t *i, size_t il) { (void)s, (void)i, (void)il; }
static int fz_claim(parley_session_cache *s, const uint8_t *k, size_t kl, uint32_t t)
{
    (void)s, (void)k, (void)kl, (void)t;
    return 1;
}
static parley_session_cache fz_cache = {fz_store, fz_fetch, fz_remove, NULL, fz_claim};

static void move(parley_conn *from, parley_conn *to)
{
    const uint8_t *d;
    size_t n, used;
    parley_conn_pending_output(from, &d, &n);
    if (n) parley_conn_recv_bytes(to, d, n, &used);
    parley_conn_output_sent(from, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char fp[128];
    uint8_t keys[48] = {7}, blob[4096], buf[64];
    size_t bl = 0, got;
    (void)argc, (void)argv;
    scfg = parley_config_new();
    parley_config_add_self_signed(scfg, fp, sizeof fp);
    parley_config_set_ticket_keys(scfg, keys, 1);
    parley_config_set_max_early_data(scfg, 4096);
    parley_config_set_session_cache(scfg, &fz_cache);
    parley_config_set_keylog(scfg, on_keylog, NULL);
    ccfg = parley_config_new();
    parley_config_set_verify(ccfg, 0);
    /* A full handshake for the ticket. */
    parley_conn *c = parley_conn_new_client(ccfg, "localhost"), *s = parley_conn_new_server(scfg);
    for (int i = 0; i < 20; i++) {
        parley_conn_handshake(c);
        move(c, s);
        parley_conn_handshake(s);
        move(s, c);
    }
    parley_conn_write(s, (const uint8_t *)"x", 1);
    move(s, c);
    parley_conn_read(c, buf, sizeof buf, &got);
    if (parley_conn_get_session(c, blob, sizeof blob, &bl) != PARLEY_OK || pl_session_decode(blob, bl, &sess) < 0) {
        fprintf(stderr, "fuzz_early_data: no ticket\n");
        return 1;
    }
    parley_conn_free(c);
    parley_conn_free(s);
    return 0;
}

static void put16(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

/* The 0-RTT ClientHello record into rec; the early write keys into ew. */
static size_t first_flight(uint8_t *rec, pl_rec_keys *ew, int *hash_out, int *aead_out)
{
    uint8_t out[4096], b[4096], th[PL_MAX_HASH], secret[PL_MAX_HASH];
    int aead, hash;
    parley_conn *c = parley_conn_new_client(ccfg, "localhost");
    parley_conn_handshake(c);
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(c, &d, &n);
    if (n < 9 || n > sizeof out || !pl_suite_params(sess.suite, &aead, &hash)) return parley_conn_free(c), 0;
    memcpy(out, d, n);
    parley_conn_free(c);
    const uint8_t *body = out + 9;
    size_t at = 2 + 32;
    at += 1 + body[at];
    at += 2 + ((size_t)body[at] << 8 | body[at + 1]);
    at += 1 + body[at];
    size_t elen = (size_t)body[at] << 8 | body[at + 1], hl = pl_hash_len(hash), l = at + 2 + elen;
    memcpy(b, body, l);
    put16(b + l, 42), put16(b + l + 2, 0), l += 4; /* early_data */
    size_t psk = l;
    put16(b + l, 41), l += 4;
    put16(b + l, 2 + sess.ticket_len + 4), l += 2;
    put16(b + l, sess.ticket_len), memcpy(b + l + 2, sess.ticket, sess.ticket_len), l += 2 + sess.ticket_len;
    uint32_t age = (uint32_t)(pl_now_ms() - sess.issued_ms) + sess.age_add;
    b[l] = (uint8_t)(age >> 24), b[l + 1] = (uint8_t)(age >> 16), b[l + 2] = (uint8_t)(age >> 8), b[l + 3] = (uint8_t)age, l += 4;
    size_t binders = l;
    put16(b + l, 1 + hl), b[l + 2] = (uint8_t)hl, memset(b + l + 3, 0, hl), l += 3 + hl;
    put16(b + psk + 2, l - psk - 4);
    put16(b + at, l - at - 2);
    rec[0] = 22, rec[1] = 3, rec[2] = 1, put16(rec + 3, 4 + l);
    uint8_t *msg = rec + 5;
    msg[0] = 1, msg[1] = (uint8_t)(l >> 16), put16(msg + 2, l), memcpy(msg + 4, b, l);
    pl_ks13 ks;
    if (pl_ks13_init_psk(&ks, hash, sess.secret, sess.secret_len) < 0 || pl_hash(hash, msg, 4 + binders, th) < 0 ||
        pl_ks13_binder(&ks, th, msg + 4 + l - hl) < 0 || pl_hash(hash, msg, 4 + l, th) < 0 ||
        pl_ks13_derive_secret(hash, ks.secret, "c e traffic", th, secret) < 0 ||
        pl_rec_install13(ew, aead, hash, secret, 1) < 0)
        l = 0;
    pl_ks13_wipe(&ks);
    *hash_out = hash, *aead_out = aead;
    return l ? 9 + l : 0;
}

static int drive(parley_conn *s)
{
    int rc;
    uint8_t buf[1024];
    size_t n;
    while ((rc = parley_conn_handshake(s)) == PARLEY_EARLY_DATA)
        while (parley_conn_read_early_data(s, buf, sizeof buf, &n) == PARLEY_OK) {}
    const uint8_t *d;
    size_t len;
    parley_conn_pending_output(s, &d, &len);
    parley_conn_output_sent(s, len);
    if (rc == PARLEY_OK) (void)parley_conn_read(s, buf, sizeof buf, &n);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t rec[8192];
    pl_rec_keys ew = {0}, hw = {0};
    int hash = 0, aead = 0;
    size_t n = first_flight(rec, &ew, &hash, &aead), used;
    parley_conn *s = parley_conn_new_server(scfg);
    if (n) parley_conn_recv_bytes(s, rec, n, &used);
    int rc = n ? drive(s) : PARLEY_ERROR;
    if (c_hs_len && pl_rec_install13(&hw, aead, hash, c_hs, 1) < 0) rc = PARLEY_ERROR;
    for (size_t off = 0; rc != PARLEY_ERROR && off + 4 <= size;) {
        uint8_t key = data[off] & 3, type = data[off + 1];
        size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
        off += 4;
        if (len > size - off) len = size - off;
        pl_buf b = {0};
        int mk;
        if (key == 0) mk = pl_rec_seal13(&ew, &b, type, data + off, len, 0);
        else if (key == 1) mk = pl_rec_seal13(&hw, &b, type, data + off, len, 0);
        else if (key == 2) mk = pl_rec_write_plain(&b, type, data + off, len);
        else mk = pl_buf_bytes(&b, data + off, len);
        off += len;
        for (size_t o = 0; mk == 0 && o < b.len;) {
            if (parley_conn_recv_bytes(s, b.data + o, b.len - o, &used) != PARLEY_OK) break;
            o += used;
            rc = drive(s);
            if (rc == PARLEY_ERROR || !used) break;
        }
        pl_buf_free(&b);
    }
    parley_conn_free(s);
    pl_rec_clear(&ew);
    pl_rec_clear(&hw);
    return 0;
}
