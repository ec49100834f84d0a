/* mitm.c - see mitm.h. */
#include "mitm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "handshake/keyschedule13.h"

void put16(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
void put24(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v; }
size_t get16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }
size_t get24(const uint8_t *p) { return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]; }

static void keylog(void *arg, const char *line)
{
    mitm *m = arg;
    const char *sp = strrchr(line, ' ');
    if (!strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32)) m->have_c = hex_decode(sp + 1, m->c_hs, 32) == 32;
    if (!strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32)) m->have_s = hex_decode(sp + 1, m->s_hs, 32) == 32;
}

void mitm_client_trace(void *arg, const parley_conn *c, const parley_trace_event *ev)
{
    (void)c;
    mitm *m = arg;
    if (ev->kind == PARLEY_TRACE_INFO && !strcmp(ev->name, "client certificate"))
        snprintf(m->trace, sizeof m->trace, "%s", ev->detail);
}

/* Run fn over each whole handshake message in frag (len bytes, room cap);
 * messages are re-packed, so the fragment's length may change. */
static size_t rewrite_messages(mitm *m, int dir, uint8_t *frag, size_t len, size_t cap)
{
    static uint8_t out[1 << 16];
    size_t o = 0, i = 0;
    while (i + 4 <= len) {
        size_t ml = get24(frag + i + 1);
        assert_true(i + 4 + ml <= len); /* the tests' flights never split a message */
        size_t nl = ml;
        memcpy(out + o, frag + i, 4 + ml);
        if (!m->done && m->fn(m, dir, frag[i], out + o + 4, &nl, sizeof out - o - 4)) m->done = 1;
        put24(out + o + 1, nl);
        o += 4 + nl;
        i += 4 + ml;
    }
    assert_int_equal(i, len);
    assert_true(o <= cap);
    memcpy(frag, out, o);
    return o;
}

/* The per-record nonce: iv XOR the sequence number (RFC 8446 5.3). */
static void nonce_for(const uint8_t iv[12], uint64_t seq, uint8_t n[12])
{
    memcpy(n, iv, 12);
    for (int k = 0; k < 8; k++) n[11 - k] ^= (uint8_t)(seq >> (8 * k));
}

/* Rewrite the records in buf (whole records), returns the new length. */
static size_t rewrite_flight(mitm *m, int dir, uint8_t *buf, size_t n, size_t cap)
{
    static uint8_t out[1 << 17];
    size_t i = 0, o = 0;
    while (i + 5 <= n) {
        size_t rl = get16(buf + i + 3);
        assert_true(i + 5 + rl <= n);
        uint8_t rec[5 + 16384 + 256 + 1024];
        memcpy(rec, buf + i, 5 + rl);
        size_t nl = rl;
        if (rec[0] == 20) m->ccs[dir] = 1;
        if (!m->done && rec[0] == 22 && !m->ccs[dir]) {
            nl = rewrite_messages(m, dir, rec + 5, rl, sizeof rec - 5);
        } else if (rec[0] == 23 && (dir ? m->have_s : m->have_c)) {
            /* TLS 1.3 handshake record under the handshake traffic key (RFC 8446 5.2). */
            uint8_t key[16], iv[12], nonce[12];
            assert_int_equal(pl_ks13_traffic_keys(PL_SHA256, PL_AES_128_GCM, dir ? m->s_hs : m->c_hs, key, iv), 0);
            nonce_for(iv, m->seq[dir]++, nonce);
            if (!m->done) {
                pl_aead *a = pl_aead_new(PL_AES_128_GCM, key, 0);
                assert_non_null(a);
                assert_true(rl >= 17);
                assert_int_equal(pl_aead_open(a, nonce, rec, 5, rec + 5, rl - 16, rec + 5 + rl - 16), 0);
                pl_aead_free(a);
                size_t pl = rl - 16;
                while (pl && rec[5 + pl - 1] == 0) pl--; /* padding */
                assert_true(pl > 0);
                uint8_t type = rec[5 + pl - 1];
                if (type == 22) {
                    pl = rewrite_messages(m, dir, rec + 5, pl - 1, sizeof rec - 5 - 17);
                    rec[5 + pl++] = 22;
                    put16(rec + 3, pl + 16);
                    a = pl_aead_new(PL_AES_128_GCM, key, 1);
                    assert_non_null(a);
                    assert_int_equal(pl_aead_seal(a, nonce, rec, 5, rec + 5, pl, rec + 5 + pl), 0);
                    pl_aead_free(a);
                    nl = pl + 16;
                }
                /* A record that was not handshake passes as it was. */
                if (type != 22) memcpy(rec, buf + i, 5 + rl), nl = rl;
            }
        }
        put16(rec + 3, nl);
        memcpy(out + o, rec, 5 + nl);
        o += 5 + nl;
        i += 5 + rl;
    }
    assert_int_equal(i, n);
    assert_true(o <= cap);
    memcpy(buf, out, o);
    return o;
}

int mitm_handshake(pair *p, mitm *m)
{
    static uint8_t q[2][1 << 17];
    size_t ql[2] = {0, 0};
    int c = PARLEY_WANT_READ, s = PARLEY_WANT_READ;
    for (int round = 0; round < 50; round++) {
        c = parley_conn_handshake(p->client);
        s = parley_conn_handshake(p->server);
        size_t moved = 0;
        for (int dir = 0; dir < 2; dir++) {
            parley_conn *from = dir ? p->server : p->client, *to = dir ? p->client : p->server;
            uint8_t tmp[1 << 16];
            size_t n = conn_take(from, tmp, sizeof tmp);
            if (n) {
                n = rewrite_flight(m, dir, tmp, n, sizeof tmp);
                assert_true(ql[dir] + n <= sizeof q[dir]);
                memcpy(q[dir] + ql[dir], tmp, n);
                ql[dir] += n;
            }
            while (ql[dir]) {
                size_t used = 0;
                parley_conn_recv_bytes(to, q[dir], ql[dir], &used);
                if (!used) break;
                memmove(q[dir], q[dir] + used, ql[dir] - used);
                ql[dir] -= used;
                moved += used;
            }
        }
        if (c == PARLEY_ERROR || s == PARLEY_ERROR || (c == PARLEY_OK && s == PARLEY_OK)) {
            if (c == PARLEY_OK && s == PARLEY_OK) break;
            /* Let the other side read the alert: a TLS 1.3 client whose
             * handshake is complete reads it as application data would. */
            uint8_t junk[64];
            size_t got;
            c = c == PARLEY_OK ? parley_conn_read(p->client, junk, sizeof junk, &got) : parley_conn_handshake(p->client);
            s = s == PARLEY_OK ? parley_conn_read(p->server, junk, sizeof junk, &got) : parley_conn_handshake(p->server);
            break;
        }
        if (!moved) break;
    }
    return c == PARLEY_OK && s == PARLEY_OK ? 0 : -1;
}

void mitm_pair(pair *p, mitm *m, parley_config *cc, parley_config *sc, int v)
{
    mitm_pair_sni(p, m, cc, sc, v, "localhost");
}

void mitm_pair_sni(pair *p, mitm *m, parley_config *cc, parley_config *sc, int v, const char *sni)
{
    if (v == PARLEY_TLS1_3) {
        assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256"), PARLEY_OK);
        assert_int_equal(parley_config_set_keylog(cc, keylog, m), PARLEY_OK);
        assert_int_equal(parley_config_set_keylog(sc, keylog, m), PARLEY_OK);
    } else {
        assert_int_equal(parley_config_set_ciphers(cc, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    }
    assert_int_equal(parley_config_set_trace(cc, mitm_client_trace, m), PARLEY_OK);
    make_pair(p, only_version(cc, v), only_version(sc, v), sni);
}

size_t ch_ext_at(const uint8_t *b)
{
    size_t i = 2 + 32;
    i += 1 + b[i];         /* session id */
    i += 2 + get16(b + i); /* suites */
    i += 1 + b[i];         /* compression */
    return i;
}

/* The extension's offset in the block at b+at, or fail. */
static size_t find_ext(const uint8_t *b, size_t len, size_t at, uint16_t ext)
{
    size_t i = at + 2, end = at + 2 + get16(b + at);
    assert_int_equal(end, len);
    while (i + 4 <= end) {
        if (get16(b + i) == ext) return i;
        i += 4 + get16(b + i + 2);
    }
    fail_msg("extension %u not found", ext);
    return 0;
}

void ext_replace(uint8_t *b, size_t *len, size_t at, uint16_t ext, const uint8_t *nb, size_t nl)
{
    size_t i = find_ext(b, *len, at, ext), el = get16(b + i + 2);
    memmove(b + i + 4 + nl, b + i + 4 + el, *len - (i + 4 + el));
    memcpy(b + i + 4, nb, nl);
    put16(b + i + 2, nl);
    put16(b + at, get16(b + at) - el + nl);
    *len = *len - el + nl;
}

void ext_remove(uint8_t *b, size_t *len, size_t at, uint16_t ext)
{
    size_t i = find_ext(b, *len, at, ext), el = get16(b + i + 2);
    memmove(b + i, b + i + 4 + el, *len - (i + 4 + el));
    put16(b + at, get16(b + at) - 4 - el);
    *len -= 4 + el;
}
