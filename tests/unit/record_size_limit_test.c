/*
 * record_size_limit_test.c - record_size_limit (RFC 8449), both roles, both
 * versions, with the exact bytes on the wire:
 *   - what is advertised: the protocol maximum by default (16385 when TLS 1.3
 *     is offered, 16384 in TLS 1.2), the configured value, nothing when off;
 *   - every protected record sent stays within the peer's limit: handshake
 *     messages split, application data split, padding cut at the limit;
 *     unprotected records are not subject to it;
 *   - a protected record beyond our limit is record_overflow (TLS 1.3: the
 *     whole TLSInnerPlaintext, padding included), also one that came before
 *     EncryptedExtensions;
 *   - the parser alone.
 * The extension's placement and value rules: record_size_limit_rules_test.c.
 */
#include "hello_server.h"
#include "mitm.h"
#include "rawrec.h"
#include "rsl_helpers.h"

#include "handshake/messages.h"
#include "handshake/record_size_limit.h"

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
    };
    return cmocka_run_group_tests(tests, rsl_setup, NULL);
}
