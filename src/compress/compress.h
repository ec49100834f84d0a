/*
 * compress.h - the three certificate compression algorithms of RFC 8879 3
 * (zlib 1, brotli 2, zstd 3) over Debian's zlib, libbrotli and libzstd. The
 * only place that includes their headers; each is compiled in only when the
 * build found it (PARLEY_HAVE_ZLIB / _BROTLI / _ZSTD, CMake options
 * PARLEY_WITH_*).
 */
#ifndef PL_COMPRESS_H
#define PL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

enum { PL_CC_ZLIB = 1, PL_CC_BROTLI = 2, PL_CC_ZSTD = 3, PL_CC_MAX = 3 };

/* Memory one decompression may use inside the library it calls (its window,
 * tables and state), on top of the output buffer: a peer chooses the
 * stream, so all three decoders allocate through a counting allocator and
 * a stream asking for more fails (bad_certificate, "needs more than ...
 * bytes of decoder memory"). zlib needs about 40 KiB, zstd about 160 KiB
 * (one shot into the output: no window), brotli its ring buffer (up to
 * the stream's window, shrunk to the output when the stream says so). */
#define PL_CC_DECODER_MEM (4u << 20)

/* Built in? (0 for an unknown id.) */
int pl_cc_available(int alg);
/* "zlib", "brotli", "zstd", or NULL for an id we do not know. */
const char *pl_cc_name(int alg);
/* The id of a name, or 0. */
int pl_cc_from_name(const char *name);

/* Compress in[0..len) with alg into out (appended); used once per
 * certificate and algorithm, so it takes each library's strongest setting. */
PL_MUST_CHECK int pl_cc_compress(int alg, const uint8_t *in, size_t len, pl_buf *out);

/* Decompress in[0..len) into out[0..outlen), which must come out exactly
 * full: 0 when it did, PL_ERR_BAD_CERTIFICATE when the stream is damaged,
 * ends early, has bytes after its end, or would produce more than outlen
 * (RFC 8879 4: a length mismatch is bad_certificate; no more than outlen
 * bytes of output are ever produced), PL_ERR_NOMEM when the decoder's
 * memory ran out (within PL_CC_DECODER_MEM: a stream asking for more is
 * bad_certificate too). zstd: exactly one standard frame, nothing after. */
PL_MUST_CHECK int pl_cc_decompress(int alg, const uint8_t *in, size_t len, uint8_t *out, size_t outlen);

#endif
