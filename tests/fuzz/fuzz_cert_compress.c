/* fuzz_cert_compress.c - the CompressedCertificate path of RFC 8879 fed
 * arbitrary bytes: the message parser, the length checks, each algorithm's
 * decompressor into a buffer of exactly the declared length, then the
 * Certificate parser over what came out; and the compress_certificate
 * extension parser. Nothing may crash, leak, write past the declared length
 * or allocate beyond the bounds (-rss_limit_mb). Seeds (seeds/cert_compress/):
 * a real Certificate message compressed with each algorithm (written by
 * gen_cert_compress_seeds). */
#include <stddef.h>
#include <stdint.h>

#include "handshake/cert_compress.h"
#include "handshake/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_buf out = {0};
    int alg;
    unsigned bits;
    /* Every algorithm offered, so each decoder is reached. */
    if (pl_cc_decode(1u << PL_CC_ZLIB | 1u << PL_CC_BROTLI | 1u << PL_CC_ZSTD, data, size, &out, &alg) == 0) {
        pl_certificate ct;
        (void)pl_certificate_parse(out.data, out.len, &ct);
    }
    pl_buf_free(&out);
    (void)pl_cc_ext_parse(pl_cur(data, size), &bits);
    return 0;
}
