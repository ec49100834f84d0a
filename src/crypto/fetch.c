/* fetch.c - EVP_*_fetch once per process, thread-safe: the first use of
 * each algorithm fetches it under a lock. A fetch that failed (libcrypto out
 * of memory) is not remembered: the next use tries again, so a transient
 * failure does not break every later handshake of the process. */
#include "fetch.h"

#include <pthread.h>
#include <stdatomic.h>

#include "crypto.h"

static pthread_mutex_t pl_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(EVP_MD *) pl_mds[4];
static _Atomic(EVP_CIPHER *) pl_ciphers[4];

static const char *pl_cipher_name(int alg)
{
    switch (alg) {
    case PL_AES_128_GCM: return "AES-128-GCM";
    case PL_AES_256_GCM: return "AES-256-GCM";
    case PL_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
    default: return NULL;
    }
}

const EVP_MD *pl_fetch_md(int alg)
{
    if (alg < 1 || alg > 3) return NULL;
    EVP_MD *m = atomic_load_explicit(&pl_mds[alg], memory_order_acquire);
    if (m) return m;
    pthread_mutex_lock(&pl_fetch_lock);
    if (!(m = atomic_load_explicit(&pl_mds[alg], memory_order_relaxed))) {
        m = EVP_MD_fetch(NULL, pl_md_name(alg), NULL);
        if (m) atomic_store_explicit(&pl_mds[alg], m, memory_order_release);
    }
    pthread_mutex_unlock(&pl_fetch_lock);
    return m;
}

const EVP_CIPHER *pl_fetch_cipher(int alg)
{
    if (alg < 1 || alg > 3) return NULL;
    EVP_CIPHER *c = atomic_load_explicit(&pl_ciphers[alg], memory_order_acquire);
    if (c) return c;
    pthread_mutex_lock(&pl_fetch_lock);
    if (!(c = atomic_load_explicit(&pl_ciphers[alg], memory_order_relaxed))) {
        c = EVP_CIPHER_fetch(NULL, pl_cipher_name(alg), NULL);
        if (c) atomic_store_explicit(&pl_ciphers[alg], c, memory_order_release);
    }
    pthread_mutex_unlock(&pl_fetch_lock);
    return c;
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
