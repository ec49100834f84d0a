/*
 * handshake_test.c - whole TLS 1.3 handshakes between Parley's client and
 * server in memory (the sans-I/O core needs no sockets), including hostile
 * and broken input: every failure must end with the right alert, never a
 * crash or a hang.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "helpers.h"

static char EC[512], EC_KEYFILE[512];

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    if (make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "ec384", "ec384", "localhost", -1, 30) ||
        make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30) || make_cert(d, "ed25519", "ed25519", "localhost", -1, 30) ||
        make_cert(d, "rsapss", "rsapss", "localhost", -1, 30) ||
        make_cert(d, "future", "ec256", "localhost", 10, 40) || make_cert(d, "other", "ec256", "other.example", -1, 30))
        return -1;
    snprintf(EC, sizeof EC, "%s/ec256.pem", d);
    snprintf(EC_KEYFILE, sizeof EC_KEYFILE, "%s/ec256.key", d);
    return 0;
}

static void test_every_suite_and_group(void **state)
{
    (void)state;
    const char *suites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};
    const uint16_t suite_ids[] = {0x1301, 0x1302, 0x1303};
    const char *groups[] = {"x25519", "secp256r1", "secp384r1"};
    const uint16_t group_ids[] = {0x1d, 0x17, 0x18};
    for (int s = 0; s < 3; s++)
        for (int g = 0; g < 3; g++) {
            pair p;
            parley_config *cc = client_cfg("ec256");
            assert_int_equal(parley_config_set_ciphers(cc, suites[s]), PARLEY_OK);
            assert_int_equal(parley_config_set_groups(cc, groups[g]), PARLEY_OK);
            make_pair(&p, cc, server_cfg("ec256"), "localhost");
            assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
            assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_3);
            assert_int_equal(parley_conn_cipher(p.client), suite_ids[s]);
            assert_int_equal(parley_conn_cipher(p.server), suite_ids[s]);
            assert_int_equal(parley_conn_group(p.client), group_ids[g]);
            assert_int_equal(parley_conn_group(p.server), group_ids[g]);
            assert_string_equal(parley_conn_verify_result(p.client), "ok");
            exchange(&p, p.client, p.server, "GET / HTTP/1.1\r\n\r\n");
            exchange(&p, p.server, p.client, "HTTP/1.1 200 OK\r\n\r\nhello");
            free_pair(&p);
        }
}

static void test_certificate_types(void **state)
{
    (void)state;
    const char *kinds[] = {"ec256", "ec384", "rsa2048", "ed25519", "rsapss"};
    const uint16_t schemes[] = {0x0403, 0x0503, 0x0804, 0x0807, 0x0809};
    for (int i = 0; i < 5; i++) {
        pair p;
        make_pair(&p, client_cfg(kinds[i]), server_cfg(kinds[i]), "localhost");
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_signature_scheme(p.client), schemes[i]);
        assert_string_equal(parley_conn_verify_result(p.client), "ok");
        assert_int_equal(parley_conn_peer_cert_count(p.client), 1);
        free_pair(&p);
    }
}

static int g_client_hellos;
static void count_ch(void *arg, const parley_conn *c, const parley_trace_event *ev)
{
    (void)arg;
    (void)c;
    if (ev->kind == PARLEY_TRACE_MESSAGE_SENT && ev->msg_type == 1) g_client_hellos++;
}

static void test_hello_retry_request(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_groups(cc, "x25519:secp384r1"), PARLEY_OK);
    assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK);
    assert_int_equal(parley_config_set_trace(cc, count_ch, NULL), PARLEY_OK);
    g_client_hellos = 0;
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(g_client_hellos, 2);
    assert_int_equal(parley_conn_group(p.client), PARLEY_GROUP_SECP384R1);
    exchange(&p, p.client, p.server, "after HRR");
    free_pair(&p);
    /* No group in common at all: handshake_failure. */
    cc = client_cfg("ec256");
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_groups(cc, "x25519"), PARLEY_OK);
    assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    assert_int_equal(parley_conn_alert_received(p.client), 40);
    free_pair(&p);
}

/* An asynchronous key provider (helpers.c): the handshake pauses with WANT_KEY_OP. */
static void test_async_key_operation(void **state)
{
    (void)state;
    pending_provider ap;
    pending_provider_init(&ap);
    FILE *f = fopen(EC_KEYFILE, "r");
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    parley_config *sc = parley_config_new();
    assert_int_equal(parley_config_add_cert_with_provider(sc, EC, &ap.base), PARLEY_OK);
    pair p;
    make_pair(&p, client_cfg("ec256"), sc, "localhost");
    int crc, src;
    assert_int_not_equal(pair_handshake(&p, &crc, &src), 0);
    assert_int_equal(src, PARLEY_WANT_KEY_OP);
    assert_non_null(ap.pending);
    /* Still pending: asking again does not restart the operation. */
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_KEY_OP);
    assert_int_equal(ap.calls, 1);
    assert_int_equal(parley_key_op_type(ap.pending), PARLEY_KEY_OP_SIGN);
    assert_int_equal(parley_key_op_scheme(ap.pending), PARLEY_SIG_ECDSA_SECP256R1_SHA256);
    const uint8_t *in;
    size_t inlen, siglen = 256;
    uint8_t sig[256];
    parley_key_op_input(ap.pending, &in, &inlen);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &siglen, in, inlen), 1);
    EVP_MD_CTX_free(m);
    assert_int_equal(parley_key_op_complete(ap.pending, 1, sig, siglen), PARLEY_OK);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_string_equal(parley_conn_verify_result(p.client), "ok");
    exchange(&p, p.client, p.server, "signed elsewhere");
    free_pair(&p);
    /* A provider that fails: internal_error, no crash. */
    sc = parley_config_new();
    ap.pending = NULL;
    assert_int_equal(parley_config_add_cert_with_provider(sc, EC, &ap.base), PARLEY_OK);
    make_pair(&p, client_cfg("ec256"), sc, "localhost");
    (void)pair_handshake(&p, &crc, &src);
    assert_int_equal(src, PARLEY_WANT_KEY_OP);
    assert_int_equal(parley_key_op_complete(ap.pending, 0, NULL, 0), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(p.server), 80);
    free_pair(&p);
    assert_int_equal(ap.cancelled, 0); /* completed operations are not cancelled */
    /* A connection freed while its operation is out: the provider is told to
     * forget it (so a late answer cannot write into freed memory). */
    sc = parley_config_new();
    ap.pending = NULL;
    assert_int_equal(parley_config_add_cert_with_provider(sc, EC, &ap.base), PARLEY_OK);
    make_pair(&p, client_cfg("ec256"), sc, "localhost");
    (void)pair_handshake(&p, &crc, &src);
    assert_int_equal(src, PARLEY_WANT_KEY_OP);
    assert_non_null(ap.pending);
    free_pair(&p);
    assert_int_equal(ap.cancelled, 1);
    assert_null(ap.pending);
    EVP_PKEY_free(key);
}

static void expect_verify_failure(parley_config *cc, parley_config *sc, const char *sni, int alert, const char *words)
{
    pair p;
    make_pair(&p, cc, sc, sni);
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.client), alert);
    assert_int_equal(parley_conn_alert_received(p.server), alert);
    const char *e = parley_conn_error_string(p.client);
    if (!strstr(e, words)) fail_msg("error '%s' does not mention '%s'", e, words);
    assert_non_null(strstr(parley_conn_verify_result(p.client), words));
    free_pair(&p);
}

static void test_verification_failures(void **state)
{
    (void)state;
    /* Expired: the injectable clock is a year ahead. */
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_time(cc, (int64_t)time(NULL) + 365 * 86400), PARLEY_OK);
    expect_verify_failure(cc, server_cfg("ec256"), "localhost", 45, "expired on");
    /* Not yet valid. */
    expect_verify_failure(client_cfg("future"), server_cfg("future"), "localhost", 45, "not valid until");
    /* Wrong host. */
    expect_verify_failure(client_cfg("ec256"), server_cfg("ec256"), "www.example.com", 42, "does not match host name www.example.com");
    /* Unknown CA. */
    expect_verify_failure(client_cfg("other"), server_cfg("ec256"), "localhost", 48, "is self-signed and not trusted");
    /* An IP address is matched against iPAddress SANs. */
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "127.0.0.1");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    free_pair(&p);
}

static int g_flip_at;
static void flip_last_server_byte(void *arg, int dir, uint8_t *buf, size_t len)
{
    (void)arg;
    if (dir == 1 && g_flip_at-- == 0) buf[len - 1] ^= 0x80;
}

static void test_flipped_ciphertext(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    p.tamper = flip_last_server_byte;
    g_flip_at = 0; /* the server's first flight ends in an encrypted record */
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.client), 20);
    assert_int_equal(parley_conn_alert_received(p.server), 20);
    assert_non_null(strstr(parley_conn_error_string(p.client), "bad_record_mac"));
    /* Errors stick: every later call fails the same way. */
    uint8_t b[8];
    size_t n;
    assert_int_equal(parley_conn_read(p.client, b, sizeof b, &n), PARLEY_ERROR);
    assert_int_equal(parley_conn_write(p.client, b, 1), PARLEY_ERROR);
    free_pair(&p);
    /* After the handshake, a flipped application record. */
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_write(p.server, (const uint8_t *)"data", 4), PARLEY_OK);
    p.tamper = flip_last_server_byte;
    g_flip_at = 0;
    pair_pump(&p);
    assert_int_equal(parley_conn_read(p.client, b, sizeof b, &n), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(p.client), 20);
    free_pair(&p);
}

/* The server's answer to raw bytes: returns the alert it sent, or -1. */
static int server_alert_for(const uint8_t *bytes, size_t len, int *status)
{
    parley_config *sc = server_cfg("ec256");
    parley_conn *s = parley_conn_new_server(sc);
    parley_config_free(sc);
    conn_feed(s, bytes, len);
    *status = parley_conn_handshake(s);
    uint8_t out[64];
    size_t n = conn_take(s, out, sizeof out);
    int alert = parley_conn_alert_sent(s);
    /* What was sent on the wire matches: a plaintext fatal alert record. */
    if (alert >= 0) {
        assert_int_equal(n, 7);
        assert_int_equal(out[0], 21);
        assert_int_equal(out[5], 2);
        assert_int_equal(out[6], alert);
    }
    parley_conn_free(s);
    return alert;
}

/* A valid ClientHello made by our own client. */
static size_t client_hello_record(uint8_t *buf, size_t cap, const char *groups)
{
    parley_config *cc = client_cfg("ec256");
    if (groups) assert_int_equal(parley_config_set_groups(cc, groups), PARLEY_OK);
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    parley_config_free(cc);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, buf, cap);
    parley_conn_free(c);
    return n;
}

/* The client echoes an HRR cookie in its second ClientHello (RFC 8446 4.2.2).
 * Parley's server sends no cookie, so one is spliced into a real HRR. */
static void test_hrr_cookie_echoed(void **state)
{
    (void)state;
    parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_groups(cc, "x25519:secp384r1"), PARLEY_OK);
    assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK);
    parley_conn *c = parley_conn_new_client(cc, "localhost"), *s = parley_conn_new_server(sc);
    parley_config_free(cc);
    parley_config_free(sc);
    uint8_t buf[4096], hrr[4096];
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, buf, sizeof buf);
    conn_feed(s, buf, n);
    assert_int_equal(parley_conn_handshake(s), PARLEY_WANT_READ);
    n = conn_take(s, buf, sizeof buf);
    /* First record: the HRR. Append cookie "abcd" to its extensions. */
    size_t rl = (size_t)buf[3] << 8 | buf[4];
    assert_int_equal(buf[5], 2);
    memcpy(hrr, buf, 5 + rl);
    const uint8_t ext[] = {0x00, 0x2c, 0x00, 0x06, 0x00, 0x04, 'a', 'b', 'c', 'd'};
    memcpy(hrr + 5 + rl, ext, sizeof ext);
    size_t body = rl - 4 + sizeof ext, exts_at = 5 + 4 + 2 + 32;
    exts_at += 1 + hrr[exts_at] + 2 + 1; /* session id, suite, compression */
    size_t elen = ((size_t)hrr[exts_at] << 8 | hrr[exts_at + 1]) + sizeof ext;
    hrr[exts_at] = (uint8_t)(elen >> 8);
    hrr[exts_at + 1] = (uint8_t)elen;
    hrr[3] = (uint8_t)((rl + sizeof ext) >> 8);
    hrr[4] = (uint8_t)(rl + sizeof ext);
    hrr[6] = (uint8_t)(body >> 16);
    hrr[7] = (uint8_t)(body >> 8);
    hrr[8] = (uint8_t)body;
    conn_feed(c, hrr, 5 + rl + sizeof ext);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    n = conn_take(c, buf, sizeof buf);
    /* RFC 8446 D.4: the compatibility CCS goes before the second ClientHello. */
    static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    assert_true(n > 15);
    assert_memory_equal(buf, ccs, 6);
    assert_int_equal(buf[6 + 5], 1); /* ClientHello 2 */
    pl_client_hello ch;
    assert_int_equal(pl_client_hello_parse(buf + 6 + 9, n - 6 - 9, &ch), 0);
    assert_true(ch.has_cookie);
    assert_int_equal(ch.cookie.len, 4);
    assert_memory_equal(ch.cookie.p, "abcd", 4);
    const uint8_t *share;
    size_t sl;
    assert_int_equal(pl_client_hello_find_share(&ch, PARLEY_GROUP_SECP384R1, &share, &sl), 1);
    assert_int_equal(sl, 97);
    parley_conn_free(c);
    parley_conn_free(s);
}

static void test_hostile_records(void **state)
{
    (void)state;
    int st;
    /* Oversized record. */
    uint8_t big[5] = {22, 3, 1, 0x40, 0x01};
    assert_int_equal(server_alert_for(big, 5, &st), 22);
    assert_int_equal(st, PARLEY_ERROR);
    /* Not TLS at all. */
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(server_alert_for((const uint8_t *)http, strlen(http), &st), 10);
    /* Application data before the handshake. */
    uint8_t app[8] = {23, 3, 3, 0, 3, 1, 2, 3};
    assert_int_equal(server_alert_for(app, sizeof app, &st), 10);
    /* A truncated record only waits for more bytes: no error, no crash. */
    uint8_t ch[2048];
    size_t n = client_hello_record(ch, sizeof ch, NULL);
    for (size_t cut = 0; cut < n; cut += 7) {
        assert_int_equal(server_alert_for(ch, cut, &st), -1);
        assert_int_equal(st, PARLEY_WANT_READ);
    }
    /* Zero-length handshake record: unexpected_message. */
    uint8_t empty[5] = {22, 3, 1, 0, 0};
    assert_int_equal(server_alert_for(empty, 5, &st), 10);
    /* A Finished where a ClientHello belongs. */
    uint8_t fin[5 + 4 + 32] = {22, 3, 3, 0, 36, 20, 0, 0, 32};
    assert_int_equal(server_alert_for(fin, sizeof fin, &st), 10);
    /* A bad alert record (3 bytes). */
    uint8_t al[8] = {21, 3, 3, 0, 3, 2, 40, 0};
    assert_int_equal(server_alert_for(al, sizeof al, &st), 50);
    /* A ChangeCipherSpec before any ClientHello. */
    uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    assert_int_equal(server_alert_for(ccs, sizeof ccs, &st), 10);
}

/* Every truncation of a ClientHello with consistent lengths must be rejected
 * with an alert, and so must any single corrupted length byte. */
static void test_malformed_client_hello(void **state)
{
    (void)state;
    uint8_t ch[2048], m[2048];
    int st;
    size_t n = client_hello_record(ch, sizeof ch, NULL);
    assert_true(n > 100);
    for (size_t body = 0; body < n - 9; body++) {
        size_t hl = body + 4;
        memcpy(m, ch, 9 + body);
        m[3] = (uint8_t)(hl >> 8);
        m[4] = (uint8_t)hl;
        m[6] = (uint8_t)(body >> 16);
        m[7] = (uint8_t)(body >> 8);
        m[8] = (uint8_t)body;
        int alert = server_alert_for(m, 9 + body, &st);
        assert_int_equal(st, PARLEY_ERROR);
        assert_true(alert == 50 || alert == 47 || alert == 109 || alert == 70 || alert == 40);
    }
    /* The untouched hello is accepted (sanity). */
    assert_int_equal(server_alert_for(ch, n, &st), -1);
    assert_int_equal(st, PARLEY_WANT_READ);
    /* Duplicate extension: repeat the first extension's type in the second. */
    memcpy(m, ch, n);
    /* Find the extensions block: after random(32), sid, suites, compression. */
    size_t o = 9 + 2 + 32;
    o += 1 + m[o];
    o += 2 + ((size_t)m[o] << 8 | m[o + 1]);
    o += 1 + m[o];
    o += 2; /* extensions length */
    size_t first_type = o, first_len = (size_t)m[o + 2] << 8 | m[o + 3];
    size_t second = o + 4 + first_len;
    m[second] = m[first_type];
    m[second + 1] = m[first_type + 1];
    assert_int_equal(server_alert_for(m, n, &st), 47);
}

static void test_old_versions_refused(void **state)
{
    (void)state;
    int st;
    /* A TLS 1.0 ClientHello with one suite and no extensions. */
    uint8_t tls10[] = {22, 3, 1, 0, 45, 1, 0, 0, 41, 3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, 0, 2, 0, 0x2f, 1, 0};
    assert_int_equal(server_alert_for(tls10, sizeof tls10, &st), 70);
    /* SSL 3.0 (version 3.0). */
    tls10[9] = 3;
    tls10[10] = 0;
    assert_int_equal(server_alert_for(tls10, sizeof tls10, &st), 70);
    /* TLS 1.2 without supported_versions is negotiated as 1.2, but this hello
     * offers only a CBC suite: handshake_failure. */
    tls10[10] = 3;
    assert_int_equal(server_alert_for(tls10, sizeof tls10, &st), 40);
    /* A server limited to TLS 1.3 refuses it with protocol_version. */
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    parley_conn *s = parley_conn_new_server(sc);
    parley_config_free(sc);
    conn_feed(s, tls10, sizeof tls10);
    assert_int_equal(parley_conn_handshake(s), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(s), 70);
    parley_conn_free(s);
}

static void test_unexpected_message_to_client(void **state)
{
    (void)state;
    parley_config *cc = client_cfg("ec256");
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    parley_config_free(cc);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    uint8_t junk[2048];
    conn_take(c, junk, sizeof junk);
    uint8_t fin[5 + 4 + 32] = {22, 3, 3, 0, 36, 20, 0, 0, 32};
    conn_feed(c, fin, sizeof fin);
    assert_int_equal(parley_conn_handshake(c), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(c), 10);
    assert_non_null(strstr(parley_conn_error_string(c), "waiting for ServerHello"));
    parley_conn_free(c);
}

/* Delivery one byte at a time: every handshake message is fragmented. */
static void test_byte_at_a_time(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("rsa2048"), server_cfg("rsa2048"), "localhost");
    int c = PARLEY_WANT_READ, s = PARLEY_WANT_READ;
    for (int i = 0; i < 100000 && !(c == PARLEY_OK && s == PARLEY_OK); i++) {
        c = parley_conn_handshake(p.client);
        s = parley_conn_handshake(p.server);
        assert_true(c != PARLEY_ERROR && s != PARLEY_ERROR);
        for (int dir = 0; dir < 2; dir++) {
            parley_conn *from = dir ? p.server : p.client, *to = dir ? p.client : p.server;
            uint8_t b;
            if (conn_take(from, &b, 1) == 1) conn_feed(to, &b, 1);
        }
    }
    assert_int_equal(c, PARLEY_OK);
    assert_int_equal(s, PARLEY_OK);
    exchange(&p, p.client, p.server, "fragmented");
    free_pair(&p);
}

static void test_key_update_and_close(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.client, p.server, "before");
    assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    exchange(&p, p.client, p.server, "after client update");
    /* The server answered with its own KeyUpdate; the client reads past it. */
    exchange(&p, p.server, p.client, "after server update");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(parley_conn_key_update(p.server, 0), PARLEY_OK);
        exchange(&p, p.server, p.client, "again");
    }
    exchange(&p, p.client, p.server, "client still fine");
    /* Large write: split into records, reassembled in order. */
    size_t big = 100000;
    char *m = malloc(big + 1);
    for (size_t i = 0; i < big; i++) m[i] = (char)('a' + i % 26);
    m[big] = 0;
    exchange(&p, p.client, p.server, m);
    free(m);
    assert_int_equal(parley_conn_close(p.client), PARLEY_OK);
    pair_pump(&p);
    uint8_t b[16];
    size_t n;
    assert_int_equal(parley_conn_read(p.server, b, sizeof b, &n), PARLEY_CLOSED);
    assert_int_equal(parley_conn_write(p.client, b, 1), PARLEY_ERROR);
    free_pair(&p);
}

static void test_record_padding(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_record_padding(cc, 256), PARLEY_OK);
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_write(p.client, (const uint8_t *)"0123456789", 10), PARLEY_OK);
    const uint8_t *out;
    size_t n;
    parley_conn_pending_output(p.client, &out, &n);
    assert_int_equal(n, 5 + 256 + 16); /* 10 bytes + type + 245 zeros, then the tag */
    pair_pump(&p);
    uint8_t got[32];
    assert_int_equal(parley_conn_read(p.server, got, sizeof got, &n), PARLEY_OK);
    assert_int_equal(n, 10); /* the padding is stripped */
    assert_memory_equal(got, "0123456789", 10);
    exchange(&p, p.client, p.server, "padded");
    free_pair(&p);
}

static void test_alpn(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_alpn(cc, "h2,http/1.1"), PARLEY_OK);
    assert_int_equal(parley_config_set_alpn(sc, "http/1.1,h2"), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_string_equal(parley_conn_alpn(p.client), "http/1.1"); /* server preference */
    assert_string_equal(parley_conn_alpn(p.server), "http/1.1");
    assert_string_equal(parley_conn_server_name(p.server), "localhost");
    free_pair(&p);
    cc = client_cfg("ec256");
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_alpn(cc, "h2"), PARLEY_OK);
    assert_int_equal(parley_config_set_alpn(sc, "http/1.1"), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 120);
    free_pair(&p);
}

static void test_sni_selects_certificate(void **state)
{
    (void)state;
    char c[512], k[512];
    parley_config *sc = parley_config_new();
    snprintf(c, sizeof c, "%s/other.pem", test_dir());
    snprintf(k, sizeof k, "%s/other.key", test_dir());
    assert_int_equal(parley_config_add_cert_files(sc, c, k), PARLEY_OK);
    assert_int_equal(parley_config_add_cert_files(sc, EC, EC_KEYFILE), PARLEY_OK);
    parley_config_ref(sc);
    pair p;
    make_pair(&p, client_cfg("ec256"), sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    free_pair(&p);
    make_pair(&p, client_cfg("other"), sc, "other.example");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    free_pair(&p);
    /* Mismatched key and certificate are refused at configuration time. */
    parley_config *bad = parley_config_new();
    assert_int_equal(parley_config_add_cert_files(bad, c, EC_KEYFILE), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(bad), "does not belong"));
    parley_config_free(bad);
}

static void test_config_frozen(void **state)
{
    (void)state;
    parley_config *cc = client_cfg("ec256");
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    assert_int_equal(parley_config_set_groups(cc, "x25519"), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cc), "frozen"));
    parley_conn_free(c);
    parley_config_free(cc);
    /* Old versions are refused by configuration too. */
    cc = parley_config_new();
    assert_int_equal(parley_config_set_versions(cc, 0x0301, 0x0304), PARLEY_ERROR);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_RSA_WITH_RC4_128_SHA"), PARLEY_ERROR);
    parley_config_free(cc);
}

static int g_keylog_lines;
static void keylog_cb(void *arg, const char *line)
{
    (void)arg;
    assert_true(strlen(line) > 64 + 32);
    g_keylog_lines++;
}

static void test_keylog(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_keylog(cc, keylog_cb, NULL), PARLEY_OK);
    g_keylog_lines = 0;
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(g_keylog_lines, 5);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_suite_and_group),
        cmocka_unit_test(test_certificate_types),
        cmocka_unit_test(test_hello_retry_request),
        cmocka_unit_test(test_async_key_operation),
        cmocka_unit_test(test_verification_failures),
        cmocka_unit_test(test_flipped_ciphertext),
        cmocka_unit_test(test_hrr_cookie_echoed),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_malformed_client_hello),
        cmocka_unit_test(test_old_versions_refused),
        cmocka_unit_test(test_unexpected_message_to_client),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_key_update_and_close),
        cmocka_unit_test(test_record_padding),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_sni_selects_certificate),
        cmocka_unit_test(test_config_frozen),
        cmocka_unit_test(test_keylog),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
