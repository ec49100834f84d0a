/*
 * sigalgs_groups_test.c - issue #13 item 5: CertificateVerify and
 * ServerKeyExchange signatures, signature schemes and groups.
 *
 * The messages are tampered with in flight by a small man in the middle
 * (mitm_handshake): plaintext TLS 1.2 records are re-framed around the
 * rewritten message, and TLS 1.3 records are opened with the handshake
 * traffic keys from the key log, rewritten and sealed again under the same
 * sequence number, so the receiver sees exactly the bytes the test chose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "handshake/keyschedule13.h"
#include "handshake/messages.h"
#include "internal.h"
#include "helpers.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30) ||
           make_cert(d, "ec521", "ec521", "localhost", -1, 30) || make_cert(d, "ed448", "ed448", "localhost", -1, 30) ||
           make_cert(d, "cli521", "ec521", "client.example", -1, 30) || make_cert(d, "cli448", "ed448", "client.example", -1, 30) ||
           make_cert(d, "cli256", "ec256", "client.example", -1, 30);
}

/* ------------------------------------------------------------ the MITM */

typedef struct mitm mitm;
/* Rewrite handshake message `type` (body at b, *len bytes, room for cap) in
 * direction dir (0 = client to server). Returns 1 when it changed it. */
typedef int (*msg_fn)(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap);

struct mitm {
    msg_fn fn;
    int arg;       /* for fn */
    int done;      /* fn changed a message: later records pass untouched */
    uint8_t c_hs[32], s_hs[32];
    int have_c, have_s;
    uint64_t seq[2];  /* TLS 1.3 encrypted records seen per direction */
    int ccs[2];       /* a ChangeCipherSpec went this way: TLS 1.2 records after it are encrypted */
    char trace[512];  /* the client's "client certificate" decision */
};

static void keylog(void *arg, const char *line)
{
    mitm *m = arg;
    const char *sp = strrchr(line, ' ');
    if (!strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32)) m->have_c = hex_decode(sp + 1, m->c_hs, 32) == 32;
    if (!strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32)) m->have_s = hex_decode(sp + 1, m->s_hs, 32) == 32;
}

static void put16(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put24(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 16), p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v; }
static size_t get16(const uint8_t *p) { return (size_t)p[0] << 8 | p[1]; }
static size_t get24(const uint8_t *p) { return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]; }

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

/* Open/seal one TLS 1.3 record body (header h, ciphertext+tag) with the
 * handshake traffic key of direction dir, sequence seq (RFC 8446 5.2, 5.3). */
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
            /* TLS 1.3 handshake record under the handshake traffic key. */
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

static void client_trace(void *arg, const parley_conn *c, const parley_trace_event *ev)
{
    (void)c;
    mitm *m = arg;
    if (ev->kind == PARLEY_TRACE_INFO && !strcmp(ev->name, "client certificate"))
        snprintf(m->trace, sizeof m->trace, "%s", ev->detail);
}

/* pair_handshake with every flight passed through the rewriter. */
static int mitm_handshake(pair *p, mitm *m)
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

/* ------------------------------------------------------- the rewrites */

/* Offset of the signature's scheme in a CertificateVerify (0) or an ECDHE
 * ServerKeyExchange (after curve_type, group and the point). */
static size_t sig_offset(uint8_t type, const uint8_t *b)
{
    return type == PL_HS_SERVER_KEY_EXCHANGE ? 4 + (size_t)b[3] : 0;
}

enum { SIG_EMPTY = 0, SIG_OVERLONG = 1 };

/* CertificateVerify (m->arg bit 8 clear) or ServerKeyExchange (set), the
 * server's (bit 9 clear) or the client's (set): the
 * signature vector becomes empty (00 00, message shortened) or claims one
 * byte more than the message holds (lengths kept). */
static int tamper_sig(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    uint8_t want = m->arg & 0x100 ? PL_HS_SERVER_KEY_EXCHANGE : PL_HS_CERTIFICATE_VERIFY;
    if (type != want || dir != (m->arg & 0x200 ? 0 : 1)) return 0;
    size_t off = sig_offset(type, b);
    size_t siglen = get16(b + off + 2);
    assert_int_equal(off + 4 + siglen, *len); /* the real message: scheme, signature<0..2^16-1> */
    assert_true(siglen > 0);
    if ((m->arg & 0xff) == SIG_EMPTY) {
        put16(b + off + 2, 0);
        *len = off + 4;
    } else {
        put16(b + off + 2, siglen + 1);
    }
    return 1;
}

/* Replace extension `ext` in an extensions block at b+at (u16 length
 * first) with body nb/nl, fixing the block's length. */
static void replace_ext(uint8_t *b, size_t *len, size_t at, uint16_t ext, const uint8_t *nb, size_t nl)
{
    size_t total = get16(b + at), i = at + 2, end = at + 2 + total;
    assert_int_equal(end, *len);
    while (i + 4 <= end) {
        size_t el = get16(b + i + 2);
        if (get16(b + i) == ext) {
            memmove(b + i + 4 + nl, b + i + 4 + el, end - (i + 4 + el));
            memcpy(b + i + 4, nb, nl);
            put16(b + i + 2, nl);
            *len = *len - el + nl;
            put16(b + at, total - el + nl);
            return;
        }
        i += 4 + el;
    }
    fail_msg("extension %u not found", ext);
}

/* Offset of a ClientHello's extensions block. */
static size_t ch_ext_at(const uint8_t *b)
{
    size_t i = 2 + 32;
    i += 1 + b[i];           /* session id */
    i += 2 + get16(b + i);   /* suites */
    i += 1 + b[i];           /* compression */
    return i;
}

/* Remove extension `ext` from the extensions block at b+at. */
static void remove_ext(uint8_t *b, size_t *len, size_t at, uint16_t ext)
{
    size_t total = get16(b + at), i = at + 2, end = at + 2 + total;
    assert_int_equal(end, *len);
    while (i + 4 <= end) {
        size_t el = get16(b + i + 2);
        if (get16(b + i) == ext) {
            memmove(b + i, b + i + 4 + el, end - (i + 4 + el));
            *len -= 4 + el;
            put16(b + at, total - 4 - el);
            return;
        }
        i += 4 + el;
    }
    fail_msg("extension %u not found", ext);
}

static const uint8_t legacy_only[] = {0x00, 0x0c, 0x02, 0x01, 0x02, 0x03, 0x03, 0x01, 0x03, 0x03, 0x02, 0x02, 0x03, 0x02};

/* The ClientHello's signature_algorithms lists only SHA-1 and SHA-224 schemes. */
static int ch_legacy_sigalgs(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    replace_ext(b, len, ch_ext_at(b), PL_EXT_SIGNATURE_ALGORITHMS, legacy_only, sizeof legacy_only);
    return 1;
}

/* The ClientHello has no signature_algorithms at all. */
static int ch_no_sigalgs(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    remove_ext(b, len, ch_ext_at(b), PL_EXT_SIGNATURE_ALGORITHMS);
    return 1;
}

/* The CertificateRequest's signature_algorithms lists only SHA-1 and SHA-224. */
static int cr_legacy_sigalgs(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 1 || type != PL_HS_CERTIFICATE_REQUEST) return 0;
    if (m->arg == 13) {
        /* TLS 1.3: context<0..255>, extensions. */
        replace_ext(b, len, 1 + b[0], PL_EXT_SIGNATURE_ALGORITHMS, legacy_only, sizeof legacy_only);
    } else {
        /* TLS 1.2: certificate_types<1..255>, supported_signature_algorithms, CAs. */
        size_t at = 1 + b[0], old = get16(b + at), nl = sizeof legacy_only - 2;
        memmove(b + at + 2 + nl, b + at + 2 + old, *len - (at + 2 + old));
        memcpy(b + at, legacy_only, sizeof legacy_only);
        *len = *len - old + nl;
    }
    return 1;
}

/* The client's key share for x448 becomes u = 0 (or 1): a low-order point. */
static int ch_x448_low_order(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    size_t i = ch_ext_at(b) + 2;
    while (i + 4 <= *len) {
        size_t el = get16(b + i + 2);
        if (get16(b + i) == PL_EXT_KEY_SHARE) {
            /* client_shares<2..2^16-1>: the first entry, group then key_exchange. */
            assert_int_equal(get16(b + i + 6), PARLEY_GROUP_X448);
            assert_int_equal(get16(b + i + 8), 56);
            memset(b + i + 10, 0, 56);
            b[i + 10] = (uint8_t)m->arg;
            return 1;
        }
        i += 4 + el;
    }
    fail_msg("no key_share");
    return 0;
}

/* --------------------------------------------------------- configs */

static parley_config *versions(parley_config *cfg, int v)
{
    assert_int_equal(parley_config_set_versions(cfg, v, v), PARLEY_OK);
    return cfg;
}

static parley_config *mtls_server(const char *cert, const char *client_ca)
{
    char path[512];
    parley_config *sc = server_cfg(cert);
    snprintf(path, sizeof path, "%s/%s.pem", test_dir(), client_ca);
    assert_int_equal(parley_config_set_client_ca(sc, path), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    return sc;
}

static parley_config *mtls_client(const char *ca, const char *cert)
{
    char c[512], k[512];
    parley_config *cc = client_cfg(ca);
    snprintf(c, sizeof c, "%s/%s.pem", test_dir(), cert);
    snprintf(k, sizeof k, "%s/%s.key", test_dir(), cert);
    assert_int_equal(parley_config_add_cert_files(cc, c, k), PARLEY_OK);
    return cc;
}

/* A pair whose TLS 1.3 handshake keys reach the MITM (AES-128-GCM/SHA-256):
 * both sides log them, since each side's flight leaves before the other
 * side has derived anything. */
static void mitm_pair(pair *p, mitm *m, parley_config *cc, parley_config *sc, int v)
{
    if (v == PARLEY_TLS1_3) {
        assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256"), PARLEY_OK);
        assert_int_equal(parley_config_set_keylog(cc, keylog, m), PARLEY_OK);
        assert_int_equal(parley_config_set_keylog(sc, keylog, m), PARLEY_OK);
    } else {
        assert_int_equal(parley_config_set_ciphers(cc, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    }
    assert_int_equal(parley_config_set_trace(cc, client_trace, m), PARLEY_OK);
    make_pair(p, versions(cc, v), versions(sc, v), "localhost");
}

static void expect_alert(parley_conn *failed, parley_conn *other, int alert, const char *text)
{
    if (!strstr(parley_conn_error_string(failed), text))
        fail_msg("error \"%s\" does not contain \"%s\"", parley_conn_error_string(failed), text);
    assert_int_equal(parley_conn_alert_sent(failed), alert);
    assert_int_equal(parley_conn_alert_received(other), alert);
}

/* ------------------------------------------------- empty signatures */

/* RFC 8446 4.4.3, RFC 5246 7.4.8 / 7.2.2: signature<0..2^16-1> may be empty;
 * it does not verify: decrypt_error. A length past the message's end stays
 * decode_error. Both versions, both roles (the server's CertificateVerify or
 * ServerKeyExchange, the client's CertificateVerify). */
static void run_sig_case(int v, int client_cv, int how)
{
    pair p;
    mitm m = {0};
    m.fn = tamper_sig;
    m.arg = how | (v == PARLEY_TLS1_2 && !client_cv ? 0x100 : 0) | (client_cv ? 0x200 : 0);
    if (client_cv) mitm_pair(&p, &m, mtls_client("ec256", "cli256"), mtls_server("ec256", "cli256"), v);
    else mitm_pair(&p, &m, client_cfg("ec256"), server_cfg("ec256"), v);
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    parley_conn *checker = client_cv ? p.server : p.client, *signer = client_cv ? p.client : p.server;
    if (how == SIG_EMPTY) {
        const char *what = client_cv                ? "the client's CertificateVerify signature is invalid (empty signature"
                           : v == PARLEY_TLS1_3 ? "the server's CertificateVerify signature is invalid (empty signature"
                                                : "the server's ServerKeyExchange signature is invalid (empty signature";
        expect_alert(checker, signer, 51, what);
    } else {
        assert_int_equal(parley_conn_alert_sent(checker), 50);
        assert_int_equal(parley_conn_alert_received(signer), 50);
    }
    free_pair(&p);
}

static void test_empty_server_signature_tls13(void **state)
{
    (void)state;
    run_sig_case(PARLEY_TLS1_3, 0, SIG_EMPTY);
    run_sig_case(PARLEY_TLS1_3, 0, SIG_OVERLONG);
}

static void test_empty_client_signature_tls13(void **state)
{
    (void)state;
    run_sig_case(PARLEY_TLS1_3, 1, SIG_EMPTY);
    run_sig_case(PARLEY_TLS1_3, 1, SIG_OVERLONG);
}

static void test_empty_ske_signature_tls12(void **state)
{
    (void)state;
    run_sig_case(PARLEY_TLS1_2, 0, SIG_EMPTY);
    run_sig_case(PARLEY_TLS1_2, 0, SIG_OVERLONG);
}

static void test_empty_client_signature_tls12(void **state)
{
    (void)state;
    run_sig_case(PARLEY_TLS1_2, 1, SIG_EMPTY);
    run_sig_case(PARLEY_TLS1_2, 1, SIG_OVERLONG);
}

/* The parsers alone: exact bytes. */
static void test_signature_vector_parsing(void **state)
{
    (void)state;
    pl_certificate_verify cv;
    const uint8_t empty[] = {0x04, 0x03, 0x00, 0x00};
    assert_int_equal(pl_certificate_verify_parse(empty, sizeof empty, &cv), 0);
    assert_int_equal(cv.scheme, 0x0403);
    assert_int_equal(cv.signature.len, 0);
    const uint8_t overlong[] = {0x04, 0x03, 0x00, 0x02, 0xaa};
    assert_int_equal(pl_certificate_verify_parse(overlong, sizeof overlong, &cv), -PL_ERR_DECODE);
    /* ECDHE ServerKeyExchange: named_curve x25519, a 32-byte point, ed25519, empty signature. */
    uint8_t ske[4 + 32 + 4] = {3, 0x00, 0x1d, 32};
    memset(ske + 4, 9, 32);
    ske[36] = 0x08, ske[37] = 0x07, ske[38] = 0, ske[39] = 0;
    pl_server_key_exchange s;
    assert_int_equal(pl_server_key_exchange_parse(ske, sizeof ske, PL_KX_ECDHE, &s), 0);
    assert_int_equal(s.scheme, 0x0807);
    assert_int_equal(s.signature.len, 0);
    ske[39] = 1; /* one byte claimed, none there */
    assert_int_equal(pl_server_key_exchange_parse(ske, sizeof ske, PL_KX_ECDHE, &s), -PL_ERR_DECODE);
}

/* ------------------------------------------------ SHA-1 / SHA-224 only */

static void test_legacy_only_sigalgs_refused(void **state)
{
    (void)state;
    int vs[] = {PARLEY_TLS1_3, PARLEY_TLS1_2};
    for (int i = 0; i < 2; i++) {
        pair p;
        mitm m = {0};
        m.fn = ch_legacy_sigalgs;
        mitm_pair(&p, &m, client_cfg("ec256"), server_cfg("ec256"), vs[i]);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        expect_alert(p.server, p.client, 40, "the client offers only SHA-1/SHA-224 signature schemes, which Parley refuses");
        free_pair(&p);
    }
}

/* RFC 5246 7.4.1.4.1: a TLS 1.2 ClientHello without signature_algorithms
 * means SHA-1 only, which Parley refuses, and says so (TLS 1.3 requires the
 * extension: missing_extension, RFC 8446 9.2). */
static void test_no_sigalgs_means_sha1(void **state)
{
    (void)state;
    int vs[] = {PARLEY_TLS1_2, PARLEY_TLS1_3};
    for (int i = 0; i < 2; i++) {
        pair p;
        mitm m = {0};
        m.fn = ch_no_sigalgs;
        mitm_pair(&p, &m, client_cfg("ec256"), server_cfg("ec256"), vs[i]);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        if (vs[i] == PARLEY_TLS1_2)
            expect_alert(p.server, p.client, 40,
                         "the client sends no signature_algorithms, which means SHA-1 only (RFC 5246 7.4.1.4.1), which Parley refuses");
        else
            expect_alert(p.server, p.client, 109, "ClientHello has no signature_algorithms");
        free_pair(&p);
    }
}

/* Client role: a CertificateRequest that accepts only SHA-1/SHA-224 gets an
 * empty Certificate, and the client says why. In flight for TLS 1.2 (the
 * request follows the signed ServerKeyExchange, so the rewrite goes
 * unnoticed until the Finished); TLS 1.3 signs the transcript, so a
 * rewritten request fails the server's CertificateVerify first, and the
 * shared chooser is called on the connection directly. */
static void test_legacy_only_certificate_request(void **state)
{
    (void)state;
    {
        mitm m = {0};
        parley_config *cc = mtls_client("ec256", "cli256");
        assert_int_equal(parley_config_set_trace(cc, client_trace, &m), PARLEY_OK);
        parley_conn *c = parley_conn_new_client(cc, "localhost");
        assert_non_null(c);
        assert_int_equal(pl_buf_bytes(&c->hs->req_sigalgs, legacy_only + 2, sizeof legacy_only - 2), 0);
        pl_choose_client_cert(c, 1);
        assert_int_equal(c->hs->client_cert, -1);
        assert_string_equal(m.trace, "the server accepts only SHA-1/SHA-224 signature schemes, which Parley refuses: sending an empty Certificate");
        parley_conn_free(c);
        parley_config_free(cc);
    }
    int vs[] = {PARLEY_TLS1_2};
    for (int i = 0; i < 1; i++) {
        pair p;
        mitm m = {0};
        m.fn = cr_legacy_sigalgs;
        m.arg = vs[i] == PARLEY_TLS1_3 ? 13 : 12;
        mitm_pair(&p, &m, mtls_client("ec256", "cli256"), mtls_server("ec256", "cli256"), vs[i]);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        if (!m.trace[0]) fail_msg("v%d: no decision; client \"%s\", server \"%s\"", i, parley_conn_error_string(p.client), parley_conn_error_string(p.server));
        assert_string_equal(m.trace, "the server accepts only SHA-1/SHA-224 signature schemes, which Parley refuses: sending an empty Certificate");
        free_pair(&p);
    }
}

/* ------------------------------------------------------------- groups */

static void handshake_group(int v, const char *client_groups, const char *server_groups, const char *suite, const char *cert,
                            uint16_t want)
{
    pair p;
    parley_config *cc = versions(client_cfg(cert), v), *sc = versions(server_cfg(cert), v);
    if (client_groups) assert_int_equal(parley_config_set_groups(cc, client_groups), PARLEY_OK);
    if (server_groups) assert_int_equal(parley_config_set_groups(sc, server_groups), PARLEY_OK);
    if (suite) assert_int_equal(parley_config_set_ciphers(cc, suite), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    if (pair_handshake(&p, NULL, NULL) != 0)
        fail_msg("group 0x%04x: client \"%s\", server \"%s\"", want, parley_conn_error_string(p.client), parley_conn_error_string(p.server));
    assert_int_equal(parley_conn_group(p.client), want);
    assert_int_equal(parley_conn_group(p.server), want);
    exchange(&p, p.client, p.server, "ping");
    free_pair(&p);
}

static void test_new_groups_handshake(void **state)
{
    (void)state;
    /* TLS 1.3 key_share (RFC 8446 4.2.7, 4.2.8): each new group as the only one. */
    handshake_group(PARLEY_TLS1_3, "x448", NULL, NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_3, "secp521r1", NULL, NULL, "ec256", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_3, "ffdhe6144", NULL, NULL, "ec256", PARLEY_GROUP_FFDHE6144);
    handshake_group(PARLEY_TLS1_3, "ffdhe8192", NULL, NULL, "ec256", PARLEY_GROUP_FFDHE8192);
    /* TLS 1.2 ECDHE (RFC 8422) and DHE (RFC 7919). */
    /* (A TLS 1.2 client lists its ECDSA certificate's curve too, RFC 8422
     * 5.1; the server's order picks the group.) */
    handshake_group(PARLEY_TLS1_2, "x448:secp256r1", "x448:secp256r1", NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_2, "secp521r1:secp256r1", "secp521r1:secp256r1", NULL, "ec256", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_2, "x448", NULL, NULL, "ed448", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_2, "secp521r1", NULL, NULL, "ec521", PARLEY_GROUP_SECP521R1);
    handshake_group(PARLEY_TLS1_2, "ffdhe6144", NULL, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", PARLEY_GROUP_FFDHE6144);
    handshake_group(PARLEY_TLS1_2, "ffdhe8192", NULL, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", PARLEY_GROUP_FFDHE8192);
    /* Supported, not preferred: the defaults still agree on x25519, and a
     * server that wants only a new group gets it by HelloRetryRequest. */
    handshake_group(PARLEY_TLS1_3, NULL, NULL, NULL, "ec256", PARLEY_GROUP_X25519);
    handshake_group(PARLEY_TLS1_3, NULL, "x448", NULL, "ec256", PARLEY_GROUP_X448);
    handshake_group(PARLEY_TLS1_3, NULL, "secp521r1", NULL, "ec256", PARLEY_GROUP_SECP521R1);
    /* A TLS 1.2 server picks DHE's group from its own order among the client's. */
    handshake_group(PARLEY_TLS1_2, "ffdhe8192:ffdhe6144", NULL, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048",
                    PARLEY_GROUP_FFDHE6144);
}

static void test_group_names(void **state)
{
    (void)state;
    const struct {
        uint16_t id;
        const char *name, *alias;
    } g[] = {{PARLEY_GROUP_SECP521R1, "secp521r1", "P-521"},
             {PARLEY_GROUP_X448, "x448", "X448"},
             {PARLEY_GROUP_FFDHE6144, "ffdhe6144", NULL},
             {PARLEY_GROUP_FFDHE8192, "ffdhe8192", NULL}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        assert_string_equal(parley_group_name(g[i].id), g[i].name);
        parley_config *cfg = parley_config_new();
        assert_int_equal(parley_config_set_groups(cfg, g[i].name), PARLEY_OK);
        if (g[i].alias) assert_int_equal(parley_config_set_groups(cfg, g[i].alias), PARLEY_OK);
        parley_config_free(cfg);
    }
    assert_string_equal(parley_sigscheme_name(0x0603), "ecdsa_secp521r1_sha512");
    assert_string_equal(parley_sigscheme_name(0x0808), "ed448");
    assert_string_equal(parley_sigscheme_name(0x0303), "ecdsa_sha224");
    /* Every group at once fits the configuration. */
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_groups(cfg, "x25519:secp256r1:secp384r1:x448:secp521r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192"),
                     PARLEY_OK);
    parley_config_free(cfg);
}

/* crypto_test-style: the new groups' public values are validated. */
static void test_new_group_public_values(void **state)
{
    (void)state;
    pl_kex *a, *b;
    static uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET], sb[PL_MAX_KEX_SECRET];
    size_t la, lb, ka, kb;
    const uint16_t ok[] = {PARLEY_GROUP_SECP521R1, PARLEY_GROUP_X448, PARLEY_GROUP_FFDHE6144, PARLEY_GROUP_FFDHE8192};
    const size_t publen[] = {133, 56, 768, 1024};
    for (int i = 0; i < 4; i++) {
        assert_true(pl_kex_group_supported(ok[i]));
        assert_int_equal(pl_kex_generate(ok[i], &a, pa, &la), 0);
        assert_int_equal(pl_kex_generate(ok[i], &b, pb, &lb), 0);
        assert_int_equal(la, publen[i]);
        assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), 0);
        assert_int_equal(pl_kex_derive(b, pa, la, sb, &kb), 0);
        assert_int_equal(ka, kb);
        assert_memory_equal(sa, sb, ka);
        /* Wrong length (RFC 8446 4.2.8.2). */
        assert_int_equal(pl_kex_derive(a, pb, lb - 1, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
        pl_kex_free(a);
        pl_kex_free(b);
    }
    /* secp521r1: off the curve, compressed, the identity. */
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_SECP521R1, &a, pa, &la), 0);
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_SECP521R1, &b, pb, &lb), 0);
    pb[lb - 1] ^= 1;
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    pb[lb - 1] ^= 1;
    pb[0] = 0x02;
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    memset(pb, 0, lb);
    pb[0] = 4;
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    pl_kex_free(a);
    pl_kex_free(b);
    /* x448: the low-order points u = 0 and u = 1 give an all-zero secret (RFC 7748 6.2). */
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X448, &a, pa, &la), 0);
    for (int u = 0; u < 2; u++) {
        uint8_t low[56] = {0};
        low[0] = (uint8_t)u;
        int rc = pl_kex_derive(a, low, 56, sa, &ka);
        assert_int_equal(rc, -PL_ERR_ILLEGAL_PARAMETER);
        assert_non_null(strstr(pl_last_message(), "x448"));
    }
    pl_kex_free(a);
    /* ffdhe6144/8192: 1 < Y < p-1 (RFC 7919 5.1), in TLS 1.3 and 1.2 form. */
    const uint16_t ff[] = {PARLEY_GROUP_FFDHE6144, PARLEY_GROUP_FFDHE8192};
    for (int i = 0; i < 2; i++) {
        const uint8_t *prime;
        size_t plen = pl_ffdhe_prime(ff[i], &prime);
        assert_int_equal(plen, publen[2 + i]);
        for (int tls12 = 0; tls12 < 2; tls12++) {
            assert_int_equal(pl_kex_generate(ff[i], &a, pa, &la), 0);
            if (tls12) pl_kex_set_tls12(a);
            uint8_t *y = pb;
            memset(y, 0, plen);
            y[plen - 1] = 1; /* Y = 1 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            memset(y, 0, plen); /* Y = 0 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            memcpy(y, prime, plen); /* Y = p */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            y[plen - 1] -= 1; /* Y = p - 1 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            assert_non_null(strstr(pl_last_message(), "out of range"));
            pl_kex_free(a);
        }
    }
}

/* In flight: a TLS 1.3 x448 key share at a low-order point is refused. */
static void test_x448_low_order_share_in_flight(void **state)
{
    (void)state;
    for (int u = 0; u < 2; u++) {
        pair p;
        mitm m = {0};
        m.fn = ch_x448_low_order;
        m.arg = u;
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_groups(cc, "x448"), PARLEY_OK);
        mitm_pair(&p, &m, cc, server_cfg("ec256"), PARLEY_TLS1_3);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        expect_alert(p.server, p.client, 47, "x448");
        free_pair(&p);
    }
}

/* ------------------------------------------- P-521 and Ed448 certificates */

static void cert_handshake(int v, const char *kind, const char *suite, uint16_t scheme)
{
    pair p;
    parley_config *cc = versions(client_cfg(kind), v), *sc = versions(server_cfg(kind), v);
    if (suite) assert_int_equal(parley_config_set_ciphers(cc, suite), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    if (pair_handshake(&p, NULL, NULL) != 0)
        fail_msg("%s: client \"%s\", server \"%s\"", kind, parley_conn_error_string(p.client), parley_conn_error_string(p.server));
    assert_string_equal(parley_conn_verify_result(p.client), "ok");
    assert_int_equal(parley_conn_signature_scheme(p.client), scheme);
    exchange(&p, p.client, p.server, "ping");
    free_pair(&p);
}

static void client_cert_handshake(int v, const char *kind, const char *suite, uint16_t scheme)
{
    pair p;
    parley_config *cc = versions(mtls_client("ec256", kind), v), *sc = versions(mtls_server("ec256", kind), v);
    if (suite) assert_int_equal(parley_config_set_ciphers(cc, suite), PARLEY_OK);
    mitm m = {0};
    assert_int_equal(parley_config_set_trace(cc, client_trace, &m), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    if (pair_handshake(&p, NULL, NULL) != 0)
        fail_msg("%s: client \"%s\", server \"%s\"", kind, parley_conn_error_string(p.client), parley_conn_error_string(p.server));
    assert_string_equal(parley_conn_verify_result(p.server), "ok");
    assert_string_equal(m.trace, parley_sigscheme_name(scheme));
    free_pair(&p);
}

static void test_p521_and_ed448_certificates(void **state)
{
    (void)state;
    const char *ecdsa12 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    cert_handshake(PARLEY_TLS1_3, "ec521", NULL, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_2, "ec521", ecdsa12, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_3, "ed448", NULL, PARLEY_SIG_ED448);
    cert_handshake(PARLEY_TLS1_2, "ed448", ecdsa12, PARLEY_SIG_ED448); /* RFC 8422 5.1.3 */
    client_cert_handshake(PARLEY_TLS1_3, "cli521", NULL, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    client_cert_handshake(PARLEY_TLS1_2, "cli521", ecdsa12, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    client_cert_handshake(PARLEY_TLS1_3, "cli448", NULL, PARLEY_SIG_ED448);
    client_cert_handshake(PARLEY_TLS1_2, "cli448", ecdsa12, PARLEY_SIG_ED448);
}

/* A client offering one scheme (set directly: there is no public setter). */
static parley_config *only_scheme(parley_config *cfg, uint16_t scheme)
{
    cfg->sigalgs[0] = scheme;
    cfg->nsigalgs = 1;
    return cfg;
}

/* TLS 1.2: 0x0603 is ECDSA with SHA-512 on any curve and rsa_pkcs1_sha512
 * signs ServerKeyExchange; TLS 1.3 binds 0x0603 to P-521 and never uses
 * PKCS#1 v1.5 in CertificateVerify (RFC 8446 4.2.3). */
static void test_sha512_schemes_per_version(void **state)
{
    (void)state;
    const struct {
        int v;
        const char *cert, *suite;
        uint16_t scheme;
        int ok;
    } c[] = {
        {PARLEY_TLS1_2, "ec256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0x0603, 1},
        {PARLEY_TLS1_2, "rsa2048", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0x0601, 1},
        {PARLEY_TLS1_2, "rsa2048", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x0601, 1},
        {PARLEY_TLS1_3, "ec256", NULL, 0x0603, 0},
        {PARLEY_TLS1_3, "rsa2048", NULL, 0x0601, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        pair p;
        parley_config *cc = only_scheme(versions(client_cfg(c[i].cert), c[i].v), c[i].scheme);
        if (c[i].suite) assert_int_equal(parley_config_set_ciphers(cc, c[i].suite), PARLEY_OK);
        make_pair(&p, cc, versions(server_cfg(c[i].cert), c[i].v), "localhost");
        int rc = pair_handshake(&p, NULL, NULL);
        if (c[i].ok) {
            if (rc) fail_msg("case %zu: %s / %s", i, parley_conn_error_string(p.client), parley_conn_error_string(p.server));
            assert_int_equal(parley_conn_signature_scheme(p.client), c[i].scheme);
        } else {
            assert_int_not_equal(rc, 0);
            expect_alert(p.server, p.client, 40, "no certificate can be signed with a signature algorithm the client offers");
        }
        free_pair(&p);
    }
}

/* RFC 8422 5.1: a TLS 1.2 client's supported_groups also names the curves
 * of the ECDSA certificates it can verify; the server must not pick one on
 * another curve. With an RSA certificate too, it answers with that; with
 * only the ECDSA one, there is no handshake it may negotiate. */
static void test_tls12_certificate_curve_follows_groups(void **state)
{
    (void)state;
    char c[512], k[512];
    for (int g = 0; g < 2; g++) {
        pair p;
        parley_config *sc = versions(server_cfg("ec256"), PARLEY_TLS1_2);
        snprintf(c, sizeof c, "%s/rsa2048.pem", test_dir());
        snprintf(k, sizeof k, "%s/rsa2048.key", test_dir());
        assert_int_equal(parley_config_add_cert_files(sc, c, k), PARLEY_OK);
        parley_config *cc = versions(client_cfg("rsa2048"), PARLEY_TLS1_2);
        assert_int_equal(parley_config_set_groups(cc, g ? "secp384r1" : "x448"), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        if (pair_handshake(&p, NULL, NULL) != 0) fail_msg("%s / %s", parley_conn_error_string(p.client), parley_conn_error_string(p.server));
        assert_string_equal(parley_cipher_name(parley_conn_cipher(p.client)), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        free_pair(&p);
    }
    pair p;
    parley_config *cc = versions(client_cfg("ec256"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_groups(cc, "secp384r1:x25519"), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    make_pair(&p, cc, versions(server_cfg("ec256"), PARLEY_TLS1_2), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    expect_alert(p.server, p.client, 40, "no TLS 1.2 cipher suite in common with the client for the configured certificates");
    free_pair(&p);
    /* The same client with its certificate's curve listed is served. */
    cc = versions(client_cfg("ec521"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_groups(cc, "x25519:secp521r1"), PARLEY_OK);
    make_pair(&p, cc, versions(server_cfg("ec521"), PARLEY_TLS1_2), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_group(p.client), PARLEY_GROUP_X25519);
    free_pair(&p);
}

/* RFC 5077 3.3: a TLS 1.2 NewSessionTicket's ticket<0..2^16-1> may be larger
 * than Parley keeps (GnuTLS sends 2454 bytes after an ffdhe8192 exchange):
 * well formed, and simply not stored. */
static void test_tls12_large_ticket_is_well_formed(void **state)
{
    (void)state;
    static uint8_t m[4 + 2 + 65535];
    uint32_t hint;
    pl_cursor t;
    size_t sizes[] = {PL_MAX_TICKET + 1, 2454, 65535};
    for (size_t i = 0; i < 3; i++) {
        memset(m, 0x5a, sizeof m);
        m[0] = 0, m[1] = 0, m[2] = 0x1c, m[3] = 0x20; /* lifetime hint 7200 */
        put16(m + 4, sizes[i]);
        assert_int_equal(pl_new_session_ticket12_parse(m, 6 + sizes[i], &hint, &t), 0);
        assert_int_equal(hint, 7200);
        assert_int_equal(t.len, sizes[i]);
        /* One byte short of its length: decode_error. */
        assert_int_equal(pl_new_session_ticket12_parse(m, 5 + sizes[i], &hint, &t), -PL_ERR_DECODE);
    }
}

/* The ClientKeyExchange's EncryptedPreMasterSecret becomes empty (00 00). */
static int cke_empty(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_KEY_EXCHANGE) return 0;
    assert_int_equal(get16(b) + 2, *len);
    put16(b, 0);
    *len = 2;
    return 1;
}

/* Same class as the empty signature, in the other TLS 1.2 message with an
 * opaque<0..2^16-1>: an empty RSA EncryptedPreMasterSecret is well formed;
 * RFC 5246 7.4.7.1 says the server MUST NOT alert on it but carry on with a
 * random premaster, so it ends like every other bad premaster: the client's
 * Finished cannot be opened (bad_record_mac). */
static void test_tls12_empty_rsa_premaster(void **state)
{
    (void)state;
    pair p;
    mitm m = {0};
    m.fn = cke_empty;
    parley_config *cc = versions(client_cfg("rsa2048"), PARLEY_TLS1_2), *sc = versions(server_cfg("rsa2048"), PARLEY_TLS1_2);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_RSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    assert_int_equal(parley_config_allow_rsa_kx(cc, 1), PARLEY_OK);
    assert_int_equal(parley_config_allow_rsa_kx(sc, 1), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    expect_alert(p.server, p.client, 20, "record authentication failed");
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vector_parsing),
        cmocka_unit_test(test_empty_server_signature_tls13),
        cmocka_unit_test(test_empty_client_signature_tls13),
        cmocka_unit_test(test_empty_ske_signature_tls12),
        cmocka_unit_test(test_empty_client_signature_tls12),
        cmocka_unit_test(test_legacy_only_sigalgs_refused),
        cmocka_unit_test(test_no_sigalgs_means_sha1),
        cmocka_unit_test(test_legacy_only_certificate_request),
        cmocka_unit_test(test_group_names),
        cmocka_unit_test(test_new_group_public_values),
        cmocka_unit_test(test_new_groups_handshake),
        cmocka_unit_test(test_x448_low_order_share_in_flight),
        cmocka_unit_test(test_p521_and_ed448_certificates),
        cmocka_unit_test(test_sha512_schemes_per_version),
        cmocka_unit_test(test_tls12_certificate_curve_follows_groups),
        cmocka_unit_test(test_tls12_large_ticket_is_well_formed),
        cmocka_unit_test(test_tls12_empty_rsa_premaster),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
