/* prf12.h - the TLS 1.2 PRF (RFC 5246 5) and what is derived with it:
 * master secret (RFC 5246 8.1, extended master secret RFC 7627 4), key
 * block (RFC 5246 6.3) and Finished verify_data (RFC 5246 7.4.9). */
#ifndef PL_PRF12_H
#define PL_PRF12_H

#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"

PL_MUST_CHECK int pl_prf12(int hash, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
                           size_t s1len, const uint8_t *seed2, size_t s2len, uint8_t *out, size_t outlen);
/* The same with the whole seed (label included) given: RFC 5705 exporters,
 * whose seed carries a context of up to 2^16-1 bytes. */
PL_MUST_CHECK int pl_prf12_seed(int hash, const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
                                uint8_t *out, size_t outlen);
/* ems: session_hash is Hash(handshake messages through ClientKeyExchange);
 * otherwise the randoms are used. */
PL_MUST_CHECK int pl_master12(int hash, const uint8_t *pm, size_t pmlen, int ems, const uint8_t *session_hash,
                              const uint8_t client_random[32], const uint8_t server_random[32], uint8_t master[48]);
PL_MUST_CHECK int pl_key_block12(int hash, const uint8_t master[48], const uint8_t client_random[32],
                                 const uint8_t server_random[32], uint8_t *out, size_t outlen);
PL_MUST_CHECK int pl_finished12(int hash, const uint8_t master[48], int server, const uint8_t *th, uint8_t out[12]);

#endif
