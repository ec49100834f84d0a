/*
 * record_size_limit_rules_test.c - the rules of the record_size_limit
 * extension (RFC 8449 4), with the exact bytes: a value below 64 is
 * illegal_parameter (ClientHello, EncryptedExtensions, TLS 1.2 ServerHello);
 * above the version's maximum: refused by the client, clamped by the server
 * (which MUST NOT enforce it); a server answers only a client that sent it;
 * unsolicited is unsupported_extension; duplicated or in a TLS 1.3
 * ServerHello illegal_parameter; a body that is not two bytes decode_error;
 * a server with the extension off still checks its syntax.
 */
#include "hello_server.h"
#include "mitm.h"
#include "rawrec.h"
#include "rsl_helpers.h"

#include "handshake/messages.h"
#include "handshake/record_size_limit.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_checks_server_value),
        cmocka_unit_test(test_server_answers_only_when_asked),
        cmocka_unit_test(test_server_checks_client_value),
        cmocka_unit_test(test_server_off_still_checks),
        cmocka_unit_test(test_server_clamps_client_value),
    };
    return cmocka_run_group_tests(tests, rsl_setup, NULL);
}
