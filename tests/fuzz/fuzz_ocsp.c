/* fuzz_ocsp.c - the stapled-OCSP check fed arbitrary DER, against a fixed
 * self-signed chain and the system trust store: parsing, id matching and the
 * freshness and status logic must never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "x509/x509.h"

static pl_chain chain;
static pl_trust *trust;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char fp[128];
    (void)argc;
    (void)argv;
    if (pl_chain_self_signed(&chain, fp, sizeof fp) < 0 || pl_trust_load(NULL, &trust) < 0) return -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_der d = {chain.der[0], chain.der_len[0]};
    (void)pl_ocsp_check(trust, &d, 1, data, size, 0);
    return 0;
}
