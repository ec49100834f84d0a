/*
 * rand.c - CSPRNG: libcrypto's DRBG, drawn in blocks.
 *
 * A handshake needs several short random strings (randoms, session ids,
 * nonces, ticket_age_add); each RAND_bytes call pays the DRBG's fixed cost
 * (about 0.7 us, 15% of a resumed TLS 1.2 handshake). So each thread keeps a
 * small block from the DRBG and hands it out; bytes are wiped as they are
 * taken. After fork() the child's block is dropped (pthread_atfork), so a
 * parent and its workers never share random bytes.
 */
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

#include "crypto.h"
#include "../util/mem.h"

#define PL_RAND_BLOCK 512

static _Thread_local uint8_t pl_rand_buf[PL_RAND_BLOCK];
static _Thread_local size_t pl_rand_left;
static pthread_once_t pl_rand_once = PTHREAD_ONCE_INIT;

static void pl_rand_forget(void)
{
    /* In the child only the forking thread exists: its block is the one to drop. */
    pl_cleanse(pl_rand_buf, sizeof pl_rand_buf);
    pl_rand_left = 0;
}

static void pl_rand_init(void) { pthread_atfork(NULL, NULL, pl_rand_forget); }

int pl_random(uint8_t *out, size_t n)
{
    pthread_once(&pl_rand_once, pl_rand_init);
    if (n > PL_RAND_BLOCK / 4) {
        PL_ENSURE(RAND_bytes(out, (int)n) == 1, PL_ERR_CRYPTO, "random generator failed");
        return 0;
    }
    if (pl_rand_left < n) {
        PL_ENSURE(RAND_bytes(pl_rand_buf, PL_RAND_BLOCK) == 1, PL_ERR_CRYPTO, "random generator failed");
        pl_rand_left = PL_RAND_BLOCK;
    }
    uint8_t *p = pl_rand_buf + PL_RAND_BLOCK - pl_rand_left;
    memcpy(out, p, n);
    pl_cleanse(p, n);
    pl_rand_left -= n;
    return 0;
}
