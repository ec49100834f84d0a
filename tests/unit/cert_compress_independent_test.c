/*
 * cert_compress_independent_test.c - certificate compression (RFC 8879)
 * checked against encoders and decoders that are not Parley's code: the
 * `brotli` and `zstd` command-line tools and Python's zlib module (they use
 * the same libraries underneath, but their own framing and settings: the
 * zstd tool reading a pipe writes frames without a content size, as
 * streaming compressors do).
 *
 * 1. What Parley sends: the compressed data of each CompressedCertificate
 *    decodes with the tool to exactly the Certificate message, whose length
 *    the message declares.
 * 2. What Parley receives: the tools compress the server's Certificate
 *    message, the server sends that as its CompressedCertificate (put in the
 *    config's cache, where its own would be), and a whole handshake
 *    completes: the client decodes it, verifies the chain, and the
 *    CertificateVerify and Finished verify over a transcript holding those
 *    bytes.
 * The tools come with `make test` (scripts/install-deps.sh --test: brotli,
 * zstd); without them the test is skipped, saying so.
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
#include "helpers.h"
#include "internal.h"

static char dir[400];

static void put_file(const char *name, const uint8_t *d, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

static void get_file(const char *name, pl_buf *b)
{
    char path[600];
    uint8_t chunk[4096];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    pl_buf_reset(b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) assert_int_equal(pl_buf_bytes(b, chunk, n), 0);
    fclose(f);
}

/* Run a shell command in dir; 0 when it succeeded. */
static int sh(const char *what)
{
    char cmd[1600];
    assert_true((size_t)snprintf(cmd, sizeof cmd, "cd '%s' && %s", dir, what) < sizeof cmd);
    return system(cmd);
}

static const char *const decoders[PL_CC_MAX + 1] = {
    NULL,
    "python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.decompress(open(\"z.in\",\"rb\").read()))' >plain.out",
    "brotli -d -c z.in >plain.out",
    "zstd -q -d -c z.in >plain.out",
};
/* Streaming, in pieces: zlib through compressobj in 1000-byte chunks;
 * brotli and zstd from a pipe (zstd then writes no content size). */
static const char *const encoders[PL_CC_MAX + 1] = {
    NULL,
    "python3 -c 'import sys,zlib; d=open(\"plain.in\",\"rb\").read(); c=zlib.compressobj(6); "
    "sys.stdout.buffer.write(b\"\".join(c.compress(d[i:i+1000]) for i in range(0,len(d),1000))+c.flush())' >z.out",
    "cat plain.in | brotli -q 9 -c >z.out",
    "cat plain.in | zstd -q -19 -c >z.out",
};

static int have_tools(void)
{
    return sh("command -v brotli >/dev/null && command -v zstd >/dev/null && command -v python3 >/dev/null") == 0;
}

/* A server config, frozen by a handshake in which nothing was compressed. */
static parley_config *frozen_server(void)
{
    pair p;
    parley_config *cc = client_cfg("rsa2048"), *sc = server_cfg("rsa2048");
    assert_int_equal(parley_config_set_cert_compression(cc, "none"), PARLEY_OK);
    parley_config_ref(sc);
    make_pair(&p, cc, sc, "localhost");
    handshake_ok(&p, "freeze");
    free_pair(&p);
    return sc;
}

static void test_parley_output_decodes_elsewhere(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    parley_config *sc = frozen_server();
    pl_cert_entry *e = &sc->certs[0];
    pl_buf out = {0};
    for (int a = 1; a <= PL_CC_MAX; a++) {
        const pl_buf *z = pl_cc_entry_get(sc, e, 0, a);
        assert_non_null(z);
        /* algorithm(2) uncompressed_length(3) data<1..2^24-1> */
        assert_int_equal((z->data[0] << 8) | z->data[1], a);
        assert_int_equal((size_t)z->data[2] << 16 | (size_t)z->data[3] << 8 | z->data[4], e->cert_msg.len);
        assert_int_equal((size_t)z->data[5] << 16 | (size_t)z->data[6] << 8 | z->data[7], z->len - 8);
        put_file("z.in", z->data + 8, z->len - 8);
        assert_int_equal(sh(decoders[a]), 0);
        get_file("plain.out", &out);
        assert_int_equal(out.len, e->cert_msg.len);
        assert_memory_equal(out.data, e->cert_msg.data, out.len);
        print_message("%s: Parley's %zu bytes decode with the tool to the %zu-byte Certificate\n", pl_cc_name(a), z->len - 8, out.len);
    }
    pl_buf_free(&out);
    parley_config_free(sc);
}

static void test_tool_output_in_a_handshake(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    for (int a = 1; a <= PL_CC_MAX; a++) {
        parley_config *sc = frozen_server();
        pl_cert_entry *e = &sc->certs[0];
        pl_buf data = {0}, body = {0};
        size_t mk;
        put_file("plain.in", e->cert_msg.data, e->cert_msg.len);
        assert_int_equal(sh(encoders[a]), 0);
        get_file("z.out", &data);
        assert_true(data.len > 0 && data.len < e->cert_msg.len);
        if (a == PL_CC_ZSTD) assert_int_equal(data.data[4] & 0xe0, 0); /* no content size, not single-segment */
        assert_int_equal(pl_buf_u16(&body, (uint16_t)a), 0);
        assert_int_equal(pl_buf_u24(&body, (uint32_t)e->cert_msg.len), 0);
        assert_int_equal(pl_buf_open(&body, 3, &mk), 0);
        assert_int_equal(pl_buf_bytes(&body, data.data, data.len), 0);
        assert_int_equal(pl_buf_close(&body, 3, mk), 0);
        /* Where the server's own compressed message would be (made once). */
        pl_buf_free(&e->cc_msg[0][a - 1]);
        e->cc_msg[0][a - 1] = body;
        e->cc_state[0][a - 1] = 1;
        pair p;
        size_t plain = 0, wire = 0;
        parley_config *cc = client_cfg("rsa2048");
        assert_int_equal(parley_config_set_cert_compression(cc, pl_cc_name(a)), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        handshake_ok(&p, pl_cc_name(a));
        assert_string_equal(parley_conn_cert_compression(p.client, 0, &plain, &wire), pl_cc_name(a));
        assert_int_equal(plain, e->cert_msg.len);
        assert_int_equal(wire, body.len);
        assert_string_equal(parley_conn_verify_result(p.client), "ok");
        print_message("%s: the tool's %zu bytes, sent by the server, decoded and verified\n", pl_cc_name(a), data.len);
        free_pair(&p);
        pl_buf_free(&data);
    }
}

int main(void)
{
    if (!pl_cc_available(PL_CC_ZLIB) || !pl_cc_available(PL_CC_BROTLI) || !pl_cc_available(PL_CC_ZSTD)) {
        printf("cert_compress_independent_test: this build lacks an algorithm; nothing to do\n");
        return 0;
    }
    snprintf(dir, sizeof dir, "%s", test_dir());
    if (make_cert(dir, "rsa2048", "rsa2048", "localhost", -1, 30)) return 1;
    if (!have_tools()) printf("cert_compress_independent_test: SKIPPED: needs brotli, zstd and python3 (scripts/install-deps.sh --test)\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parley_output_decodes_elsewhere),
        cmocka_unit_test(test_tool_output_in_a_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
