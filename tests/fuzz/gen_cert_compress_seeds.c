/* gen_cert_compress_seeds.c - writes seeds/cert_compress/: the in-memory
 * self-signed certificate's Certificate message as a CompressedCertificate
 * body for each algorithm (not a fuzz target; run once by hand:
 * gen_cert_compress_seeds DIR). */
#include <stdio.h>

#include "handshake/cert_compress.h"
#include "handshake/messages.h"
#include "x509/x509.h"

int main(int argc, char **argv)
{
    pl_chain chain;
    char fp[128], path[512];
    pl_buf msg = {0};
    if (argc != 2 || pl_chain_self_signed(&chain, fp, sizeof fp) < 0 ||
        pl_certificate_write(&msg, NULL, 0, chain.der, chain.der_len, chain.n) < 0)
        return 1;
    for (int a = 1; a <= PL_CC_MAX; a++) {
        pl_buf z = {0}, body = {0};
        size_t m;
        if (pl_cc_compress(a, msg.data, msg.len, &z) < 0 || pl_buf_u16(&body, (uint16_t)a) < 0 ||
            pl_buf_u24(&body, (uint32_t)msg.len) < 0 || pl_buf_open(&body, 3, &m) < 0 || pl_buf_bytes(&body, z.data, z.len) < 0 ||
            pl_buf_close(&body, 3, m) < 0)
            return 1;
        snprintf(path, sizeof path, "%s/%s", argv[1], pl_cc_name(a));
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(body.data, 1, body.len, f) != body.len || fclose(f) != 0) return 1;
        printf("%s: %zu -> %zu bytes\n", path, msg.len, z.len);
        pl_buf_free(&z);
        pl_buf_free(&body);
    }
    /* The extension as browsers send it: brotli alone, and all three. */
    static const uint8_t ext[] = {6, 0, 2, 0, 3, 0, 1};
    snprintf(path, sizeof path, "%s/extension", argv[1]);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(ext, 1, sizeof ext, f) != sizeof ext || fclose(f) != 0) return 1;
    pl_buf_free(&msg);
    pl_chain_free(&chain);
    return 0;
}
