/* fuzz_verify.c - the verifier's input: the first byte picks a mode, the
 * rest is either PEM text (parley_cert_list_from_pem; mode 2 puts the
 * trusted anchor before its certificates) or DER certificates each behind a
 * 2-byte big-endian length; the certificates found are then
 * verified by parley_verify_chain (path building, the policy, the report)
 * against a fixed trust store (a self-signed anchor made at start) at a
 * fixed time, for the host "localhost". Nothing may crash, hang or leak. */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "x509/x509.h"

static parley_config *cfg;
static uint8_t anchor_der[4096];
static size_t anchor_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pl_chain anchor;
    char fp[128], pem[8192], path[] = "/tmp/fuzz_verify_ca.XXXXXX";
    if (pl_chain_self_signed(&anchor, fp, sizeof fp) < 0 || pl_chain_leaf_pem(&anchor, pem, sizeof pem) < 0) return -1;
    if (anchor.der_len[0] > sizeof anchor_der) return -1;
    memcpy(anchor_der, anchor.der[0], anchor.der_len[0]);
    anchor_len = anchor.der_len[0];
    pl_chain_free(&anchor);
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem)) return -1;
    close(fd);
    cfg = parley_config_new();
    if (!cfg || parley_config_set_ca_file(cfg, path) || parley_config_set_time(cfg, (int64_t)time(NULL))) return -1;
    /* Load now (the file is removed next). */
    parley_verify_result r;
    if (parley_verify_chain(cfg, NULL, NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r) == PARLEY_ERROR) return -1;
    unlink(path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] & 3, purpose = data[0] & 4 ? PARLEY_PURPOSE_CLIENT : PARLEY_PURPOSE_SERVER;
    const char *host = data[0] & 8 ? NULL : data[0] & 16 ? "127.0.0.1" : "localhost";
    data++, size--;
    const uint8_t *der[PARLEY_CERT_LIST_MAX];
    size_t len[PARLEY_CERT_LIST_MAX], n = 0;
    parley_cert_list *l = NULL;
    if (mode == 1) {
        /* DER certificates behind 2-byte lengths. */
        while (size >= 2 && n < PARLEY_CERT_LIST_MAX) {
            size_t cl = ((size_t)data[0] << 8) | data[1];
            if (cl > size - 2) cl = size - 2;
            der[n] = data + 2, len[n++] = cl;
            data += 2 + cl, size -= 2 + cl;
        }
    } else {
        /* Mode 2: the anchor itself first (a trusted self-signed leaf: the
         * path verifies, so the policy and the report's ok lines run). */
        if (mode == 2) der[n] = anchor_der, len[n++] = anchor_len;
        char err[256];
        if (parley_cert_list_from_pem(data, size, &l, err, sizeof err) != PARLEY_OK) return 0;
        for (size_t i = 0; i < parley_cert_list_count(l) && n < PARLEY_CERT_LIST_MAX; i++, n++) der[n] = parley_cert_list_der(l, i, &len[n]);
    }
    parley_verify_result r;
    (void)parley_verify_chain(cfg, der, len, n, host, purpose, &r);
    parley_cert_list_free(l);
    return 0;
}
