/*
 * cert_compress_test.c - TLS certificate compression (RFC 8879): the codecs
 * alone, in-memory handshakes with each algorithm in both directions (the
 * server's certificate and a client certificate), and each MUST of the RFC
 * as raw bytes in flight: the man in the middle (mitm.h) rewrites the
 * CompressedCertificate (or turns a Certificate into one) under the
 * handshake keys, so the receiver sees exactly the bytes the test chose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compress/compress.h"
#include "handshake/cert_compress.h"
#include "handshake/messages.h"
#include "hello_server.h"
#include "helpers.h"
#include "internal.h"
#include "mitm.h"

static const char *const algs[] = {"zlib", "brotli", "zstd"};

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30);
}

static parley_config *with_cc(parley_config *cfg, const char *list)
{
    assert_int_equal(parley_config_set_cert_compression(cfg, list), PARLEY_OK);
    return cfg;
}

/* ------------------------------------------------------------ codecs */

static void test_codec_roundtrip_and_bounds(void **state)
{
    (void)state;
    uint8_t in[3000], out[3000];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i % 7 == 0 ? i : 'a');
    for (int a = 1; a <= PL_CC_MAX; a++) {
        assert_true(pl_cc_available(a));
        pl_buf z = {0};
        assert_int_equal(pl_cc_compress(a, in, sizeof in, &z), 0);
        assert_true(z.len < sizeof in);
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, out, sizeof in), 0);
        assert_memory_equal(in, out, sizeof in);
        /* Declared one byte short: longer than declared. One byte long: shorter. */
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, out, sizeof in - 1), -PL_ERR_BAD_CERTIFICATE);
        assert_non_null(strstr(pl_last_message(), "longer than its declared"));
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, out, sizeof in), 0);
        uint8_t big[3001];
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, big, sizeof big), -PL_ERR_BAD_CERTIFICATE);
        /* Truncated and trailing bytes. */
        assert_int_equal(pl_cc_decompress(a, z.data, z.len - 1, out, sizeof in), -PL_ERR_BAD_CERTIFICATE);
        assert_int_equal(pl_buf_u8(&z, 0), 0);
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, out, sizeof in), -PL_ERR_BAD_CERTIFICATE);
        pl_buf_free(&z);
    }
    assert_int_equal(pl_cc_from_name("brotli"), PL_CC_BROTLI);
    assert_int_equal(pl_cc_from_name("lzma"), 0);
    assert_false(pl_cc_available(4));
}

static void test_codec_bomb(void **state)
{
    (void)state;
    /* 4 MiB of one byte compresses to a few KiB; declared as 1000 bytes it
     * must fail without ever writing more than 1000 (the buffer's size,
     * under ASan) and within the decoders' memory budget. */
    size_t n = 4u << 20;
    uint8_t *big = calloc(1, n), out[1000];
    assert_non_null(big);
    for (int a = 1; a <= PL_CC_MAX; a++) {
        pl_buf z = {0};
        assert_int_equal(pl_cc_compress(a, big, n, &z), 0);
        assert_true(z.len < 64 * 1024);
        assert_int_equal(pl_cc_decompress(a, z.data, z.len, out, sizeof out), -PL_ERR_BAD_CERTIFICATE);
        assert_non_null(strstr(pl_last_message(), a == PL_CC_BROTLI ? "needs more than 4194304 bytes of decoder memory"
                                                                    : "longer than its declared 1000 bytes"));
        pl_buf_free(&z);
    }
    free(big);
}

static void test_message_parsers(void **state)
{
    (void)state;
    pl_compressed_certificate cc;
    unsigned bits;
    static const uint8_t ok[] = {0, 2, 0, 1, 0, 0, 0, 1, 0x55};
    assert_int_equal(pl_compressed_certificate_parse(ok, sizeof ok, &cc), 0);
    assert_int_equal(cc.alg, 2);
    assert_int_equal(cc.uncompressed_len, 256);
    assert_int_equal(cc.data.len, 1);
    static const uint8_t empty_data[] = {0, 2, 0, 1, 0, 0, 0, 0};
    assert_int_equal(pl_compressed_certificate_parse(empty_data, sizeof empty_data, &cc), -PL_ERR_DECODE);
    static const uint8_t trailing[] = {0, 2, 0, 1, 0, 0, 0, 1, 0x55, 0};
    assert_int_equal(pl_compressed_certificate_parse(trailing, sizeof trailing, &cc), -PL_ERR_DECODE);
    assert_int_equal(pl_compressed_certificate_parse(ok, 7, &cc), -PL_ERR_DECODE);
    /* The extension: algorithms<2..2^8-2>. */
    static const uint8_t e1[] = {4, 0, 2, 0x12, 0x34};
    assert_int_equal(pl_cc_ext_parse(pl_cur(e1, sizeof e1), &bits), 0);
    assert_int_equal(bits, 1u << 2);
    static const uint8_t e_empty[] = {0};
    assert_int_equal(pl_cc_ext_parse(pl_cur(e_empty, sizeof e_empty), &bits), -PL_ERR_DECODE);
    static const uint8_t e_odd[] = {3, 0, 2, 0};
    assert_int_equal(pl_cc_ext_parse(pl_cur(e_odd, sizeof e_odd), &bits), -PL_ERR_DECODE);
    static const uint8_t e_trail[] = {2, 0, 2, 0};
    assert_int_equal(pl_cc_ext_parse(pl_cur(e_trail, sizeof e_trail), &bits), -PL_ERR_DECODE);
    /* Decode: declared length 0 or above the bound, before any allocation. */
    pl_buf out = {0};
    int alg;
    static const uint8_t zero[] = {0, 1, 0, 0, 0, 0, 0, 1, 0x78};
    assert_int_equal(pl_cc_decode(0xe, zero, sizeof zero, &out, &alg), -PL_ERR_BAD_CERTIFICATE);
    static const uint8_t huge[] = {0, 1, 0x02, 0x00, 0x01, 0, 0, 1, 0x78};
    assert_int_equal(pl_cc_decode(0xe, huge, sizeof huge, &out, &alg), -PL_ERR_BAD_CERTIFICATE);
    assert_null(out.data);
    assert_int_equal(pl_cc_decode(1u << 2, zero, sizeof zero, &out, &alg), -PL_ERR_ILLEGAL_PARAMETER);
    pl_buf_free(&out);
}

static void test_config_list(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_cert_compression(cfg, "zstd,zlib"), PARLEY_OK);
    assert_int_equal(parley_config_set_cert_compression(cfg, "none"), PARLEY_OK);
    assert_int_equal(parley_config_set_cert_compression(cfg, ""), PARLEY_OK);
    assert_int_equal(parley_config_set_cert_compression(cfg, "lzma"), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cfg), "unknown certificate compression algorithm: lzma"));
    assert_int_equal(parley_config_set_cert_compression(cfg, "zlib,zlib"), PARLEY_ERROR);
    assert_int_equal(parley_config_set_cert_compression(cfg, "zlib,"), PARLEY_ERROR);
    parley_config_free(cfg);
}

/* --------------------------------------------------------- handshakes */

/* Each algorithm, the server's certificate: the client offers only it. */
static void test_server_cert_each_algorithm(void **state)
{
    (void)state;
    const char *certs[] = {"ec256", "rsa2048"};
    for (int ci = 0; ci < 2; ci++)
        for (int a = 0; a < 3; a++) {
            pair p;
            size_t plain = 0, wire = 0, plain2 = 0, wire2 = 0;
            make_pair(&p, with_cc(client_cfg(certs[ci]), algs[a]), server_cfg(certs[ci]), "localhost");
            handshake_ok(&p, algs[a]);
            assert_string_equal(parley_conn_cert_compression(p.client, 0, &plain, &wire), algs[a]);
            assert_string_equal(parley_conn_cert_compression(p.server, 1, &plain2, &wire2), algs[a]);
            assert_int_equal(plain, plain2);
            assert_int_equal(wire, wire2);
            assert_true(wire < plain);
            assert_null(parley_conn_cert_compression(p.client, 1, NULL, NULL));
            assert_string_equal(parley_conn_verify_result(p.client), "ok");
            exchange(&p, p.client, p.server, "hello");
            free_pair(&p);
        }
}

/* Each algorithm, a client certificate: the server's CertificateRequest
 * offers only it. */
static void test_client_cert_each_algorithm(void **state)
{
    (void)state;
    for (int a = 0; a < 3; a++) {
        pair p;
        size_t plain = 0, wire = 0;
        make_pair(&p, mtls_client("ec256", "ec256"), with_cc(mtls_server("ec256", "ec256"), algs[a]), "localhost");
        handshake_ok(&p, algs[a]);
        assert_string_equal(parley_conn_cert_compression(p.server, 0, &plain, &wire), algs[a]);
        assert_true(wire < plain);
        assert_string_equal(parley_conn_cert_compression(p.client, 1, NULL, NULL), algs[a]);
        /* The server's own certificate went the same way (the client offers all). */
        assert_string_equal(parley_conn_cert_compression(p.client, 0, NULL, NULL), algs[a]);
        assert_string_equal(parley_conn_verify_result(p.server), "ok");
        free_pair(&p);
    }
}

/* The sender's preference decides among algorithms both offer; nothing in
 * common, compression off on either side, or TLS 1.2: plain Certificate. */
static void test_choice_and_fallbacks(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, with_cc(client_cfg("ec256"), "zlib,zstd"), with_cc(server_cfg("ec256"), "zstd,brotli,zlib"), "localhost");
    handshake_ok(&p, "preference");
    assert_string_equal(parley_conn_cert_compression(p.client, 0, NULL, NULL), "zstd");
    free_pair(&p);
    make_pair(&p, with_cc(client_cfg("ec256"), "zlib"), with_cc(server_cfg("ec256"), "brotli"), "localhost");
    handshake_ok(&p, "nothing in common");
    assert_null(parley_conn_cert_compression(p.client, 0, NULL, NULL));
    free_pair(&p);
    /* RFC 8879 4: an uncompressed Certificate is fine after we offered. */
    make_pair(&p, client_cfg("ec256"), with_cc(server_cfg("ec256"), "none"), "localhost");
    handshake_ok(&p, "server off");
    assert_null(parley_conn_cert_compression(p.client, 0, NULL, NULL));
    free_pair(&p);
    make_pair(&p, with_cc(client_cfg("ec256"), ""), server_cfg("ec256"), "localhost");
    handshake_ok(&p, "client off");
    assert_null(parley_conn_cert_compression(p.server, 1, NULL, NULL));
    free_pair(&p);
    /* TLS 1.2 has no CompressedCertificate: the extension is ignored. */
    make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_2), server_cfg("ec256"), "localhost");
    handshake_ok(&p, "TLS 1.2");
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
    assert_null(parley_conn_cert_compression(p.client, 0, NULL, NULL));
    free_pair(&p);
}

/* ------------------------------------------------- raw bytes in flight */

enum { M_ALG, M_ULEN_ADD, M_ULEN_SET, M_DATA, M_TO_COMPRESSED };
static struct {
    int what;
    uint8_t type; /* the message to rewrite */
    long v;
    const uint8_t *data;
    size_t dlen;
} mut;

static int rewrite(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    if (dir != m->arg || type != mut.type) return 0;
    switch (mut.what) {
    case M_ALG: put16(b, (size_t)mut.v); break;
    case M_ULEN_ADD: put24(b + 2, get24(b + 2) + (size_t)mut.v); break;
    case M_ULEN_SET: put24(b + 2, (size_t)mut.v); break;
    case M_DATA:
        assert_true(8 + mut.dlen <= cap);
        put24(b + 5, mut.dlen);
        memcpy(b + 8, mut.data, mut.dlen);
        *len = 8 + mut.dlen;
        break;
    case M_TO_COMPRESSED:
        /* The message's header precedes its body in the rewriter's buffer
         * (mitm.c copies the whole message): its type becomes 25. */
        b[-4] = PL_HS_COMPRESSED_CERTIFICATE;
        break;
    }
    return 1;
}

/* A pair whose flight in direction dir (1: server's certificate; 0: the
 * client's) is rewritten; the receiver must fail with alert and words. */
static void refused_v(int v, int dir, parley_config *cc, parley_config *sc, int alert, const char *words)
{
    pair p;
    mitm m = {0};
    m.fn = rewrite;
    m.arg = dir;
    mitm_pair(&p, &m, cc, sc, v);
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    if (dir) expect_alert(p.client, p.server, alert, words);
    else expect_alert(p.server, p.client, alert, words);
    free_pair(&p);
}

static void refused(int dir, parley_config *cc, parley_config *sc, int alert, const char *words)
{
    refused_v(PARLEY_TLS1_3, dir, cc, sc, alert, words);
}

#define SERVER_CERT_REFUSED(client_algs, alert, words) \
    refused(1, with_cc(client_cfg("ec256"), client_algs), server_cfg("ec256"), alert, words)
#define CLIENT_CERT_REFUSED(server_algs, alert, words)                                                          \
    refused(0, mtls_client("ec256", "ec256"), with_cc(mtls_server("ec256", "ec256"), server_algs), alert, words)

/* RFC 8879 4: the algorithm MUST be one the receiver offered. */
static void test_raw_algorithm_not_offered(void **state)
{
    (void)state;
    mut.what = M_ALG;
    mut.type = PL_HS_COMPRESSED_CERTIFICATE;
    mut.v = PL_CC_BROTLI;
    SERVER_CERT_REFUSED("zlib", 47, "algorithm 2, which was not offered");
    mut.v = 0x1234;
    SERVER_CERT_REFUSED("zlib,brotli,zstd", 47, "algorithm 4660, which was not offered");
    mut.v = PL_CC_ZSTD;
    CLIENT_CERT_REFUSED("zlib", 47, "algorithm 3, which was not offered");
}

/* RFC 8879 4: the decompressed length must be the declared one, both ways,
 * for each algorithm; the declared one is bounded and never 0. */
static void test_raw_length_mismatch(void **state)
{
    (void)state;
    mut.type = PL_HS_COMPRESSED_CERTIFICATE;
    for (int a = 0; a < 3; a++) {
        mut.what = M_ULEN_ADD;
        mut.v = 1;
        SERVER_CERT_REFUSED(algs[a], 42, "not the declared");
        mut.v = -1;
        SERVER_CERT_REFUSED(algs[a], 42, "longer than its declared");
        CLIENT_CERT_REFUSED(algs[a], 42, "longer than its declared");
    }
    mut.what = M_ULEN_SET;
    mut.v = PL_MAX_HS_MESSAGE + 1;
    SERVER_CERT_REFUSED("zlib", 42, "declares 131073 uncompressed bytes");
    mut.v = 0xffffff;
    CLIENT_CERT_REFUSED("brotli", 42, "declares 16777215 uncompressed bytes");
    mut.v = 0;
    SERVER_CERT_REFUSED("zstd", 42, "declares 0 uncompressed bytes");
}

/* RFC 8879 5: data that does not decompress is bad_certificate; an empty
 * compressed_certificate_message<1..2^24-1> is decode_error. */
static void test_raw_garbage(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    mut.type = PL_HS_COMPRESSED_CERTIFICATE;
    mut.what = M_DATA;
    mut.data = junk;
    mut.dlen = sizeof junk;
    for (int a = 0; a < 3; a++) {
        SERVER_CERT_REFUSED(algs[a], 42, "does not decompress");
        CLIENT_CERT_REFUSED(algs[a], 42, "does not decompress");
    }
    mut.dlen = 0;
    SERVER_CERT_REFUSED("zlib", 50, "no compressed data");
}

/* A decompression bomb in flight: 4 MiB of zeros declared as the real
 * certificate's length. */
static void test_raw_bomb(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    uint8_t *zeros = calloc(1, n);
    assert_non_null(zeros);
    mut.type = PL_HS_COMPRESSED_CERTIFICATE;
    mut.what = M_DATA;
    for (int a = 0; a < 3; a++) {
        pl_buf z = {0};
        assert_int_equal(pl_cc_compress(a + 1, zeros, n, &z), 0);
        mut.data = z.data;
        mut.dlen = z.len;
        /* brotli's 4 MiB window is refused before decoding (its memory);
         * zlib and zstd stop when the output is full. */
        const char *why = a == 1 ? "needs more than 4194304 bytes of decoder memory" : "longer than its declared";
        SERVER_CERT_REFUSED(algs[a], 42, why);
        CLIENT_CERT_REFUSED(algs[a], 42, why);
        pl_buf_free(&z);
    }
    free(zeros);
}

/* A CompressedCertificate where compression was not offered (by us, or in
 * TLS 1.3 at all) is unexpected_message, before anything is parsed. */
static void test_raw_not_negotiated(void **state)
{
    (void)state;
    mut.type = PL_HS_CERTIFICATE;
    mut.what = M_TO_COMPRESSED;
    SERVER_CERT_REFUSED("none", 10, "received CompressedCertificate while waiting for Certificate");
    CLIENT_CERT_REFUSED("none", 10, "received CompressedCertificate while waiting for Certificate");
}

/* TLS 1.2 has no CompressedCertificate (RFC 8879 3: the extension and the
 * message are TLS 1.3 only). The client offers TLS 1.3 and 1.2 with
 * compression (so it did offer compression), the server speaks only 1.2
 * (no downgrade sentinel then): a CompressedCertificate in place of the
 * server's Certificate, which travels in the clear in TLS 1.2 and only has
 * its type changed, is unexpected_message. */
static void test_raw_tls12_compressed_certificate(void **state)
{
    (void)state;
    pair p;
    mitm m = {0};
    m.fn = rewrite;
    m.arg = 1;
    mut.type = PL_HS_CERTIFICATE;
    mut.what = M_TO_COMPRESSED;
    make_pair(&p, with_cc(client_cfg("ec256"), "zlib,brotli,zstd"), only_version(server_cfg("ec256"), PARLEY_TLS1_2), "localhost");
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    expect_alert(p.client, p.server, 10, "received CompressedCertificate while waiting for Certificate");
    free_pair(&p);
    /* Pinned to 1.2 both sides: compression never offered, the same. */
    refused_v(PARLEY_TLS1_2, 1, client_cfg("ec256"), server_cfg("ec256"), 10,
              "received CompressedCertificate while waiting for Certificate");
}

/* compress_certificate outside the ClientHello and CertificateRequest is
 * illegal_parameter (the extension table, RFC 8446 4.2); a malformed one in
 * a ClientHello is decode_error. */
static void test_raw_client_hello_extension(void **state)
{
    (void)state;
    raw_hello h;
    hello13_init(&h);
    static const uint8_t odd[] = {3, 0, 2, 0};
    rh_add(&h, PL_EXT_COMPRESS_CERTIFICATE, odd, sizeof odd);
    hello_refused(&h, 50, "compress_certificate list has a bad length");
    rh_free(&h);
    hello13_init(&h);
    static const uint8_t fine[] = {4, 0, 2, 0x7f, 0x7f};
    rh_add(&h, PL_EXT_COMPRESS_CERTIFICATE, fine, sizeof fine);
    hello_accepted(&h, PARLEY_TLS1_3);
    rh_free(&h);
}

/* A build without one of the libraries (PARLEY_WITH_*=OFF): naming it is
 * an error, the others still work; the tests above need all three. */
static void test_not_built_in(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    for (int a = 1; a <= PL_CC_MAX; a++)
        assert_int_equal(parley_config_set_cert_compression(cfg, pl_cc_name(a)), pl_cc_available(a) ? PARLEY_OK : PARLEY_ERROR);
    parley_config_free(cfg);
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    handshake_ok(&p, "default list");
    free_pair(&p);
}

int main(void)
{
    if (!pl_cc_available(PL_CC_ZLIB) || !pl_cc_available(PL_CC_BROTLI) || !pl_cc_available(PL_CC_ZSTD)) {
        const struct CMUnitTest some[] = {cmocka_unit_test(test_not_built_in)};
        printf("cert_compress_test: this build lacks an algorithm; only test_not_built_in runs\n");
        return cmocka_run_group_tests(some, setup, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_roundtrip_and_bounds),
        cmocka_unit_test(test_codec_bomb),
        cmocka_unit_test(test_message_parsers),
        cmocka_unit_test(test_config_list),
        cmocka_unit_test(test_server_cert_each_algorithm),
        cmocka_unit_test(test_client_cert_each_algorithm),
        cmocka_unit_test(test_choice_and_fallbacks),
        cmocka_unit_test(test_raw_algorithm_not_offered),
        cmocka_unit_test(test_raw_length_mismatch),
        cmocka_unit_test(test_raw_garbage),
        cmocka_unit_test(test_raw_bomb),
        cmocka_unit_test(test_raw_not_negotiated),
        cmocka_unit_test(test_raw_tls12_compressed_certificate),
        cmocka_unit_test(test_raw_client_hello_extension),
        cmocka_unit_test(test_not_built_in),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
