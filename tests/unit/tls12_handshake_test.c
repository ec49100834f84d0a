/*
 * tls12_handshake_test.c - TLS 1.2 handshakes in memory: every suite with the
 * private-key operations done asynchronously, version negotiation and the
 * downgrade sentinel, static RSA with broken premaster ciphertexts (one alert,
 * one place, for all of them), invalid key exchange values, ChangeCipherSpec
 * ordering, extended master secret policy, and renegotiation refusal.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "internal.h"
#include "helpers.h"

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30);
}

static parley_config *cfg12(parley_config *cfg, const char *suite)
{
    assert_int_equal(parley_config_set_versions(cfg, PARLEY_TLS1_2, PARLEY_TLS1_3), PARLEY_OK);
    if (suite) assert_int_equal(parley_config_set_ciphers(cfg, suite), PARLEY_OK);
    assert_int_equal(parley_config_allow_rsa_kx(cfg, 1), PARLEY_OK);
    return cfg;
}

/* A provider that completes each operation later, through the local key. */
typedef struct {
    parley_key_provider base;
    EVP_PKEY *key;
    parley_key_op *pending;
    int ops;
} deferred;

static int deferred_start(parley_key_provider *self, parley_key_op *op)
{
    deferred *d = (deferred *)self;
    d->pending = op;
    d->ops++;
    return PARLEY_WANT_KEY_OP;
}

static void deferred_finish(deferred *d)
{
    const uint8_t *in;
    size_t inlen, outlen = 1024;
    uint8_t out[1024];
    parley_key_op_input(d->pending, &in, &inlen);
    if (parley_key_op_type(d->pending) == PARLEY_KEY_OP_RSA_DECRYPT) {
        /* What a key server would run: decryption with implicit rejection. */
        assert_int_equal(pl_rsa_decrypt_premaster((pl_pkey *)d->key, in, inlen, parley_key_op_client_version(d->pending), out), 0);
        outlen = 48;
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc;
        uint16_t s = parley_key_op_scheme(d->pending);
        const EVP_MD *md = (s & 0xff) == 0x01 || s == 0x0804 || s == 0x0403 ? EVP_sha256() : EVP_sha384();
        assert_int_equal(EVP_DigestSignInit(m, &pc, md, NULL, d->key), 1);
        if ((s >> 8) == 0x08) {
            EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST);
        }
        assert_int_equal(EVP_DigestSign(m, out, &outlen, in, inlen), 1);
        EVP_MD_CTX_free(m);
    }
    parley_key_op *op = d->pending;
    d->pending = NULL;
    assert_int_equal(parley_key_op_complete(op, 1, out, outlen), PARLEY_OK);
}

/* Handshake, completing key operations as they come. */
static int handshake_with(pair *p, deferred *d)
{
    int c, s;
    for (int i = 0; i < 20; i++) {
        if (pair_handshake(p, &c, &s) == 0) return 0;
        if (s != PARLEY_WANT_KEY_OP) return -1;
        deferred_finish(d);
    }
    return -1;
}

static void test_every_suite_async(void **state)
{
    (void)state;
    struct {
        const char *suite, *cert;
        int ops;
    } cases[] = {
        {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ec256", 1},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ec256", 1},
        {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ec256", 1},
        {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", 1},
        {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "rsa2048", 1},
        {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "rsa2048", 1},
        {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", 1},
        {"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "rsa2048", 1},
        {"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "rsa2048", 1},
        {"TLS_RSA_WITH_AES_128_GCM_SHA256", "rsa2048", 1},
        {"TLS_RSA_WITH_AES_256_GCM_SHA384", "rsa2048", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        deferred d = {{deferred_start, NULL}, NULL, NULL, 0};
        snprintf(path, sizeof path, "%s/%s.key", test_dir(), cases[i].cert);
        FILE *f = fopen(path, "r");
        d.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        snprintf(path, sizeof path, "%s/%s.pem", test_dir(), cases[i].cert);
        parley_config *sc = cfg12(parley_config_new(), NULL);
        assert_int_equal(parley_config_add_cert_with_provider(sc, path, &d.base), PARLEY_OK);
        parley_config *cc = cfg12(client_cfg(cases[i].cert), cases[i].suite);
        assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
        pair p;
        make_pair(&p, cc, sc, "localhost");
        assert_int_equal(handshake_with(&p, &d), 0);
        assert_int_equal(d.ops, cases[i].ops);
        assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
        assert_string_equal(parley_cipher_name(parley_conn_cipher(p.client)), cases[i].suite);
        assert_int_equal(parley_conn_cipher(p.server), parley_conn_cipher(p.client));
        assert_int_equal(parley_conn_ems(p.client), 1);
        assert_int_equal(parley_conn_ems(p.server), 1);
        assert_int_equal(parley_conn_group(p.client), parley_conn_group(p.server));
        exchange(&p, p.client, p.server, "GET / HTTP/1.1\r\n\r\n");
        exchange(&p, p.server, p.client, "HTTP/1.1 200 OK\r\n\r\n");
        /* KeyUpdate is TLS 1.3 only. */
        assert_int_equal(parley_conn_key_update(p.client, 0), PARLEY_ERROR);
        free_pair(&p);
        EVP_PKEY_free(d.key);
    }
}

static void test_groups12(void **state)
{
    (void)state;
    const char *groups[] = {"x25519", "secp256r1", "secp384r1", "ffdhe2048", "ffdhe3072", "ffdhe4096"};
    const uint16_t ids[] = {0x001d, 0x0017, 0x0018, 0x0100, 0x0101, 0x0102};
    for (int i = 0; i < 6; i++) {
        pair p;
        const char *suite = ids[i] >= 0x0100 ? "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" : "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
        parley_config *cc = cfg12(client_cfg("rsa2048"), suite);
        assert_int_equal(parley_config_set_groups(cc, groups[i]), PARLEY_OK);
        make_pair(&p, cc, server_cfg("rsa2048"), "localhost");
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
        assert_int_equal(parley_conn_group(p.client), ids[i]);
        assert_int_equal(parley_conn_group(p.server), ids[i]);
        exchange(&p, p.client, p.server, groups[i]);
        free_pair(&p);
    }
}

static void test_version_negotiation(void **state)
{
    (void)state;
    pair p;
    /* Both sides 1.2+1.3: 1.3. Either side pinned to 1.2: 1.2. */
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_3);
    free_pair(&p);
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    make_pair(&p, client_cfg("ec256"), sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_version(p.server), PARLEY_TLS1_2);
    free_pair(&p);
    /* 1.3-only client, 1.2-only server: protocol_version. */
    parley_config *cc = client_cfg("ec256");
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 70);
    free_pair(&p);
}

/* A middlebox rewrites the client's supported_versions so 1.3 disappears:
 * the 1.3-capable server answers 1.2 with the sentinel; the client, which did
 * offer 1.3, detects the downgrade. */
static void strip_tls13(void *arg, int dir, uint8_t *b, size_t n)
{
    (void)arg;
    if (dir != 0 || n < 6 || b[0] != 22 || b[5] != 1) return;
    for (size_t i = 9; i + 7 <= n; i++)
        if (b[i] == 0 && b[i + 1] == 43 && b[i + 5] == 3 && b[i + 6] == 4) {
            b[i + 6] = 2; /* 0x0304 -> 0x0302 */
            return;
        }
}

static void test_downgrade_sentinel(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    p.tamper = strip_tls13;
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 47);
    assert_non_null(strstr(parley_conn_error_string(p.client), "downgrade detected"));
    free_pair(&p);
    /* A client that offered only 1.2 accepts the same answer. */
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    free_pair(&p);
}

/* Replace the RSA ClientKeyExchange ciphertext in flight. */
static EVP_PKEY *g_rsa_pub;
static int g_defect;
static void corrupt_cke(void *arg, int dir, uint8_t *b, size_t n)
{
    (void)arg;
    for (size_t i = 0; dir == 0 && i + 9 + 256 <= n; i++) {
        if (!(b[i] == 22 && b[i + 1] == 3 && b[i + 2] == 3 && b[i + 5] == 16)) continue;
        uint8_t em[256], *ct = b + i + 11;
        em[0] = 0;
        em[1] = 2;
        for (int k = 2; k < 256 - 49; k++) em[k] = (uint8_t)(1 + k % 200);
        em[256 - 49] = 0;
        em[256 - 48] = 3;
        em[256 - 47] = 3;
        for (int k = 256 - 46; k < 256; k++) em[k] = (uint8_t)k;
        switch (g_defect) {
        case 0: break;                          /* well-formed, but not the client's premaster */
        case 1: em[1] = 1; break;               /* bad block type */
        case 2: em[0] = 1; break;               /* bad first byte */
        case 3: em[256 - 49] = 5; break;        /* no separator: wrong length */
        case 4: em[60] = 0; break;              /* separator too early: premaster too long */
        case 5: em[256 - 48] = 3, em[256 - 47] = 1; break; /* wrong version */
        default: em[5] = 0; break;              /* padding too short */
        }
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, g_rsa_pub, NULL);
        size_t l = 256;
        EVP_PKEY_encrypt_init(c);
        EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING);
        EVP_PKEY_encrypt(c, ct, &l, em, 256);
        EVP_PKEY_CTX_free(c);
        return;
    }
}

static void test_rsa_bad_premasters_look_alike(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/rsa2048.pem", test_dir());
    FILE *f = fopen(path, "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_rsa_pub = X509_get_pubkey(x);
    X509_free(x);
    for (g_defect = 0; g_defect < 7; g_defect++) {
        pair p;
        make_pair(&p, cfg12(client_cfg("rsa2048"), "TLS_RSA_WITH_AES_128_GCM_SHA256"), cfg12(server_cfg("rsa2048"), NULL),
                  "localhost");
        p.tamper = corrupt_cke;
        assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
        /* Every defect, and the well-formed but wrong premaster of case 0,
         * ends the same way at the same place: the client's encrypted
         * Finished cannot be opened under keys from a random premaster. */
        assert_int_equal(parley_conn_alert_sent(p.server), 20);
        assert_non_null(strstr(parley_conn_error_string(p.server), "record authentication failed"));
        free_pair(&p);
    }
    /* The server still serves a correct client. */
    pair p;
    make_pair(&p, cfg12(client_cfg("rsa2048"), "TLS_RSA_WITH_AES_128_GCM_SHA256"), cfg12(server_cfg("rsa2048"), NULL), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_string_equal(parley_conn_verify_result(p.client), "ok");
    assert_int_equal(parley_conn_group(p.client), 0);
    free_pair(&p);
    EVP_PKEY_free(g_rsa_pub);
    /* Static RSA is off unless both sides allow it. */
    make_pair(&p, cfg12(client_cfg("rsa2048"), "TLS_RSA_WITH_AES_128_GCM_SHA256"), server_cfg("rsa2048"), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    free_pair(&p);
}

/* Corrupt the client's ECDHE point in its ClientKeyExchange. */
static void corrupt_point(void *arg, int dir, uint8_t *b, size_t n)
{
    (void)arg;
    for (size_t i = 0; dir == 0 && i + 10 + 65 <= n; i++)
        if (b[i] == 22 && b[i + 1] == 3 && b[i + 2] == 3 && b[i + 5] == 16 && b[i + 9] == 65) {
            b[i + 10 + 64] ^= 1; /* last byte of y: off the curve */
            return;
        }
}

static void test_invalid_key_exchange_point(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = cfg12(client_cfg("ec256"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assert_int_equal(parley_config_set_groups(cc, "secp256r1"), PARLEY_OK);
    make_pair(&p, cc, cfg12(server_cfg("ec256"), NULL), "localhost");
    p.tamper = corrupt_point;
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 47);
    assert_non_null(strstr(parley_conn_error_string(p.server), "EC key share"));
    free_pair(&p);
}

static void test_ems_policy(void **state)
{
    (void)state;
    /* EMS is not required by default, and still used when both can; strict
     * mode on both sides (require_ems) changes nothing between two peers
     * that support it. Peers without it: ems_test.c. */
    for (int strict = 0; strict <= 1; strict++) {
        pair p;
        parley_config *cc = cfg12(client_cfg("ec256"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), *sc = server_cfg("ec256");
        assert_int_equal(cc->require_ems, 0);
        assert_int_equal(parley_config_require_ems(cc, strict), PARLEY_OK);
        assert_int_equal(parley_config_require_ems(sc, strict), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_ems(p.client), 1);
        assert_int_equal(parley_conn_ems(p.server), 1);
        free_pair(&p);
    }
}

/* Renegotiation is refused both ways (RFC 5746 / 5246 7.2.2): a HelloRequest
 * to the client and a ClientHello to the server, each sent under the live
 * keys, get a warning no_renegotiation and the connection carries on. */
static void test_renegotiation_refused(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, cfg12(client_cfg("ec256"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(pl_conn_send_handshake(p.server, 0 /* hello_request */, NULL, 0), 0);
    pair_pump(&p);
    uint8_t b[64];
    size_t n;
    assert_int_equal(parley_conn_read(p.client, b, sizeof b, &n), PARLEY_WANT_READ);
    const uint8_t *out;
    parley_conn_pending_output(p.client, &out, &n);
    assert_int_equal(n, 5 + 8 + 2 + 16); /* one protected alert record */
    pair_pump(&p);
    assert_int_equal(parley_conn_read(p.server, b, sizeof b, &n), PARLEY_WANT_READ); /* warning: ignored */
    exchange(&p, p.server, p.client, "still here");
    uint8_t hello[] = {3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                       25, 26, 27, 28, 29, 30, 31, 32, 0, 0, 2, 0xc0, 0x2b, 1, 0};
    assert_int_equal(pl_conn_send_handshake(p.client, 1, hello, sizeof hello), 0);
    pair_pump(&p);
    assert_int_equal(parley_conn_read(p.server, b, sizeof b, &n), PARLEY_WANT_READ);
    parley_conn_pending_output(p.server, &out, &n);
    assert_int_equal(n, 5 + 8 + 2 + 16);
    exchange(&p, p.client, p.server, "and still here");
    free_pair(&p);
}

/* Mutual TLS in both versions, the client's key held by an asynchronous
 * provider: the client pauses with WANT_KEY_OP for its CertificateVerify. */
static void test_mutual_tls_async_client_key(void **state)
{
    (void)state;
    const uint16_t versions[] = {PARLEY_TLS1_3, PARLEY_TLS1_2};
    for (int v = 0; v < 2; v++) {
        char pem[512], key[512];
        snprintf(pem, sizeof pem, "%s/rsa2048.pem", test_dir());
        snprintf(key, sizeof key, "%s/rsa2048.key", test_dir());
        deferred d = {{deferred_start, NULL}, NULL, NULL, 0};
        FILE *f = fopen(key, "r");
        d.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_versions(cc, versions[v], versions[v]), PARLEY_OK);
        assert_int_equal(parley_config_add_cert_with_provider(cc, pem, &d.base), PARLEY_OK);
        parley_config *sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_client_ca(sc, pem), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        pair p;
        make_pair(&p, cc, sc, "localhost");
        int c, s, rc = -1;
        for (int i = 0; i < 10 && rc != 0; i++) {
            rc = pair_handshake(&p, &c, &s);
            if (rc != 0) {
                assert_int_equal(c, PARLEY_WANT_KEY_OP);
                deferred_finish(&d);
            }
        }
        assert_int_equal(rc, 0);
        assert_int_equal(d.ops, 1);
        assert_int_equal(parley_conn_version(p.server), versions[v]);
        assert_string_equal(parley_conn_verify_result(p.server), "ok");
        char subj[256], iss[256], nb[64], na[64], sans[256];
        assert_int_equal(parley_conn_peer_cert_count(p.server), 1);
        assert_int_equal(parley_conn_peer_cert_info(p.server, 0, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na), PARLEY_OK);
        assert_string_equal(subj, "/CN=localhost");
        assert_int_equal(parley_conn_peer_cert_sans(p.server, 0, sans, sizeof sans), PARLEY_OK);
        assert_string_equal(sans, "DNS:localhost, IP:127.0.0.1");
        exchange(&p, p.client, p.server, "authenticated");
        free_pair(&p);
        /* Without a client certificate: certificate_required (1.3) or handshake_failure (1.2). */
        cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_versions(cc, versions[v], versions[v]), PARLEY_OK);
        sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_client_ca(sc, pem), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_alert_sent(p.server), v == 0 ? 116 : 40);
        free_pair(&p);
        EVP_PKEY_free(d.key);
    }
}

/* Rewrite the server's CertificateRequest.certificate_types {rsa_sign,
 * ecdsa_sign} to the two bytes in `to`, and note the length of the client's
 * Certificate message (3: an empty certificate_list). */
typedef struct {
    const uint8_t *to;
    long client_cert_len;
} cert_types_probe;

static void set_cert_types(void *arg, int dir, uint8_t *b, size_t n)
{
    cert_types_probe *t = arg;
    for (size_t i = 0; dir == 1 && i + 7 <= n; i++)
        if (b[i] == 13 && b[i + 4] == 2 && b[i + 5] == 1 && b[i + 6] == 64) {
            b[i + 5] = t->to[0];
            b[i + 6] = t->to[1];
            return;
        }
    /* The client's second flight starts with a plaintext record holding its Certificate. */
    if (dir == 0 && t->client_cert_len < 0 && n >= 9 && b[0] == 22 && b[5] == 11)
        t->client_cert_len = (long)((b[6] << 16) | (b[7] << 8) | b[8]);
}

/* RFC 5246 7.4.4: a TLS 1.2 client answers only with a key type the server
 * listed; an RSA certificate is not sent to a server asking for ecdsa_sign.
 * (The rewritten request breaks the transcript, so neither handshake
 * completes: what counts is the Certificate the client sends.) */
static void test_client_cert_types12(void **state)
{
    (void)state;
    static const uint8_t rsa_only[2] = {1, 1}, ecdsa_only[2] = {64, 64};
    const uint8_t *cases[] = {rsa_only, ecdsa_only};
    for (int k = 0; k < 2; k++) {
        char pem[512], key[512];
        snprintf(pem, sizeof pem, "%s/rsa2048.pem", test_dir());
        snprintf(key, sizeof key, "%s/rsa2048.key", test_dir());
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
        assert_int_equal(parley_config_add_cert_files(cc, pem, key), PARLEY_OK);
        parley_config *sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_client_ca(sc, pem), PARLEY_OK);
        assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        pair p;
        make_pair(&p, cc, sc, "localhost");
        cert_types_probe probe = {cases[k], -1};
        p.tamper = set_cert_types;
        p.tamper_arg = &probe;
        assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
        if (k == 0) {
            assert_true(probe.client_cert_len > 3); /* rsa_sign asked: the RSA chain goes */
        } else {
            assert_int_equal(probe.client_cert_len, 3); /* an empty Certificate... */
            assert_int_equal(parley_conn_alert_sent(p.server), 40); /* ...which this server refuses */
        }
        free_pair(&p);
    }
}

static void test_ccs_out_of_order(void **state)
{
    (void)state;
    /* A ChangeCipherSpec before the server's ServerHelloDone is unexpected. */
    parley_config *cc = cfg12(client_cfg("ec256"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    parley_config *sc = server_cfg("ec256");
    parley_conn *c = parley_conn_new_client(cc, "localhost"), *s = parley_conn_new_server(sc);
    parley_config_free(cc);
    parley_config_free(sc);
    uint8_t buf[8192];
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, buf, sizeof buf);
    conn_feed(s, buf, n);
    assert_int_equal(parley_conn_handshake(s), PARLEY_WANT_READ);
    n = conn_take(s, buf, sizeof buf);
    /* Deliver only the ServerHello record, then a CCS. */
    size_t first = 5 + ((size_t)buf[3] << 8 | buf[4]);
    conn_feed(c, buf, first);
    const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    conn_feed(c, ccs, sizeof ccs);
    assert_int_equal(parley_conn_handshake(c), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(c), 10);
    assert_non_null(strstr(parley_conn_error_string(c), "unexpected ChangeCipherSpec"));
    parley_conn_free(c);
    parley_conn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_suite_async),
        cmocka_unit_test(test_groups12),
        cmocka_unit_test(test_version_negotiation),
        cmocka_unit_test(test_downgrade_sentinel),
        cmocka_unit_test(test_rsa_bad_premasters_look_alike),
        cmocka_unit_test(test_invalid_key_exchange_point),
        cmocka_unit_test(test_ems_policy),
        cmocka_unit_test(test_renegotiation_refused),
        cmocka_unit_test(test_mutual_tls_async_client_key),
        cmocka_unit_test(test_client_cert_types12), cmocka_unit_test(test_ccs_out_of_order),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
