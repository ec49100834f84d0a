/* fetch.c - EVP_*_fetch once per process, thread-safe via pthread_once. */
#include "fetch.h"

#include <pthread.h>

#include "crypto.h"

static pthread_once_t pl_fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *pl_mds[4];
static EVP_CIPHER *pl_ciphers[4];

static void pl_fetch_all(void)
{
    pl_mds[PL_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
    pl_mds[PL_SHA384] = EVP_MD_fetch(NULL, "SHA384", NULL);
    pl_mds[PL_SHA512] = EVP_MD_fetch(NULL, "SHA512", NULL);
    pl_ciphers[PL_AES_128_GCM] = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    pl_ciphers[PL_AES_256_GCM] = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    pl_ciphers[PL_CHACHA20_POLY1305] = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

const EVP_MD *pl_fetch_md(int alg)
{
    pthread_once(&pl_fetch_once, pl_fetch_all);
    return (alg >= 1 && alg <= 3) ? pl_mds[alg] : NULL;
}

const EVP_CIPHER *pl_fetch_cipher(int alg)
{
    pthread_once(&pl_fetch_once, pl_fetch_all);
    return (alg >= 1 && alg <= 3) ? pl_ciphers[alg] : NULL;
}

const char *pl_md_name(int alg)
{
    switch (alg) {
    case PL_SHA256: return "SHA256";
    case PL_SHA384: return "SHA384";
    case PL_SHA512: return "SHA512";
    default: return NULL;
    }
}
