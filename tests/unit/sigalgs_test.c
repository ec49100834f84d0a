/*
 * sigalgs_test.c - issue #13 item 5: signatures and signature schemes. An
 * empty signature in CertificateVerify or ServerKeyExchange (and an empty
 * RSA premaster) is well formed and does not verify; SHA-1/SHA-224-only
 * offers are refused and say so; the SHA-512 schemes per version; P-521 and
 * Ed448 certificates in both roles. The messages are tampered with in
 * flight by the man in the middle of mitm.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "internal.h"
#include "helpers.h"
#include "mitm.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30) ||
           make_cert(d, "ec521", "ec521", "localhost", -1, 30) || make_cert(d, "ed448", "ed448", "localhost", -1, 30) ||
           make_cert(d, "cli521", "ec521", "client.example", -1, 30) || make_cert(d, "cli448", "ed448", "client.example", -1, 30) ||
           make_cert(d, "cli256", "ec256", "client.example", -1, 30);
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

/* signature_algorithms<2..2^16-2> with only SHA-1 and SHA-224 schemes. */
static const uint8_t legacy_only[] = {0x00, 0x0c, 0x02, 0x01, 0x02, 0x03, 0x03, 0x01, 0x03, 0x03, 0x02, 0x02, 0x03, 0x02};

/* The ClientHello's signature_algorithms lists only SHA-1 and SHA-224 schemes. */
static int ch_legacy_sigalgs(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    ext_replace(b, len, ch_ext_at(b), PL_EXT_SIGNATURE_ALGORITHMS, legacy_only, sizeof legacy_only);
    return 1;
}

/* The ClientHello has no signature_algorithms at all. */
static int ch_no_sigalgs(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 0 || type != PL_HS_CLIENT_HELLO) return 0;
    ext_remove(b, len, ch_ext_at(b), PL_EXT_SIGNATURE_ALGORITHMS);
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
        ext_replace(b, len, 1 + b[0], PL_EXT_SIGNATURE_ALGORITHMS, legacy_only, sizeof legacy_only);
    } else {
        /* TLS 1.2: certificate_types<1..255>, supported_signature_algorithms, CAs. */
        size_t at = 1 + b[0], old = get16(b + at), nl = sizeof legacy_only - 2;
        memmove(b + at + 2 + nl, b + at + 2 + old, *len - (at + 2 + old));
        memcpy(b + at, legacy_only, sizeof legacy_only);
        *len = *len - old + nl;
    }
    return 1;
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

/* The signature empty, then overlong: decrypt_error, then decode_error. */
static void empty_and_overlong_signature(int v, int client_cv)
{
    run_sig_case(v, client_cv, SIG_EMPTY);
    run_sig_case(v, client_cv, SIG_OVERLONG);
}

static void test_empty_server_signature_tls13(void **state)
{
    (void)state;
    empty_and_overlong_signature(PARLEY_TLS1_3, 0);
}

static void test_empty_client_signature_tls13(void **state)
{
    (void)state;
    empty_and_overlong_signature(PARLEY_TLS1_3, 1);
}

static void test_empty_ske_signature_tls12(void **state)
{
    (void)state;
    empty_and_overlong_signature(PARLEY_TLS1_2, 0);
}

static void test_empty_client_signature_tls12(void **state)
{
    (void)state;
    empty_and_overlong_signature(PARLEY_TLS1_2, 1);
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
        assert_int_equal(parley_config_set_trace(cc, mitm_client_trace, &m), PARLEY_OK);
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

/* ------------------------------------------- P-521 and Ed448 certificates */

/* A handshake in which the server's certificate (client_cert 0) or the
 * client's (1) is `kind`: it verifies and was signed with `scheme`. */
static void cert_handshake(int v, int client_cert, const char *kind, const char *suite, uint16_t scheme)
{
    pair p;
    mitm m = {0};
    parley_config *cc = client_cert ? mtls_client("ec256", kind) : client_cfg(kind);
    parley_config *sc = client_cert ? mtls_server("ec256", kind) : server_cfg(kind);
    if (suite) assert_int_equal(parley_config_set_ciphers(cc, suite), PARLEY_OK);
    assert_int_equal(parley_config_set_trace(cc, mitm_client_trace, &m), PARLEY_OK);
    make_pair(&p, only_version(cc, v), only_version(sc, v), "localhost");
    handshake_ok(&p, kind);
    if (client_cert) {
        assert_string_equal(parley_conn_verify_result(p.server), "ok");
        assert_string_equal(m.trace, parley_sigscheme_name(scheme));
    } else {
        assert_string_equal(parley_conn_verify_result(p.client), "ok");
        assert_int_equal(parley_conn_signature_scheme(p.client), scheme);
        exchange(&p, p.client, p.server, "ping");
    }
    free_pair(&p);
}

static void test_p521_and_ed448_certificates(void **state)
{
    (void)state;
    const char *ecdsa12 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    cert_handshake(PARLEY_TLS1_3, 0, "ec521", NULL, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_2, 0, "ec521", ecdsa12, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_3, 0, "ed448", NULL, PARLEY_SIG_ED448);
    cert_handshake(PARLEY_TLS1_2, 0, "ed448", ecdsa12, PARLEY_SIG_ED448); /* RFC 8422 5.1.3 */
    cert_handshake(PARLEY_TLS1_3, 1, "cli521", NULL, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_2, 1, "cli521", ecdsa12, PARLEY_SIG_ECDSA_SECP521R1_SHA512);
    cert_handshake(PARLEY_TLS1_3, 1, "cli448", NULL, PARLEY_SIG_ED448);
    cert_handshake(PARLEY_TLS1_2, 1, "cli448", ecdsa12, PARLEY_SIG_ED448);
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
        parley_config *cc = only_scheme(only_version(client_cfg(c[i].cert), c[i].v), c[i].scheme);
        if (c[i].suite) assert_int_equal(parley_config_set_ciphers(cc, c[i].suite), PARLEY_OK);
        make_pair(&p, cc, only_version(server_cfg(c[i].cert), c[i].v), "localhost");
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
    parley_config *cc = only_version(client_cfg("rsa2048"), PARLEY_TLS1_2), *sc = only_version(server_cfg("rsa2048"), PARLEY_TLS1_2);
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
        cmocka_unit_test(test_p521_and_ed448_certificates),
        cmocka_unit_test(test_sha512_schemes_per_version),
        cmocka_unit_test(test_tls12_empty_rsa_premaster),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
