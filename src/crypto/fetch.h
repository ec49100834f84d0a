/* fetch.h - algorithm objects fetched once per process (internal to src/crypto). */
#ifndef PL_FETCH_H
#define PL_FETCH_H
#include <openssl/evp.h>
const EVP_MD *pl_fetch_md(int alg);
const EVP_CIPHER *pl_fetch_cipher(int alg);
const char *pl_md_name(int alg);
#endif
