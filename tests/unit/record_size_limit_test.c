/*
 * record_size_limit_test.c - record_size_limit (RFC 8449), both roles, both
 * versions, with the exact bytes on the wire:
 *   - what is advertised: the protocol maximum by default (16385 when TLS 1.3
 *     is offered, 16384 in TLS 1.2), the configured value, nothing when off;
 *     a server answers only a client that sent it;
 *   - every protected record sent stays within the peer's limit: handshake
 *     messages split, application data split, padding cut at the limit;
 *     unprotected records are not subject to it;
 *   - a protected record beyond our limit is record_overflow (TLS 1.3: the
 *     whole TLSInnerPlaintext, padding included), also one that came before
 *     EncryptedExtensions;
 *   - a value below 64 is illegal_parameter (ClientHello, EncryptedExtensions,
 *     TLS 1.2 ServerHello); above the version's maximum: refused by the
 *     client, clamped by the server (which MUST NOT enforce it); unsolicited
 *     is unsupported_extension; duplicated or in a TLS 1.3 ServerHello
 *     illegal_parameter; a body that is not two bytes decode_error.
 */
#include "hello_server.h"
#include "mitm.h"
#include "rawrec.h"

#include "handshake/messages.h"
#include "handshake/record_size_limit.h"

enum { A_RECORD_OVERFLOW = 22, A_ILLEGAL_PARAMETER = 47, A_DECODE_ERROR = 50, A_UNSUPPORTED_EXTENSION = 110 };
#define EXT_RSL 28

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static parley_config *limited(parley_config *cfg, unsigned limit)
{
    assert_int_equal(parley_config_set_record_size_limit(cfg, limit), PARLEY_OK);
    return cfg;
}

/* A pair at version v, AES-128-GCM, with these limits (-1: the default). */
static void pair_limits(pair *p, uint16_t v, int climit, int slimit)
{
    parley_config *cc = only_version(client_cfg("ec256"), v), *sc = only_version(server_cfg("ec256"), v);
    assert_int_equal(parley_config_set_ciphers(cc, v == PARLEY_TLS1_3 ? "TLS_AES_128_GCM_SHA256" : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                     PARLEY_OK);
    if (climit >= 0) limited(cc, (unsigned)climit);
    if (slimit >= 0) limited(sc, (unsigned)slimit);
    make_pair(p, cc, sc, "localhost");
}

static void limits_are(parley_conn *c, unsigned peer, unsigned ours)
{
    unsigned pv, ov;
    parley_conn_record_size_limit(c, &pv, &ov);
    assert_int_equal(pv, peer);
    assert_int_equal(ov, ours);
}

/* The record_size_limit value in the client's first ClientHello (0: none). */
static unsigned offered(parley_config *cfg)
{
    static uint8_t out[4096];
    pl_client_hello ch;
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    parley_config_free(cfg);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, out, sizeof out);
    assert_true(n > 9);
    assert_int_equal(pl_client_hello_parse(out + 9, n - 9, &ch), 0);
    parley_conn_free(c);
    return ch.record_size_limit;
}

/* ============================================ what is advertised */

static void test_advertised(void **state)
{
    (void)state;
    /* RFC 8449 4: the protocol maximum counts the TLS 1.3 type byte. */
    assert_int_equal(offered(client_cfg("ec256")), 16385);
    assert_int_equal(offered(only_version(client_cfg("ec256"), PARLEY_TLS1_2)), 16384);
    assert_int_equal(offered(limited(client_cfg("ec256"), 512)), 512);
    assert_int_equal(offered(limited(only_version(client_cfg("ec256"), PARLEY_TLS1_2), 16385)), 16384);
    assert_int_equal(offered(limited(client_cfg("ec256"), 0)), 0);
    /* The setter's range. */
    parley_config *cfg = client_cfg("ec256");
    assert_int_equal(parley_config_set_record_size_limit(cfg, 63), PARLEY_ERROR);
    assert_int_equal(parley_config_set_record_size_limit(cfg, 16386), PARLEY_ERROR);
    assert_int_equal(parley_config_set_record_size_limit(cfg, 64), PARLEY_OK);
    parley_config_free(cfg);
    /* Negotiated by default in both versions; not when either side is off
     * (a server off ignores the client's, as a server without it would). */
    struct {
        uint16_t v;
        int cl, sl;
        unsigned c_peer, c_ours;
    } cases[] = {
        {PARLEY_TLS1_3, -1, -1, 16385, 16385}, {PARLEY_TLS1_2, -1, -1, 16384, 16384}, {PARLEY_TLS1_3, 300, 200, 200, 300},
        {PARLEY_TLS1_2, 300, 200, 200, 300},   {PARLEY_TLS1_3, 0, 200, 0, 0},        {PARLEY_TLS1_3, 300, 0, 0, 0},
        {PARLEY_TLS1_2, 0, 200, 0, 0},         {PARLEY_TLS1_2, 300, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pair p;
        pair_limits(&p, cases[i].v, cases[i].cl, cases[i].sl);
        handshake_ok(&p, "limits");
        limits_are(p.client, cases[i].c_peer, cases[i].c_ours);
        limits_are(p.server, cases[i].c_ours, cases[i].c_peer);
        exchange(&p, p.client, p.server, "hello");
        exchange(&p, p.server, p.client, "world");
        free_pair(&p);
    }
}

/* ============================================ records sent */

typedef struct {
    uint16_t v;
    int protected_[2]; /* this direction's records are protected from now on */
    size_t max_plain[2], records[2], limit[2];
    int over;          /* a protected record exceeded its receiver's limit */
} watch;

/* Every record in flight: protected ones (TLS 1.3: application_data after
 * the ServerHello; TLS 1.2: after the sender's ChangeCipherSpec) measured
 * against the receiver's limit. */
static void watch_records(void *arg, int dir, uint8_t *p, size_t len)
{
    watch *w = arg;
    for (size_t off = 0; off + PL_REC_HEADER <= len; off += rec_len(p + off)) {
        const uint8_t *r = p + off;
        size_t n = rec_len(r) - PL_REC_HEADER;
        if (r[0] == PL_CT_CHANGE_CIPHER_SPEC) {
            if (w->v == PARLEY_TLS1_2) w->protected_[dir] = 1;
            continue;
        }
        int prot = w->v == PARLEY_TLS1_2 ? w->protected_[dir] : r[0] == PL_CT_APPLICATION_DATA;
        if (!prot) continue;
        /* TLS 1.3: TLSInnerPlaintext = ciphertext - tag; TLS 1.2 AES-GCM:
         * plaintext = ciphertext - explicit nonce - tag. */
        size_t plain = n - PL_AEAD_TAG - (w->v == PARLEY_TLS1_2 ? PL_GCM_EXPLICIT : 0);
        w->records[dir]++;
        if (plain > w->max_plain[dir]) w->max_plain[dir] = plain;
        if (plain > w->limit[dir]) w->over = 1;
    }
}

/* Client limit cl, server limit sl, padding to 4096 on both sides: every
 * protected record of the handshake (the server's Certificate is longer
 * than either limit) and of 5000 bytes each way stays within the
 * receiver's limit, and the largest is exactly the limit (the data was
 * split there, and padding filled up to it). */
static void records_within(uint16_t v, unsigned cl, unsigned sl)
{
    static uint8_t data[5000], got[5000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 13 + 5);
    pair p;
    watch w = {.v = v};
    parley_config *cc = only_version(client_cfg("ec256"), v), *sc = only_version(server_cfg("ec256"), v);
    assert_int_equal(parley_config_set_ciphers(cc, v == PARLEY_TLS1_3 ? "TLS_AES_128_GCM_SHA256" : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                     PARLEY_OK);
    limited(cc, cl);
    limited(sc, sl);
    assert_int_equal(parley_config_set_record_padding(cc, 4096), PARLEY_OK);
    assert_int_equal(parley_config_set_record_padding(sc, 4096), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    /* The limit a record going that way must keep: the receiver's. */
    w.limit[0] = sl;
    w.limit[1] = cl;
    p.tamper = watch_records;
    p.tamper_arg = &w;
    handshake_ok(&p, "small records");
    for (int dir = 0; dir < 2; dir++) {
        parley_conn *snd = dir ? p.server : p.client, *rcv = dir ? p.client : p.server;
        assert_int_equal(parley_conn_write(snd, data, sizeof data), PARLEY_OK);
        size_t total = 0, m;
        for (int round = 0; round < 100 && total < sizeof data; round++) {
            pair_pump(&p);
            while (parley_conn_read(rcv, got + total, sizeof got - total, &m) == PARLEY_OK) total += m;
        }
        assert_int_equal(total, sizeof data);
        assert_memory_equal(got, data, sizeof data);
    }
    assert_false(w.over);
    for (int dir = 0; dir < 2; dir++) {
        assert_true(w.records[dir] >= sizeof data / w.limit[dir]);
        assert_int_equal(w.max_plain[dir], w.limit[dir]);
    }
    free_pair(&p);
}

static void test_records_within_peer_limit(void **state)
{
    (void)state;
    records_within(PARLEY_TLS1_3, 256, 300);
    records_within(PARLEY_TLS1_3, 64, 64);
    records_within(PARLEY_TLS1_2, 300, 256);
    records_within(PARLEY_TLS1_2, 64, 100);
}

/* ============================================ records received */

static uint8_t content[20000];
static uint8_t rec[20000];

/* After the handshake (client limit cl, server limit sl), the peer of `rcv`
 * sends a protected record of exactly its limit, then one byte more: the
 * first is read, the second is record_overflow. TLS 1.3: the byte more is
 * padding (the limit counts TLSInnerPlaintext). */
static void over_limit(uint16_t v, int server_receives)
{
    static uint8_t inner[20000], got[20000];
    const unsigned cl = 200, sl = 300;
    pair p;
    pair_limits(&p, v, cl, sl);
    handshake_ok(&p, "over limit");
    do {
        assert_int_equal(drive(p.client, NULL), PARLEY_WANT_READ);
        assert_int_equal(drive(p.server, NULL), PARLEY_WANT_READ);
    } while (pair_pump(&p));
    parley_conn *rcv = server_receives ? p.server : p.client, *snd = server_receives ? p.client : p.server;
    size_t limit = server_receives ? sl : cl, rl, m;
    for (size_t extra = 0; extra < 2; extra++) {
        if (v == PARLEY_TLS1_3) {
            size_t n = make_inner(inner, content, limit - 1 - extra, PL_CT_APPLICATION_DATA, limit + extra);
            rl = seal_inner(&snd->wr, rec, inner, n);
            assert_int_equal(rl, PL_REC_HEADER + limit + extra + PL_AEAD_TAG);
        } else {
            rl = seal12_any(&snd->wr, rec, PL_CT_APPLICATION_DATA, content, limit + extra);
        }
        conn_feed(rcv, rec, rl);
        if (extra) {
            fails(rcv, snd, A_RECORD_OVERFLOW, "exceeds our record_size_limit");
        } else {
            assert_int_equal(parley_conn_read(rcv, got, sizeof got, &m), PARLEY_OK);
            assert_int_equal(m, v == PARLEY_TLS1_3 ? limit - 1 : limit);
            assert_memory_equal(got, content, m);
            assert_int_equal(parley_conn_read(rcv, got, sizeof got, &m), PARLEY_WANT_READ);
        }
    }
    free_pair(&p);
}

static void test_record_over_our_limit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof content; i++) content[i] = (uint8_t)(i * 7 + 1);
    over_limit(PARLEY_TLS1_3, 1);
    over_limit(PARLEY_TLS1_3, 0);
    over_limit(PARLEY_TLS1_2, 1);
    over_limit(PARLEY_TLS1_2, 0);
}

/* TLS 1.3: the server's EncryptedExtensions record is re-sealed with
 * padding: inner plaintext `inner` bytes. The client's limit is 256: at 256
 * the handshake completes, at 257 the record that brought
 * EncryptedExtensions already broke the limit the server knew. */
static void ee_record_padded(size_t inner_len, int ok)
{
    static uint8_t inner[4096], body[4096];
    pair p;
    pair_limits(&p, PARLEY_TLS1_3, 256, -1);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    pair_pump(&p);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    /* ServerHello and the compatibility CCS, then EncryptedExtensions alone. */
    const uint8_t *d;
    size_t ccs_off = out_rec(p.server, 1, &d);
    assert_int_equal(d[ccs_off], PL_CT_CHANGE_CIPHER_SPEC);
    size_t ee_off = out_rec(p.server, 2, &d);
    feed_recs(p.server, p.client, 0, 2);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    uint8_t type;
    size_t bl = open_as(p.client, d + ee_off, 0, body, &type);
    assert_int_equal(type, PL_CT_HANDSHAKE);
    assert_int_equal(body[0], PL_HS_ENCRYPTED_EXTENSIONS);
    pl_rec_keys k = writer_as(p.client, 0);
    size_t n = make_inner(inner, body, bl, PL_CT_HANDSHAKE, inner_len);
    size_t rl = seal_inner(&k, rec, inner, n);
    pl_rec_clear(&k);
    conn_feed(p.client, rec, rl);
    feed_recs(p.server, p.client, 3, -1);
    if (ok) {
        drop_output(p.server);
        handshake_ok(&p, "padded EncryptedExtensions within the limit");
        limits_are(p.client, 16385, 256);
    } else {
        fails(p.client, p.server, A_RECORD_OVERFLOW, "before EncryptedExtensions");
    }
    free_pair(&p);
}

static void test_record_before_encrypted_extensions(void **state)
{
    (void)state;
    ee_record_padded(256, 1);
    ee_record_padded(257, 0);
}

/* ============================================ the extension's rules */

/* Rewriters: add, replace or duplicate record_size_limit. arg: the value
 * (bits 0-15), RSL_TWICE, RSL_BODY3 (a 3-byte body). */
#define RSL_TWICE 0x10000
#define RSL_BODY3 0x20000

/* Append extension (type, body) to the extensions block at b+at, which
 * ends the message. */
static void ext_add(uint8_t *b, size_t *len, size_t at, uint16_t type, const uint8_t *body, size_t bl)
{
    size_t end = at + 2 + get16(b + at);
    assert_int_equal(end, *len);
    put16(b + end, type);
    put16(b + end + 2, bl);
    memcpy(b + end + 4, body, bl);
    *len += 4 + bl;
    put16(b + at, get16(b + at) + 4 + bl);
}

static void rsl_put(mitm *m, uint8_t *b, size_t *len, size_t at, int present)
{
    uint8_t v[3] = {(uint8_t)(m->arg >> 8), (uint8_t)m->arg, 0};
    size_t vl = m->arg & RSL_BODY3 ? 3 : 2;
    if (present) ext_replace(b, len, at, EXT_RSL, v, vl);
    else ext_add(b, len, at, EXT_RSL, v, vl);
    if (m->arg & RSL_TWICE) ext_add(b, len, at, EXT_RSL, v, vl);
}

static int has_rsl(const uint8_t *b, size_t len, size_t at)
{
    for (size_t i = at + 2; i + 4 <= len; i += 4 + get16(b + i + 2))
        if (get16(b + i) == EXT_RSL) return 1;
    return 0;
}

/* The server's EncryptedExtensions (TLS 1.3) or ServerHello (TLS 1.2, and
 * TLS 1.3 with RSL_IN_SH13). */
#define RSL_IN_SH13 0x40000
static int server_rsl(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    if (dir != 1) return 0;
    if (type == PL_HS_ENCRYPTED_EXTENSIONS && !(m->arg & RSL_IN_SH13)) {
        rsl_put(m, b, len, 0, has_rsl(b, *len, 0));
        return 1;
    }
    if (type == PL_HS_SERVER_HELLO && (m->ccs[1] == 0)) {
        size_t at = 2 + 32 + 1 + b[34] + 2 + 1;
        int tls13 = 0;
        for (size_t i = at + 2; i + 4 <= *len; i += 4 + get16(b + i + 2)) tls13 |= get16(b + i) == PL_EXT_SUPPORTED_VERSIONS;
        if (tls13 && !(m->arg & RSL_IN_SH13)) return 0;
        rsl_put(m, b, len, at, has_rsl(b, *len, at));
        return 1;
    }
    return 0;
}

/* The server's value rewritten to arg: the client's verdict. */
static void client_gets(uint16_t v, int climit, int arg, int alert, const char *words)
{
    pair p;
    mitm m = {.fn = server_rsl, .arg = arg};
    parley_config *cc = client_cfg("ec256");
    if (climit >= 0) limited(cc, (unsigned)climit);
    mitm_pair(&p, &m, cc, server_cfg("ec256"), v);
    int rc = mitm_handshake(&p, &m);
    assert_true(m.done);
    if (!alert) {
        /* Accepted: the server's limit is taken; the handshake then fails
         * only at Finished when the bytes changed (the transcripts differ). */
        (void)rc;
        assert_null(strstr(parley_conn_error_string(p.client), "record_size_limit"));
        assert_null(strstr(parley_conn_error_string(p.server), "record_size_limit"));
        limits_are(p.client, (unsigned)(arg & 0xffff), v == PARLEY_TLS1_2 ? 16384 : 16385);
    } else {
        assert_int_not_equal(rc, 0);
        expect_alert(p.client, p.server, alert, words);
    }
    free_pair(&p);
}

static void test_client_checks_server_value(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        uint16_t v = i ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        unsigned max = i ? 16384 : 16385;
        client_gets(v, -1, 64, 0, NULL);
        client_gets(v, -1, (int)max, 0, NULL);
        /* RFC 8449 4: below 64 MUST be illegal_parameter. */
        client_gets(v, -1, 63, A_ILLEGAL_PARAMETER, "below the minimum of 64");
        client_gets(v, -1, 0, A_ILLEGAL_PARAMETER, "below the minimum of 64");
        /* RFC 8449 4: a client MAY refuse a value above the version's maximum. */
        client_gets(v, -1, (int)max + 1, A_ILLEGAL_PARAMETER, "exceeds the");
        /* Not offered (turned off): unsolicited (RFC 8446 4.2, RFC 5246 7.4.1.4). */
        client_gets(v, 0, 512, A_UNSUPPORTED_EXTENSION, "record_size_limit, which was not offered");
        /* Twice (RFC 8446 4.2), a body that is not a uint16. */
        client_gets(v, -1, 512 | RSL_TWICE, A_ILLEGAL_PARAMETER, "appears twice");
        client_gets(v, -1, 512 | RSL_BODY3, A_DECODE_ERROR, "");
    }
    /* RFC 8446 4.2: recognised but not allowed in a TLS 1.3 ServerHello. */
    client_gets(PARLEY_TLS1_3, -1, 512 | RSL_IN_SH13, A_ILLEGAL_PARAMETER, "not allowed in this message");
}

/* The server's EncryptedExtensions / ServerHello carries the extension? */
static int seen_rsl;
static int spot_rsl(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    /* 1 (unchanged, but seen): the mitm leaves later records alone. */
    if (dir == 1 && type == PL_HS_ENCRYPTED_EXTENSIONS) return seen_rsl = has_rsl(b, *len, 0), 1;
    if (dir == 1 && type == PL_HS_SERVER_HELLO && m->arg == 12) return seen_rsl = has_rsl(b, *len, 2 + 32 + 1 + b[34] + 2 + 1), 1;
    return 0;
}

/* RFC 8449 4 / RFC 8446 4.2: a server sends it only to a client that did. */
static void test_server_answers_only_when_asked(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        uint16_t v = i & 1 ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        pair p;
        mitm m = {.fn = spot_rsl, .arg = v == PARLEY_TLS1_2 ? 12 : 13};
        parley_config *cc = client_cfg("ec256");
        if (i & 2) limited(cc, 0);
        seen_rsl = -1;
        mitm_pair(&p, &m, cc, server_cfg("ec256"), v);
        assert_int_equal(mitm_handshake(&p, &m), 0);
        assert_int_equal(seen_rsl, !(i & 2));
        free_pair(&p);
    }
}

/* ClientHellos built byte by byte, at the server. */
static void hello_with_rsl(raw_hello *h, int tls12, const uint8_t *body, size_t bl, int twice)
{
    if (tls12) {
        rh_init(h);
        static const uint16_t s12[] = {0xc02b};
        rh_set_suites(h, s12, 1);
        hello_add_tls12_groups_sigalgs(h);
    } else {
        hello13_init(h);
    }
    rh_add(h, EXT_RSL, body, bl);
    if (twice) rh_add(h, EXT_RSL, body, bl);
}

static void test_server_checks_client_value(void **state)
{
    (void)state;
    for (int tls12 = 0; tls12 < 2; tls12++) {
        raw_hello h;
        uint16_t version = tls12 ? 0x0303 : 0x0304;
        hello_with_rsl(&h, tls12, (const uint8_t[]){0x00, 0x3f}, 2, 0);
        hello_refused(&h, A_ILLEGAL_PARAMETER, "below the minimum of 64");
        rh_free(&h);
        hello_with_rsl(&h, tls12, (const uint8_t[]){0x00, 0x40}, 2, 0);
        hello_accepted(&h, version);
        rh_free(&h);
        /* RFC 8449 4: a server MUST NOT enforce the maximum. */
        hello_with_rsl(&h, tls12, (const uint8_t[]){0xff, 0xff}, 2, 0);
        hello_accepted(&h, version);
        rh_free(&h);
        hello_with_rsl(&h, tls12, (const uint8_t[]){0x02, 0x00, 0x00}, 3, 0);
        hello_refused(&h, A_DECODE_ERROR, "");
        rh_free(&h);
        hello_with_rsl(&h, tls12, (const uint8_t[]){0x02}, 1, 0);
        hello_refused(&h, A_DECODE_ERROR, "");
        rh_free(&h);
        hello_with_rsl(&h, tls12, (const uint8_t[]){0x02, 0x00}, 2, 1);
        hello_refused(&h, A_ILLEGAL_PARAMETER, "appears twice");
        rh_free(&h);
    }
}

/* A server with the extension turned off still checks its syntax (Parley
 * understands it; RFC 8446 4.2 lets a server ignore only extensions it does
 * not): a value below 64 is illegal_parameter, a bad length decode_error; a
 * valid one is accepted and not acted on. */
static void test_server_off_still_checks(void **state)
{
    (void)state;
    static const uint8_t low[] = {0x00, 0x3f}, shortb[] = {0x02}, fine[] = {0x02, 0x00};
    static const struct { const uint8_t *b; size_t n; int alert; } cases[] = {
        {low, 2, A_ILLEGAL_PARAMETER},
        {shortb, 1, A_DECODE_ERROR},
        {fine, 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw_hello h;
        hello_with_rsl(&h, 0, cases[i].b, cases[i].n, 0);
        parley_config *cfg = server_cfg("ec256");
        assert_int_equal(parley_config_set_record_size_limit(cfg, 0), PARLEY_OK);
        parley_conn *s = parley_conn_new_server(cfg);
        parley_config_free(cfg);
        int rc = hello_send(s, &h);
        if (cases[i].alert) {
            hello_refused_by(s, rc, cases[i].alert, "");
        } else {
            hello_answered(s, rc, 0x0304);
            unsigned peer = 1, ours = 1;
            parley_conn_record_size_limit(s, &peer, &ours);
            assert_int_equal(peer, 0); /* not negotiated */
        }
        parley_conn_free(s);
        rh_free(&h);
    }
}

/* The client's value rewritten to 65535 (allowed by no version): the server
 * sends records up to the protocol maximum, never more (RFC 8449 4). The
 * handshake then fails at Finished (the transcripts differ); the server has
 * taken the client's limit from the ClientHello. */
static int client_rsl_max(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    ext_replace(b, len, ch_ext_at(b), EXT_RSL, (const uint8_t[]){(uint8_t)(m->arg >> 8), (uint8_t)m->arg}, 2);
    return 1;
}

static void test_server_clamps_client_value(void **state)
{
    (void)state;
    struct {
        uint16_t v;
        int value;
        unsigned peer;
    } cases[] = {
        {PARLEY_TLS1_3, 65535, 16385}, {PARLEY_TLS1_2, 65535, 16384},
        /* A TLS 1.2 server takes one byte off the limit of a client that
         * also offered TLS 1.3 (GnuTLS counts the type byte in it). */
        {PARLEY_TLS1_2, 513, 512},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pair p;
        mitm m = {.fn = client_rsl_max, .arg = cases[i].value};
        parley_config *cc = client_cfg("ec256");
        if (i == 2) assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
        if (i == 2) make_pair(&p, cc, only_version(server_cfg("ec256"), PARLEY_TLS1_2), "localhost"); /* the client offers both */
        else mitm_pair(&p, &m, cc, server_cfg("ec256"), cases[i].v);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        assert_null(strstr(parley_conn_error_string(p.server), "record_size_limit"));
        limits_are(p.server, cases[i].peer, cases[i].v == PARLEY_TLS1_2 ? 16384 : 16385);
        free_pair(&p);
    }
}

/* The parser alone (also the fuzzer's target). */
static void test_parse(void **state)
{
    (void)state;
    struct {
        uint8_t b[3];
        size_t n;
        int rc;
        uint16_t v;
    } cases[] = {
        {{0x00, 0x40}, 2, 0, 64},    {{0x40, 0x01}, 2, 0, 16385}, {{0xff, 0xff}, 2, 0, 65535},
        {{0x00, 0x3f}, 2, -PL_ERR_ILLEGAL_PARAMETER, 63}, {{0x00, 0x00}, 2, -PL_ERR_ILLEGAL_PARAMETER, 0},
        {{0x00}, 0, -PL_ERR_DECODE, 0},  {{0x01}, 1, -PL_ERR_DECODE, 0}, {{0x01, 0x00, 0x00}, 3, -PL_ERR_DECODE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl_cursor c = pl_cur(cases[i].b, cases[i].n);
        uint16_t v = 0;
        assert_int_equal(pl_rsl_parse(&c, &v), cases[i].rc);
        if (cases[i].rc == 0 || cases[i].rc == -PL_ERR_ILLEGAL_PARAMETER) assert_int_equal(v, cases[i].v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_advertised),
        cmocka_unit_test(test_records_within_peer_limit),
        cmocka_unit_test(test_record_over_our_limit),
        cmocka_unit_test(test_record_before_encrypted_extensions),
        cmocka_unit_test(test_client_checks_server_value),
        cmocka_unit_test(test_server_answers_only_when_asked),
        cmocka_unit_test(test_server_checks_client_value),
        cmocka_unit_test(test_server_off_still_checks),
        cmocka_unit_test(test_server_clamps_client_value),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
