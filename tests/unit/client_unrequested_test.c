/*
 * client_unrequested_test.c - what a client must refuse because it never
 * asked for it, and where its compatibility CCS goes (BoGo findings):
 *   - a server_name acknowledgement without SNI sent (RFC 6066 3; RFC 8446
 *     4.2), in EncryptedExtensions and in a TLS 1.2 ServerHello;
 *   - certificate entry extensions other than a requested status_request
 *     (RFC 8446 4.4.2);
 *   - a non-empty CertificateRequest context in the handshake (4.3.2);
 *   - a TLS 1.2 ServerHello echoing the random compatibility session id
 *     when no session was offered (RFC 5246 7.4.1.3);
 *   - the CCS right after the ServerHello, before anything encrypted (D.4),
 *     and the initial ClientHello's record version 0x0301 (5.1).
 */
#include "mitm.h"
#include "rawrec.h"

#include "handshake/messages.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Append extension (type, body) to the extensions block at b+at, which ends the message. */
static void ext_append(uint8_t *b, size_t *len, size_t at, uint16_t type, const uint8_t *body, size_t bl)
{
    assert_int_equal(at + 2 + get16(b + at), *len);
    put16(b + *len, type);
    put16(b + *len + 2, bl);
    if (bl) memcpy(b + *len + 4, body, bl); /* body may be NULL for an empty extension */
    *len += 4 + bl;
    put16(b + at, get16(b + at) + 4 + bl);
}

/* Offset of a ServerHello body's extensions block. */
static size_t sh_ext_at(const uint8_t *b) { return 2 + 32 + 1 + b[34] + 2 + 1; }

/* An empty server_name in the server's EncryptedExtensions (TLS 1.3) or
 * ServerHello (TLS 1.2). */
static int add_sni_ack(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 1) return 0;
    if (type == PL_HS_ENCRYPTED_EXTENSIONS) ext_append(b, len, 0, PL_EXT_SERVER_NAME, NULL, 0);
    else if (type == PL_HS_SERVER_HELLO && m->arg == PARLEY_TLS1_2) ext_append(b, len, sh_ext_at(b), PL_EXT_SERVER_NAME, NULL, 0);
    else return 0;
    return 1;
}

static void test_sni_ack_without_sni(void **state)
{
    (void)state;
    for (int v = PARLEY_TLS1_2; v <= PARLEY_TLS1_3; v++) {
        /* No name, no SNI sent: an acknowledgement is unsupported_extension. */
        pair p;
        mitm m2 = {.fn = add_sni_ack, .arg = v};
        mitm_pair_sni(&p, &m2, client_cfg("ec256"), server_cfg("ec256"), v, NULL);
        assert_int_not_equal(mitm_handshake(&p, &m2), 0);
        assert_true(m2.done);
        expect_alert(p.client, p.server, PL_ALERT_UNSUPPORTED_EXTENSION, "server acknowledged a server_name that was not sent");
        free_pair(&p);
    }
}

/* The server's leaf entry gets extension m->arg (empty body; status_request
 * with a one-byte OCSP response). */
static int cert_entry_ext(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    if (dir != 1 || type != PL_HS_CERTIFICATE) return 0;
    static const uint8_t ocsp[] = {1, 0, 0, 1, 0x30};
    const uint8_t *body = m->arg == PL_EXT_STATUS_REQUEST ? ocsp : NULL;
    size_t bl = body ? sizeof ocsp : 0;
    size_t ctx = 1 + b[0], leaf = ctx + 3, exts = leaf + 3 + get24(b + leaf);
    size_t add = 4 + bl;
    /* The leaf's extensions were empty (Parley's server staples nothing here). */
    assert_int_equal(get16(b + exts), 0);
    memmove(b + exts + 2 + add, b + exts + 2, *len - exts - 2);
    put16(b + exts + 2, (size_t)m->arg);
    put16(b + exts + 4, bl);
    if (bl) memcpy(b + exts + 6, body, bl);
    put16(b + exts, add);
    *len += add;
    put24(b + ctx, get24(b + ctx) + add);
    return 1;
}

static void test_certificate_entry_extensions(void **state)
{
    (void)state;
    static const struct {
        int ext;
        const char *words;
    } cases[] = {
        {0x7f, "certificate entry carries extension unknown (127), which was not requested"},
        {PL_EXT_SCT, "certificate entry carries extension signed_certificate_timestamp (18)"},
        {PL_EXT_STATUS_REQUEST, "server stapled an OCSP response, which was not requested"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pair p;
        mitm m = {.fn = cert_entry_ext, .arg = cases[i].ext};
        parley_config *sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_cert_compression(sc, "none"), PARLEY_OK); /* a plain Certificate to rewrite */
        mitm_pair(&p, &m, client_cfg("ec256"), sc, PARLEY_TLS1_3);
        assert_int_not_equal(mitm_handshake(&p, &m), 0);
        assert_true(m.done);
        expect_alert(p.client, p.server, PL_ALERT_UNSUPPORTED_EXTENSION, cases[i].words);
        free_pair(&p);
    }
}

/* A CertificateRequest in the handshake with the context "ctx". */
static int cr_context(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 1 || type != PL_HS_CERTIFICATE_REQUEST) return 0;
    assert_int_equal(b[0], 0);
    memmove(b + 4, b + 1, *len - 1);
    b[0] = 3;
    memcpy(b + 1, "ctx", 3);
    *len += 3;
    return 1;
}

static void test_cr_context_in_handshake(void **state)
{
    (void)state;
    pair p;
    mitm m = {.fn = cr_context};
    mitm_pair(&p, &m, client_cfg("ec256"), mtls_server("ec256", "ec256"), PARLEY_TLS1_3);
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    expect_alert(p.client, p.server, PL_ALERT_DECODE_ERROR, "CertificateRequest in the handshake has a non-empty request context");
    free_pair(&p);
}

/* A TLS 1.2 ServerHello echoing the client's (random) session id. */
static int echo_session_id(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)cap;
    static uint8_t sid[32];
    static size_t sidlen;
    if (dir == 0 && type == PL_HS_CLIENT_HELLO) {
        sidlen = b[34];
        memcpy(sid, b + 35, sidlen);
        return 0;
    }
    if (dir != 1 || type != PL_HS_SERVER_HELLO || m->arg) return 0;
    size_t old = b[34];
    memmove(b + 35 + sidlen, b + 35 + old, *len - 35 - old);
    memcpy(b + 35, sid, sidlen);
    b[34] = (uint8_t)sidlen;
    *len = *len - old + sidlen;
    return 1;
}

static void test_tls12_echoed_compat_session_id(void **state)
{
    (void)state;
    pair p;
    mitm m = {.fn = echo_session_id};
    /* A client that also offers TLS 1.3 sends a random compatibility id (a
     * TLS 1.2-only client with nothing to resume sends an empty one); the
     * TLS 1.2 server's echo of it claims a resumption never offered. */
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                     PARLEY_OK);
    assert_int_equal(parley_config_set_trace(cc, mitm_client_trace, &m), PARLEY_OK);
    make_pair(&p, cc, only_version(server_cfg("ec256"), PARLEY_TLS1_2), "localhost");
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    expect_alert(p.client, p.server, PL_ALERT_ILLEGAL_PARAMETER, "server echoed our session id, but no session was offered");
    free_pair(&p);
}

/* RFC 8446 5.1: the initial ClientHello in a 0x0301 record; D.4: the CCS
 * leaves as soon as the ServerHello is taken, before anything encrypted. */
static void test_record_versions_and_ccs_after_server_hello(void **state)
{
    (void)state;
    pair p;
    pair_new(&p, PARLEY_TLS1_3);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    const uint8_t *d;
    (void)out_rec(p.client, 0, &d);
    assert_int_equal(d[0] << 16 | d[1] << 8 | d[2], 0x160301);
    feed_recs(p.client, p.server, 0, -1);
    drop_output(p.client);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    feed_recs(p.server, p.client, 0, 1); /* the ServerHello alone */
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    static const uint8_t ccs[6] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
    uint8_t out[64];
    assert_int_equal(conn_take(p.client, out, sizeof out), sizeof ccs);
    assert_memory_equal(out, ccs, sizeof ccs);
    /* The rest of the flight: the handshake completes, with no second CCS. */
    feed_recs(p.server, p.client, 1, -1);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    const uint8_t *r;
    (void)out_rec(p.client, 0, &r);
    assert_int_equal(r[0], PL_CT_APPLICATION_DATA);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sni_ack_without_sni),
        cmocka_unit_test(test_certificate_entry_extensions),
        cmocka_unit_test(test_cr_context_in_handshake),
        cmocka_unit_test(test_tls12_echoed_compat_session_id),
        cmocka_unit_test(test_record_versions_and_ccs_after_server_hello),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
