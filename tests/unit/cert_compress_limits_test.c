/*
 * cert_compress_limits_test.c - the bounds of certificate compression (RFC
 * 8879) that cert_compress_test.c does not reach: the memory a decoder may
 * take (counted through parley_set_allocator, every decoder's allocations
 * go through pl_malloc), zstd frames as streaming compressors write them
 * (no content size, a large window), and the config's first-use compression
 * running outside the config lock that every connection takes.
 */
#include <malloc.h>
#include <pthread.h>
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

#if defined(PARLEY_HAVE_BROTLI) && defined(PARLEY_HAVE_ZSTD)
#include <brotli/encode.h>
#include <zstd.h>

/* ------------------------------------------------ the counting allocator */

/* Installed for the whole process (main): plain malloc/free, and while
 * `counting` the bytes live (malloc_usable_size, so blocks allocated before
 * counting started may be freed during it) and their peak. */
static int counting;
static long live, peak;
static parley_config *probe_cfg; /* set: note allocations made under its lock */
static int allocs, allocs_locked;

static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    if (p && counting) {
        live += (long)malloc_usable_size(p);
        if (live > peak) peak = live;
    }
    if (probe_cfg) {
        allocs++;
        /* EBUSY: this thread (the only one) holds the config lock. */
        if (pthread_mutex_trylock(&probe_cfg->lock) == 0) pthread_mutex_unlock(&probe_cfg->lock);
        else allocs_locked++;
    }
    return p;
}

static void count_free(void *p)
{
    if (p && counting) live -= (long)malloc_usable_size(p);
    free(p);
}

/* pl_cc_decompress under the counter: its result, the peak in *pk. */
static int counted_decompress(int alg, const uint8_t *in, size_t len, uint8_t *out, size_t outlen, long *pk)
{
    live = peak = 0;
    counting = 1;
    int rc = pl_cc_decompress(alg, in, len, out, outlen);
    counting = 0;
    *pk = peak;
    return rc;
}

/* Each block's bookkeeping in the budget allocator (two size_t) and
 * malloc's rounding, on top of what the budget counts. */
#define SLACK (64 * 1024)

/* A decompression bomb for each algorithm, declared as 1000 bytes: refused,
 * and the decoder's memory stayed within PL_CC_DECODER_MEM (it was counted:
 * more than nothing). */
static void test_bomb_memory_bound(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    uint8_t *zeros = calloc(1, n), out[1000];
    assert_non_null(zeros);
    for (int a = 1; a <= PL_CC_MAX; a++) {
        pl_buf z = {0};
        long pk;
        assert_int_equal(pl_cc_compress(a, zeros, n, &z), 0);
        assert_int_equal(counted_decompress(a, z.data, z.len, out, sizeof out, &pk), -PL_ERR_BAD_CERTIFICATE);
        print_message("%s bomb: %s; decoder peak %ld bytes\n", pl_cc_name(a), pl_last_message(), pk);
        assert_true(pk > 0);
        assert_true(pk <= (long)PL_CC_DECODER_MEM + SLACK);
        pl_buf_free(&z);
    }
    free(zeros);
}

/* A brotli stream whose window needs 16 MiB: refused for its memory, named
 * as such, and nothing near 16 MiB was allocated. */
static void test_brotli_window_over_budget(void **state)
{
    (void)state;
    size_t n = 16u << 20, zl = 1u << 20;
    uint8_t *in = calloc(1, n), *z = malloc(zl), *out = malloc(PL_MAX_HS_MESSAGE);
    assert_non_null(in);
    assert_non_null(z);
    assert_non_null(out);
    for (size_t i = 0; i < n; i += 4096) in[i] = (uint8_t)(i >> 12); /* not all one run */
    assert_true(BrotliEncoderCompress(1, 24, BROTLI_MODE_GENERIC, n, in, &zl, z));
    long pk;
    assert_int_equal(counted_decompress(PL_CC_BROTLI, z, zl, out, PL_MAX_HS_MESSAGE, &pk), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "brotli-compressed certificate needs more than 4194304 bytes of decoder memory"));
    assert_true(pk <= (long)PL_CC_DECODER_MEM + SLACK);
    free(in);
    free(z);
    free(out);
}

/* zstd as a streaming compressor writes it (ZSTD_compressStream2 fed in
 * two parts, level 19): no content size, a window of 8 MiB. It decodes, in
 * one shot into the output with no window allocated; longer than declared,
 * a second frame or a skippable frame around it are refused by name. */
static void test_zstd_streaming_frame(void **state)
{
    (void)state;
    static uint8_t in[5000], out[5000], z[12000];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(((i * 2654435761u) >> 13) ^ (i % 50 < 40 ? 'a' : 0));
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_non_null(cc);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19)));
    ZSTD_outBuffer ob = {z, sizeof z, 0};
    ZSTD_inBuffer i1 = {in, sizeof in / 2, 0}, i2 = {in + sizeof in / 2, sizeof in - sizeof in / 2, 0};
    assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &ob, &i1, ZSTD_e_continue)));
    assert_int_equal(ZSTD_compressStream2(cc, &ob, &i2, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cc);
    size_t zl = ob.pos;
    assert_true(ZSTD_getFrameContentSize(z, zl) == ZSTD_CONTENTSIZE_UNKNOWN);
    /* The frame header's window descriptor (after magic and descriptor
     * byte, no single-segment flag): exponent 10 + (b >> 3) = 23. */
    assert_int_equal(z[4] & 0x20, 0);
    assert_int_equal(10 + (z[5] >> 3), 23);
    long pk;
    assert_int_equal(counted_decompress(PL_CC_ZSTD, z, zl, out, sizeof in, &pk), 0);
    assert_memory_equal(in, out, sizeof in);
    print_message("zstd streamed frame: %zu -> %zu bytes, decoder peak %ld bytes\n", sizeof in, zl, pk);
    assert_true(pk < (1 << 20)); /* the context alone: no 8 MiB window */
    assert_int_equal(pl_cc_decompress(PL_CC_ZSTD, z, zl, out, sizeof in - 1), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "longer than its declared 4999 bytes"));
    uint8_t *big = malloc(sizeof in + 1);
    assert_int_equal(pl_cc_decompress(PL_CC_ZSTD, z, zl, big, sizeof in + 1), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "is 5000 bytes, not the declared 5001"));
    free(big);
    /* Two frames whose sum is the declared length. */
    static uint8_t two[12000];
    size_t a = ZSTD_compress(two, sizeof two, in, 2500, 3);
    size_t b = ZSTD_compress(two + a, sizeof two - a, in + 2500, 2500, 3);
    assert_false(ZSTD_isError(a) || ZSTD_isError(b));
    assert_int_equal(pl_cc_decompress(PL_CC_ZSTD, two, a + b, out, sizeof in), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "bytes after its end"));
    /* A skippable frame after, and before. */
    static const uint8_t skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    memcpy(z + zl, skip, sizeof skip);
    assert_int_equal(pl_cc_decompress(PL_CC_ZSTD, z, zl + sizeof skip, out, sizeof in), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "has 12 bytes after its end"));
    memmove(z + sizeof skip, z, zl);
    memcpy(z, skip, sizeof skip);
    assert_int_equal(pl_cc_decompress(PL_CC_ZSTD, z, zl + sizeof skip, out, sizeof in), -PL_ERR_BAD_CERTIFICATE);
    assert_non_null(strstr(pl_last_message(), "not a Zstandard frame"));
}

/* The first use of a certificate with an algorithm compresses it (brotli at
 * quality 11: milliseconds) without holding the config lock, which the
 * config's every connection takes; it is made once and then shared. */
static void test_first_use_outside_lock(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("rsa2048");
    assert_int_equal(parley_config_set_cert_compression(cc, "none"), PARLEY_OK);
    make_pair(&p, cc, server_cfg("rsa2048"), "localhost");
    handshake_ok(&p, "no compression offered");
    parley_config *cfg = p.server->cfg;
    pl_cert_entry *e = &cfg->certs[0];
    assert_int_equal(e->cc_state[0][PL_CC_BROTLI - 1], 0);
    allocs = allocs_locked = 0;
    probe_cfg = cfg;
    const pl_buf *z = pl_cc_entry_get(cfg, e, 0, PL_CC_BROTLI);
    probe_cfg = NULL;
    assert_non_null(z);
    assert_true(z->len < e->cert_msg.len);
    assert_true(allocs > 0);
    assert_int_equal(allocs_locked, 0);
    /* Made once: the second call returns the same buffer. */
    assert_ptr_equal(pl_cc_entry_get(cfg, e, 0, PL_CC_BROTLI), z);
    free_pair(&p);
}
#endif

int main(void)
{
#if defined(PARLEY_HAVE_BROTLI) && defined(PARLEY_HAVE_ZSTD)
    /* Before any other call into the library (parley_set_allocator). */
    assert_int_equal(parley_set_allocator(count_malloc, count_free), PARLEY_OK);
    const char *d = test_dir();
    if (make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bomb_memory_bound),
        cmocka_unit_test(test_brotli_window_over_budget),
        cmocka_unit_test(test_zstd_streaming_frame),
        cmocka_unit_test(test_first_use_outside_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#else
    printf("cert_compress_limits_test: needs brotli and zstd in the build\n");
    return 0;
#endif
}
