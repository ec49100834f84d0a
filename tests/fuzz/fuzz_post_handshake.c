/* fuzz_post_handshake.c - post-handshake messages (RFC 8446 4.6) fed to an
 * established TLS 1.3 connection whose client offered post_handshake_auth:
 * byte 0 picks the side (even: the client, which answers CertificateRequests
 * with its certificate; odd: the server, which has just asked for one), the
 * rest is a stream of handshake messages (type, uint24 length, body) given
 * to the post-handshake entry point one by one, as record reassembly would.
 * The handshake itself runs in memory, in the clear of any fuzzing. */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static parley_config *ccfg, *scfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char fp[128], pem[4096], path[] = "/tmp/fuzz_pha_ca_XXXXXX";
    ccfg = parley_config_new();
    scfg = parley_config_new();
    parley_config_set_verify(ccfg, 0);
    parley_config_set_versions(ccfg, PARLEY_TLS1_3, PARLEY_TLS1_3);
    if (parley_config_add_self_signed(ccfg, fp, sizeof fp) != PARLEY_OK ||
        parley_config_add_self_signed(scfg, fp, sizeof fp) != PARLEY_OK ||
        parley_config_export_cert_pem(ccfg, 0, pem, sizeof pem) != PARLEY_OK)
        abort();
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, pem, strlen(pem)) < 0) abort();
    close(fd);
    if (parley_config_set_client_ca(scfg, path) != PARLEY_OK || parley_config_set_post_handshake_auth(scfg, 1) != PARLEY_OK)
        abort();
    /* The CA file is read at the first connection (freeze). */
    parley_conn_free(parley_conn_new_server(scfg));
    unlink(path);
    return 0;
}

static void move(parley_conn *from, parley_conn *to)
{
    const uint8_t *d;
    size_t n, used;
    parley_conn_pending_output(from, &d, &n);
    while (n) {
        if (parley_conn_recv_bytes(to, d, n, &used) != PARLEY_OK || used == 0) break;
        parley_conn_output_sent(from, used);
        (void)parley_conn_handshake(to);
        parley_conn_pending_output(from, &d, &n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    parley_conn *c = parley_conn_new_client(ccfg, "localhost"), *s = parley_conn_new_server(scfg);
    for (int i = 0; i < 8 && !(parley_conn_handshake_done(c) && parley_conn_handshake_done(s)); i++) {
        (void)parley_conn_handshake(c);
        move(c, s);
        (void)parley_conn_handshake(s);
        move(s, c);
    }
    if (!parley_conn_handshake_done(c) || !parley_conn_handshake_done(s)) abort();
    parley_conn *t = data[0] & 1 ? s : c;
    if (t == s) {
        if (parley_conn_request_client_auth(s) != PARLEY_OK) abort();
        /* A known context (32 zero bytes) instead of the random one, so that
         * inputs can answer the request and reach the chain, signature and
         * Finished checks. */
        memset(s->pha->ctx, 0, sizeof s->pha->ctx);
    }
    size_t off = 1;
    while (off + 4 <= size) {
        size_t len = 4 + ((size_t)data[off + 1] << 16 | (size_t)data[off + 2] << 8 | data[off + 3]);
        if (len > size - off) break;
        int rc = pl_hs_post_handshake(t, data + off, len);
        off += len;
        if (rc < 0) {
            (void)pl_conn_fail(t, rc);
            break;
        }
        if (rc == PL_HS_WAIT_KEY_OP) break; /* the local provider never pauses */
    }
    parley_conn_free(c);
    parley_conn_free(s);
    return 0;
}
