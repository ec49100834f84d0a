/* fetch.h - algorithm objects fetched once per process (internal to src/crypto). */
#ifndef PL_FETCH_H
#define PL_FETCH_H
#include <openssl/evp.h>
#include <stdatomic.h>
const EVP_MD *pl_fetch_md(int alg);
const EVP_CIPHER *pl_fetch_cipher(int alg);
const char *pl_md_name(int alg);
/* The object in *slot, made by make(arg) on its first use, under one lock for
 * the process; a NULL from make (libcrypto out of memory) is not kept, so the
 * next use tries again instead of failing for the life of the process. */
void *pl_make_once(_Atomic(void *) *slot, void *(*make)(int), int arg);
#endif
