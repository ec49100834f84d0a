/* compress.c - zlib, brotli and zstd for certificate compression; see compress.h. */
#include "compress.h"

#include <string.h>

#include "../util/mem.h"

#ifdef PARLEY_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef PARLEY_HAVE_BROTLI
#include <brotli/decode.h>
#include <brotli/encode.h>
#endif
#ifdef PARLEY_HAVE_ZSTD
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem, ZSTD_createDCtx_advanced */
#include <zstd.h>
#include <zstd_errors.h>
#endif

static const char *const pl_cc_names[PL_CC_MAX + 1] = {NULL, "zlib", "brotli", "zstd"};

int pl_cc_available(int alg)
{
    switch (alg) {
#ifdef PARLEY_HAVE_ZLIB
    case PL_CC_ZLIB: return 1;
#endif
#ifdef PARLEY_HAVE_BROTLI
    case PL_CC_BROTLI: return 1;
#endif
#ifdef PARLEY_HAVE_ZSTD
    case PL_CC_ZSTD: return 1;
#endif
    default: return 0;
    }
}

const char *pl_cc_name(int alg) { return alg >= 1 && alg <= PL_CC_MAX ? pl_cc_names[alg] : NULL; }

int pl_cc_from_name(const char *name)
{
    for (int a = 1; a <= PL_CC_MAX; a++)
        if (strcmp(name, pl_cc_names[a]) == 0) return a;
    return 0;
}

/* A decoder's own allocations, counted against PL_CC_DECODER_MEM. Each
 * block carries its size in front so that free can give it back. */
typedef struct {
    size_t used;
    int refused; /* the budget said no (as opposed to memory running out) */
} pl_cc_budget;

#if defined(PARLEY_HAVE_ZLIB) || defined(PARLEY_HAVE_BROTLI) || defined(PARLEY_HAVE_ZSTD)
static void *pl_cc_alloc(pl_cc_budget *b, size_t n)
{
    if (n > PL_CC_DECODER_MEM || b->used + n > PL_CC_DECODER_MEM) {
        b->refused = 1;
        return NULL;
    }
    size_t *p = pl_malloc(n + sizeof(size_t) * 2); /* keeps 16-byte alignment */
    if (!p) return NULL;
    p[0] = n;
    b->used += n;
    return p + 2;
}

static void pl_cc_release(pl_cc_budget *b, void *q)
{
    if (!q) return;
    size_t *p = (size_t *)q - 2;
    b->used -= p[0];
    pl_free(p);
}

#endif

#ifdef PARLEY_HAVE_ZLIB
static voidpf pl_z_alloc(voidpf op, uInt items, uInt size)
{
    if (size && items > (size_t)-1 / size) return Z_NULL;
    return pl_cc_alloc(op, (size_t)items * size);
}
static void pl_z_free(voidpf op, voidpf p) { pl_cc_release(op, p); }

static int pl_zlib_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t outlen, pl_cc_budget *bud)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = pl_z_alloc;
    z.zfree = pl_z_free;
    z.opaque = bud;
    if (inflateInit(&z) != Z_OK) PL_BAIL(PL_ERR_NOMEM, "out of memory starting zlib");
    /* The lengths fit uInt: both are below 2^24 (the message limit). */
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)outlen;
    /* One call: inflate never writes past avail_out, so the declared length
     * bounds the output. With the output full and the stream not at its end
     * it stops with Z_BUF_ERROR (longer than declared, or cut there). */
    int zr = inflate(&z, Z_FINISH);
    size_t got = z.total_out;
    size_t rest = z.avail_in;
    inflateEnd(&z);
    PL_ENSURE(zr != Z_MEM_ERROR || bud->refused, PL_ERR_NOMEM, "out of memory in zlib");
    PL_ENSURE(zr != Z_MEM_ERROR, PL_ERR_BAD_CERTIFICATE, "zlib-compressed certificate needs more than %u bytes of decoder memory",
              PL_CC_DECODER_MEM);
    PL_ENSURE(!(zr == Z_BUF_ERROR && got == outlen), PL_ERR_BAD_CERTIFICATE,
              "zlib-compressed certificate is longer than its declared %zu bytes", outlen);
    PL_ENSURE(zr == Z_STREAM_END, PL_ERR_BAD_CERTIFICATE, "zlib-compressed certificate does not decompress (%s)",
              zr == Z_BUF_ERROR ? "truncated" : "damaged");
    PL_ENSURE(got == outlen, PL_ERR_BAD_CERTIFICATE, "zlib-compressed certificate is %zu bytes, not the declared %zu", got, outlen);
    PL_ENSURE(rest == 0, PL_ERR_BAD_CERTIFICATE, "zlib-compressed certificate has %zu bytes after its end", rest);
    return 0;
}

static int pl_zlib_compress(const uint8_t *in, size_t len, pl_buf *out)
{
    uLongf n = compressBound((uLong)len);
    PL_GUARD(pl_buf_reserve(out, n));
    PL_ENSURE(compress2(out->data + out->len, &n, in, (uLong)len, 9) == Z_OK, PL_ERR_INTERNAL, "zlib compression failed");
    out->len += n;
    return 0;
}
#endif

#ifdef PARLEY_HAVE_BROTLI
static void *pl_br_alloc(void *op, size_t n) { return pl_cc_alloc(op, n); }
static void pl_br_free(void *op, void *p) { pl_cc_release(op, p); }

static int pl_brotli_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t outlen, pl_cc_budget *bud)
{
    BrotliDecoderState *st = BrotliDecoderCreateInstance(pl_br_alloc, pl_br_free, bud);
    PL_ENSURE(st, PL_ERR_NOMEM, "out of memory starting brotli");
    size_t ain = len, aout = outlen;
    const uint8_t *nin = in;
    uint8_t *nout = out;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(st, &ain, &nin, &aout, &nout, NULL);
    BrotliDecoderErrorCode ec = BrotliDecoderGetErrorCode(st);
    BrotliDecoderDestroyInstance(st);
    /* An allocation that failed though the budget allowed it: memory ran
     * out, which says nothing about the peer's data. */
    PL_ENSURE(!(r == BROTLI_DECODER_RESULT_ERROR && ec <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
                ec >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES && !bud->refused),
              PL_ERR_NOMEM, "out of memory in brotli");
    /* The budget said no: a window (up to 16 MiB, or 1 GiB with large
     * windows) bigger than any certificate needs. */
    PL_ENSURE(!(r == BROTLI_DECODER_RESULT_ERROR && bud->refused), PL_ERR_BAD_CERTIFICATE,
              "brotli-compressed certificate needs more than %u bytes of decoder memory", PL_CC_DECODER_MEM);
    /* NEEDS_MORE_OUTPUT: the stream would exceed the declared length. */
    PL_ENSURE(r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT, PL_ERR_BAD_CERTIFICATE,
              "brotli-compressed certificate is longer than its declared %zu bytes", outlen);
    PL_ENSURE(r == BROTLI_DECODER_RESULT_SUCCESS, PL_ERR_BAD_CERTIFICATE, "brotli-compressed certificate does not decompress (%s)",
              r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT ? "truncated" : BrotliDecoderErrorString(ec));
    PL_ENSURE(aout == 0, PL_ERR_BAD_CERTIFICATE, "brotli-compressed certificate is %zu bytes, not the declared %zu", outlen - aout, outlen);
    PL_ENSURE(ain == 0, PL_ERR_BAD_CERTIFICATE, "brotli-compressed certificate has %zu bytes after its end", ain);
    return 0;
}

static int pl_brotli_compress(const uint8_t *in, size_t len, pl_buf *out)
{
    size_t n = BrotliEncoderMaxCompressedSize(len);
    PL_ENSURE(n, PL_ERR_INTERNAL, "brotli: input too large");
    PL_GUARD(pl_buf_reserve(out, n));
    PL_ENSURE(BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len, in, &n, out->data + out->len),
              PL_ERR_INTERNAL, "brotli compression failed");
    out->len += n;
    return 0;
}
#endif

#ifdef PARLEY_HAVE_ZSTD
static void *pl_zs_alloc(void *op, size_t n) { return pl_cc_alloc(op, n); }
static void pl_zs_free(void *op, void *p) { pl_cc_release(op, p); }

static int pl_zstd_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t outlen, pl_cc_budget *bud)
{
    /* Exactly one Zstandard frame (RFC 8878 3.1.1: magic 0xFD2FB528), with
     * nothing after it: no skippable frames, no second frame, no legacy
     * format (whose decoders allocate on their own). */
    PL_ENSURE(len >= 4 && in[0] == 0x28 && in[1] == 0xb5 && in[2] == 0x2f && in[3] == 0xfd, PL_ERR_BAD_CERTIFICATE,
              "zstd-compressed certificate does not decompress (not a Zstandard frame)");
    size_t fl = ZSTD_findFrameCompressedSize(in, len);
    PL_ENSURE(!ZSTD_isError(fl), PL_ERR_BAD_CERTIFICATE, "zstd-compressed certificate does not decompress (%s)", ZSTD_getErrorName(fl));
    PL_ENSURE(fl == len, PL_ERR_BAD_CERTIFICATE, "zstd-compressed certificate has %zu bytes after its end", len - fl);
    /* The context's own allocations go through the budget like zlib's and
     * brotli's (ZSTD_customMem: in the experimental API, exported by the
     * shared library since 1.0). */
    ZSTD_customMem mem = {pl_zs_alloc, pl_zs_free, bud};
    ZSTD_DCtx *d = ZSTD_createDCtx_advanced(mem);
    PL_ENSURE(d || bud->refused, PL_ERR_NOMEM, "out of memory starting zstd");
    PL_ENSURE(d, PL_ERR_BAD_CERTIFICATE, "zstd-compressed certificate needs more than %u bytes of decoder memory", PL_CC_DECODER_MEM);
    /* One shot into the exact-size output: the frame's window is the
     * output buffer itself, so nothing is allocated for it whatever window
     * size the frame declares (streaming compressors write large ones and
     * often no content size); output past outlen is dstSize_tooSmall. */
    size_t zr = ZSTD_decompressDCtx(d, out, outlen, in, len);
    ZSTD_freeDCtx(d);
    PL_ENSURE(!(ZSTD_isError(zr) && ZSTD_getErrorCode(zr) == ZSTD_error_dstSize_tooSmall), PL_ERR_BAD_CERTIFICATE,
              "zstd-compressed certificate is longer than its declared %zu bytes", outlen);
    PL_ENSURE(!(ZSTD_isError(zr) && ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation && !bud->refused), PL_ERR_NOMEM,
              "out of memory in zstd");
    PL_ENSURE(!ZSTD_isError(zr), PL_ERR_BAD_CERTIFICATE, "zstd-compressed certificate does not decompress (%s)", ZSTD_getErrorName(zr));
    PL_ENSURE(zr == outlen, PL_ERR_BAD_CERTIFICATE, "zstd-compressed certificate is %zu bytes, not the declared %zu", zr, outlen);
    return 0;
}

static int pl_zstd_compress(const uint8_t *in, size_t len, pl_buf *out)
{
    size_t n = ZSTD_compressBound(len);
    PL_GUARD(pl_buf_reserve(out, n));
    n = ZSTD_compress(out->data + out->len, n, in, len, 19);
    PL_ENSURE(!ZSTD_isError(n), PL_ERR_INTERNAL, "zstd compression failed: %s", ZSTD_getErrorName(n));
    out->len += n;
    return 0;
}
#endif

int pl_cc_compress(int alg, const uint8_t *in, size_t len, pl_buf *out)
{
    switch (alg) {
#ifdef PARLEY_HAVE_ZLIB
    case PL_CC_ZLIB: return pl_zlib_compress(in, len, out);
#endif
#ifdef PARLEY_HAVE_BROTLI
    case PL_CC_BROTLI: return pl_brotli_compress(in, len, out);
#endif
#ifdef PARLEY_HAVE_ZSTD
    case PL_CC_ZSTD: return pl_zstd_compress(in, len, out);
#endif
    default: PL_BAIL(PL_ERR_INTERNAL, "certificate compression algorithm %d is not built in", alg);
    }
}

int pl_cc_decompress(int alg, const uint8_t *in, size_t len, uint8_t *out, size_t outlen)
{
    pl_cc_budget bud = {0};
    int rc;
    (void)bud;
    switch (alg) {
#ifdef PARLEY_HAVE_ZLIB
    case PL_CC_ZLIB: rc = pl_zlib_decompress(in, len, out, outlen, &bud); break;
#endif
#ifdef PARLEY_HAVE_BROTLI
    case PL_CC_BROTLI: rc = pl_brotli_decompress(in, len, out, outlen, &bud); break;
#endif
#ifdef PARLEY_HAVE_ZSTD
    case PL_CC_ZSTD: rc = pl_zstd_decompress(in, len, out, outlen, &bud); break;
#endif
    default: PL_BAIL(PL_ERR_INTERNAL, "certificate compression algorithm %d is not built in", alg);
    }
    return rc;
}
