/* fetch.c - EVP_*_fetch once per process, thread-safe: the first use of
 * each algorithm fetches it under a lock. A fetch that failed (libcrypto out
 * of memory) is not remembered: the next use tries again, so a transient
 * failure does not break every later handshake of the process. */
#include "fetch.h"

#include <pthread.h>
#include <stdatomic.h>

#include "crypto.h"

static pthread_mutex_t pl_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(void *) pl_mds[4];      /* EVP_MD */
static _Atomic(void *) pl_ciphers[4];  /* EVP_CIPHER */

void *pl_make_once(_Atomic(void *) *slot, void *(*make)(int), int arg)
{
    void *v = atomic_load_explicit(slot, memory_order_acquire);
    if (v) return v;
    pthread_mutex_lock(&pl_fetch_lock);
    if (!(v = atomic_load_explicit(slot, memory_order_relaxed))) {
        v = make(arg);
        if (v) atomic_store_explicit(slot, v, memory_order_release);
    }
    pthread_mutex_unlock(&pl_fetch_lock);
    return v;
}

static const char *pl_cipher_name(int alg)
{
    switch (alg) {
    case PL_AES_128_GCM: return "AES-128-GCM";
    case PL_AES_256_GCM: return "AES-256-GCM";
    case PL_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
    default: return NULL;
    }
}

static void *pl_md_fetch(int alg) { return EVP_MD_fetch(NULL, pl_md_name(alg), NULL); }
static void *pl_cipher_fetch(int alg) { return EVP_CIPHER_fetch(NULL, pl_cipher_name(alg), NULL); }

const EVP_MD *pl_fetch_md(int alg)
{
    return alg >= 1 && alg <= 3 ? pl_make_once(&pl_mds[alg], pl_md_fetch, alg) : NULL;
}

const EVP_CIPHER *pl_fetch_cipher(int alg)
{
    return alg >= 1 && alg <= 3 ? pl_make_once(&pl_ciphers[alg], pl_cipher_fetch, alg) : NULL;
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
