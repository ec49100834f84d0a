/* rand.c - CSPRNG: libcrypto's DRBG. */
#include <openssl/rand.h>

#include "crypto.h"

int pl_random(uint8_t *out, size_t n)
{
    PL_ENSURE(RAND_bytes(out, (int)n) == 1, PL_ERR_CRYPTO, "random generator failed");
    return 0;
}
